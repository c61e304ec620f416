package io.sdr.testing;

import java.util.concurrent.locks.LockSupport;

/**
 * A test's ring feeder: a round of writing every {@code intervalNs} on a daemon thread until stopped,
 * as a camera writes frames. A round returns what it wrote (the frame_seq); a round that throws ends
 * the loop and {@link #written()} then fails the test with it. A feeder descheduled for more than
 * 20 intervals starts afresh instead of bursting to catch up: a burst is not what a camera sends.
 * {@link #close()} stops it and closes the writer it was given.
 */
public final class PacedFeeder implements AutoCloseable {
    /** One round: writes the next frame, returns its frame_seq. */
    @FunctionalInterface
    public interface Round {
        long write() throws Exception;
    }

    private final String name;
    private final long intervalNs;
    private final Round round;
    private final AutoCloseable writer;
    private final Thread thread;
    private volatile boolean stop;
    private volatile long written;
    private volatile Throwable failure;

    /** {@code writer}: what {@code round} writes into, closed by {@link #close()}. */
    public PacedFeeder(final String name, final long intervalNs, final AutoCloseable writer, final Round round) {
        this.name = name;
        this.intervalNs = intervalNs;
        this.writer = writer;
        this.round = round;
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
    }

    public PacedFeeder start() {
        thread.start();
        return this;
    }

    private void loop() {
        long next = System.nanoTime();
        try {
            while (!stop) {
                written = round.write();
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

    /** frame_seq of the last frame written; fails when a round threw. */
    public long written() {
        if (failure != null) {
            throw new AssertionError(name + " failed: " + failure, failure);
        }
        return written;
    }

    /** Waits until frame {@code frameSeq} is written. */
    public void awaitWritten(final long frameSeq) {
        Await.eventually(() -> name + " wrote " + frameSeq + " frames (wrote " + written + ")", () -> written() >= frameSeq);
    }

    /** Stops after the round under way; returns {@link #written()}. */
    public long stop() {
        stop = true;
        try {
            thread.join(Await.PATIENCE.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return written();
    }

    /** Stops, then closes the writer. */
    @Override
    public void close() {
        stop();
        try {
            writer.close();
        } catch (final Exception e) {
            throw new AssertionError(name + ": closing the writer failed: " + e, e);
        }
    }
}
