package io.sdr.load;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The peer of {@code --peer node}: {@code loadtest/peer/relay.js} (npm {@code ws}) as a child
 * process, {@code node relay.js PORT} on 127.0.0.1 and a free port, its output in a log file.
 * Started directly (not through npm), so the PID the tool records and samples in /proc is node's
 * own; stopped by that PID (SIGTERM, then SIGKILL), also from a shutdown hook when the tool is
 * interrupted or fails.
 */
final class PeerRelay implements AutoCloseable {
    /** Where viewers connect: the path the transport server uses, so the clients are the same. */
    static final String VIEWER_PATH = "/stream/ws";
    /** Where the tool's one publisher connection sends the frames. */
    static final String PUBLISH_PATH = "/publish";
    private static final long NPM_CI_TIMEOUT_S = 180;

    private final Process process;
    private final StoppedOnExit stopper;
    final int port;
    final Path log;

    private PeerRelay(final Process process, final int port, final Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.stopper = new StoppedOnExit(process, "relay");
    }

    /**
     * Runs {@code npm ci} in {@code dir} when its {@code node_modules/ws} is missing (a clean clone),
     * output appended to {@code log}; the lock file decides the exact {@code ws} version.
     */
    static void ensureInstalled(final Path dir, final String npm, final Path log) throws IOException, InterruptedException {
        if (!Files.isRegularFile(dir.resolve("relay.js")) || !Files.isRegularFile(dir.resolve("package-lock.json"))) {
            throw new IOException("--peer-dir=" + dir + ": no relay.js and package-lock.json there (loadtest/peer in the repository)");
        }
        if (Files.isRegularFile(dir.resolve("node_modules/ws/package.json"))) {
            return;
        }
        System.err.println("sdr-load: " + dir.resolve("node_modules") + " missing: npm ci (output in " + log + ")");
        final Process npmCi = new ProcessBuilder(List.of(npm, "ci", "--no-audit", "--no-fund")).directory(dir.toFile())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            if (!npmCi.waitFor(NPM_CI_TIMEOUT_S, TimeUnit.SECONDS)) {
                throw new IOException("npm ci in " + dir + " did not finish in " + NPM_CI_TIMEOUT_S + " s; log: " + log);
            }
        } finally {
            npmCi.destroyForcibly();
        }
        if (npmCi.exitValue() != 0 || !Files.isRegularFile(dir.resolve("node_modules/ws/package.json"))) {
            throw new IOException("npm ci in " + dir + " failed: exit=" + npmCi.exitValue() + "; log: " + log);
        }
    }

    /** What ran: node's version and the installed ws version (for the JSON). */
    static JsonObject versions(final Path dir, final String node) {
        final JsonObject out = new JsonObject();
        try {
            out.put("ws", new JsonObject(Files.readString(dir.resolve("node_modules/ws/package.json"))).getString("version"));
            final Process p = new ProcessBuilder(node, "--version").redirectErrorStream(true).start();
            if (p.waitFor(10, TimeUnit.SECONDS)) {
                out.put("node", new String(p.getInputStream().readAllBytes()).trim());
            }
            p.destroyForcibly();
        } catch (final IOException | RuntimeException e) {
            out.put("error", e.toString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    static PeerRelay start(final Path dir, final String node, final Path log) throws IOException {
        final int port = ServerProcess.freePort();
        final ProcessBuilder builder = new ProcessBuilder(node, "relay.js", Integer.toString(port)).directory(dir.toFile())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        return new PeerRelay(builder.start(), port, log);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until the relay accepts TCP connections; false when it died or time ran out. */
    boolean awaitReady(final Duration patience) {
        return awaitListening(process, port, patience);
    }

    /** Waits until {@code process} accepts TCP connections on 127.0.0.1:{@code port}; false when it died or time ran out. */
    static boolean awaitListening(final Process process, final int port, final Duration patience) {
        final long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (final IOException notYet) {
                LockSupport.parkNanos(50_000_000L);
            }
        }
        return false;
    }

    @Override
    public void close() {
        stopper.close();
    }
}
