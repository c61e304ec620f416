package io.sdr.testing;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What every test of the server deployed in-process (MainVerticle in the test's Vert.x) starts
 * from: its conf.json and its undeployment. The deployment itself stays in each module's kit
 * (test-support knows no module of the project).
 */
public final class InProcessServer {
    private InProcessServer() {
    }

    /**
     * conf.json of a test server on 127.0.0.1:{@code port}: one client group reading {@code ring}
     * (stream "main", CRC checked), budgets so large that no client lags and no IDR timeout fires
     * unless a test lowers them, no encoder settings (none is configured for a ring stream). The
     * caller adds its {@code nats} section.
     */
    public static JsonObject conf(final Path ring, final int port) {
        return new JsonObject()
            .put("streams", new JsonObject().put("main", new JsonObject().put("path", ring.toString()).put("crc", true)))
            .put("poller", new JsonObject().put("idleStrategy", "backoff").put("fileCheckIntervalMs", 5)
                .put("idrCoalesceMs", 500))
            .put("websocket", new JsonObject()
                .put("listen", "127.0.0.1:" + port)
                .put("instances", 1)
                .put("maxClients", 100)
                .put("clientBudgetBytes", 64 << 20)
                .put("maxQueuedFrames", 100_000)
                .put("maxLagMs", 60_000)
                .put("idrTimeoutMs", 3_600_000)
                .put("gopCacheBytes", 32 << 20)
                .put("sendBufferBytes", 256 * 1024)
                .put("maxClientMessageBytes", 65536)
                .put("healthStaleMs", 3_600_000));
    }

    /**
     * Undeploys everything before the test's Vert.x is closed: the server then closes its client
     * sockets itself, instead of racing the clients' own close handshakes during Vert.x shutdown
     * (which can sit out a 30 s close timeout).
     */
    public static void undeployAll(final Vertx vertx) {
        for (final String id : vertx.deploymentIDs()) {
            try {
                vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (final Exception e) {
                // Already undeployed with its parent, or failed: Vert.x close cleans up the rest.
            }
        }
    }
}
