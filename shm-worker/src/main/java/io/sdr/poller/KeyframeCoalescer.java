package io.sdr.poller;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets at most one keyframe request per interval through, however many clients and threads ask:
 * an encoder that gets an IDR request per lagging viewer would spend its bitrate on keyframes.
 */
public final class KeyframeCoalescer {
    private final long intervalNs;
    private final AtomicLong lastRequestNs;
    private final AtomicLong requested = new AtomicLong();
    private final AtomicLong coalesced = new AtomicLong();

    public KeyframeCoalescer(final long intervalNs) {
        this.intervalNs = intervalNs;
        this.lastRequestNs = new AtomicLong(System.nanoTime() - intervalNs - 1);
    }

    /** True when a request should go out now; false when one already went out within the interval. */
    public boolean tryRequest(final long nowNs) {
        final long last = lastRequestNs.get();
        if (nowNs - last >= intervalNs && lastRequestNs.compareAndSet(last, nowNs)) {
            requested.incrementAndGet();
            return true;
        }
        coalesced.incrementAndGet();
        return false;
    }

    public long requested() {
        return requested.get();
    }

    /** Requests absorbed by one already sent. */
    public long coalesced() {
        return coalesced.get();
    }
}
