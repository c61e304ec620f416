package io.sdr.edge;

import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.sdr.bus.CommitClock;
import io.sdr.poller.StreamStats;
import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.PollOutcome;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edge's rebuild of frames from NATS messages (jnats' own message type, as its dispatcher
 * hands them over): what reaches the fan-out, byte for byte, and what a gap, a restart or a
 * stranger's message on the subject does. No connection: keyframe requests are covered by
 * EdgeFatJarTest against a real nats-server.
 */
class EdgeFeedTest {
    private Vertx vertx;
    private final List<byte[]> published = new ArrayList<>();
    private final List<Long> publishedSeqs = new ArrayList<>();
    private final List<Long> publishedCommitNs = new ArrayList<>();
    private EdgeFeed feed;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        final VideoLinkConfig config = VideoLinkConfig.from(new JsonObject().put("role", "edge").put("streams", List.of("main")));
        feed = new EdgeFeed(config, frame -> {
            final byte[] copy = new byte[frame.messageLength()];
            frame.message().getBytes(copy);
            published.add(copy);
            publishedSeqs.add(frame.frameSeq());
            publishedCommitNs.add(frame.commitNs());
        }, () -> null, Map.of("main", StreamStats.of(vertx, "main")), Map.of());
    }

    @AfterEach
    void tearDown() {
        vertx.close().await();
    }

    @Test
    void shouldWaitForTheFirstKeyframeThenPublishTheOriginsBytesUnchanged() {
        feed.onMessage(message("sdr.video.main", body(10, false, 100)));
        feed.onMessage(message("sdr.video.main", body(11, true, 3000)));
        feed.onMessage(message("sdr.video.main", body(12, false, 200)));
        assertEquals(List.of(11L, 12L), publishedSeqs, "a new edge starts at a keyframe");
        final byte[] key = body(11, true, 3000);
        assertEquals(0x01, published.get(0)[0], "a video message");
        assertArrayEquals(key, Arrays.copyOfRange(published.get(0), 1, published.get(0).length),
            "after the type byte: the frame header and payload as the origin sent them");
        final var counters = feed.feed("main").counters();
        assertEquals(1, counters.get(PollOutcome.SKIPPED_AWAITING_KEYFRAME));
        assertEquals(2, counters.get(PollOutcome.FRAME));
        assertEquals(key.length + body(12, false, 200).length, counters.bytes());
    }

    @Test
    void shouldHoldViewersAtKeyframeWaitAfterAGapAndCountTheFramesLost() {
        feed.onMessage(message("sdr.video.main", body(1, true, 500)));
        feed.onMessage(message("sdr.video.main", body(2, false, 50)));
        // 3..5 dropped upstream (nats-server cut this edge, or its client's pending limit).
        feed.onMessage(message("sdr.video.main", body(6, false, 50)));
        feed.onMessage(message("sdr.video.main", body(7, false, 50)));
        feed.onMessage(message("sdr.video.main", body(8, true, 500)));
        feed.onMessage(message("sdr.video.main", body(9, false, 50)));
        assertEquals(List.of(1L, 2L, 8L, 9L), publishedSeqs, "nothing between the gap and the next keyframe: never a broken picture");
        assertEquals(3, feed.feed("main").counters().framesLost());
        assertEquals(2, feed.feed("main").counters().get(PollOutcome.SKIPPED_AWAITING_KEYFRAME));
    }

    @Test
    void shouldStartOverWhenTheOriginsFrameSeqGoesBackwards() {
        feed.onMessage(message("sdr.video.main", body(500, true, 500)));
        feed.onMessage(message("sdr.video.main", body(501, false, 50)));
        // The origin's writer restarted: frame_seq begins again.
        feed.onMessage(message("sdr.video.main", body(0, false, 50)));
        feed.onMessage(message("sdr.video.main", body(1, true, 500)));
        feed.onMessage(message("sdr.video.main", body(2, false, 50)));
        assertEquals(List.of(500L, 501L, 1L, 2L), publishedSeqs);
        assertEquals(1, feed.feed("main").counters().get(PollOutcome.RESYNC));
        assertEquals(0, feed.feed("main").counters().framesLost(), "a restart loses nothing it could have shown");
    }

    @Test
    void shouldCountAndDropMessagesThatAreNotFrames() {
        feed.onMessage(message("sdr.video.main", new byte[0]));
        feed.onMessage(message("sdr.video.main", "hello, not a frame".getBytes()));
        final byte[] lying = body(1, true, 100);
        ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putInt(FrameHeaderDescriptor.SIZE_OFFSET, 99_999);
        feed.onMessage(message("sdr.video.main", lying));
        feed.onMessage(message("sdr.video.other", body(1, true, 100)));
        assertTrue(published.isEmpty(), "nothing reaches a viewer");
        assertEquals(3, feed.feed("main").counters().get(PollOutcome.BAD_LENGTH), "each counted, the stranger's stream ignored");
        // And the stream still works after them.
        feed.onMessage(message("sdr.video.main", body(2, true, 100)));
        assertEquals(List.of(2L), publishedSeqs);
    }

    @Test
    void shouldCarryTheCommitTimeAcrossHostsOnTheWallClock() {
        final long commitMonoNs = System.nanoTime() - 5_000_000L;
        final Headers headers = new Headers().put(VideoMessages.COMMIT_UNIX_NS, Long.toString(CommitClock.toWallNs(commitMonoNs)));
        feed.onMessage(new NatsMessage("sdr.video.main", null, headers, body(1, true, 100)));
        feed.onMessage(new NatsMessage("sdr.video.main", null, new Headers().put(VideoMessages.COMMIT_UNIX_NS, "garbage"), body(2, false, 10)));
        assertTrue(Math.abs(publishedCommitNs.get(0) - commitMonoNs) < 2_000_000L,
            "the commit time maps back to this host's monotonic clock: " + (publishedCommitNs.get(0) - commitMonoNs) + " ns off");
        assertEquals(0L, publishedCommitNs.get(1), "an unreadable commit time is unknown (0), not a failure");
    }

    private static NatsMessage message(final String subject, final byte[] body) {
        return new NatsMessage(subject, null, new Headers(), body);
    }

    /** A frame header (RING.md) and {@code size} payload bytes, as the origin's uplink sends them. */
    static byte[] body(final long seq, final boolean keyframe, final int size) {
        final byte[] out = new byte[FrameHeaderDescriptor.LENGTH + size];
        FrameHeaderDescriptor.write(new UnsafeBuffer(out), 0, seq * 3, seq, size,
            keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0, FrameHeaderDescriptor.CODEC_H264, 0);
        for (int i = 0; i < size; i++) {
            out[FrameHeaderDescriptor.LENGTH + i] = (byte) (seq + i);
        }
        return out;
    }
}
