package io.sdr.testing;

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

/**
 * A process a test starts: stdout and stderr merged, kept in memory (whole and as a queue of
 * lines) and in {@code target/process-logs/NAME-MILLIS.log}; stdin kept open for {@link #send}.
 * Stopped by its own PID only: SIGTERM, then SIGKILL after a timeout, or SIGKILL at once.
 *
 * <p>The environment is the test JVM's without any {@code SDR_*} variable, plus what the test
 * sets: a setting in the developer's shell must not change a result. Should the test JVM itself
 * be stopped (Ctrl-C, a killed fork), the child goes with it.
 */
public final class ChildProcess implements AutoCloseable {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int TAIL_CHARS = 4000;

    public final String name;
    public final Process process;
    public final Path log;
    private final OutputStream stdin;
    private final StringBuffer output = new StringBuffer();
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread pump;

    private ChildProcess(final String name, final List<String> command, final Map<String, String> env,
                         final Path workDir) throws IOException {
        this.name = name;
        final Path logs = Files.createDirectories(RepoPaths.processLogs());
        this.log = logs.resolve(name + "-" + System.currentTimeMillis() + ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("SDR_"));
        builder.environment().putAll(env);
        this.process = builder.start();
        final Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        this.stdin = process.getOutputStream();
        final PrintWriter file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        file.println("$ " + String.join(" ", command) + "   env=" + env);
        this.pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8));
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
        }, name + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts {@code command} in the repository root with {@code env} as its only SDR_* settings. */
    public static ChildProcess start(final String name, final List<String> command, final Map<String, String> env)
        throws IOException {
        return new ChildProcess(name, command, env, RepoPaths.repoRoot());
    }

    public static ChildProcess start(final String name, final List<String> command, final Map<String, String> env,
                                     final Path workDir) throws IOException {
        return new ChildProcess(name, command, env, workDir);
    }


    /** The {@code java} of the JVM running the tests. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the process printed so far. */
    public String output() {
        return output.toString();
    }

    /** The last few thousand characters of the output, and where the whole log is: for failure messages. */
    public String tail() {
        final String all = output();
        return (all.length() > TAIL_CHARS ? "..." + all.substring(all.length() - TAIL_CHARS) : all)
            + "\n(full log: " + log + ")";
    }

    /** The next output line not yet taken, waiting at most {@code timeout}; null when none came. */
    public String nextLine(final Duration timeout) throws InterruptedException {
        return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Takes output lines until one starts with {@code prefix} and returns it; fails with the output
     * when none comes within {@code limit} or the process exits first.
     */
    public String awaitLine(final String prefix, final Duration limit) {
        final long deadline = System.nanoTime() + limit.toNanos();
        try {
            while (System.nanoTime() - deadline < 0) {
                final String line = lines.poll(20, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return line;
                }
                if (line == null && !process.isAlive()) {
                    // The pump may still be handing over the last lines: join it, then drain.
                    pump.join(1000);
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

    /** Waits until the output contains {@code text} anywhere; fails early when the process exits first. */
    public void awaitOutput(final String text) {
        awaitOutput(text, Await.PATIENCE);
    }

    public void awaitOutput(final String text, final Duration patience) {
        Await.eventually(patience, () -> name + " printed \"" + text + "\"; output so far:\n" + tail(), () -> {
            if (output().contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " before printing \""
                    + text + "\":\n" + tail());
            }
            return false;
        });
    }

    /** Writes {@code line} and a newline to the process's stdin. */
    public void send(final String line) {
        try {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (final IOException e) {
            throw new AssertionError(name + ": cannot write to stdin: " + e + "\n" + tail(), e);
        }
    }

    /** Waits for the process to exit on its own and for its last output; returns the exit code. */
    public int awaitExit() {
        return awaitExit(Await.PATIENCE);
    }

    public int awaitExit(final Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " still running after " + limit.toMillis() + " ms:\n" + tail());
            }
            pump.join(5000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return process.exitValue();
    }

    /** SIGKILL, as a crash would stop it, and reap. */
    public void kill() {
        process.destroyForcibly();
        waitFor(STOP_TIMEOUT);
    }

    /**
     * Closes stdin, which the test writers take as "stop" (and then print their totals), and waits
     * for the exit; SIGKILL after the timeout.
     */
    public void finish() {
        closeStdin();
        if (!waitFor(STOP_TIMEOUT)) {
            kill();
        }
        joinPump();
    }

    /** SIGTERM and wait for the exit; SIGKILL after the timeout. */
    public void terminate() {
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(STOP_TIMEOUT)) {
                kill();
            }
        }
        joinPump();
    }

    @Override
    public void close() {
        terminate();
        closeStdin();
    }

    private void closeStdin() {
        try {
            stdin.close();
        } catch (final IOException ignored) {
            // gone already
        }
    }

    private boolean waitFor(final Duration limit) {
        try {
            return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return false;
        }
    }

    private void joinPump() {
        try {
            pump.join(2000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
