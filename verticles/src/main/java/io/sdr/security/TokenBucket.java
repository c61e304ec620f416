package io.sdr.security;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code burst} saved up. One client's
 * messages take one token each; a message finding the bucket empty breaks the limit. Pure logic,
 * confined to the client's event loop.
 */
public final class TokenBucket {
    private final double tokensPerNs;
    private final double burst;
    private double tokens;
    private long lastNs;

    public TokenBucket(final double ratePerSecond, final int burst, final long nowNs) {
        if (ratePerSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("ratePerSecond=" + ratePerSecond + ", burst=" + burst + ": both must be positive");
        }
        this.tokensPerNs = ratePerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastNs = nowNs;
    }

    /** Takes one token; false when none is left (the limit is exceeded). */
    public boolean tryTake(final long nowNs) {
        final long elapsed = nowNs - lastNs;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * tokensPerNs);
            lastNs = nowNs;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
