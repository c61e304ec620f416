package io.sdr;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.sdr.ws.WebSocketVerticleTestKit.conf;
import static io.sdr.testing.Ports.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bad conf.json fails the deployment before anything is deployed, with a message that names the
 * key, the value and what is allowed.
 */
@ExtendWith(VertxExtension.class)
@io.vertx.junit5.Timeout(value = 30, timeUnit = java.util.concurrent.TimeUnit.SECONDS)
class MainVerticleConfigTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> badConfigs() {
        return Stream.of(
            bad("websocket.maxClients=-1", c -> c.getJsonObject("websocket").put("maxClients", -1),
                "websocket.maxClients=-1", "[1, 100000]"),
            bad("unknown websocket key", c -> c.getJsonObject("websocket").put("maxClient", 5),
                "websocket.maxClient", "unknown setting", "maxClients"),
            bad("unknown section", c -> c.put("websockets", new JsonObject()),
                "websockets", "unknown setting", "nats, poller, recording, streams, video, websocket"),
            bad("unknown video role", c -> c.put("video", new JsonObject().put("role", "relay")),
                "video.role", "\"relay\"", "origin, edge, off"),
            bad("unknown stream key", c -> c.getJsonObject("streams").getJsonObject("main").put("paht", "/x"),
                "streams.main.paht", "unknown setting", "path"),
            bad("listen without a port", c -> c.getJsonObject("websocket").put("listen", "nohost"),
                "websocket.listen", "\"nohost\"", "HOST:PORT"),
            bad("unknown idle strategy", c -> c.getJsonObject("poller").put("idleStrategy", "bogus"),
                "poller.idleStrategy", "\"bogus\"", "backoff, sleeping, yielding, busy-spin"),
            bad("crc not a boolean", c -> c.getJsonObject("streams").getJsonObject("main").put("crc", "maybe"),
                "streams.main.crc", "\"maybe\"", "true or false"),
            bad("idrTimeoutMs not a number", c -> c.getJsonObject("websocket").put("idrTimeoutMs", "abc"),
                "websocket.idrTimeoutMs", "\"abc\"", "[1, 3600000]"),
            bad("telemetry required without a NATS url", c -> c.put("nats", new JsonObject().put("required", true)),
                "nats.required=true", "cannot be required without the bridge", "nats.url (SDR_NATS_URL)"),
            bad("NATS backoff cap below its start", c -> c.put("nats", new JsonObject().put("url", "nats://127.0.0.1:4222")
                    .put("reconnectWaitMs", 1000).put("reconnectMaxWaitMs", 500)),
                "nats.reconnectMaxWaitMs=500", "at least nats.reconnectWaitMs=1000"),
            bad("demo telemetry rate out of range", c -> c.put("encoder", new JsonObject().put("demoTelemetryHz", 100)),
                "encoder.demoTelemetryHz=100", "[10, 30]"));
    }

    private static Arguments bad(final String name, final Consumer<JsonObject> change, final String... expected) {
        return Arguments.of(name, change, List.of(expected));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void shouldFailDeploymentNamingKeyValueAndAllowedValues(final String name, final Consumer<JsonObject> change,
                                                            final List<String> expected, final Vertx vertx,
                                                            final VertxTestContext test) {
        final int port = freePort();
        final JsonObject conf = conf(dir.resolve("frames"), port);
        change.accept(conf);
        vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf))
            .onComplete(test.failing(error -> test.verify(() -> {
                final String message = error.getMessage();
                assertTrue(message.startsWith("invalid configuration: "), message);
                for (final String part : expected) {
                    assertTrue(message.contains(part), "message names " + part + ": " + message);
                }
                assertEquals(0, vertx.deploymentIDs().size(), "nothing stays deployed: " + vertx.deploymentIDs());
                assertThrows(java.io.IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
                    "nothing listens on " + port);
                test.completeNow();
            })));
    }
}
