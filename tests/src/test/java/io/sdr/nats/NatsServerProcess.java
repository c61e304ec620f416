package io.sdr.nats;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.AfterAllCallback;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.testing.RepoPaths.moduleDir;

/**
 * A real {@code nats-server} (the Debian package) for tests: the project's {@code conf/nats.conf}
 * (JetStream, limits, monitoring) with a loopback address, free client and monitoring ports and a
 * temporary JetStream directory. Output goes to {@code target/process-logs/}. Stopped by its own
 * PID (SIGTERM, then SIGKILL); {@link #kill()} simulates a crash; {@link #start()} after a stop
 * brings it back on the same ports, which is what a client reconnecting to a fixed URL needs.
 *
 * <p>nats-server 2.9 refuses {@code -sd DIR} together with a {@code store_dir} in the file
 * ("Duplicate 'store_dir' configuration") and resolves {@code include} relative to the including
 * file, so the harness writes a copy of {@code conf/nats.conf} with only {@code store_dir}
 * replaced; address and ports are the command-line flags {@code -a -p -m}, which win over the file.
 */
public final class NatsServerProcess implements AutoCloseable {
    private static final Pattern STORE_DIR = Pattern.compile("(?m)^(\\s*store_dir\\s*[:=]\\s*).*$");

    private final Path binary;
    private final Path dir;
    private final Path conf;
    private final int port;
    private final int monitorPort;
    private Process process;
    private Path log;

    private NatsServerProcess(final Path binary, final Path dir, final int port, final int monitorPort) throws IOException {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.monitorPort = monitorPort;
        final String original = Files.readString(repoRoot().resolve("conf").resolve("nats.conf"));
        final Matcher m = STORE_DIR.matcher(original);
        if (!m.find()) {
            throw new IllegalStateException("conf/nats.conf has no store_dir line to redirect to a temporary directory");
        }
        final String storeDir = dir.resolve("jetstream").toString();
        this.conf = dir.resolve("nats.conf");
        Files.writeString(conf, "# conf/nats.conf with store_dir redirected for a test\n"
            + m.replaceFirst(Matcher.quoteReplacement(m.group(1) + "\"" + storeDir + "\"")));
    }

    /**
     * One server for a whole test class, started before its first test and stopped after its last:
     * {@code @RegisterExtension static final NatsServerProcess.PerClass nats = new NatsServerProcess.PerClass();}
     */
    public static final class PerClass implements BeforeAllCallback, AfterAllCallback {
        private NatsServerProcess server;

        @Override
        public void beforeAll(final ExtensionContext context) {
            server = startOnFreePort();
        }

        @Override
        public void afterAll(final ExtensionContext context) {
            if (server != null) {
                server.close();
            }
        }

        public NatsServerProcess server() {
            return server;
        }

        public String url() {
            return server.url();
        }

        public int port() {
            return server.port();
        }
    }

    /** A new server on a free loopback port, running and accepting connections when this returns. */
    public static NatsServerProcess startOnFreePort() {
        return startOnPort(freePort());
    }

    /**
     * A new server on {@code port} (e.g. one a client was told to use before the server existed),
     * running when this returns.
     */
    public static NatsServerProcess startOnPort(final int port) {
        final NatsServerProcess nats = create(port);
        nats.start();
        return nats;
    }

    /** A server prepared on {@code port} but not started yet. */
    public static NatsServerProcess create(final int port) {
        try {
            return new NatsServerProcess(binary(), Files.createTempDirectory("sdr-nats-"), port, freePort());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts (or restarts, after {@link #stop()} or {@link #kill()}) the server on the same ports; waits until it serves. */
    public synchronized NatsServerProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("nats-server already running: pid=" + process.pid());
        }
        final List<String> command = List.of(binary.toString(), "-c", conf.toString(),
            "-a", "127.0.0.1", "-p", Integer.toString(port), "-m", Integer.toString(monitorPort));
        try {
            final Path logs = moduleDir().resolve("target").resolve("process-logs");
            Files.createDirectories(logs);
            log = logs.resolve("nats-server-" + port + "-" + System.currentTimeMillis() + ".log");
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            pump(process.getInputStream(), log, String.join(" ", command));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        awaitAcceptingConnections();
        return this;
    }

    private static void pump(final InputStream in, final Path log, final String command) throws IOException {
        final PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        out.println("$ " + command);
        final Thread pump = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)); out) {
                String line;
                while ((line = reader.readLine()) != null) {
                    out.println(line);
                }
            } catch (final IOException ignored) {
                // the process went away
            }
        }, "nats-server-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** Waits until a client connection gets the server's INFO line (the port is bound and serving). */
    private void awaitAcceptingConnections() {
        final long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            if (!process.isAlive()) {
                fail("nats-server exited with " + process.exitValue() + " (see " + log + "):\n" + tail());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                socket.setSoTimeout(2000);
                final byte[] head = socket.getInputStream().readNBytes(5);
                if (new String(head, StandardCharsets.US_ASCII).equals("INFO ")) {
                    return;
                }
            } catch (final IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() - deadline > 0) {
                fail("nats-server not accepting connections on 127.0.0.1:" + port + " within " + PATIENCE + ":\n" + tail());
            }
            LockSupport.parkNanos(20_000_000L);
        }
    }

    /** SIGTERM to its PID (nats-server shuts down cleanly), then SIGKILL if it is still there after 10 s. */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        awaitExit(10, true);
    }

    /** SIGKILL to its PID: a crash, no goodbye to the clients. */
    public synchronized void kill() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroyForcibly();
        awaitExit(10, false);
    }

    private void awaitExit(final long seconds, final boolean thenForce) {
        try {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                if (!thenForce) {
                    fail("nats-server pid=" + process.pid() + " did not exit after SIGKILL");
                }
                process.destroyForcibly().waitFor(seconds, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    public int port() {
        return port;
    }

    public int monitorPort() {
        return monitorPort;
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    public synchronized Path log() {
        return log;
    }

    /** The last lines the server printed. */
    public synchronized String tail() {
        try {
            final List<String> lines = log == null ? List.of() : Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (final IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops the server and deletes its temporary directory (the log under target/ stays). */
    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException ignored) {
            // best effort: it is under the temp directory
        }
    }

    // ---- environment --------------------------------------------------------------------------

    /**
     * The nats-server executable: {@code $NATS_SERVER}, else the PATH, else the Debian location
     * (/usr/sbin is not on every user's PATH). Fails with what to do when it is missing.
     */
    public static Path binary() {
        final List<Path> candidates = new ArrayList<>();
        final String explicit = System.getenv("NATS_SERVER");
        if (explicit != null && !explicit.isBlank()) {
            candidates.add(Paths.get(explicit));
        }
        for (final String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty()) {
                candidates.add(Paths.get(entry, "nats-server"));
            }
        }
        for (final String dir : List.of("/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin", "/sbin")) {
            candidates.add(Paths.get(dir, "nats-server"));
        }
        for (final Path candidate : candidates) {
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        fail("nats-server not found (PATH, /usr/sbin, $NATS_SERVER): install the Debian package with "
            + "scripts/ensure-tools.sh nats-server:nats-server (scripts/test-all.sh does it)");
        return null;
    }

}
