package io.sdr.ws;

import io.sdr.ws.ClientSession.Decision;
import io.sdr.ws.ClientSession.DropReason;
import io.sdr.ws.ClientSession.State;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ClientSessionTest {
    private static final long MS = 1_000_000L;
    private static final long BUDGET = 100_000;

    private ClientSession session(final long now) {
        return new ClientSession(BUDGET, 4, 5_000 * MS, now);
    }

    @Test
    void shouldWaitForKeyframeBeforeStreaming() {
        final ClientSession s = session(0);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, s.offer(false, 1000, 1 * MS));
        assertEquals(Decision.SEND, s.offer(true, 1000, 2 * MS));
        assertEquals(State.STREAMING, s.state());
        assertEquals(Decision.SEND, s.offer(false, 1000, 3 * MS));
        assertEquals(1, s.dropped(DropReason.AWAITING_KEYFRAME));
    }

    @Test
    void shouldDropToAwaitKeyframeWhenBudgetExceeded() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, s.offer(true, 60_000, 1 * MS));
        assertEquals(Decision.DROP_LAGGING, s.offer(false, 60_000, 2 * MS), "160 KB would be queued against 100 KB");
        assertEquals(State.AWAITING_KEYFRAME, s.state());
        s.written(60_000);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, s.offer(false, 10_000, 3 * MS), "a P-frame after a gap is useless");
        assertEquals(Decision.SEND, s.offer(true, 60_000, 4 * MS));
        assertEquals(1, s.dropped(DropReason.LAGGING));
    }

    @Test
    void shouldAlwaysSendToAnEmptyQueueEvenAboveBudget() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, s.offer(true, 500_000, 1 * MS), "a big keyframe must still go out");
        assertEquals(Decision.DROP_LAGGING, s.offer(false, 1, 2 * MS));
    }

    @Test
    void shouldLimitQueuedFrames() {
        final ClientSession s = session(0);
        for (int i = 0; i < 4; i++) {
            assertEquals(Decision.SEND, s.offer(i == 0, 10, i * MS));
        }
        assertEquals(Decision.DROP_LAGGING, s.offer(false, 10, 5 * MS));
        assertEquals(4, s.queuedFrames());
    }

    @Test
    void shouldCloseAfterIdrTimeoutOnlyWhileFramesFlow() {
        final ClientSession s = session(0);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, s.offer(false, 10, 1_000 * MS));
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, s.offer(false, 10, 4_000 * MS));
        assertEquals(Decision.CLOSE_IDR_TIMEOUT, s.offer(false, 10, 5_001 * MS));
        assertEquals(State.CLOSED, s.state());
        assertEquals(Decision.CLOSED, s.offer(true, 10, 5_002 * MS), "closed sessions send nothing");
    }

    @Test
    void shouldRestartIdrWaitAfterStreamPause() {
        final ClientSession s = session(0);
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, s.offer(false, 10, 1 * MS));
        // The writer was down for 20 s; the first frame after it must not close the client.
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, s.offer(false, 10, 20_000 * MS));
        assertEquals(Decision.SEND, s.offer(true, 10, 20_100 * MS));
    }

    @Test
    void shouldCloseLaggingClientThatNeverDrains() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, s.offer(true, 90_000, 0));
        long now = 0;
        Decision last = null;
        for (int i = 1; i <= 400 && last != Decision.CLOSE_IDR_TIMEOUT; i++) {
            now = i * 16 * MS;
            last = s.offer(i % 30 == 0, 90_000, now);
        }
        assertEquals(Decision.CLOSE_IDR_TIMEOUT, last);
        assertTrue(now >= 5_000 * MS && now <= 5_100 * MS, "closed ~5 s after lag began: " + now / MS + " ms");
        assertEquals(90_000, s.queuedBytes(), "nothing more was queued for the stalled client");
    }

    @Test
    void shouldResyncOnlyAtKeyframeThatFindsTheSocketDrained() {
        final ClientSession s = session(0);
        for (int i = 0; i < 4; i++) {
            assertEquals(Decision.SEND, s.offer(i == 0, 10_000, i * MS));
        }
        assertEquals(Decision.DROP_LAGGING, s.offer(false, 10_000, 4 * MS));
        // The adapter drops the three frames not yet in the socket; the one in flight stays stuck.
        for (int i = 0; i < 3; i++) {
            s.written(10_000);
        }
        assertEquals(Decision.DROP_AWAITING_KEYFRAME, s.offer(true, 10_000, 5 * MS),
            "a keyframe queued behind a stuck write would be stale when it left");
        s.written(10_000);
        assertEquals(Decision.SEND, s.offer(true, 10_000, 6 * MS), "the socket drained: resync here");
        assertEquals(State.STREAMING, s.state());
    }

    @Test
    void shouldCloseStalledClientEvenWhenKeyframesWouldFitTheBudget() {
        final ClientSession s = session(0);
        assertEquals(Decision.SEND, s.offer(true, 10_000, 0));
        long now = 0;
        Decision last = null;
        for (int i = 1; i <= 400 && last != Decision.CLOSE_IDR_TIMEOUT; i++) {
            now = i * 16 * MS;
            last = s.offer(i % 30 == 0, 10_000, now);
            if (last == Decision.DROP_LAGGING) {
                // The adapter drops what was queued behind the stuck write.
                while (s.queuedFrames() > 1) {
                    s.written(10_000);
                }
            }
        }
        assertEquals(Decision.CLOSE_IDR_TIMEOUT, last);
        assertTrue(now >= 5_000 * MS && now <= 5_200 * MS, "closed ~5 s after lag began: " + now / MS + " ms");
        assertEquals(1, s.queuedFrames(), "only the stuck write is left; no stale keyframe was queued behind it");
    }

    @Test
    void shouldLetJoinBurstDrainWithoutCountingAsLag() {
        final ClientSession s = session(0);
        s.joinBurst(400_000, 20);
        assertEquals(State.STREAMING, s.state());
        assertEquals(Decision.SEND, s.offer(false, 20_000, 1 * MS), "allowance covers burst + budget");
        for (int i = 0; i < 20; i++) {
            s.written(20_000);
        }
        assertTrue(s.queuedBytes() <= BUDGET);
        assertEquals(Decision.SEND, s.offer(false, 20_000, 2 * MS));
        assertEquals(0, s.dropped(DropReason.LAGGING));
    }
}
