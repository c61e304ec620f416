package io.sdr.server;

import io.sdr.testing.Http;
import io.sdr.testing.FatJar;
import io.sdr.testing.ChildProcess;
import io.sdr.server.ServerTestKit.VideoFrame;
import io.sdr.server.ServerTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sdr.server.ServerTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static io.sdr.testing.Ports.freePort;

/**
 * The fat jar as it is shipped ({@code java -jar sdr-transport.jar}), fed by the Python writer
 * through a real ring file, watched by a WebSocket client: the whole path of the seed plan.
 */
class FatJarStreamingTest extends ShippedJarTest {
    private static final int SIZE = 20_000;
    private static final int JITTER = 5_000;

    @BeforeAll
    static void requirePython() {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
    }

    /** The Python writer ({@code layout}, fps, gop) into dir/frames and the shipped jar and conf on it; returns its port. */
    private int pythonWriterAndShippedServer(final String layout, final int fps, final int gop) throws Exception {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        closer.track(startPythonWriter("writer-" + layout, "--layout", layout, "--path", ring.toString(), "--fps",
            String.valueOf(fps), "--size", String.valueOf(SIZE), "--size-jitter", String.valueOf(JITTER), "--gop",
            String.valueOf(gop), "--frames", "0"));
        final ChildProcess server = closer.track(FatJar.start("server-" + layout,
            Map.of("SDR_SHM_PATH", ring.toString(), "SDR_LISTEN_ADDR", "127.0.0.1:" + port), "-conf", "conf/conf.json"));
        Http.awaitServing(server, port);
        return port;
    }

    @Test
    void shouldStreamPythonV2RingToWebSocketClientFrameByFrame(final Vertx vertx) throws Exception {
        final int port = pythonWriterAndShippedServer("v2", 60, 30);

        final Viewer viewer = Viewer.connect(vertx, port, "viewer");
        viewer.awaitFrames(120);
        // v2 loses nothing while the poller keeps up; a poller or event loop descheduled for about a
        // ring (64 frames, ~1 s) on a loaded machine may skip ahead, and the viewer then resumes at a
        // keyframe. What a viewer sees: no frame twice or out of order, every gap ends at a keyframe,
        // and most of the stream.
        viewer.assertStream(false);
        assertMostFramesDelivered(viewer);
        assertHeaders(viewer.frames(), 30);

        final long received = viewer.frames().get(viewer.count() - 1).frameSeq();
        final JsonObject health = Http.get(port, "/health").json();
        // The shipped conf names no NATS server (compose sets SDR_NATS_URL): no bridge, healthy.
        assertEquals("ok", health.getString("status"), health.encode());
        assertNull(health.getJsonObject("nats"), health.encode());
        assertEquals(1, health.getInteger("clients"), health.encode());
        assertTrue(health.getLong("shm_seq") >= received, "shm_seq is at least the last frame received: " + health.encode());
        assertTrue(health.getValue("last_frame_age_ms") instanceof Number, health.encode());
        assertTrue(health.getValue("uptime_s") instanceof Number, health.encode());
        assertEquals("v2", health.getJsonObject("streams").getJsonObject("main").getString("layout"), health.encode());
    }

    @Test
    void shouldStreamPythonV1RingToWebSocketClientResyncingOnlyAtKeyframes(final Vertx vertx) throws Exception {
        final int port = pythonWriterAndShippedServer("v1", 30, 15);

        final Viewer viewer = Viewer.connect(vertx, port, "viewer");
        viewer.awaitFrames(60);
        // v1 has one slot: a poller descheduled for a frame interval misses a frame, and then must
        // resume at a keyframe. Whatever it delivers is intact (CRC, pattern).
        viewer.assertStream(false);
        assertHeaders(viewer.frames(), 15);
        final JsonObject health = Http.get(port, "/health").json();
        // The shipped conf names no NATS server (compose sets SDR_NATS_URL): no bridge, healthy.
        assertEquals("ok", health.getString("status"), health.encode());
        assertNull(health.getJsonObject("nats"), health.encode());
        assertEquals("v1", health.getJsonObject("streams").getJsonObject("main").getString("layout"), health.encode());
    }

    @Test
    void shouldDeliverNoFrameTwiceWithTwoInstancesAndInlineJsonConf(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        closer.track(startPythonWriter("writer-instances", "--layout", "v2", "--path", ring.toString(), "--fps", "60",
            "--size", String.valueOf(SIZE), "--size-jitter", String.valueOf(JITTER), "--gop", "30", "--frames", "0"));
        final JsonObject conf = new JsonObject()
            .put("streams", new JsonObject().put("main", new JsonObject().put("path", ring.toString())))
            .put("websocket", new JsonObject().put("listen", "127.0.0.1:" + port).put("instances", 2));
        final ChildProcess server = closer.track(FatJar.start("server-instances", Map.of(), "-conf", conf.encode(), "-instances", "2"));
        Http.awaitServing(server, port);

        final List<Viewer> viewers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            viewers.add(Viewer.connect(vertx, port, "viewer-" + i));
        }
        for (final Viewer viewer : viewers) {
            viewer.awaitFrames(60);
        }
        for (final Viewer viewer : viewers) {
            // One poller for two instances, seen on the wire: a second one would publish every frame
            // twice, and frame_seq would repeat (assertStream fails on a repeat). A gap is allowed (a
            // viewer the server found lagging on a loaded machine resyncs at a keyframe), not a repeat.
            viewer.assertStream(false);
            assertMostFramesDelivered(viewer);
            assertHeaders(viewer.frames(), 30);
        }
        final JsonObject health = Http.get(port, "/health").json();
        assertEquals(4, health.getInteger("clients"), health.encode());
        assertEquals(ring.toString(), health.getJsonObject("streams").getJsonObject("main").getString("path"),
            "the inline conf's ring path is the one served: " + health.encode());
    }

    /**
     * At least half the frames from the viewer's first to its last: a viewer that resynced after a
     * stall of a second or two still passes; one that gets only keyframes, or a frame in two, fails.
     */
    private static void assertMostFramesDelivered(final Viewer viewer) {
        final List<VideoFrame> frames = viewer.frames();
        final long span = frames.get(frames.size() - 1).frameSeq() - frames.get(0).frameSeq() + 1;
        assertTrue(2L * frames.size() >= span, viewer.name + ": received " + frames.size() + " of the " + span
            + " frames from frame_seq " + frames.get(0).frameSeq() + " to " + frames.get(frames.size() - 1).frameSeq()
            + ", expected at least half");
    }

    /** The header fields the Python writer sets: size rule, codec H.264, keyframe every {@code gop} frames. */
    private static void assertHeaders(final List<VideoFrame> frames, final int gop) {
        for (final VideoFrame f : frames) {
            assertEquals(SIZE + (int) ((f.frameSeq() * 7919) % (JITTER + 1)), f.size(), "size of frame " + f.frameSeq());
            assertEquals(1, f.codec(), "codec of frame " + f.frameSeq());
            assertEquals((f.frameSeq() - 1) % gop == 0, f.keyframe(), "keyframe flag of frame " + f.frameSeq());
        }
    }
}
