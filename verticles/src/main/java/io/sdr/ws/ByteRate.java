package io.sdr.ws;

/**
 * Bytes per second over about the last two seconds, in one-second buckets: a tier's bitrate as the
 * fan-out sees it (a keyframe a GOP makes any shorter window jump). Confined to one event loop.
 */
final class ByteRate {
    private static final long BUCKET_NS = 1_000_000_000L;
    private long bucketStartNs;
    private long bucketBytes;
    private long previousBytes;
    private boolean previousFull;
    private boolean started;

    void add(final long nowNs, final long bytes) {
        if (!started) {
            started = true;
            bucketStartNs = nowNs;
        }
        final long elapsed = nowNs - bucketStartNs;
        if (elapsed >= 2 * BUCKET_NS) {
            // A pause: what came before says nothing about the rate now.
            previousBytes = 0;
            previousFull = false;
            bucketStartNs = nowNs;
            bucketBytes = 0;
        } else if (elapsed >= BUCKET_NS) {
            previousBytes = bucketBytes;
            previousFull = true;
            bucketStartNs += BUCKET_NS;
            bucketBytes = 0;
        }
        bucketBytes += bytes;
    }

    /** 0 until a whole second was seen: the bytes of the last full second and of the current one, over their span. */
    long perSecond(final long nowNs) {
        if (!previousFull) {
            return 0;
        }
        final long spanNs = BUCKET_NS + Math.max(0, Math.min(BUCKET_NS, nowNs - bucketStartNs));
        return (previousBytes + bucketBytes) * BUCKET_NS / spanNs;
    }
}
