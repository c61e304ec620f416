package io.sdr.fault;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.fail;
import io.sdr.testing.RepoPaths;

/**
 * A child process with stdin kept open (writers stop when it closes), stdout+stderr as lines in
 * memory and in target/process-logs. Stopped by its own PID only.
 */
final class ChildProcess implements AutoCloseable {
    final String name;
    final Process process;
    private final Path log;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer output = new StringBuffer();

    ChildProcess(final String name, final List<String> command, final Map<String, String> env) throws IOException {
        this.name = name;
        final Path logs = RepoPaths.moduleDir().resolve("target").resolve("process-logs");
        Files.createDirectories(logs);
        this.log = logs.resolve("fault-" + name + "-" + System.currentTimeMillis() + ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("SDR_"));
        builder.environment().putAll(env);
        this.process = builder.start();
        this.stdin = process.getOutputStream();
        final PrintWriter file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        file.println("$ " + String.join(" ", command));
        final Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter out = file) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.append(line).append('\n');
                    lines.add(line);
                    out.println(line);
                }
            } catch (final IOException ignored) {
                // the process went away
            }
        }, "fault-" + name + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    static ChildProcess java(final String name, final List<String> command) throws IOException {
        return new ChildProcess(name, command, Map.of());
    }

    /** Waits for an output line starting with {@code prefix}; fails with the output when none comes. */
    String awaitLine(final String prefix, final Duration limit) {
        final long deadline = System.nanoTime() + limit.toNanos();
        try {
            while (System.nanoTime() - deadline < 0) {
                final String line = lines.poll(20, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return line;
                }
                if (line == null && !process.isAlive() && lines.isEmpty()) {
                    LockSupport.parkNanos(200_000_000L);
                    if (lines.isEmpty()) {
                        break;
                    }
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new AssertionError(name + ": no line starting with \"" + prefix + "\" within " + limit.toMillis()
            + " ms (alive=" + process.isAlive() + "):\n" + tail());
    }

    void send(final String line) {
        try {
            stdin.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
        } catch (final IOException e) {
            throw new AssertionError(name + ": cannot write to stdin: " + e + "\n" + tail(), e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL (destroyForcibly on Linux) and reap. */
    void kill() {
        process.destroyForcibly();
        await(10);
    }

    /**
     * Closes its stdin, which the writers take as "stop" (RingWriterProcess then prints
     * {@code done frames=N}), and waits for the exit; SIGKILL after 10 s. Used instead of
     * SIGTERM, whose shutdown hook did not get RingWriterProcess to print its count when
     * started from the surefire JVM.
     */
    void finish() {
        try {
            stdin.close();
        } catch (final IOException ignored) {
            // gone already
        }
        if (!await(10)) {
            kill();
        }
    }

    /** SIGTERM and wait for the exit; SIGKILL after 10 s. */
    void terminate() {
        if (process.isAlive()) {
            process.destroy();
            if (!await(10)) {
                kill();
            }
        }
    }

    private boolean await(final long seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Waits for the exit on its own; returns the code, or fails when it keeps running. */
    int awaitExit(final Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                fail(name + " still running after " + limit.toMillis() + " ms:\n" + tail());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
        return process.exitValue();
    }

    String output() {
        return output.toString();
    }

    String tail() {
        final String all = output();
        return (all.length() > 3000 ? "..." + all.substring(all.length() - 3000) : all) + "\n(full log: " + log + ")";
    }

    @Override
    public void close() {
        terminate();
        try {
            stdin.close();
        } catch (final IOException ignored) {
            // gone already
        }
    }
}
