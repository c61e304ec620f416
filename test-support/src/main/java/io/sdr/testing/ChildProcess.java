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
 *
 * <p>{@link #startSeparated} keeps stderr apart, for a tool whose stdout is its answer (a {@code bus}
 * command's JSON lines, a ring writer's {@code ready}/{@code done} lines, a reader's per-frame lines):
 * then {@link #output}, {@link #lines} and {@link #awaitLine} see stdout only and {@link #stderr}
 * the rest; the log file holds both, stderr lines marked {@code [stderr] }.
 */
public final class ChildProcess implements AutoCloseable {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int TAIL_CHARS = 4000;

    public final String name;
    public final Process process;
    public final Path log;
    private final OutputStream stdin;
    private final StringBuffer output = new StringBuffer();
    private final StringBuffer errors = new StringBuffer();
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final boolean separated;
    private final PrintWriter file;
    private final Thread pump;
    private final Thread errorPump;
    private final java.util.concurrent.atomic.AtomicInteger pumpsRunning;

    private ChildProcess(final String name, final List<String> command, final Map<String, String> env,
                         final Path workDir, final boolean separated) throws IOException {
        this.name = name;
        this.separated = separated;
        final Path logs = Files.createDirectories(RepoPaths.processLogs());
        this.log = logs.resolve(name + "-" + System.nanoTime() + ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(!separated);
        builder.environment().keySet().removeIf(k -> k.startsWith("SDR_"));
        builder.environment().putAll(env);
        this.process = builder.start();
        final Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        this.stdin = process.getOutputStream();
        this.file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        file.println("$ " + String.join(" ", command) + "   env=" + env);
        this.pumpsRunning = new java.util.concurrent.atomic.AtomicInteger(separated ? 2 : 1);
        this.pump = pump(started.getInputStream(), output, lines, "", name + "-output");
        this.errorPump = separated ? pump(started.getErrorStream(), errors, null, "[stderr] ", name + "-stderr") : null;
    }

    private Thread pump(final java.io.InputStream stream, final StringBuffer text, final BlockingQueue<String> queue,
                        final String mark, final String threadName) {
        final Thread thread = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    text.append(line).append('\n');
                    if (queue != null) {
                        queue.add(line);
                    }
                    synchronized (file) {
                        file.println(mark + line);
                    }
                }
            } catch (final IOException ignored) {
                // the process went away
            } finally {
                if (pumpsRunning.decrementAndGet() == 0) {
                    synchronized (file) {
                        file.close();
                    }
                }
            }
        }, threadName);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Starts {@code command} in the repository root with {@code env} as its only SDR_* settings. */
    public static ChildProcess start(final String name, final List<String> command, final Map<String, String> env)
        throws IOException {
        return new ChildProcess(name, command, env, RepoPaths.repoRoot(), false);
    }

    public static ChildProcess start(final String name, final List<String> command, final Map<String, String> env,
                                     final Path workDir) throws IOException {
        return new ChildProcess(name, command, env, workDir, false);
    }

    /** As {@link #start(String, List, Map, Path)}, with stderr kept apart from stdout (see the class comment). */
    public static ChildProcess startSeparated(final String name, final List<String> command, final Map<String, String> env,
                                              final Path workDir) throws IOException {
        return new ChildProcess(name, command, env, workDir, true);
    }

    /** True when {@code command} runs and exits 0 within 30 s: whether a tool the test needs is installed. */
    public static boolean works(final String... command) {
        try {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }


    /** True when python3 runs and the repository's {@code sdr_ring} package (shm-worker/python) is there. */
    public static boolean pythonRingAvailable() {
        return Files.isRegularFile(RepoPaths.repoRoot().resolve("shm-worker/python/sdr_ring/__main__.py"))
            && works("python3", "--version");
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

    /** Everything the process printed so far (stdout only when started {@linkplain #startSeparated separated}). */
    public String output() {
        return output.toString();
    }

    /** {@link #output()} line by line. */
    public List<String> lines() {
        return output().lines().toList();
    }

    /** What a {@linkplain #startSeparated separated} process wrote to stderr so far; empty otherwise. */
    public String stderr() {
        return errors.toString();
    }

    /** The last few thousand characters of the output (and stderr), and where the whole log is: for failure messages. */
    public String tail() {
        return "pid=" + process.pid() + (process.isAlive() ? " running" : " exited " + process.exitValue()) + ":\n"
            + last(output()) + (separated ? "\nstderr:\n" + last(stderr()) : "") + "\n(full log: " + log + ")";
    }

    private static String last(final String all) {
        return all.length() > TAIL_CHARS ? "..." + all.substring(all.length() - TAIL_CHARS) : all;
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
        awaitText(this::output, "", text, patience);
    }

    /** Waits until stderr contains {@code text} ({@linkplain #startSeparated separated} processes); fails early on exit. */
    public void awaitStderr(final String text) {
        awaitText(this::stderr, " on stderr", text, Await.PATIENCE);
    }

    private void awaitText(final java.util.function.Supplier<String> stream, final String where, final String text,
                           final Duration patience) {
        final String printed = name + " printed \"" + text + "\"" + where;
        Await.eventually(patience, () -> printed + "; output so far:\n" + tail(), () -> {
            if (stream.get().contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " before: " + printed + ":\n" + tail());
            }
            return false;
        });
    }

    /** Sends SIGINT, what Ctrl-C sends, to this process only. */
    public void interrupt() throws IOException, InterruptedException {
        final Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -INT " + process.pid() + " failed:\n" + tail());
        }
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
            if (errorPump != null) {
                errorPump.join(5000);
            }
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

    /**
     * Closes stdin, which the test writers take as "stop". Unlike SIGTERM, it leaves our end of
     * stdout open, so a goodbye line written after it still arrives.
     */
    public void closeStdin() {
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
            if (errorPump != null) {
                errorPump.join(2000);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
