package io.sdr.poller;

import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The polling thread's wait when nothing new is in the ring: {@code streaming} (e.g. the backoff
 * strategy, parking ~50 us) while frames flow, and a long park of {@code pausedParkNs} once no
 * frame has arrived for {@code pausedAfterNs} (no writer, or a writer that stopped).
 *
 * <p>Why: on these 2-core VMs every wake-up of a parked thread costs ~5-10 us of CPU (futex and a
 * context switch), so a ~50 us park costs ~8 % of a core even when no frame ever comes. Parking
 * 1 ms while the stream is paused costs ~1 %; only the first frame after a pause waits for the
 * park to end (up to {@code pausedParkNs} more), every later one is caught by {@code streaming}.
 * Confined to the polling thread.
 */
final class PausedStreamIdleStrategy implements IdleStrategy {
    private final IdleStrategy streaming;
    private final long pausedAfterNs;
    private final long pausedParkNs;
    private final LongSupplier clock;
    private final LongConsumer parker;
    private long lastWorkNs;

    PausedStreamIdleStrategy(final IdleStrategy streaming, final long pausedAfterNs, final long pausedParkNs) {
        this(streaming, pausedAfterNs, pausedParkNs, System::nanoTime, LockSupport::parkNanos);
    }

    /** With a clock and a parker of the test's choosing. */
    PausedStreamIdleStrategy(final IdleStrategy streaming, final long pausedAfterNs, final long pausedParkNs,
                             final LongSupplier clock, final LongConsumer parker) {
        this.streaming = streaming;
        this.pausedAfterNs = pausedAfterNs;
        this.pausedParkNs = pausedParkNs;
        this.clock = clock;
        this.parker = parker;
        this.lastWorkNs = clock.getAsLong();
    }

    @Override
    public void idle(final int workCount) {
        if (workCount > 0) {
            lastWorkNs = clock.getAsLong();
            streaming.reset();
            return;
        }
        idle();
    }

    @Override
    public void idle() {
        if (clock.getAsLong() - lastWorkNs > pausedAfterNs) {
            parker.accept(pausedParkNs);
        } else {
            streaming.idle();
        }
    }

    @Override
    public void reset() {
        streaming.reset();
    }

    @Override
    public String alias() {
        return "paused-stream(" + streaming.alias() + ")";
    }
}
