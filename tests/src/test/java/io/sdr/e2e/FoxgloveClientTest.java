package io.sdr.e2e;

import io.sdr.testing.ChildProcess;
import io.sdr.foxglove.CompressedVideo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.sdr.e2e.E2eKit.PeriodicPublisher;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.e2e.E2eKit.getJson;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.e2e.E2eKit.requireTool;
import static io.sdr.e2e.E2eKit.startNats;
import static io.sdr.e2e.E2eKit.startServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Foxglove's own client library against the fat jar's {@code /foxglove}: {@code @foxglove/ws-protocol}
 * over {@code ws}, every video message decoded with protobufjs from the schema the server
 * advertised (tests/e2e/foxglove-check.mjs). The server runs the shipped conf with its in-process
 * FFmpeg test-pattern encoder writing the ring (640x360, a keyframe a second, to spare the CPU) and
 * relays a real nats-server. All on loopback; every process is stopped by its PID.
 */
@Timeout(300)
class FoxgloveClientTest {
    private static final Duration NODE_PATIENCE = Duration.ofSeconds(90);
    private static final String STREAM = "main";
    private static final String JSON_SUBJECT = "telemetry.e2e.fox";
    private static final String BINARY_SUBJECT = "telemetry.e2e.blob";
    private static final String TEXT_SUBJECT = "telemetry.e2e.text";
    /** A value only this run publishes: the json channel must carry this very message. */
    private static final String TAG = "fox-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    private static ChildProcess nats;
    private static ChildProcess server;
    private static int port;
    private static PeriodicPublisher publisher;

