package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Frame;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;

/**
 * A group whose event loop falls behind (CPU starved) finds frames in its queue that were published
 * long ago: it skips them for every client and resyncs them at the next keyframe, instead of
 * writing the backlog out as old video. Frames are published on the bus the way the poller does,
 * with a publish time in the past standing for the time they waited in the loop's queue.
 */
@org.junit.jupiter.api.Timeout(60)
class WebSocketVerticleStarvedGroupTest extends DeployedServerTest {
    private static final int FLAG_KEYFRAME = 1;

    @Test
    void shouldSkipFramesThatReachTheGroupTooLateAndResyncAtTheNextKeyframe(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring); // never a ring: only the frames published below reach the clients
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("maxFrameAgeMs", 200).put("instances", 1);
        deploy(vertx, conf);
        final Viewer viewer = Viewer.connect(client(vertx), port, "viewer");
        eventually("the viewer is counted", () -> health(port).getLong("clients", 0L) == 1);

        publish(vertx, 1, true, 0);
        publish(vertx, 2, false, 0);
        viewer.awaitSeq(2);
        publish(vertx, 3, false, TimeUnit.SECONDS.toNanos(2)); // waited 2 s in the loop's queue
        publish(vertx, 4, false, 0);                           // fresh, but the decoder lacks frame 3
        publish(vertx, 5, true, 0);
        publish(vertx, 6, false, 0);
        viewer.awaitSeq(6);

        final List<Long> seqs = viewer.frames().stream().map(f -> f.frameSeq()).toList();
        assertEquals(List.of(1L, 2L, 5L, 6L), seqs, "frames delivered");
        viewer.assertHealthy(false);
        assertEquals(1.0, metric(port, "sdr_ws_frames_too_old_total", "stream=main"), "frames too old");
    }

    private static void publish(final Vertx vertx, final long seq, final boolean keyframe, final long agoNs) {
        final byte[] message = expectedMessage(seq, seq, keyframe ? FLAG_KEYFRAME : 0, 1, pattern(seq, 1000));
        final Frame frame = Frame.copyOf("main", seq, seq, keyframe ? FLAG_KEYFRAME : 0, 1, 0, System.nanoTime() - agoNs,
            Buffer.buffer(message));
        try {
            vertx.eventBus().publish(Addresses.frames("main"), frame, new io.vertx.core.eventbus.DeliveryOptions().setCodecName(
                io.sdr.bus.FrameCodec.NAME));
        } finally {
            frame.release();
        }
    }
}
