package io.sdr.ws;

import io.sdr.ws.ClientSession.Decision;
import io.sdr.ws.ClientSession.DropReason;
import io.sdr.ws.ClientSession.State;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The viewer state machine without a socket: "unsent" is what a connection would report (the
 * bytes of the messages not yet in the kernel), deadlines are what the fan-out would give.
 */
class ClientSessionTest {
    private static final long MS = 1_000_000L;
    private static final long BUDGET = 100_000;
    /** The lag the fan-out allows in these tests. */
    private static final long LAG = 40 * MS;

    private ClientSession session(final long now) {
        return new ClientSession(BUDGET, 4, 5_000 * MS, now);
    }

    private static Decision offer(final ClientSession s, final boolean keyframe, final long bytes, final long now) {
        return s.offer(keyframe, bytes, now, now + LAG);
    }

    @Test
    void shouldWaitForKeyframeBeforeStreaming() {
        final ClientSession s = session(0);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, offer(s, false, 1000, 1 * MS));
        assertEquals(Decision.SEND, offer(s, true, 1000, 2 * MS));
        assertEquals(State.STREAMING, s.state());
        assertEquals(Decision.SEND, offer(s, false, 1000, 3 * MS));
        assertEquals(1, s.dropped(DropReason.AWAITING_KEYFRAME));
    }

    @Test
    void shouldLagWhenTheOldestUnsentFrameIsPastItsDeadline() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, offer(s, true, 1000, 0));
        s.unsent(1000);
        assertEquals(Decision.SEND, offer(s, false, 1000, 16 * MS), "16 ms old: within 40 ms");
        s.unsent(2000);
        assertEquals(Decision.SEND, offer(s, false, 1000, 40 * MS), "at its deadline, not past it");
        s.unsent(3000);
        assertEquals(Decision.DROP_LAGGING, offer(s, false, 1000, 41 * MS), "the keyframe waited 41 ms");
        assertEquals(State.AWAITING_KEYFRAME, s.state());
        assertEquals(1, s.dropped(DropReason.LAGGING));
    }

    @Test
    void shouldJudgeTheOldestFrameStillUnsentNotTheFirstEverWritten() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, offer(s, true, 1000, 0));
        assertEquals(Decision.SEND, offer(s, false, 1000, 30 * MS));
        // The keyframe left; only the second frame (deadline 70 ms) is unsent.
        s.unsent(1000);
        assertEquals(1, s.queuedFrames());
        assertEquals(Decision.SEND, offer(s, false, 1000, 60 * MS));
        s.unsent(2000);
        assertEquals(Decision.DROP_LAGGING, offer(s, false, 1000, 71 * MS));
    }

    @Test
    void shouldNeverLagWhileTheConnectionKeepsUp() {
        final ClientSession s = session(0);
        for (int i = 0; i < 1000; i++) {
            s.unsent(0);
            assertEquals(Decision.SEND, offer(s, i % 60 == 0, 50_000, i * 16 * MS));
        }
        assertEquals(0, s.dropped(DropReason.LAGGING));
        assertEquals(1000, s.sentFrames());
    }

    @Test
    void shouldCountOtherMessagesInTheBytesButNotAsVideo() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, offer(s, true, 1000, 0));
        s.otherMessage(200);
        // 200 bytes unsent: the telemetry message, written after the frame; the frame is in the kernel.
        s.unsent(200);
        assertEquals(0, s.queuedFrames());
        assertEquals(Decision.SEND, offer(s, false, 1000, 100 * MS), "only telemetry waits: no lag");
    }

    @Test
    void shouldKeepAByteCapBesideTheTimeRule() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, offer(s, true, 60_000, 1 * MS));
        assertEquals(Decision.DROP_LAGGING, offer(s, false, 60_000, 2 * MS), "120 KB would wait against 100 KB");
    }

    @Test
    void shouldAlwaysSendToADrainedConnectionEvenAboveTheCap() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, offer(s, true, 500_000, 1 * MS), "a big keyframe must still go out");
        assertEquals(Decision.DROP_LAGGING, offer(s, false, 1, 2 * MS));
    }

    @Test
    void shouldLimitQueuedFrames() {
        final ClientSession s = session(0);
        for (int i = 0; i < 4; i++) {
            assertEquals(Decision.SEND, offer(s, i == 0, 10, i * MS));
        }
        assertEquals(Decision.DROP_LAGGING, offer(s, false, 10, 5 * MS));
        assertEquals(4, s.queuedFrames());
    }

    @Test
    void shouldCloseAfterIdrTimeoutOnlyWhileFramesFlow() {
        final ClientSession s = session(0);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, offer(s, false, 10, 1_000 * MS));
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, offer(s, false, 10, 4_000 * MS));
        assertEquals(Decision.CLOSE_IDR_TIMEOUT, offer(s, false, 10, 5_001 * MS));
        assertEquals(State.CLOSED, s.state());
        assertEquals(Decision.CLOSED, offer(s, true, 10, 5_002 * MS), "closed sessions send nothing");
    }

    @Test
    void shouldRestartIdrWaitAfterStreamPause() {
        final ClientSession s = session(0);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, offer(s, false, 10, 1 * MS));
        // The writer was down for 20 s; the first frame after it must not close the client.
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, offer(s, false, 10, 20_000 * MS));
        assertEquals(Decision.SEND, offer(s, true, 10, 20_100 * MS));
    }

    @Test
    void shouldCloseAStalledViewerAfterTheIdrTimeoutWithoutQueueingMore() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, offer(s, true, 10_000, 0));
        long now = 0;
        Decision last = null;
        for (int i = 1; i <= 400 && last != Decision.CLOSE_IDR_TIMEOUT; i++) {
            now = i * 16 * MS;
            s.unsent(Long.MAX_VALUE); // nothing ever leaves the connection
            last = offer(s, i % 30 == 0, 10_000, now);
        }
        assertEquals(Decision.CLOSE_IDR_TIMEOUT, last);
        assertTrue(now >= 5_000 * MS && now <= 5_200 * MS, "closed ~5 s after lag began: " + now / MS + " ms");
        assertEquals(3, s.sentFrames(), "the keyframe and two frames within its 40 ms, nothing after the lag");
    }

    @Test
    void shouldResyncOnlyAtAKeyframeThatFindsTheConnectionDrained() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, offer(s, true, 10_000, 0));
        s.unsent(10_000);
        assertEquals(Decision.DROP_LAGGING, offer(s, false, 10_000, 50 * MS));
        s.unsent(10_000);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, offer(s, true, 10_000, 60 * MS),
            "a keyframe queued behind a stuck frame would be stale when it left");
        s.unsent(0);
        assertEquals(Decision.SEND, offer(s, true, 10_000, 70 * MS), "drained: resync here");
        assertEquals(State.STREAMING, s.state());
    }

    @Test
    void shouldGiveTheJoinBurstItsOwnDeadlineAndCaps() {
        final ClientSession s = session(0);
        final long[] burst = new long[20];
        java.util.Arrays.fill(burst, 20_000);
        s.joinBurst(burst, 20, 1_000 * MS);
        assertEquals(State.STREAMING, s.state());
        assertEquals(20, s.queuedFrames());
        s.unsent(400_000);
        assertEquals(Decision.SEND, offer(s, false, 20_000, 500 * MS), "the burst is due at 1 s; caps cover burst + budget");
        s.unsent(200_000); // the newest 200 KB are unsent: 10 frames
        assertEquals(10, s.queuedFrames());
        assertEquals(Decision.SEND, offer(s, false, 20_000, 900 * MS));
        s.unsent(400_000);
        assertEquals(Decision.DROP_LAGGING, offer(s, false, 20_000, 1_001 * MS), "the burst missed its deadline");
    }

    @Test
    void shouldGrowItsRecordRingPastSixteenMessages() {
        final ClientSession s = new ClientSession(1 << 30, 1000, 5_000 * MS, 0);
        for (int i = 0; i < 100; i++) {
            assertEquals(Decision.SEND, s.offer(i == 0, 100, i * MS, 10_000 * MS));
            s.otherMessage(10);
        }
        assertEquals(100, s.queuedFrames());
        s.unsent(55 * 110);
        assertEquals(55, s.queuedFrames(), "the newest 55 frames (and their telemetry) are unsent");
        s.unsent(0);
        assertEquals(0, s.queuedFrames());
        assertEquals(0, s.queuedBytes());
    }

    @Test
    void shouldForgetWithdrawnFramesButKeepTheMessagesAroundThem() {
        final ClientSession s = new ClientSession(1 << 30, 1000, 5_000 * MS, 0);
        assertEquals(Decision.SEND, s.offer(true, 100, 0, 10_000 * MS));   // in the connection
        assertEquals(Decision.SEND, s.offer(false, 100, 1, 10_000 * MS));  // held
        s.otherMessage(10);                                                 // telemetry, in the connection
        assertEquals(Decision.SEND, s.offer(false, 100, 2, 10_000 * MS));  // held
        s.withdrawNewest(2);
        assertEquals(1, s.queuedFrames());
        assertEquals(1, s.sentFrames());
        // The connection holds the keyframe and the telemetry: nothing retires.
        s.unsent(110);
        assertEquals(1, s.queuedFrames());
        s.unsent(10);
        assertEquals(0, s.queuedFrames(), "the keyframe left, the telemetry is still there");
    }
}
