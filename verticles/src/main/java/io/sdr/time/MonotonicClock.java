package io.sdr.time;

import java.time.Instant;

/**
 * Converts this host's CLOCK_MONOTONIC readings (the ring's commit times, {@code System.nanoTime()}
 * on Linux) to wall-clock nanoseconds since the Unix epoch, for formats that carry wall time
 * (Foxglove's MessageData and CompressedVideo timestamps). The offset between the two clocks is
 * read at each call: the wall clock may be stepped (NTP), the monotonic one never is.
 */
public final class MonotonicClock {
    /** A reading further than this from now is from another clock (or another host): not converted. */
    public static final long SANITY_NS = 60_000_000_000L;

    private MonotonicClock() {
    }

    /** Wall-clock nanoseconds since the epoch now. */
    public static long epochNowNs() {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** {@code monotonicNs} as wall-clock nanoseconds since the epoch. */
    public static long toEpochNs(final long monotonicNs) {
        final long epochNow = epochNowNs();
        return epochNow - (System.nanoTime() - monotonicNs);
    }

    /**
     * A frame's time as wall clock: its commit time when that is a reading of this host's monotonic
     * clock (non-zero, within {@link #SANITY_NS} of now), else its {@code fallbackNs} (a
     * {@code System.nanoTime()} of this JVM, e.g. when the poller published it).
     */
    public static long toEpochNs(final long commitNs, final long fallbackNs) {
        final long now = System.nanoTime();
        final long monotonic = commitNs != 0 && Math.abs(now - commitNs) < SANITY_NS ? commitNs : fallbackNs;
        return epochNowNs() - (now - monotonic);
    }
}
