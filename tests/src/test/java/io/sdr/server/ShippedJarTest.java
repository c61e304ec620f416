package io.sdr.server;

import io.sdr.testing.Closer;
import io.sdr.testing.FatJar;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * What every test of the shipped fat jar shares: the jar must exist (built by {@code package};
 * a missing jar fails the class, naming the command), a Vert.x per test for its clients, a
 * directory, a {@link Closer} for the processes it starts, and a 120 s bound per test (a class
 * may set another with its own {@link Timeout}).
 */
@ExtendWith(VertxExtension.class)
@Timeout(120)
public abstract class ShippedJarTest {
    @TempDir
    protected Path dir;

    @RegisterExtension
    protected final Closer closer = new Closer();

    @BeforeAll
    static void requireShippedJar() {
        FatJar.path();
    }
}
