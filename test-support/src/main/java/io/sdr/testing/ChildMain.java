package io.sdr.testing;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * The child's side of {@link ChildProcess}, for a test program's {@code main} that loops until it
 * is told to stop: SIGTERM (a shutdown hook that waits for the loop to finish its last step, so
 * the program's "done" line is printed) or the end of its stdin (the parent test JVM died without
 * stopping it: a program left running would hold its ring and its CPU).
 *
 * <pre>{@code
 * final ChildMain child = ChildMain.start("ring-writer");
 * try { while (!child.stopping()) { ...; child.sleepUntil(next); } } finally { print done; child.finished(); }
 * }</pre>
 */
public final class ChildMain {
    private volatile boolean stop;
    private final CountDownLatch finished = new CountDownLatch(1);

    private ChildMain() {
    }

    /** Installs the shutdown hook and the stdin watch; {@code name} names their threads. */
    public static ChildMain start(final String name) {
        final ChildMain child = new ChildMain();
        final Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            child.stop = true;
            LockSupport.unpark(main);
            try {
                child.finished.await();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name + "-shutdown"));
        final Thread orphanWatch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // input means nothing: only its end does
                }
            } catch (final IOException ignored) {
                // as good as the end
            }
            child.stop = true;
            LockSupport.unpark(main);
        }, name + "-orphan-watch");
        orphanWatch.setDaemon(true);
        orphanWatch.start();
        return child;
    }

    public boolean stopping() {
        return stop;
    }

    /** Parks until {@code System.nanoTime()} reaches {@code deadlineNs}, or until told to stop. */
    public void sleepUntil(final long deadlineNs) {
        long delay;
        while (!stop && (delay = deadlineNs - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(delay, 50_000_000L));
        }
    }

    /** The loop is done (call in a finally block): a waiting shutdown hook lets the JVM exit. */
    public void finished() {
        finished.countDown();
    }

    /** {@code --name value} pairs; anything else is refused, naming where. */
    public static Map<String, String> options(final String[] args) {
        final Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs: at=" + args[i]);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        return opts;
    }

    public static String required(final Map<String, String> opts, final String name) {
        final String value = opts.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + name);
        }
        return value;
    }
}
