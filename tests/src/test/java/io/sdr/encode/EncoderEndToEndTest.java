package io.sdr.encode;

import io.sdr.testing.FfProbe.Probe;
import io.sdr.MainVerticle;
import io.sdr.bus.Addresses;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static io.sdr.testing.FfProbe.ffprobe;
import static io.sdr.testing.FfProbe.ffprobeAvailable;
import static io.sdr.encode.EncoderTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.await;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.testing.Await.eventually;

/**
 * The embedded default end to end: conf/conf.json as shipped (test pattern -> encoder -> ring ->
 * poller -> WebSocket), only the ring path and the port moved, gives a viewer decodable H.264 whose
 * first message is a keyframe; /health and /metrics name the encoder and why NVENC was skipped; a
 * keyframe request from the WebSocket side reaches the encoder.
 */
class EncoderEndToEndTest {
    @TempDir
    Path dir;

    private Vertx vertx;
    private int port;

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
        port = freePort();
    }

    @AfterEach
    void stopVertx() {
        await(vertx.close());
    }

    private JsonObject defaultConf() throws Exception {
        final JsonObject conf = new JsonObject(Files.readString(repoRoot().resolve("conf/conf.json")));
        conf.getJsonObject("streams").getJsonObject("main").put("path", dir.resolve("frames").toString());
        conf.getJsonObject("websocket").put("listen", "127.0.0.1:" + port);
        return conf;
    }

    @Test
    void shouldServeDecodableH264FromTheDefaultConfigurationStartingAtAKeyframe() throws Exception {
        final JsonObject conf = defaultConf();
        final JsonObject encoder = conf.getJsonObject("encoder");
        assertEquals("testpattern", encoder.getString("source"), "the shipped default needs no simulator");
        await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf)));

        final List<byte[]> messages = Collections.synchronizedList(new ArrayList<>());
        final WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
            .setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20).setConnectTimeout(10_000));
        final WebSocket socket = await(client.connect(port, "127.0.0.1", "/stream/ws"));
        // The shipped conf also publishes the test pattern's demo telemetry: 0x02 messages beside the video.
        final List<String> telemetrySubjects = Collections.synchronizedList(new ArrayList<>());
        socket.binaryMessageHandler(buffer -> {
            final byte[] message = buffer.getBytes();
            if (message.length >= 3 && message[0] == 2) {
                final int subjectLength = (message[1] & 0xFF) | (message[2] & 0xFF) << 8;
                telemetrySubjects.add(new String(message, 3, subjectLength, java.nio.charset.StandardCharsets.UTF_8));
            } else {
                messages.add(message);
            }
        });
        eventually("45 video messages", () -> messages.size() >= 45);
        await(socket.close());
        assertFalse(telemetrySubjects.isEmpty(), "demo telemetry beside the video");
        for (final String subject : telemetrySubjects) {
            assertTrue(subject.startsWith("telemetry.demo."), "only the demo's telemetry: " + subject);
        }

        final List<byte[]> accessUnits = new ArrayList<>();
        for (final byte[] message : messages.subList(0, 45)) {
            assertEquals(1, message[0], "video message type");
            final ByteBuffer header = ByteBuffer.wrap(message, 1, 32).slice().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1, header.getShort(22), "codec H.264");
            assertEquals(message.length - 33, header.getInt(16), "size");
            accessUnits.add(Arrays.copyOfRange(message, 33, message.length));
        }
        final ByteBuffer first = ByteBuffer.wrap(messages.get(0), 1, 32).slice().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, first.getShort(20) & 1, "the first message is a keyframe");
        assertTrue(nalTypes(accessUnits.get(0)).containsAll(List.of(7, 8, 5)), "SPS, PPS and IDR: " + nalTypes(accessUnits.get(0)));

        final JsonObject health = health(port);
        final JsonObject enc = health.getJsonObject("encoder");
        assertEquals("running", enc.getString("state"), health.encodePrettily());
        assertEquals("h264_nvenc", enc.getJsonArray("candidates").getJsonObject(0).getString("name"));
        if (!"h264_nvenc".equals(enc.getString("name"))) {
            assertEquals("libx264", enc.getString("name"), "no NVIDIA driver: the software fallback");
            assertEquals("failed", enc.getJsonArray("candidates").getJsonObject(0).getString("status"));
            assertFalse(enc.getJsonArray("candidates").getJsonObject(0).getString("reason").isBlank());
        }
        assertTrue(enc.getLong("frames") >= 45);
        assertEquals(0L, enc.getLong("errors"));
        final String metrics = get(port, "/metrics");
        assertTrue(metrics.contains("sdr_encoder_info{codec=\"h264\",encoder=\"" + enc.getString("name") + "\",stream=\"main\"} 1"),
            "info metric names the encoder");
        assertTrue(metrics.contains("sdr_encoder_frames_total{stream=\"main\"}"));
        if (!"h264_nvenc".equals(enc.getString("name"))) {
            assertTrue(metrics.contains("sdr_encoder_candidate_failed{encoder=\"h264_nvenc\",stream=\"main\"} 1"), "NVENC skipped");
        }
        assertTrue(metrics.contains("sdr_encoder_encode_seconds_count{stream=\"main\"}"));

        if (ffprobeAvailable()) {
            final Probe probe = ffprobe(writeStream(dir.resolve("ws.h264"), accessUnits), "h264");
            assertEquals("", probe.errors(), "decodes without errors");
            assertEquals(List.of("h264", 1280, 720, 45), List.of(probe.codec(), probe.width(), probe.height(), probe.frames()));
            assertTrue(probe.keyframes().get(0));
        }
    }

    @Test
    void shouldForceAnIdrWhenTheWebSocketSideWantsAKeyframe() throws Exception {
        await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(defaultConf())));
        eventually("encoder running", () -> health(port).getJsonObject("encoder", new JsonObject()).getLong("frames", 0L) > 0);

        // What a WebSocket group sends when a client waits for a keyframe; the poller coalesces it.
        vertx.eventBus().publish(Addresses.keyframeWanted("main"), new JsonObject().put("stream", "main").put("reason", "test"));
        eventually("forced keyframe", () -> health(port).getJsonObject("encoder").getLong("forced_keyframes") >= 1);
        assertTrue(health(port).getJsonObject("encoder").getLong("keyframe_requests") >= 1);
    }

    @Test
    void shouldKeepServingWhenNoEncoderOpens() throws Exception {
        final JsonObject conf = defaultConf();
        conf.getJsonObject("encoder").put("candidates", new io.vertx.core.json.JsonArray().add("no_such_encoder").add("libx265"))
            .put("retryInitialMs", 20).put("retryMaxMs", 100);
        await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf)));
        eventually("several attempts counted", () -> health(port).getJsonObject("encoder").getLong("errors") >= 3);
        final JsonObject encoder = health(port).getJsonObject("encoder");
        assertEquals("retrying", encoder.getString("state"));
        assertEquals(null, encoder.getString("name"));
        assertEquals("not in this FFmpeg build", encoder.getJsonArray("candidates").getJsonObject(0).getString("reason"));
        assertEquals("encodes hevc, not h264", encoder.getJsonArray("candidates").getJsonObject(1).getString("reason"));
        assertTrue(get(port, "/metrics").contains("sdr_encoder_errors_total{stream=\"main\"}"), "the server still serves");
    }

    @Test
    void shouldRefuseAnEncoderPathOrUnknownStreamAtStartUp() throws Exception {
        final JsonObject withPath = defaultConf();
        withPath.getJsonObject("encoder").put("path", "/tmp/elsewhere");
        final AssertionError pathError = assertThrows(AssertionError.class,
            () -> await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(withPath))));
        assertTrue(pathError.getMessage().contains("encoder.path: the encoder writes its stream's ring"), pathError.getMessage());

        final JsonObject badStream = defaultConf();
        badStream.getJsonObject("encoder").put("stream", "side");
        final AssertionError streamError = assertThrows(AssertionError.class,
            () -> await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(badStream))));
        assertTrue(streamError.getMessage().contains("encoder.stream=\"side\": not configured under streams"), streamError.getMessage());

        final JsonObject badWidth = defaultConf();
        badWidth.getJsonObject("encoder").put("width", 1279);
        final AssertionError widthError = assertThrows(AssertionError.class,
            () -> await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(badWidth))));
        assertTrue(widthError.getMessage().contains("encoder.width=1279: must be even"), widthError.getMessage());
    }
}
