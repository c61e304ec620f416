package io.sdr.edge;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.sdr.bus.CommitClock;
import io.sdr.bus.Frame;
import io.sdr.nats.NatsServerProcess;
import io.sdr.ring.FrameHeaderDescriptor;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Await.eventually;

/**
 * The origin's uplink against a real nats-server (conf/nats.conf: max_payload 8 MB): what an edge
 * receives, byte for byte and with its headers; a frame over max_payload counted and logged once
 * while the next frames still go; a NATS client slower than the stream makes the bounded queue
 * discard (counted), never block the caller; no connection, nothing sent, all counted.
 */
@Timeout(120)
class FrameUplinkTest {
    private static NatsServerProcess nats;
    private static Connection conn;

    @BeforeAll
    static void startNats() throws Exception {
        nats = NatsServerProcess.startOnFreePort();
        conn = Nats.connect(new Options.Builder().server(nats.url()).connectionName("frame-uplink-test").build());
    }

    @AfterAll
    static void stopNats() throws InterruptedException {
        if (conn != null) {
            conn.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void shouldPublishTheFrameHeaderAndPayloadUnchangedWithHeaders() throws Exception {
        final Subscription sub = conn.subscribe("sdr.video.main");
        conn.flush(Duration.ofSeconds(5));
        final long commitNs = System.nanoTime();
        try (FrameUplink uplink = new FrameUplink(config(30), () -> conn)) {
            offerAndRelease(uplink, frame(41, true, 200_000, commitNs));
            offerAndRelease(uplink, frame(42, false, 3_000, commitNs));
            final Message key = sub.nextMessage(Duration.ofSeconds(10));
            final Message next = sub.nextMessage(Duration.ofSeconds(10));
            assertNotNull(key, "the keyframe reached a subscriber");
            assertNotNull(next, "the next frame too, in order");
            assertArrayEquals(body(41, true, 200_000), key.getData(), "the body is the frame header and payload, unchanged");
            assertEquals("41", key.getHeaders().getFirst(VideoMessages.FRAME_SEQ));
            assertEquals("1", key.getHeaders().getFirst(VideoMessages.KEYFRAME));
            assertEquals("h264", key.getHeaders().getFirst(VideoMessages.CODEC));
            assertEquals(CommitClock.toWallNs(commitNs), VideoMessages.commitUnixNs(key.getHeaders()), 2_000_000.0);
            assertEquals("0", next.getHeaders().getFirst(VideoMessages.KEYFRAME));
            assertArrayEquals(body(42, false, 3_000), next.getData());
            assertEquals(2, uplink.frames(FrameUplink.Outcome.PUBLISHED));
        } finally {
            sub.unsubscribe();
        }
    }

    @Test
    void shouldCountAFrameTooLargeForNatsLogItOnceAndGoOn() throws Exception {
        final List<LogRecord> warnings = new ArrayList<>();
        final Logger logger = Logger.getLogger(FrameUplink.class.getName());
        final Handler handler = new Handler() {
            @Override
            public synchronized void publish(final LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        final Subscription sub = conn.subscribe("sdr.video.main");
        conn.flush(Duration.ofSeconds(5));
        final int tooLarge = (int) conn.getMaxPayload() + 1024;
        try (FrameUplink uplink = new FrameUplink(config(30), () -> conn)) {
            offerAndRelease(uplink, frame(1, true, tooLarge, 0));
            // Two of them at once would exceed queueBytes (16 MiB): the second one after the first is judged.
            eventually("the first too-large frame judged and let go",
                () -> uplink.frames(FrameUplink.Outcome.TOO_LARGE) == 1 && uplink.queuedBytes() == 0);
            offerAndRelease(uplink, frame(2, true, tooLarge, 0));
            offerAndRelease(uplink, frame(3, true, 1000, 0));
            final Message after = sub.nextMessage(Duration.ofSeconds(10));
            assertNotNull(after, "the frame after the too-large ones still goes out");
            assertEquals("3", after.getHeaders().getFirst(VideoMessages.FRAME_SEQ));
            assertEquals(2, uplink.frames(FrameUplink.Outcome.TOO_LARGE));
            synchronized (handler) {
                assertEquals(1, warnings.size(), "logged once: " + warnings.stream().map(LogRecord::getMessage).toList());
                assertTrue(warnings.get(0).getMessage().contains("max_payload"), warnings.get(0).getMessage());
            }
        } finally {
            logger.removeHandler(handler);
            sub.unsubscribe();
        }
    }

    @Test
    void shouldDiscardRatherThanBlockWhenNatsIsSlowerThanTheStream() throws Exception {
        // The uplink thread asks for the connection before each publish: holding it there is a NATS
        // client that cannot keep up (a full socket), with the real connection behind it.
        final CountDownLatch inPublish = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Supplier<Connection> slow = () -> {
            inPublish.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return conn;
        };
        final Subscription sub = conn.subscribe("sdr.video.main");
        conn.flush(Duration.ofSeconds(5));
        try (FrameUplink uplink = new FrameUplink(config(8), slow)) {
            offerAndRelease(uplink, frame(0, true, 1000, 0));
            assertTrue(inPublish.await(10, TimeUnit.SECONDS), "the uplink thread took the first frame");
            final long start = System.nanoTime();
            for (int seq = 1; seq <= 20; seq++) {
                offerAndRelease(uplink, frame(seq, false, 1000, 0));
            }
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "offering never waits on NATS");
            assertEquals(12, uplink.frames(FrameUplink.Outcome.QUEUE_FULL), "8 wait, the rest are discarded and counted");
            release.countDown();
            final List<String> seqs = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                final Message m = sub.nextMessage(Duration.ofSeconds(10));
                assertNotNull(m, "message " + i + " of the 9 kept");
                seqs.add(m.getHeaders().getFirst(VideoMessages.FRAME_SEQ));
            }
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8"), seqs, "the oldest kept, in order: edges see one gap after them");
            eventually("the queue is empty", () -> uplink.queuedBytes() == 0);
        } finally {
            sub.unsubscribe();
        }
    }

    @Test
    void shouldCountFramesOfferedWhileNatsIsAway() {
        try (FrameUplink uplink = new FrameUplink(config(30), () -> null)) {
            for (int seq = 0; seq < 5; seq++) {
                offerAndRelease(uplink, frame(seq, seq == 0, 500, 0));
            }
            eventually("five frames not sent", () -> uplink.frames(FrameUplink.Outcome.NOT_CONNECTED) == 5);
            assertEquals(0, uplink.frames(FrameUplink.Outcome.PUBLISHED));
        }
    }

    private static VideoLinkConfig config(final int queueFrames) {
        return VideoLinkConfig.from(new JsonObject().put("queueFrames", queueFrames).put("streams", List.of("main")));
    }

    private static void offerAndRelease(final FrameUplink uplink, final Frame frame) {
        try {
            uplink.offer(frame);
        } finally {
            frame.release();
        }
    }

    private static Frame frame(final long seq, final boolean keyframe, final int size, final long commitNs) {
        final byte[] body = body(seq, keyframe, size);
        final Frame frame = Frame.allocate("main", seq, seq * 3, keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0,
            FrameHeaderDescriptor.CODEC_H264, commitNs, System.nanoTime(), Frame.MESSAGE_HEADER_OFFSET + body.length);
        frame.messageMemory().put(Frame.TYPE_VIDEO).put(body);
        return frame;
    }

    private static byte[] body(final long seq, final boolean keyframe, final int size) {
        final byte[] out = new byte[FrameHeaderDescriptor.LENGTH + size];
        FrameHeaderDescriptor.write(new UnsafeBuffer(out), 0, seq * 3, seq, size,
            keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0, FrameHeaderDescriptor.CODEC_H264, 0);
        Arrays.fill(out, FrameHeaderDescriptor.LENGTH, out.length, (byte) (seq * 7 + 1));
        return out;
    }
}
