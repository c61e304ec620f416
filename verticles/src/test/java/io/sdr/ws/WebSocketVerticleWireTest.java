package io.sdr.ws;

import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.VideoMessage;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;

/**
 * End to end inside one JVM: a Java {@link RingWriter} writes the ring, the real {@code MainVerticle}
 * (poller + WebSocket group) serves it on 127.0.0.1, and Vert.x WebSocket clients check the bytes
 * they receive against what was written.
 */
class WebSocketVerticleWireTest extends DeployedServerTest {
    @Test
    void shouldPutEveryRingFrameOnTheWireByteForByteAndInOrder(final Vertx vertx) {
        final int frames = 120;
        final int slotSize = 64 * 1024;
        // Sizes from empty to a full slot; payloads random so no byte is right by accident.
        final int maxPayload = slotSize - 64;
        final int[] sizes = {0, 1, 32, 33, 1000, 4096, maxPayload, 65_000, 7, 12_345};
        final Random random = new Random(42);
        final Path ring = dir.resolve("frames");
        // 256 slots for 120 frames: the poller cannot be lapped however slowly it runs.
        try (RingWriter writer = RingWriter.createV2(ring, 256, slotSize)) {
            final int port = freePort();
            deploy(vertx, conf(ring, port));
            final WebSocketClient client = client(vertx);
            final Viewer first = Viewer.connect(client, port, "/stream/ws", "viewer-1", true);
            final Viewer second = Viewer.connect(client, port, "/stream/ws?stream=main", "viewer-2", true);
            eventually("/health counts 2 clients", () -> health(port).getInteger("clients") == 2);

            final List<byte[]> expected = new ArrayList<>();
            for (int s = 1; s <= frames; s++) {
                final byte[] payload = new byte[sizes[s % sizes.length]];
                random.nextBytes(payload);
                final int flags = (s - 1) % 10 == 0 ? FLAG_KEYFRAME : 0;
                final int codec = ((s - 1) / 10) % 2 == 0 ? CODEC_H264 : CODEC_HEVC;
                final long frameId = 1_000_000L + 3L * s;
                assertEquals(s, writer.write(frameId, flags, codec, new UnsafeBuffer(payload), 0, payload.length));
                expected.add(expectedMessage(frameId, s, flags, codec, payload));
                if (s == 1) {
                    // The poller starts at the newest keyframe it finds: let it take frame 1 first.
                    eventually("poller published frame 1", () -> health(port).getLong("shm_seq") == 1);
                }
            }

            for (final Viewer viewer : List.of(first, second)) {
                viewer.awaitFrames(frames);
                assertEquals(List.of(), viewer.problems(), viewer.name);
                final List<VideoMessage> got = viewer.frames();
                assertEquals(frames, got.size(), viewer.name + ": frames received");
                for (int i = 0; i < frames; i++) {
                    final VideoMessage m = got.get(i);
                    assertEquals(i + 1, m.frameSeq(), viewer.name + ": frame_seq of message " + i);
                    assertTrue(m.crcOk(), viewer.name + ": CRC of frame " + m.frameSeq());
                    assertArrayEquals(expected.get(i), m.bytes(), viewer.name + ": bytes of frame " + (i + 1));
                }
            }
            final long codecs = first.frames().stream().mapToInt(VideoMessage::codec).distinct().count();
            assertEquals(2, codecs, "both codec ids went through");
        }
    }

    @ParameterizedTest(name = "gopCacheBytes={0}")
    @ValueSource(longs = {32L << 20, 0})
    void shouldStartEveryClientAtAKeyframeWhenJoiningMidGop(final long gopCacheBytes, final Vertx vertx) {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("gopCacheBytes", gopCacheBytes);
        // GOP of 10 at 100 fps: joins land at every position inside a GOP.
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 16 * 1024), 3000, 10, 10_000_000L)) {
            deploy(vertx, conf);
            feeder.start();
            final WebSocketClient client = client(vertx);
            final List<Viewer> viewers = new ArrayList<>();
            final List<Long> joinedAt = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                feeder.awaitWritten(feeder.written() + 3 + i);
                joinedAt.add(feeder.written());
                viewers.add(Viewer.connect(client, port, "viewer-" + i));
            }
            stopWhenAllHave(feeder, viewers, feeder.written() + 25);
            assertTrue(joinedAt.stream().anyMatch(s -> s % 10 != 0), "some client joined mid-GOP: " + joinedAt);
        }
    }
}
