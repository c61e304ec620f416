package io.sdr.server;

import io.sdr.testing.Http;
import io.sdr.testing.FatJar;
import io.sdr.testing.ChildProcess;
import io.sdr.server.ServerTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.sdr.server.ServerTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.PATIENCE;

/**
 * Authentication as a user deploys it: the shipped jar and conf with SDR_AUTH_* set, a secret and a
 * token made by the jar's own {@code token} command, a viewer with the token streaming, one without
 * refused before the upgrade, and a server without its secret refusing to start.
 */
class FatJarAuthTest extends ShippedJarTest {
    @BeforeAll
    static void requirePython() {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
    }

    /** Runs {@code java -jar sdr-transport.jar token ARGS}; returns its stdout+stderr after a 0 exit. */
    private String token(final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of("token"));
        command.addAll(List.of(args));
        final ChildProcess cli = closer.track(FatJar.start("token", Map.of(), command.toArray(new String[0])));
        assertEquals(0, cli.awaitExit(), cli.tail());
        return cli.output();
    }

    @Test
    void shouldStreamToAMintedTokenAndRefuseViewersWithout(final Vertx vertx) throws Exception {
        final Path secret = dir.resolve("jwt-secret");
        Files.writeString(secret, token("--new-secret").lines().findFirst().orElseThrow());
        final String jwt = token("--secret-file", secret.toString(), "--stream", "main", "--ttl", "10m", "--sub", "fat-jar-test")
            .lines().filter(l -> l.startsWith("ey")).findFirst().orElseThrow();

        final Path ring = dir.resolve("frames");
        final int port = freePort();
        closer.track(startPythonWriter("writer", "--layout", "v2", "--path", ring.toString(), "--fps", "60",
            "--size", "5000", "--gop", "30", "--frames", "0"));
        final ChildProcess server = closer.track(FatJar.start("server-auth", Map.of("SDR_SHM_PATH", ring.toString(),
            "SDR_LISTEN_ADDR", "127.0.0.1:" + port, "SDR_AUTH_ENABLED", "true", "SDR_AUTH_SECRET_FILE", secret.toString()),
            "-conf", "conf/conf.json"));
        Http.awaitServing(server, port);
        server.awaitOutput("auth=HS256");

        final Viewer viewer = Viewer.connect(vertx, port, "/stream/ws?token=" + jwt, "with-token");
        viewer.awaitFrames(60);
        viewer.assertStream(false);

        final UpgradeRejectedException refused = refusal(vertx, port, "/stream/ws");
        assertEquals(401, refused.getStatus());
        assertTrue(refused.getBody().toString(StandardCharsets.UTF_8).contains("missing token"));
        final Http.Result list = Http.get(port, "/stream/list");
        assertEquals(401, list.status(), list.body());
        final Http.Result metrics = Http.get(port, "/metrics");
        assertEquals(200, metrics.status(), "loopback reads /metrics");
        assertTrue(metrics.body().contains("sdr_ws_refused_total{reason=\"unauthorized\"} 1.0"), "the refusal is counted");
        assertFalse(server.output().contains(jwt), "the token never reaches the log");
    }

    @Test
    void shouldRefuseToStartWithAuthOnAndNoSecret() throws Exception {
        final int port = freePort();
        final ChildProcess server = closer.track(FatJar.start("server-no-secret", Map.of("SDR_SHM_PATH", dir.resolve("frames").toString(),
            "SDR_LISTEN_ADDR", "127.0.0.1:" + port, "SDR_AUTH_ENABLED", "true",
            "SDR_AUTH_SECRET_FILE", dir.resolve("missing").toString()), "-conf", "conf/conf.json"));
        final int exit = server.awaitExit();
        assertNotEquals(0, exit, server.tail());
        assertTrue(server.output().contains("websocket.auth.secretFile=\"" + dir.resolve("missing") + "\": cannot read the file"),
            server.tail());
        assertTrue(server.output().contains("(set by SDR_AUTH_SECRET_FILE)"), server.tail());
    }

    private static UpgradeRejectedException refusal(final Vertx vertx, final int port, final String uri) throws Exception {
        try {
            vertx.createWebSocketClient(new WebSocketClientOptions())
                .connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri))
                .toCompletionStage().toCompletableFuture().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final java.util.concurrent.ExecutionException e) {
            assertTrue(e.getCause() instanceof UpgradeRejectedException, "refused upgrade: " + e.getCause());
            return (UpgradeRejectedException) e.getCause();
        }
        throw new AssertionError(uri + " was accepted without a token");
    }
}
