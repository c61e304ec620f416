package io.sdr.ws;

import io.sdr.metrics.MeterNames;
import io.sdr.metrics.Metrics;
import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.VideoMessage;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;

/**
 * The per-client state machine seen from the outside: a client that stops reading is dropped back
 * to waiting for a keyframe without disturbing the others, and a client that never gets a keyframe
 * is closed after the IDR timeout.
 */
@io.vertx.junit5.Timeout(value = 90, timeUnit = java.util.concurrent.TimeUnit.SECONDS)
class WebSocketVerticleBackpressureTest extends DeployedServerTest {
    @Test
    void shouldDropPausedClientToKeyframeWaitWhileOthersKeepStreaming(final Vertx vertx) {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        // 250 ms of lag (and a 3 MB cap): a stalled reader is found within a second, while a healthy
        // one may fall 250 ms behind (GC, a loaded machine) without being dropped.
        conf.getJsonObject("websocket").put("clientBudgetBytes", 3_000_000).put("maxQueuedFrames", 64)
            .put("sendBufferBytes", 64 * 1024).put("maxLagMs", 250);
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 64, 256 * 1024), 200_000, 30, 16_666_667L)) {
            deploy(vertx, conf);
            final WebSocketClient client = client(vertx);
            final Viewer healthyA = Viewer.connect(client, port, "healthy-a");
            final Viewer healthyB = Viewer.connect(client, port, "healthy-b");
            feeder.start();
            // Warm up (JIT) at full rate first, so that what follows is about the paused client alone.
            healthyA.awaitFrames(45);
            healthyB.awaitFrames(45);

            // It joins from the GOP cache (a burst of up to a GOP) and stops reading; a small
            // receive window makes its backlog reach the server quickly.
            final Viewer paused = Viewer.connect(client(vertx, 16 * 1024), port, "paused");
            paused.socket.pause();
            // Read in-process: scraping /metrics in a tight loop would load the very event loop under test.
            eventually("a frame was dropped for the paused client (lagging)", () -> droppedLagging(vertx) > 0);
            final long droppedAt = feeder.written();
            // Two GOPs more while it stays paused, then it reads again and must resync at a keyframe.
            feeder.awaitWritten(droppedAt + 60);
            paused.socket.resume();
            final long resumedAt = feeder.written();
            // All three get a frame a GOP past the resume while the feeder still runs: a viewer the
            // server found lagging on a loaded machine waits for a keyframe, and there is always a
            // next one (a feeder stopped first could leave it waiting for good).
            final long target = resumedAt + 31;
            paused.awaitSeq(target);
            healthyA.awaitSeq(target);
            healthyB.awaitSeq(target);
            feeder.stop();

            for (final Viewer healthy : List.of(healthyA, healthyB)) {
                // In order, no frame twice, every gap ended by a keyframe: a 250 ms stall of this
                // machine may drop a healthy viewer too, and it resyncs like any other.
                healthy.assertHealthy(false);
                assertPatternPayloads(healthy.name, healthy.frames());
                final List<VideoMessage> got = healthy.frames();
                assertTrue(got.get(0).frameSeq() <= droppedAt - 10, healthy.name + " streamed since before the drop (first frame_seq "
                    + got.get(0).frameSeq() + ", drop at " + droppedAt + ")");
                // Not held back by the paused one: frames written while it was paused reached them,
                // and most of the whole stream did. A fan-out that waited for the paused client, or
                // dropped every client with it, leaves them next to nothing of that window.
                final long during = got.stream().filter(f -> f.frameSeq() > droppedAt && f.frameSeq() <= resumedAt).count();
                assertTrue(during >= 10, healthy.name + " received " + during + " of the " + (resumedAt - droppedAt)
                    + " frames written while the paused client was paused (" + droppedAt + ", " + resumedAt + "], expected 10 or more");
                final long span = got.get(got.size() - 1).frameSeq() - got.get(0).frameSeq() + 1;
                assertTrue(2L * got.size() >= span, healthy.name + " received " + got.size() + " of the " + span
                    + " frames from its first to its last, expected at least half");
            }
            assertTrue(metric(port, "sdr_ws_frames_dropped_total", "reason=lagging", "stream=main") > 0,
                "/metrics shows the lagging drops");
            paused.assertHealthy(false);
            assertPatternPayloads(paused.name, paused.frames());
            final List<VideoMessage> got = paused.frames();
            final long missed = got.get(got.size() - 1).frameSeq() - got.get(0).frameSeq() + 1 - got.size();
            assertTrue(missed > 0, "the paused client skipped frames and resynced at a keyframe (received "
                + got.size() + " frames, frame_seq " + got.get(0).frameSeq() + " to " + got.get(got.size() - 1).frameSeq() + ")");
            assertFalse(paused.socket.isClosed(), "the paused client was not disconnected");
            assertEquals(3, health(port).getInteger("clients"), "clients connected (/health)");
        }
    }

    private static double droppedLagging(final Vertx vertx) {
        final var counter = Metrics.registry(vertx).find(MeterNames.WS_FRAMES_DROPPED).tag("reason", "lagging").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void shouldCloseClientWith4001WhenNoKeyframeArrivesWithinIdrTimeout(final Vertx vertx, final VertxTestContext test) {
        final Checkpoint closedWithIdrTimeout = test.checkpoint();
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("idrTimeoutMs", 300).put("gopCacheBytes", 0);
        // gop 0: frame 1 is the only keyframe; the rest keep flowing at 100 fps.
        final PacedFeeder feeder = feeder(RingWriter.createV2(ring, 1024, 4096), 1000, 0, 10_000_000L);
        try {
            deploy(vertx, conf);
            feeder.start();
            eventually("poller is past the only keyframe", () -> health(port).getLong("shm_seq") > 5);
            final Viewer viewer = Viewer.connect(client(vertx), port, "waiting");
            viewer.awaitClosed();
            test.verify(() -> {
                assertEquals(0, viewer.count(), "no video frame reached a client that never got a keyframe");
                assertEquals(List.of(), viewer.problems());
                assertEquals(4001, viewer.closeCode(), "close code");
                final String reason = viewer.socket.closeReason();
                assertTrue(reason != null && reason.toLowerCase().contains("idr timeout"), "close reason: " + reason);
                assertTrue(metric(port, "sdr_ws_closed_total", "reason=idr_timeout") >= 1, "counted in sdr_ws_closed_total");
                eventually("/health counts 0 clients", () -> health(port).getInteger("clients") == 0);
                closedWithIdrTimeout.flag();
            });
        } finally {
            feeder.close();
        }
    }
}
