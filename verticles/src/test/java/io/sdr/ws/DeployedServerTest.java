package io.sdr.ws;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * What every test of a server deployed in-process shares: a Vert.x per test (VertxExtension), a
 * directory for its rings, everything undeployed after each test, and a 90 s bound per test (a
 * class may set another with its own {@link Timeout}). A test that awaits a
 * {@code VertxTestContext} adds {@code io.vertx.junit5.Timeout}: that one is Vert.x's, read only
 * from the test class itself.
 */
@ExtendWith(VertxExtension.class)
@Timeout(90)
public abstract class DeployedServerTest {
    @TempDir
    protected Path dir;

    @AfterEach
    void undeployServer(final Vertx vertx) {
        WebSocketVerticleTestKit.undeployAll(vertx);
    }
}
