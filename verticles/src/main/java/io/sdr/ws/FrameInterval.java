package io.sdr.ws;

/**
 * The stream's frame interval as the fan-out sees frames arrive: an exponentially weighted mean of
 * the gaps between arrivals, pauses (a gap over a second) left out. What "two frame intervals of
 * lag" means for a stream whose rate nobody configured.
 */
final class FrameInterval {
    /** Until frames have been seen: 30 fps. */
    static final long DEFAULT_NS = 33_333_333L;
    private static final long PAUSE_NS = 1_000_000_000L;
    /** Weight of a new gap: about the last 16 frames. */
    private static final double ALPHA = 1.0 / 16;

    private double meanNs = DEFAULT_NS;
    private long lastNs;
    private boolean seen;

    void arrived(final long nowNs) {
        if (seen) {
            final long gap = nowNs - lastNs;
            if (gap > 0 && gap < PAUSE_NS) {
                meanNs += ALPHA * (gap - meanNs);
            }
        }
        seen = true;
        lastNs = nowNs;
    }

    long ns() {
        return (long) meanNs;
    }
}
