package io.sdr.poller;

import org.agrona.concurrent.IdleStrategy;

import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The polling thread's wait between frames of a steady stream ({@code poller.paced}, off by
 * default): it learns the frame interval (smoothed mean of the gaps) and how far arrivals stray
 * from its prediction (mean deviation, as TCP estimates its round-trip time), follows the writer's
 * schedule, sleeps in one park until four deviations before the next frame is due, yield-polls
 * right around the due time, and otherwise hands over to {@code fallback} (the backoff, then the
 * paused park).
 *
 * <p>Why: with only the backoff, the thread wakes every ~60-100 us (the kernel's 50 us timer slack
 * stretches every short park), ~200 wake-ups per 60 fps frame: on the 2-core machine that was a
 * quarter of the server's CPU at 150 KB x 60 fps x 100 clients (docs/BENCHMARKS.md). Paced, a
 * frame of a steady writer costs one long park and a short poll. An irregular writer widens the
 * deviation, which shortens the long park (down to none: plain backoff); a frame found right after
 * the long park (it came early, or the park overran) widens it too and is not learnt, so oversleeping
 * cannot stretch the learnt interval; frames back to back (a writer catching up) restart learning.
 * Confined to the polling thread.
 */
final class FramePacedIdleStrategy implements IdleStrategy {
    /** Gaps outside [min, max] are pauses or bursts, not the stream's pace: not learnt. */
    static final long MIN_INTERVAL_NS = 2_000_000L;
    static final long MAX_INTERVAL_NS = 250_000_000L;
    /** Gaps learnt before the estimate is trusted. */
    static final int WARM_GAPS = 8;
    /** The thread wakes at least this long before the due time (more when the gaps vary)... */
    static final long MIN_WINDOW_NS = 150_000L;
    /**
     * ...and yield-polls at most this long on each side of it (a yield is a syscall and, on a busy
     * machine, a context switch: 2 x 100 us per frame is ~1 % of a core at 60 fps); before and
     * after that, the fallback's backoff polls.
     */
    static final long MAX_YIELD_NS = 100_000L;
    /** A park ends this much later than asked (timer slack and wake-up): aimed earlier by as much. */
    static final long PARK_OVERSHOOT_NS = 80_000L;
    /** The same with the thread's timer slack at {@link #PRECISE_SLACK_NS}. */
    static final long PRECISE_PARK_OVERSHOOT_NS = 15_000L;
    /** Timer slack that makes short parks precise ({@link TimerSlack}). */
    static final long PRECISE_SLACK_NS = 1_000L;
    /** With precise parks, the thread polls this often around the due time instead of yielding. */
    static final long WINDOW_PARK_NS = 10_000L;

    private final IdleStrategy fallback;
    private final LongSupplier clock;
    private final LongConsumer parker;
    /** Parks end within ~15 us of their time: poll by short parks around the due time, not by yields. */
    private boolean precise;

    private long lastFrameNs;
    /** When the next frame is expected: on the writer's schedule, not one interval after the last pick-up. */
    private long dueNs;
    private long meanNs;
    /** Mean deviation of the arrivals from {@link #dueNs}: how early a frame may come. */
    private long deviationNs;
    private int gaps;
    /** The last wait was the long park: a frame found now came during it, at an unknown time. */
    private boolean parked;

    FramePacedIdleStrategy(final IdleStrategy fallback) {
        this(fallback, System::nanoTime, java.util.concurrent.locks.LockSupport::parkNanos);
    }

    /** With a clock and a parker of the test's choosing. */
    FramePacedIdleStrategy(final IdleStrategy fallback, final LongSupplier clock, final LongConsumer parker) {
        this.fallback = fallback;
        this.clock = clock;
        this.parker = parker;
    }

    @Override
    public void idle(final int workCount) {
        if (workCount > 0) {
            onFrame(clock.getAsLong());
            fallback.idle(workCount);
            return;
        }
        idle();
    }

    private void onFrame(final long now) {
        final boolean foundAfterPark = parked;
        parked = false;
        if (lastFrameNs != 0) {
            final long gap = now - lastFrameNs;
            if (gap < MIN_INTERVAL_NS) {
                // Frames back to back: a writer catching up, or this thread overslept. Either way
                // the pace is unknown for now: learn it again (the fallback polls meanwhile).
                gaps = 0;
            } else if (foundAfterPark && gaps > 0) {
                // It came while the thread slept (early, or the park overran): its pick-up time says
                // nothing about the pace (learning it would stretch the interval and the next park);
                // wake earlier from now on.
                deviationNs += meanNs / 8;
            } else if (gap <= MAX_INTERVAL_NS) {
                if (gaps == 0) {
                    meanNs = gap;
                    deviationNs = gap / 4;
                } else {
                    // RFC 6298's gains: 1/8 for the mean, 1/4 for the deviation (here: of the prediction).
                    deviationNs += (Math.abs(now - dueNs) - deviationNs) / 4;
                    meanNs += (gap - meanNs) / 8;
                }
                gaps++;
            }
        }
        // A writer keeps its own schedule: after a late pick-up (or a late write) the next frame
        // still comes on time, so the prediction follows the schedule (nudged by 1/8 of the miss)
        // unless the frame is off by more than half an interval (a new phase: start from it).
        if (gaps > 0 && Math.abs(now - dueNs) < meanNs / 2) {
            dueNs += (now - dueNs) / 8 + meanNs;
        } else {
            dueNs = now + meanNs;
        }
        lastFrameNs = now;
    }

    @Override
    public void idle() {
        if (gaps < WARM_GAPS) {
            fallback.idle();
            return;
        }
        final long now = clock.getAsLong();
        // Wake this early: four deviations (never capped, so a jittery writer shortens the park to
        // nothing), and yield-poll only right around the due time.
        final long early = Math.max(MIN_WINDOW_NS, 4 * deviationNs);
        final long yieldHalf = Math.min(early, MAX_YIELD_NS);
        final long parkUntil = dueNs - early - (precise ? PRECISE_PARK_OVERSHOOT_NS : PARK_OVERSHOOT_NS);
        if (now - parkUntil < 0) {
            parked = true;
            parker.accept(parkUntil - now);
        } else if (precise && now - dueNs < early) {
            // Around the due time, and for as long after it as before: short parks, a poll every
            // ~20 us near the due time and sparser away from it (an eighth of the distance), so a
            // jittery writer's wide window costs tens of polls, not hundreds, and a frame far
            // from its time waits at most an eighth of how far off it was.
            parked = false;
            parker.accept(Math.max(WINDOW_PARK_NS, Math.abs(now - dueNs) / 8));
        } else if (Math.abs(now - dueNs) < yieldHalf) {
            parked = false;
            Thread.yield();
        } else {
            parked = false;
            fallback.idle();
        }
    }

    /**
     * Called on the polling thread before it polls: lowers the thread's timer slack so that short
     * parks are precise; false (and nothing changed) when the system does not allow it.
     */
    boolean makePrecise() {
        precise = TimerSlack.setForCurrentThread(PRECISE_SLACK_NS);
        return precise;
    }

    /** For tests: behave as on a thread with precise parks. */
    void precise(final boolean precise) {
        this.precise = precise;
    }

    /** Whether the thread would park now (the estimate is trusted); for tests and stats. */
    boolean paced() {
        return gaps >= WARM_GAPS;
    }

    long meanIntervalNs() {
        return meanNs;
    }

    @Override
    public void reset() {
        fallback.reset();
    }

    @Override
    public String alias() {
        return "paced(" + fallback.alias() + ")";
    }
}
