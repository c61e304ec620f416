package io.sdr.time;

import java.time.Instant;

/**
 * Turns CLOCK_MONOTONIC nanoseconds (the ring's {@code commit_ns}, and {@code System.nanoTime()},
 * which is the same clock on Linux) into Unix-epoch nanoseconds, for files and tools that show wall
 * time (MCAP log times, Foxglove timestamps).
 *
 * <p>The offset between the two clocks is measured, not assumed: the smallest of a few paired
 * readings (the pair that straddles the least time), re-measured every {@link #REFRESH_NS} so an NTP
 * step or slew shows up within seconds. Thread-safe; the offset is one volatile long.
 */
public final class MonotonicToWallClock {
    static final long REFRESH_NS = 5_000_000_000L;
    private static final int SAMPLES = 5;

    private static volatile long offsetNs;
    private static volatile long measuredAtNs;
    private static volatile boolean measured;

    private MonotonicToWallClock() {
    }

    /** Unix-epoch nanoseconds of the CLOCK_MONOTONIC instant {@code monotonicNs}. */
    public static long epochNanos(final long monotonicNs) {
        return monotonicNs + offsetNs();
    }

    /** Current wall time minus current monotonic time, in nanoseconds. */
    public static long offsetNs() {
        final long now = System.nanoTime();
        if (!measured || now - measuredAtNs > REFRESH_NS) {
            measure(now);
        }
        return offsetNs;
    }

    private static synchronized void measure(final long now) {
        if (measured && now - measuredAtNs <= REFRESH_NS) {
            return;
        }
        long best = 0;
        long narrowest = Long.MAX_VALUE;
        for (int i = 0; i < SAMPLES; i++) {
            final long before = System.nanoTime();
            final Instant wall = Instant.now();
            final long after = System.nanoTime();
            if (after - before < narrowest) {
                narrowest = after - before;
                best = wall.getEpochSecond() * 1_000_000_000L + wall.getNano() - (before + (after - before) / 2);
            }
        }
        offsetNs = best;
        measuredAtNs = now;
        measured = true;
    }
}
