package io.sdr.ring;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import static io.sdr.testing.RepoPaths.repoRoot;

/**
 * Shared helpers for the cross-language, vector and torture tests: the repository root, the
 * payload pattern (byte i of frame s is (s * 31 + i) mod 256, as in shm-worker/python/sdr_ring),
 * ring directories under /dev/shm, and child processes (Python CLI, Java writer) that are always
 * stopped by PID.
 */
final class RingTestKit {
    /** Agrona's UnsafeApi needs this in every JVM that loads it. */
    static final String AGRONA_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    /** 256 + 1 MiB of the cyclic sequence 0..255: frame s's payload starts at (s * 31) mod 256. */
    private static final int MAX_PATTERN = 1 << 20;
    private static final UnsafeBuffer CYCLE = cycle(MAX_PATTERN);

    private RingTestKit() {
    }

    static UnsafeBuffer cycle(final int maxSize) {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256 + maxSize));
        for (int i = 0; i < buffer.capacity(); i++) {
            buffer.putByte(i, (byte) i);
        }
        return buffer;
    }

    /** The pattern buffer; frame s's payload is at {@link #patternOffset(long)}. */
    static DirectBuffer patternBuffer() {
        return CYCLE;
    }

    static int patternOffset(final long frameSeq) {
        return (int) ((frameSeq * 31) & 0xFF);
    }

    /** Same size rule as the Python writer: size + (s * 7919) mod (jitter + 1). */
    static int frameSize(final int size, final int jitter, final long frameSeq) {
        return size + (int) Long.remainderUnsigned(frameSeq * 7919, jitter + 1L);
    }

    static boolean patternMatches(final DirectBuffer buffer, final int offset, final long frameSeq, final int size) {
        if (size < 0 || size > MAX_PATTERN) {
            return false;
        }
        final int start = patternOffset(frameSeq);
        // Fast path: longs, then bytes.
        int i = 0;
        for (; i + 8 <= size; i += 8) {
            if (buffer.getLong(offset + i) != CYCLE.getLong(start + i)) {
                return false;
            }
        }
        for (; i < size; i++) {
            if (buffer.getByte(offset + i) != CYCLE.getByte(start + i)) {
                return false;
            }
        }
        return true;
    }

    static byte[] patternBytes(final long frameSeq, final int size) {
        final byte[] bytes = new byte[size];
        CYCLE.getBytes(patternOffset(frameSeq), bytes);
        return bytes;
    }

    static int crc32(final byte[] bytes) {
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    static int crc32(final DirectBuffer buffer, final int offset, final int length) {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return crc32(bytes);
    }

    static String sha256Hex(final byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static UnsafeBuffer destination(final int capacity) {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
    }

    // ---- locations ----------------------------------------------------------------------------

    static Path pythonPackageDir() {
        return repoRoot().resolve("shm-worker").resolve("python");
    }

    static boolean pythonAvailable() {
        if (!Files.isRegularFile(pythonPackageDir().resolve("sdr_ring").resolve("__main__.py"))) {
            return false;
        }
        try {
            final Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A fresh directory under /dev/shm (real shared memory), or the temp dir when there is none. */
    static Path ringDirectory(final String prefix) throws IOException {
        final Path shm = Paths.get("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, prefix);
        }
        return Files.createTempDirectory(prefix);
    }

    static void deleteRecursively(final Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (final IOException ignored) {
                    // best effort
                }
            });
        } catch (final IOException ignored) {
            // best effort
        }
    }

    // ---- child processes ----------------------------------------------------------------------

    static List<String> pythonCommand(final String... args) {
        final List<String> cmd = new ArrayList<>(List.of("python3", "-m", "sdr_ring"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static List<String> javaWriterCommand(final String... args) {
        return javaCommand(RingWriterProcess.class, args);
    }

    /** {@code java} running {@code main} of {@code mainClass} on this JVM's class path. */
    static List<String> javaCommand(final Class<?> mainClass, final String... args) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(AGRONA_EXPORTS);
        cmd.add("-Xmx128m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The test-only Python scripts (tearing writer, the seed plan's writer): tests/src/test/python. */
    static Path testPythonDir() {
        return repoRoot().resolve("tests").resolve("src").resolve("test").resolve("python");
    }

    /**
     * A child process whose stdout lines are collected by a daemon thread and whose stderr goes to
     * a file. {@link #close()} stops it by PID: SIGTERM, then SIGKILL if it does not exit.
     */
    static final class Child implements AutoCloseable {
        private final String name;
        private final Process process;
        private final Path stderr;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> allLines = java.util.Collections.synchronizedList(new ArrayList<>());

        private Child(final String name, final Process process, final Path stderr) {
            this.name = name;
            this.process = process;
            this.stderr = stderr;
            final Thread pump = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        allLines.add(line);
                        lines.add(line);
                    }
                } catch (final IOException ignored) {
                    // process gone
                }
            }, "stdout-" + name);
            pump.setDaemon(true);
            pump.start();
        }

        static Child start(final String name, final List<String> command, final Path workDir) throws IOException {
            final Path stderr = Files.createTempFile("ring-child-" + name, ".stderr");
            final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE);
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            builder.environment().put("PYTHONPATH", pythonPackageDir().toString());
            builder.environment().put("PYTHONUNBUFFERED", "1");
            return new Child(name, builder.start(), stderr);
        }

        static Child python(final String name, final String... args) throws IOException {
            return start(name, pythonCommand(args), pythonPackageDir());
        }

        static Child javaWriter(final String name, final String... args) throws IOException {
            return start(name, javaWriterCommand(args), null);
        }

        static Child java(final String name, final Class<?> mainClass, final String... args) throws IOException {
            return start(name, javaCommand(mainClass, args), null);
        }

        /** {@code python3 script args...} in its own directory, with sdr_ring importable. */
        static Child pythonScript(final String name, final Path script, final String... args) throws IOException {
            final List<String> cmd = new ArrayList<>(List.of("python3", script.toString()));
            cmd.addAll(List.of(args));
            return start(name, cmd, script.getParent());
        }

        /** The next stdout line, or null after the timeout or at end of output. */
        String nextLine(final long timeoutMs) throws InterruptedException {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true) {
                final String line = lines.poll(20, TimeUnit.MILLISECONDS);
                if (line != null) {
                    return line;
                }
                if (System.nanoTime() - deadline > 0) {
                    return null;
                }
                if (!process.isAlive() && lines.isEmpty()) {
                    // give the pump a moment to drain what is left
                    final String last = lines.poll(200, TimeUnit.MILLISECONDS);
                    return last;
                }
            }
        }

        /** Waits for a line starting with {@code prefix}; fails with the child's output if none comes. */
        String awaitLine(final String prefix, final long timeoutMs) throws InterruptedException {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (System.nanoTime() - deadline < 0) {
                final String line = nextLine(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                if (line == null) {
                    break;
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            throw new AssertionError(name + ": no line starting with '" + prefix + "' within " + timeoutMs + " ms; "
                + describe());
        }

        /**
         * Closes the child's stdin: our writers take that as "stop" and report before they exit.
         * Unlike SIGTERM through {@link Process#destroy()}, which also closes our end of its stdout,
         * so a goodbye line written after the signal is lost (or breaks the child's pipe).
         */
        void closeStdin() throws IOException {
            process.getOutputStream().close();
        }

        boolean waitFor(final long timeoutMs) throws InterruptedException {
            return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
        }

        int exitValue() {
            return process.exitValue();
        }

        long pid() {
            return process.pid();
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** SIGKILL (Process.destroyForcibly is SIGKILL on Linux) and reap. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        /** SIGTERM, then SIGKILL after {@code graceMs}. */
        void terminate(final long graceMs) throws InterruptedException {
            if (!process.isAlive()) {
                return;
            }
            process.destroy();
            if (!process.waitFor(graceMs, TimeUnit.MILLISECONDS)) {
                kill();
            }
        }

        List<String> lines() {
            synchronized (allLines) {
                return new ArrayList<>(allLines);
            }
        }

        String stderr() {
            try {
                return Files.readString(stderr);
            } catch (final IOException e) {
                return "<stderr unreadable: " + e + ">";
            }
        }

        String describe() {
            final String err = stderr();
            return "pid=" + process.pid() + ", alive=" + process.isAlive()
                + (process.isAlive() ? "" : ", exit=" + process.exitValue())
                + ", stdoutTail=" + tail(lines()) + ", stderr=" + (err.length() > 2000 ? err.substring(err.length() - 2000) : err);
        }

        private static List<String> tail(final List<String> list) {
            return list.size() <= 5 ? list : list.subList(list.size() - 5, list.size());
        }

        @Override
        public void close() {
            try {
                terminate(2000);
            } catch (final InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Files.deleteIfExists(stderr);
                } catch (final IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
