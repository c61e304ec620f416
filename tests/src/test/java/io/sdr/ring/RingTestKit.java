package io.sdr.ring;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import io.sdr.testing.ChildProcess;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static io.sdr.testing.RepoPaths.moduleDir;
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
        return ChildProcess.pythonRingAvailable();
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
     * A test's ring directory under /dev/shm and the children it starts there, as a JUnit extension
     * ({@code @RegisterExtension final RingChildren ring = new RingChildren("prefix-")}): a fresh
     * directory before each test; after it, every child stopped by PID (SIGTERM, then SIGKILL) and
     * the directory deleted. Children keep stderr apart: stdout lines are their answer.
     */
    static final class RingChildren implements BeforeEachCallback, AfterEachCallback {
        private final String prefix;
        private final List<ChildProcess> children = new ArrayList<>();
        private Path dir;

        RingChildren(final String prefix) {
            this.prefix = prefix;
        }

        @Override
        public void beforeEach(final ExtensionContext context) throws IOException {
            dir = ringDirectory(prefix);
        }

        @Override
        public void afterEach(final ExtensionContext context) {
            for (final ChildProcess child : children) {
                child.close();
            }
            children.clear();
            deleteRecursively(dir);
        }

        /** This test's directory (real shared memory where there is any). */
        Path dir() {
            return dir;
        }

        ChildProcess start(final String name, final List<String> command, final Path workDir) throws IOException {
            final ChildProcess child = ChildProcess.startSeparated(name, command,
                Map.of("PYTHONPATH", pythonPackageDir().toString(), "PYTHONUNBUFFERED", "1"), workDir);
            children.add(child);
            return child;
        }

        /** {@code python3 -m sdr_ring ARGS}. */
        ChildProcess python(final String name, final String... args) throws IOException {
            return start(name, pythonCommand(args), pythonPackageDir());
        }

        /** {@link RingWriterProcess} with {@code args}. */
        ChildProcess javaWriter(final String name, final String... args) throws IOException {
            return java(name, RingWriterProcess.class, args);
        }

        ChildProcess java(final String name, final Class<?> mainClass, final String... args) throws IOException {
            return start(name, javaCommand(mainClass, args), moduleDir());
        }

        /** {@code python3 script args...} in its own directory, with sdr_ring importable. */
        ChildProcess pythonScript(final String name, final Path script, final String... args) throws IOException {
            final List<String> cmd = new ArrayList<>(List.of("python3", script.toString()));
            cmd.addAll(List.of(args));
            return start(name, cmd, script.getParent());
        }
    }
}
