package io.sdr.cli.bus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.fail;
import io.sdr.testing.ChildProcess;

import static io.sdr.testing.RepoPaths.repoRoot;

/**
 * Runs the fat jar (server and {@code bus} commands) as real processes, stdout and stderr kept apart
 * in memory and logged under {@code target/process-logs/}. Every wait is bounded by {@link io.sdr.testing.Await#PATIENCE};
 * nothing asserts on how long something took.
 */
final class CliTestKit {

    private CliTestKit() {
    }

    static Path fatJar() {
        return io.sdr.testing.FatJar.path();
    }

    /**
     * A private copy of the fat jar, checked to be a whole zip: the shared one in verticles/target
     * may be rebuilt (rewritten in place) by another build while these processes start from it.
     */
    static Path jarCopy(final Path dir) throws IOException {
        final Path copy = dir.resolve("sdr-transport.jar");
        for (int attempt = 1; ; attempt++) {
            Files.copy(fatJar(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(copy.toFile())) {
                if (zip.getEntry(entryOf(io.sdr.Main.class)) != null && zip.getEntry(entryOf(BusCommand.class)) != null) {
                    // Inflating every entry checks its CRC: two builds writing at once leave a zip whose directory reads fine.
                    for (final java.util.Enumeration<? extends java.util.zip.ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                        try (InputStream in = zip.getInputStream(e.nextElement())) {
                            in.transferTo(java.io.OutputStream.nullOutputStream());
                        }
                    }
                    return copy;
                }
            } catch (final IOException e) {
                // being rewritten: try again
            }
            if (attempt == 30) {
                fail("no complete fat jar at " + fatJar() + " after " + attempt + " attempts");
            }
            LockSupport.parkNanos(1_000_000_000L);
        }
    }

    /** The jar entry of a class, from the class itself so a move cannot leave a stale name here. */
    private static String entryOf(final Class<?> type) {
        return type.getName().replace('.', '/') + ".class";
    }

    static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * A fat-jar or {@code bus} process in the repository root with only {@code env} as SDR_* settings,
     * stderr kept apart: a {@code bus} command's answer is its stdout, its diagnostics go to stderr.
     */
    static ChildProcess start(final String name, final List<String> command, final Map<String, String> env)
        throws IOException {
        return ChildProcess.startSeparated(name, command, env, repoRoot());
    }

    /** Stdout as the lines' text without the last newline: what {@code assertEquals} compares. */
    static String stdout(final ChildProcess child) {
        return String.join("\n", child.lines());
    }
}