    @BeforeAll
    static void startStack() throws Exception {
        requireTool("node", "nodejs");
        requireTool("ffprobe", "ffmpeg");
        if (!Files.isDirectory(repoRoot().resolve("tests/e2e/node_modules/@foxglove/ws-protocol"))) {
            fail("@foxglove/ws-protocol is not installed: run (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci) -- scripts/test-all.sh does");
        }
        final int natsPort = freePort();
        nats = startNats(natsPort);
        final JsonObject conf = new JsonObject(Files.readString(repoRoot().resolve("conf/conf.json")));
        conf.getJsonObject("encoder").put("width", 640).put("height", 360).put("gop", 30)
            .put("tiers", new io.vertx.core.json.JsonArray()); // the shipped 360p tier is this picture's size
        final Path confFile = Files.writeString(dir.resolve("conf.json"), conf.encodePrettily());
        port = freePort();
        server = startServer("transport-foxglove", port, Map.of(
            "SDR_SHM_PATH", dir.resolve("frames").toString(),
            "SDR_LISTEN_ADDR", "127.0.0.1:" + port,
            "SDR_NATS_URL", "nats://127.0.0.1:" + natsPort,
            "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort()), "-conf", confFile.toString());
        eventually("the server relays NATS and streams video", () -> {
            final JsonObject health = getJson("http://127.0.0.1:" + port + "/health");
            return health != null && health.getJsonObject("nats") != null
                && "connected".equals(health.getJsonObject("nats").getString("status")) && health.getLong("shm_seq", 0L) > 30;
        });
        // A JSON value, a binary one and a plain-text one, five times a second, until the class is done.
        publisher = new PeriodicPublisher(natsPort, 200, (nats, n) -> {
            nats.publish(JSON_SUBJECT, new JsonObject().put("tag", TAG).put("n", n).encode().getBytes(StandardCharsets.UTF_8));
            nats.publish(BINARY_SUBJECT, new byte[] {0, 1, 2, (byte) 0xff});
            nats.publish(TEXT_SUBJECT, "plain text".getBytes(StandardCharsets.UTF_8));
        });
    }

    @AfterAll
    static void stopStack() throws InterruptedException {
        if (publisher != null) {
            publisher.close();
        }
        for (final ChildProcess child : new ChildProcess[] {server, nats}) {
            if (child != null) {
                child.close();
            }
        }
    }

    @Test
    void shouldStreamDecodableVideoAndJsonTelemetryWithTheSdkSubprotocol() throws Exception {
        assertStreams("foxglove.sdk.v1");
    }

    @Test
    void shouldStreamDecodableVideoAndJsonTelemetryWithTheWebsocketSubprotocol() throws Exception {
        assertStreams("foxglove.websocket.v1");
    }

    private void assertStreams(final String protocol) throws Exception {
        final Path h264 = dir.resolve(protocol + ".h264");
        final int frames = 45;
        final JsonObject report = node(new JsonObject().put("scenario", "stream").put("protocol", protocol)
            .put("frames", frames).put("h264Out", h264.toString())
            .put("telemetryTopic", JSON_SUBJECT).put("binaryTopic", BINARY_SUBJECT));
        assertEquals(protocol, report.getString("protocol"), "the subprotocol the server selected");
        final JsonObject info = report.getJsonObject("serverInfo");
        assertEquals("serverInfo", info.getString("op"));
        assertEquals(new JsonArray(), info.getJsonArray("capabilities"));
        assertNotNull(info.getString("sessionId"));

        final JsonObject video = channel(report, STREAM);
        assertEquals("protobuf", video.getString("encoding"));
        assertEquals("foxglove.CompressedVideo", video.getString("schemaName"));
        assertEquals("protobuf", video.getString("schemaEncoding"));
        assertEquals(CompressedVideo.descriptorSetBase64(), report.getString("videoSchemaBase64"), "the advertised schema");
        assertEquals("json", channel(report, JSON_SUBJECT).getString("encoding"));
        assertFalse(report.getBoolean("binaryTopicAdvertised"), "a binary payload has no json channel: " + report.getJsonArray("channels"));
        assertTrue(report.getJsonArray("channels").stream().noneMatch(c -> TEXT_SUBJECT.equals(((JsonObject) c).getString("topic"))),
            "nor a plain-text one");

        final JsonObject first = report.getJsonObject("first");
        assertTrue(first.getBoolean("keyframe") && first.getBoolean("sps") && first.getBoolean("pps"),
            "the first message is a keyframe with SPS and PPS: " + first.encode());
        // A keyframe comes once a second: one committed before the subscribe, there at once, is the cached one.
        assertTrue(first.getLong("sinceSubscribeMs") < 500, "at once: " + first.encode());
        assertTrue(Long.parseLong(first.getString("stampNs")) / 1_000_000L < first.getLong("at") - first.getLong("sinceSubscribeMs"),
            "from the GOP cache (committed before the subscribe): " + first.encode());
        assertTrue(report.getInteger("frames") >= frames);
        assertEquals(new JsonArray().add(STREAM), report.getJsonArray("frameIds"), "frame_id is the stream name");
        assertEquals(new JsonArray().add("h264"), report.getJsonArray("formats"));
        assertTrue(report.getBoolean("timestampsIncreasing"), "commit times, in order");
        assertTrue(report.getBoolean("headerTimestampIsFrameTimestamp"), "MessageData carries the frame's timestamp");
        // Wall clock: the cached keyframe can be up to a GOP old, live frames are fresh.
        assertTrue(report.getLong("minAgeMs") > -1000 && report.getLong("minAgeMs") < 1000 && report.getLong("maxAgeMs") < 5000,
            "timestamps are the frames' commit times as wall clock: ages " + report.getLong("minAgeMs") + ".." + report.getLong("maxAgeMs") + " ms");

        final JsonObject telemetry = report.getJsonArray("telemetry").getJsonObject(0);
        assertEquals(JSON_SUBJECT, telemetry.getString("topic"));
        assertEquals(TAG, telemetry.getJsonObject("value").getString("tag"), "the published JSON, as published");

        final E2eKit.Result probe = E2eKit.run(List.of(requireTool("ffprobe", "ffmpeg"), "-v", "error", "-count_frames",
            "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "json",
            h264.toString()), Map.of(), Duration.ofSeconds(60));
        assertEquals(0, probe.exitCode(), probe.output());
        final String output = probe.output();
        final JsonObject stream = new JsonObject(output.substring(output.indexOf('{'), output.lastIndexOf('}') + 1)).getJsonArray("streams").getJsonObject(0);
        assertEquals("h264", stream.getString("codec_name"));
        assertEquals(640, stream.getInteger("width"));
        assertEquals(360, stream.getInteger("height"));
        assertEquals(String.valueOf(frames), stream.getString("nb_read_frames"), "every received access unit decodes, from the first: " + output);
        final String outside = output.substring(0, output.indexOf('{')) + output.substring(output.lastIndexOf('}') + 1);
        assertFalse(outside.contains("rror"), "no decoder error: " + output);
    }

    @Test
    void shouldAnswerGarbageAndUnknownOperationsWithAStatusErrorAndKeepStreaming() throws Exception {
        final JsonObject report = node(new JsonObject().put("scenario", "garbage").put("protocol", "foxglove.sdk.v1"));
        final JsonArray statuses = report.getJsonArray("statuses");
        assertEquals(report.getInteger("sent"), statuses.size(), "one status per bad message: " + statuses.encodePrettily());
        for (final Object status : statuses) {
            assertEquals(2, ((JsonObject) status).getInteger("level"), "an error: " + status);
        }
        final String messages = statuses.encode();
        for (final String expected : List.of("not JSON", "not a JSON object", "op=fly", "unknown channel: channelId=424242",
            "must be an array", "no such subscription: id=777", "op=getParameters", "binary client messages are not supported")) {
            assertTrue(messages.contains(expected), "a status says \"" + expected + "\": " + messages);
        }
        assertTrue(report.getInteger("framesAfterErrors") >= 30, "the video goes on");
        assertEquals(null, report.getJsonObject("closed"), "the connection stayed open until the client closed it");
        eventually("the server is still up", () -> getJson("http://127.0.0.1:" + port + "/health") != null);
    }

    @Test
    void shouldTellASlowClientItWaitsForAKeyframeAndResyncItThereWhileAHealthyOneKeepsEveryFrame() throws Exception {
        final JsonObject report = node(new JsonObject().put("scenario", "slow").put("protocol", "foxglove.websocket.v1")
            .put("pauseMs", 4000));
        final JsonObject slow = report.getJsonObject("slow");
        final JsonObject healthy = report.getJsonObject("healthy");
        final JsonArray statuses = slow.getJsonArray("statuses");
        assertEquals(1, statuses.size(), "one keyframe-wait status: " + statuses.encode());
        final JsonObject status = statuses.getJsonObject(0);
        assertEquals(1, status.getInteger("level"), "a warning");
        assertTrue(status.getString("message").startsWith("waiting for a keyframe: stream=main"), status.getString("message"));
        assertEquals(new JsonArray().add(status.getString("id")), slow.getJsonArray("removed"), "removed once it resynced");
        assertTrue(report.getBoolean("firstVideoAfterStatusIsKeyframe"), "resync at a keyframe: " + report.getJsonArray("slowEventsAroundStatus"));
        assertTrue(report.getInteger("slowFramesDuringWindow") < report.getInteger("ringFrames"), "the slow client skipped frames");

        assertEquals(new JsonArray(), healthy.getJsonArray("statuses"), "the healthy client was never sent to keyframe-wait");
        final int ring = report.getInteger("ringFrames");
        final int got = report.getInteger("healthyFrames");
        // Counted between two /health reads: a frame or two may be on its way at either end.
        assertTrue(Math.abs(ring - got) <= 3, "the healthy client got every frame the ring got: ring=" + ring + ", healthy=" + got);
        assertTrue(healthy.getBoolean("timestampsIncreasing"));
    }

    @Test
    void shouldApplyTheSameAccessRulesAsTheViewerEndpoint() throws Exception {
        assertEquals("400", upgradeStatus("/foxglove", null, "sdr.v1"), "a Foxglove subprotocol is required");
        assertEquals("403", upgradeStatus("/foxglove", "https://elsewhere.example", "foxglove.sdk.v1"), "origins are checked");
        assertEquals("101", upgradeStatus("/foxglove", null, "foxglove.sdk.v1"));
        assertEquals("101", upgradeStatus("/foxglove?token=ignored-when-auth-is-off", null, "foxglove.websocket.v1"));
    }

    /** The status code of a raw WebSocket upgrade request to {@code path}. */
    private static String upgradeStatus(final String path, final String origin, final String protocol) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            final OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: " + protocol + "\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertNotNull(line, "an answer to the upgrade of " + path);
            return line.split(" ")[1];
        }
    }

