package io.sdr.ring;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters for every poll outcome plus lost frames, bytes and re-maps. Written by the reader's
 * single thread with ordered stores (no locked instructions on the hot path), readable from any
 * thread (metrics, health). Another source of frames (the edge's NATS feed, {@code io.sdr.edge})
 * counts its outcomes here too, from its one delivering thread, so /health and /metrics read the
 * same counters whatever feeds a stream.
 */
public final class RingCounters {
    private static final int FRAMES_LOST = PollOutcome.count();
    private static final int BYTES = FRAMES_LOST + 1;
    private static final int REMAPS = BYTES + 1;
    private static final int SLOTS = REMAPS + 1;

    private final AtomicLongArray values = new AtomicLongArray(SLOTS);

    public void increment(final PollOutcome outcome) {
        add(outcome.ordinal(), 1);
    }

    public void addFramesLost(final long frames) {
        add(FRAMES_LOST, frames);
    }

    public void addBytes(final long bytes) {
        add(BYTES, bytes);
    }

    void incrementRemaps() {
        add(REMAPS, 1);
    }

    /**
     * Never down and never past Long.MAX_VALUE: a gap computed from garbage in the ring (forged
     * frame_seq values) once drove frames.lost negative, and Micrometer then failed every /metrics
     * scrape for the rest of the server's life (found by io.sdr.fault's garbage writer).
     */
    private void add(final int index, final long delta) {
        if (delta > 0) {
            final long sum = values.get(index) + delta;
            values.lazySet(index, sum < 0 ? Long.MAX_VALUE : sum);
        }
    }

    public long get(final PollOutcome outcome) {
        return values.get(outcome.ordinal());
    }

    public long frames() {
        return get(PollOutcome.FRAME);
    }

    /** Frames the writer committed that this reader will never deliver (gaps, laps, drops). */
    public long framesLost() {
        return values.get(FRAMES_LOST);
    }

    /** Header plus payload bytes delivered. */
    public long bytes() {
        return values.get(BYTES);
    }

    /** Times the ring file was (re)opened and mapped. */
    public long remaps() {
        return values.get(REMAPS);
    }

    public Map<PollOutcome, Long> snapshot() {
        final Map<PollOutcome, Long> map = new EnumMap<>(PollOutcome.class);
        for (final PollOutcome outcome : PollOutcome.values()) {
            map.put(outcome, get(outcome));
        }
        return map;
    }

    @Override
    public String toString() {
        return "RingCounters{" + snapshot() + ", framesLost=" + framesLost() + ", bytes=" + bytes()
            + ", remaps=" + remaps() + '}';
    }
}
