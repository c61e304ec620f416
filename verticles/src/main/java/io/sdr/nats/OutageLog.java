package io.sdr.nats;

import java.util.function.LongSupplier;

/**
 * Decides which NATS connection events reach the log, so that an absent NATS costs one line, not
 * one per attempt: the first failure is a WARNING with the reason and the retry policy; while NATS
 * stays away, at most one reminder per {@code repeatMs}; when it comes back, one line. jnats
 * reports a failure several times per attempt (exception, disconnect event, the connect call
 * itself), so failures are not counted as attempts, only timed.
 *
 * <p>Returns the line to log, or null for "nothing to say": the caller owns the logger. Thread-safe
 * (jnats calls in from its own threads).
 */
final class OutageLog {
    enum State { NEVER_CONNECTED, UP, DOWN }

    private final String url;
    private final String paused;
    private final String retryPolicy;
    private final long repeatMs;
    private final LongSupplier clockMs;
    private State state = State.NEVER_CONNECTED;
    private long downSinceMs;
    private long lastLineMs;
    private boolean reported;

    /**
     * @param retryPolicy how retries go, for the first line ("every 0.5 s, doubling to 4 s")
     * @param repeatMs    the least time between two lines about the same outage
     */
    OutageLog(final String url, final String retryPolicy, final long repeatMs, final LongSupplier clockMs) {
        this(url, "telemetry from NATS", retryPolicy, repeatMs, clockMs);
    }

    /** @param paused what stops while NATS is away, for the first line ("telemetry from NATS") */
    OutageLog(final String url, final String paused, final String retryPolicy, final long repeatMs, final LongSupplier clockMs) {
        this.url = url;
        this.paused = paused;
        this.retryPolicy = retryPolicy;
        this.repeatMs = repeatMs;
        this.clockMs = clockMs;
    }

    /** A connection attempt failed or the connection was lost, for {@code reason}. */
    synchronized String failed(final String reason) {
        final long now = clockMs.getAsLong();
        final String why = reason == null || reason.isBlank() ? "no reason given" : reason;
        if (state != State.DOWN) {
            final boolean lost = state == State.UP;
            state = State.DOWN;
            downSinceMs = now;
            lastLineMs = now;
            reported = true;
            return (lost ? "NATS connection lost (" : "NATS not reachable (") + why + "): url=" + url
                + "; " + paused + " paused, retrying " + retryPolicy
                + "; reported again at most once every " + seconds(repeatMs) + " while it stays down";
        }
        if (now - lastLineMs < repeatMs) {
            return null;
        }
        lastLineMs = now;
        return "NATS still not reachable after " + seconds(now - downSinceMs) + " (" + why + "): url=" + url;
    }

    /** Connected (first time or again) to {@code server}. */
    synchronized String connected(final String server) {
        final long now = clockMs.getAsLong();
        final State before = state;
        state = State.UP;
        if (before == State.DOWN && reported) {
            reported = false;
            return "NATS connected: " + server + " (after " + seconds(now - downSinceMs) + " unreachable)";
        }
        return before == State.UP ? null : "NATS connected: " + server;
    }

    synchronized State state() {
        return state;
    }

    static String seconds(final long ms) {
        if (ms < 10_000) {
            return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        return ms < 120_000 ? (ms / 1000) + " s" : (ms / 60_000) + " min";
    }
}
