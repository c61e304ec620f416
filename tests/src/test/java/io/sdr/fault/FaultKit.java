package io.sdr.fault;

import io.sdr.testing.Http;
import io.sdr.testing.RepoPaths;
import io.sdr.testing.ChildProcess;
import io.sdr.nats.NatsServerProcess;
import io.sdr.nats.NatsTestKit;
import io.sdr.ring.RingV2Descriptor;
import io.sdr.ring.RingWriterProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;
import io.sdr.testing.Await;
import static io.sdr.testing.RepoPaths.moduleDir;

/**
 * What the fault scenarios share beyond the existing kits ({@link NatsTestKit} for HTTP, Prometheus
 * samples, the base conf and jnats; {@link NatsServerProcess}; {@link RingWriterProcess} as the
 * ring writer): the fat jar and writers as {@link ChildProcess}es started from private copies of
 * the jar and class path, the server's RSS and open descriptors from /proc, the v2 ring head read
 * straight from the file, and bounded waits.
 */
final class FaultKit {
    /** Frames of writer generation g carry frame_id = g * GENERATION + frame_seq. */
    static final long GENERATION = 1_000_000_000L;
    static final String AGRONA_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private FaultKit() {
    }

    // ---- waits --------------------------------------------------------------------------------

    /** Waits for {@code condition} at most {@code limit}; returns the time it took, or fails naming {@code what}. */
    static Duration within(final Duration limit, final String what, final BooleanSupplier condition) {
        final long start = System.nanoTime();
        final long deadline = start + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + limit.toMillis() + " ms: " + what);
            }
            LockSupport.parkNanos(10_000_000L);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    static void sleep(final long ms) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    // ---- the server process --------------------------------------------------------------------

    private static Path serverJar;
    private static final List<Path> COPIES = new ArrayList<>();

    /** Deletes the copies of the jar and class path (after the suite). */
    static synchronized void deleteCopies() {
        COPIES.forEach(FaultKit::deleteRecursively);
        COPIES.clear();
        serverJar = null;
        childClassPath = null;
    }

    static void deleteRecursively(final Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException ignored) {
            // best effort: under the temp directory
        }
    }

    /**
     * A private copy of verticles/target/sdr-transport.jar, made once per test JVM: a server must
     * not load classes lazily from a jar that a concurrent build replaces under it (seen while other
     * modules were rebuilt: NoClassDefFoundError in the running server).
     */
    static synchronized Path serverJar() throws IOException {
        if (serverJar == null) {
            final Path jar = moduleDir().getParent().resolve("verticles").resolve("target").resolve("sdr-transport.jar");
            if (!Files.isRegularFile(jar)) {
                fail("fat jar not found: " + jar + " -- mvn -B verify builds it before this module runs");
            }
            final Path dir = Files.createTempDirectory("sdr-fault-jar-");
            COPIES.add(dir);
            final Path copy = dir.resolve("sdr-transport.jar");
            for (int attempt = 1; ; attempt++) {
                Files.copy(jar, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(copy.toFile())) {
                    zip.size();
                    break;
                } catch (final IOException half) {
                    if (attempt == 3) {
                        throw half;
                    }
                    sleep(5000); // copied mid-rebuild: try again
                }
            }
            serverJar = copy;
        }
        return serverJar;
    }

    /** A writer or other helper process, started in this module's directory with no SDR_* variables. */
    static ChildProcess start(final String name, final List<String> command) throws IOException {
        return ChildProcess.start(name, command, Map.of(), RepoPaths.moduleDir());
    }

    /** {@code java -Xmx256m -jar sdr-transport.jar ARGS} (the private copy), no SDR_* variables but {@code env}. */
    static ChildProcess startServer(final String name, final Map<String, String> env, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m", "-jar", serverJar().toString()));
        command.addAll(List.of(args));
        return ChildProcess.start(name, command, env, RepoPaths.moduleDir());
    }

    /** Waits until the server answers /health with any status; fails with its output if it exits. */
    static void awaitServing(final ChildProcess server, final int port) {
        within(Await.PATIENCE, "server answers /health on port " + port, () -> {
            if (!server.process.isAlive()) {
                fail(server.name + " exited with " + server.process.exitValue() + ":\n" + server.tail());
            }
            if (!listening(port)) {
                return false;
            }
            try {
                return Http.get(port, "/health").status() > 0;
            } catch (final AssertionError notYet) {
                return false;
            }
        });
    }

    /** VmRSS of a process in bytes, from /proc (0 when it is gone). */
    static long rssBytes(final long pid) {
        try {
            for (final String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Open file descriptors of a process (leaked ring mappings or sockets would make this grow). */
    static int openDescriptors(final long pid) {
        // Listing a busy process's fd directory can fail while descriptors come and go: read again.
        IOException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            try (Stream<Path> fds = Files.list(Paths.get("/proc", Long.toString(pid), "fd"))) {
                return (int) fds.count();
            } catch (final IOException | java.io.UncheckedIOException e) {
                last = e instanceof IOException ? (IOException) e : ((java.io.UncheckedIOException) e).getCause();
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
            }
        }
        throw new IllegalStateException("cannot count the open descriptors of pid " + pid, last);
    }

    /** The first of {@code names} the scrape has (with the labels), so a scenario can use a counter another change adds. */
    static String firstPresent(final String metrics, final String[] labels, final String... names) {
        for (final String name : names) {
            if (!Double.isNaN(NatsTestKit.metric(metrics, name, labels))) {
                return name;
            }
        }
        return null;
    }

    static double metric(final String metrics, final String name, final String... labels) {
        final double value = NatsTestKit.metric(metrics, name, labels);
        return Double.isNaN(value) ? 0 : value;
    }

    // ---- the ring file -------------------------------------------------------------------------

    /** The v2 head (frame_seq of the newest committed frame) read from the file; -1 when missing or not v2. */
    static long ringHead(final Path ring) {
        try (FileChannel channel = FileChannel.open(ring, StandardOpenOption.READ)) {
            final ByteBuffer b = ByteBuffer.allocate(RingV2Descriptor.SUPERBLOCK_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            if (channel.read(b, 0) < RingV2Descriptor.SUPERBLOCK_LENGTH
                || b.getLong(RingV2Descriptor.MAGIC_OFFSET) != RingV2Descriptor.MAGIC) {
                return -1;
            }
            return b.getLong(RingV2Descriptor.HEAD_OFFSET);
        } catch (final NoSuchFileException e) {
            return -1;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- child processes ----------------------------------------------------------------------

    /** {@code java ... io.sdr.ring.RingWriterProcess ARGS}: the torture tests' writer, as a separate process. */
    static List<String> ringWriterCommand(final String... args) {
        return javaCommand(RingWriterProcess.class, args);
    }

    static List<String> javaCommand(final Class<?> main, final String... args) {
        final List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            AGRONA_EXPORTS, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            // A writer whose ring is truncated under it dies of SIGBUS (that is the fault): its crash
            // report goes to the temp directory, not into the working tree.
            "-XX:ErrorFile=" + Paths.get(System.getProperty("java.io.tmpdir"), "sdr-fault-writer-hs_err_%p.log"),
            "-XX:-CreateCoredumpOnCrash", "-cp",
            childClassPath(), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static String childClassPath;

    /**
     * This JVM's class path with the project's own entries (class directories, io/sdr jars) replaced
     * by copies made once: a writer started later must not find its classes half-rebuilt by a
     * concurrent build of the same working tree.
     */
    static synchronized String childClassPath() {
        if (childClassPath == null) {
            try {
                final Path dir = Files.createTempDirectory("sdr-fault-cp-");
                COPIES.add(dir);
                final List<String> entries = new ArrayList<>();
                int n = 0;
                for (final String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                    final Path path = Paths.get(entry);
                    if (Files.isDirectory(path)) {
                        final Path copy = dir.resolve("dir" + n++);
                        try (Stream<Path> files = Files.walk(path)) {
                            for (final Path file : (Iterable<Path>) files::iterator) {
                                final Path target = copy.resolve(path.relativize(file).toString());
                                if (Files.isDirectory(file)) {
                                    Files.createDirectories(target);
                                } else {
                                    Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                                }
                            }
                        }
                        entries.add(copy.toString());
                    } else if (entry.contains("/io/sdr/") && Files.isRegularFile(path)) {
                        final Path copy = dir.resolve("jar" + n++ + ".jar");
                        Files.copy(path, copy);
                        entries.add(copy.toString());
                    } else {
                        entries.add(entry);
                    }
                }
                childClassPath = String.join(java.io.File.pathSeparator, entries);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot copy the class path for child processes", e);
            }
        }
        return childClassPath;
    }

    /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
    static boolean listening(final int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (final IOException e) {
            return false;
        }
    }
}
