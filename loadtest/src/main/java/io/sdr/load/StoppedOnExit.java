package io.sdr.load;

import java.util.concurrent.TimeUnit;

/**
 * A child process the load tool started (the server under test, the peer relay), stopped on
 * {@link #close} and, should the tool fail or be interrupted first, by a shutdown hook: a run
 * never leaves one behind. Stopping is SIGTERM, then SIGKILL after 10 s.
 */
final class StoppedOnExit implements AutoCloseable {
    private final Process process;
    private final Thread killer;

    StoppedOnExit(final Process process, final String name) {
        this.process = process;
        this.killer = new Thread(this::stop, "sdr-load-" + name + "-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    private void stop() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (final IllegalStateException shuttingDown) {
            // The hook is running or has run.
        }
    }
}