    private static JsonObject channel(final JsonObject report, final String topic) {
        for (final Object channel : report.getJsonArray("channels")) {
            if (topic.equals(((JsonObject) channel).getString("topic"))) {
                return (JsonObject) channel;
            }
        }
        return fail("no channel " + topic + " advertised: " + report.getJsonArray("channels").encodePrettily());
    }

    /** Runs one scenario of foxglove-check.mjs to completion; its report. */
    private static JsonObject node(final JsonObject scenario) throws Exception {
        scenario.put("url", "ws://127.0.0.1:" + port + "/foxglove").put("stream", STREAM)
            .put("healthUrl", "http://127.0.0.1:" + port + "/health").put("timeoutMs", NODE_PATIENCE.toMillis() - 10_000);
        final E2eKit.Result result = E2eKit.run(List.of(requireTool("node", "nodejs"),
            repoRoot().resolve("tests/e2e/foxglove-check.mjs").toString(), scenario.encode()), Map.of(), NODE_PATIENCE);
        final String report = result.output().lines().filter(l -> l.startsWith("REPORT ")).reduce((a, b) -> b)
            .orElseGet(() -> fail("foxglove-check.mjs printed no report (exit " + result.exitCode() + "):\n" + result.output()));
        final JsonObject json = new JsonObject(report.substring("REPORT ".length()));
        if (result.exitCode() != 0 || json.containsKey("failed")) {
            fail("foxglove-check.mjs " + scenario.getString("scenario") + ": " + json.getString("failed") + "\n" + result.output());
        }
        return json;
    }
}
