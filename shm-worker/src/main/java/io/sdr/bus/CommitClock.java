package io.sdr.bus;

import java.time.Instant;

/**
 * Converts between the ring's commit times (CLOCK_MONOTONIC nanoseconds, which is what
 * {@link System#nanoTime()} reads on Linux) and wall-clock nanoseconds since the Unix epoch, which
 * is what other hosts (edges), Foxglove and MCAP files understand. Monotonic time means nothing
 * on another host; wall-clock time does, to within the hosts' clock synchronisation (NTP: about a
 * millisecond). Each conversion samples both clocks, so a clock step (NTP slew, suspend) is
 * followed at once rather than baked into a stored offset.
 */
public final class CommitClock {
    private CommitClock() {
    }

    /** Wall-clock nanoseconds now (microsecond resolution on Linux). */
    public static long wallNowNs() {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * Wall-clock minus monotonic time now: one value to add to every monotonic time of a file
     * (an MCAP clip or segment), so its timeline keeps the monotonic clock's spacing and order where
     * a conversion per message would jitter by the wall clock's microsecond resolution.
     */
    public static long offsetNs() {
        return wallNowNs() - System.nanoTime();
    }

    /** The wall-clock time of monotonic instant {@code monoNs}; 0 stays 0 (unknown). */
    public static long toWallNs(final long monoNs) {
        if (monoNs == 0) {
            return 0;
        }
        return wallNowNs() - (System.nanoTime() - monoNs);
    }

    /** The local monotonic instant of wall-clock time {@code wallNs}; 0 stays 0 (unknown). */
    public static long toMonoNs(final long wallNs) {
        if (wallNs == 0) {
            return 0;
        }
        final long mono = System.nanoTime() - (wallNowNs() - wallNs);
        return mono == 0 ? 1 : mono;
    }
}
