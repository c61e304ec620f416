package io.sdr.cli.bus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.fail;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.testing.RepoPaths.moduleDir;

/**
 * Runs the fat jar (server and {@code bus} commands) as real processes, stdout and stderr kept apart
 * in memory and logged under {@code target/process-logs/}. Every wait is bounded by {@link #PATIENCE};
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

    static boolean commandWorks(final String... command) {
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

    /** A child process; stdout and stderr collected line by line. Stopped by its own PID: SIGTERM, then SIGKILL. */
    static final class Child implements AutoCloseable {
        final String name;
        final Process process;
        final Path log;
        private final List<String> out = new ArrayList<>();
        private final List<String> err = new ArrayList<>();
        private final PrintWriter file;
        private final List<Thread> pumps = new ArrayList<>();

        Child(final String name, final List<String> command, final Map<String, String> env) throws IOException {
            this.name = name;
            final Path logs = moduleDir().resolve("target").resolve("process-logs");
            Files.createDirectories(logs);
            this.log = logs.resolve(name + "-" + System.nanoTime() + ".log");
            final ProcessBuilder builder = new ProcessBuilder(command).directory(repoRoot().toFile());
            // Only what the test sets: an SDR_* variable of the developer's shell must not change the result.
            builder.environment().keySet().removeIf(k -> k.startsWith("SDR_"));
            builder.environment().putAll(env);
            this.process = builder.start();
            this.file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
            file.println("$ " + String.join(" ", command) + "   env=" + env);
            pump(process.getInputStream(), out, "");
            pump(process.getErrorStream(), err, "[stderr] ");
        }

        private void pump(final InputStream stream, final List<String> lines, final String prefix) {
            final Thread pump = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        synchronized (this) {
                            lines.add(line);
                            file.println(prefix + line);
                        }
                    }
                } catch (final IOException ignored) {
                    // the process went away
                }
            }, name + "-pump");
            pump.setDaemon(true);
            pump.start();
            pumps.add(pump);
        }

        synchronized List<String> out() {
            return new ArrayList<>(out);
        }

        synchronized List<String> err() {
            return new ArrayList<>(err);
        }

        String stdout() {
            return String.join("\n", out());
        }

        String stderr() {
            return String.join("\n", err());
        }

        String describe() {
            return name + " (log " + log + ")\nstdout:\n" + tail(stdout()) + "\nstderr:\n" + tail(stderr());
        }

        private static String tail(final String text) {
            return text.length() > 3000 ? "..." + text.substring(text.length() - 3000) : text;
        }

        /** Waits for the process to exit on its own and for its output; returns the exit status. */
        int awaitExit() throws InterruptedException {
            if (!process.waitFor(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
                fail(name + " still running after " + PATIENCE + ": " + describe());
            }
            for (final Thread pump : pumps) {
                pump.join(5000);
            }
            return process.exitValue();
        }

        void awaitStderr(final String text) {
            eventually(name + " printed \"" + text + "\" on stderr: " + describe(), () -> {
                if (stderr().contains(text)) {
                    return true;
                }
                if (!process.isAlive()) {
                    fail(name + " exited with " + process.exitValue() + " before printing \"" + text + "\": " + describe());
                }
                return false;
            });
        }

        /** Sends SIGINT (what Ctrl-C sends) to the process. */
        void interrupt() throws IOException, InterruptedException {
            final Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(process.pid())).inheritIO().start();
            kill.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    process.destroyForcibly();
                }
            }
            synchronized (this) {
                file.close();
            }
        }
    }
}
