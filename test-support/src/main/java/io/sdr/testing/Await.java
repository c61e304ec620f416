package io.sdr.testing;

import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting in tests: a condition polled until it holds, or a Vert.x future's outcome. Every wait is
 * bounded and fails naming what it waited for; none sleeps a fixed time and hopes.
 */
public final class Await {
    /** How long a test waits for anything that should happen "soon" on a busy 2-core machine. */
    public static final Duration PATIENCE = Duration.ofSeconds(30);

    private static final long POLL_NANOS = 20_000_000L;

    private Await() {
    }

    /** Waits until {@code condition} holds, polling; fails naming {@code what} after {@link #PATIENCE}. */
    public static void eventually(final String what, final BooleanSupplier condition) {
        eventually(PATIENCE, () -> what, condition);
    }

    /** As above; {@code what} is asked for only on failure, so it can describe the last state seen. */
    public static void eventually(final Supplier<String> what, final BooleanSupplier condition) {
        eventually(PATIENCE, what, condition);
    }

    public static void eventually(final Duration patience, final String what, final BooleanSupplier condition) {
        eventually(patience, () -> what, condition);
    }

    public static void eventually(final Duration patience, final Supplier<String> what, final BooleanSupplier condition) {
        final long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + patience.toSeconds() + " s: " + what.get());
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** The future's result within {@link #PATIENCE}; its failure, or no outcome, fails the test. */
    public static <T> T await(final Future<T> future) {
        return await(future, PATIENCE);
    }

    public static <T> T await(final Future<T> future, final Duration patience) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException e) {
            throw new AssertionError("failed: " + e.getCause(), e.getCause());
        } catch (final TimeoutException e) {
            throw new AssertionError("no outcome within " + patience, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
