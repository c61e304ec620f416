package io.sdr.ws;

import io.sdr.ring.RingWriter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import static io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import static io.sdr.testing.Await.await;
import static io.sdr.ws.WebSocketVerticleTestKit.client;
import static io.sdr.ws.WebSocketVerticleTestKit.conf;
import static io.sdr.ws.WebSocketVerticleTestKit.deploy;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.ws.WebSocketVerticleTestKit.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the viewer page needs from the server: its files at {@code /}, the stream list, and the
 * 0x03 control messages (stats with commit times, pong) sent only to the client that asked.
 */
class WebSocketVerticleViewerSupportTest extends DeployedServerTest {
    @Test
    void shouldServeTheViewerPageAndTheStreamList(final Vertx vertx) throws Exception {
        final int port = freePort();
        final JsonObject conf = conf(dir.resolve("frames"), port);
        conf.getJsonObject("streams").put("side", new JsonObject().put("path", dir.resolve("side").toString()));
        deploy(vertx, conf);

        final HttpResponse<String> page = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
        assertTrue(page.body().contains("<canvas id=\"video\"") && page.body().contains("js/main.js"), page.body());
        for (final String module : List.of("main", "wire", "h264", "decoder", "stats", "telemetry", "connection")) {
            final var js = get(port, "/js/" + module + ".js");
            assertEquals(200, js.status(), module);
        }
        assertEquals(404, get(port, "/no-such-file").status());
        assertEquals(new JsonObject().put("streams", new JsonArray().add("main").add("side")).put("default", "main"),
            get(port, "/stream/list").json());
    }

    @Test
    void shouldSendStatsAndPongsOnlyToTheClientThatAskedForThem(final Vertx vertx) {
        final int port = freePort();
        try (PacedFeeder feeder = feeder(RingWriter.createV2(dir.resolve("frames"), 64, 64 * 1024), 2000, 15, 20_000_000L).start()) {
            deploy(vertx, conf(dir.resolve("frames"), port));
            feeder.awaitWritten(5);
            final Viewer plain = Viewer.connect(client(vertx), port, "plain");
            final Asker asker = Asker.connect(vertx, port);
            asker.socket.writeTextMessage("{\"stats\":true}");
            asker.socket.writeTextMessage("{\"ping\":42.5}");

            eventually("a pong echoing the ping", () -> asker.controls().stream().anyMatch(c -> "pong".equals(c.getString("type"))));
            final JsonObject pong = asker.controls().stream().filter(c -> "pong".equals(c.getString("type"))).findFirst().orElseThrow();
            assertEquals(42.5, pong.getDouble("ping"));
            assertTrue(Math.abs(pong.getDouble("server_time_ms") - System.currentTimeMillis()) < 60_000, "server wall-clock time: " + pong);

            eventually("two stats messages", () -> asker.controls().stream().filter(c -> "stats".equals(c.getString("type"))).count() >= 2);
            int listed = 0;
            int statsSeen = 0;
            for (final JsonObject stats : asker.controls()) {
                if (!"stats".equals(stats.getString("type"))) {
                    continue;
                }
                // The first one may list frames from before this client joined (the list is the stream's).
                final boolean afterJoin = statsSeen++ > 0;
                assertEquals("main", stats.getString("stream"));
                assertEquals("commit", stats.getString("clock"), "a v2 ring carries the writer's commit time");
                for (final Object item : stats.getJsonArray("frames")) {
                    final JsonArray entry = (JsonArray) item;
                    final double commitMs = entry.getDouble(1);
                    assertTrue(commitMs <= stats.getDouble("server_time_ms") && stats.getDouble("server_time_ms") - commitMs < 60_000,
                        "commit time before the message, as wall-clock time: " + entry + " in " + stats);
                    if (afterJoin) {
                        listed++;
                        eventually("frame " + entry.getLong(0) + " listed in stats reaches the asker",
                            () -> asker.frameSeqs().contains(entry.getLong(0)));
                    }
                }
            }
            assertTrue(listed > 0, "stats list the frames the client gets: " + asker.controls());
            plain.awaitFrames(10);
            assertEquals(0, plain.otherMessages(), "a client that did not ask gets only video (and telemetry)");
            assertEquals(List.of(), plain.problems());
        }
    }

    /** A client that sends requests and keeps the 0x03 messages (parsed) and the frame_seq of each video message. */
    private static final class Asker {
        final WebSocket socket;
        private final List<JsonObject> controls = new ArrayList<>();
        private final Set<Long> frameSeqs = new HashSet<>();

        static Asker connect(final Vertx vertx, final int port) {
            for (int attempt = 1; ; attempt++) {
                try {
                    return new Asker(await(client(vertx).connect(port, "127.0.0.1", "/stream/ws")));
                } catch (final AssertionError e) {
                    if (attempt == 3 || !io.sdr.testing.WireViewer.isHandshakeRace(e.getCause())) {
                        throw e;
                    }
                }
            }
        }

        Asker(final WebSocket socket) {
            this.socket = socket;
            socket.binaryMessageHandler(this::onMessage);
        }

        private synchronized void onMessage(final Buffer message) {
            final byte type = message.getByte(0);
            if (type == ControlMessages.TYPE_CONTROL) {
                controls.add(new JsonObject(message.getString(1, message.length(), StandardCharsets.UTF_8.name())));
            } else if (type == 0x01) {
                frameSeqs.add(ByteBuffer.wrap(message.getBytes(9, 17)).order(ByteOrder.LITTLE_ENDIAN).getLong());
            }
        }

        synchronized List<JsonObject> controls() {
            return new ArrayList<>(controls);
        }

        synchronized Set<Long> frameSeqs() {
            return new HashSet<>(frameSeqs);
        }
    }
}
