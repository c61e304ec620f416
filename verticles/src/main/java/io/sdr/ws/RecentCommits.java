package io.sdr.ws;

/**
 * The commit times of one stream's latest frames, for the 0x03 {@code stats} message: a fixed
 * ring of (frame_seq, time) pairs; {@link #drain} hands out what was added since its previous
 * call, oldest first. Older entries are overwritten, never grown. Confined to the group's event loop.
 */
final class RecentCommits {
    private final long[] frameSeqs;
    private final long[] timesNs;
    private long added;
    private long drained;

    RecentCommits(final int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1: capacity=" + capacity);
        }
        frameSeqs = new long[capacity];
        timesNs = new long[capacity];
    }

    void add(final long frameSeq, final long timeNs) {
        final int slot = (int) (added % frameSeqs.length);
        frameSeqs[slot] = frameSeq;
        timesNs[slot] = timeNs;
        added++;
    }

    /**
     * Copies the entries added since the previous drain (at most capacity, the newest) into the
     * arrays, oldest first, and returns how many. The arrays must hold capacity entries.
     */
    int drain(final long[] frameSeqOut, final long[] timeNsOut) {
        final long from = Math.max(drained, added - frameSeqs.length);
        int n = 0;
        for (long i = from; i < added; i++) {
            final int slot = (int) (i % frameSeqs.length);
            frameSeqOut[n] = frameSeqs[slot];
            timeNsOut[n] = timesNs[slot];
            n++;
        }
        drained = added;
        return n;
    }

    int capacity() {
        return frameSeqs.length;
    }
}
