package io.sdr.testing;

import java.util.concurrent.locks.LockSupport;

/**
 * A round of work every {@code intervalNs} on a daemon thread until stopped: what a test's ring
 * feeder or telemetry source is. A round returns the figure the loop reports (a frame_seq, a
 * count); a round that throws ends the loop and {@link #progress()} then fails the test with it.
 * A loop descheduled for more than 20 intervals starts afresh instead of bursting to catch up:
 * a burst is not what a camera or robot sends.
 */
public final class PacedLoop implements AutoCloseable {
    /** One round of the loop; returns the progress figure after it. */
    @FunctionalInterface
    public interface Round {
        long run() throws Exception;
    }

    private final String name;
    private final long intervalNs;
    private final Round round;
    private final Thread thread;
    private volatile boolean stop;
    private volatile long progress;
    private volatile Throwable failure;

    public PacedLoop(final String name, final long intervalNs, final Round round) {
        this.name = name;
        this.intervalNs = intervalNs;
        this.round = round;
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
    }

    public PacedLoop start() {
        thread.start();
        return this;
    }

    private void loop() {
        long next = System.nanoTime();
        try {
            while (!stop) {
                progress = round.run();
                next += intervalNs;
                final long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else if (wait < -20 * intervalNs) {
                    next = System.nanoTime();
                }
            }
        } catch (final Throwable t) {
            failure = t;
        }
    }

    /** What the last round returned; fails when a round threw. */
    public long progress() {
        if (failure != null) {
            throw new AssertionError(name + " failed: " + failure, failure);
        }
        return progress;
    }

    /** Waits until {@link #progress()} reaches {@code atLeast}; {@code what} names it in the failure. */
    public void awaitProgress(final long atLeast, final String what) {
        Await.eventually(() -> name + ": " + what + " reached " + atLeast + " (is " + progress + ")",
            () -> progress() >= atLeast);
    }

    /** Stops after the round under way; returns {@link #progress()}. */
    public long stop() {
        stop = true;
        try {
            thread.join(Await.PATIENCE.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return progress();
    }

    @Override
    public void close() {
        stop();
    }
}
