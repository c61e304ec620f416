package io.sdr.e2e;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import io.sdr.testing.ChildProcess;

import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.testing.RepoPaths.moduleDir;

/**
 * Real processes for the deployment and browser tests: the fat jar, nats-server, Caddy and node,
 * each on loopback ports picked here, with output kept under {@code target/process-logs/} and
 * stopped by their own PID. Every wait is bounded.
 */
final class E2eKit {
    static final String CHROMIUM = "/usr/bin/chromium";
    static final String NATS_SERVER = "/usr/sbin/nats-server";

    // HTTP/1.1: the JDK client's h2c upgrade attempt can hang against Caddy, past its own request timeout.
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    private E2eKit() {
    }

    // ---- locations and tools ------------------------------------------------------------------

    /** Where screenshots and the browser's reports are kept: tests/target/e2e. */
    static Path artefacts() throws IOException {
        return Files.createDirectories(moduleDir().resolve("target").resolve("e2e"));
    }

    static Path fatJar() {
        return io.sdr.testing.FatJar.path();
    }

    /** The path of {@code command} on PATH (or the absolute path itself), failing with how to install it. */
    static String requireTool(final String command, final String debianPackage) {
        if (command.startsWith("/")) {
            if (Files.isExecutable(Paths.get(command))) {
                return command;
            }
        } else {
            for (final String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                final Path candidate = Paths.get(dir.isEmpty() ? "." : dir, command);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return fail(command + " not found: install it with scripts/ensure-tools.sh " + command.replaceAll(".*/", "")
            + ":" + debianPackage + " (scripts/test-all.sh does)");
    }

    // ---- short commands -----------------------------------------------------------------------

    record Result(int exitCode, String output) {
    }

    /** Runs a command to completion (stdout and stderr together), killing it after {@code timeout}. */
    static Result run(final List<String> command, final Map<String, String> env, final Duration timeout)
        throws IOException, InterruptedException {
        final ProcessBuilder builder = new ProcessBuilder(command).directory(repoRoot().toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        final Process process = builder.start();
        process.getOutputStream().close();
        final StringBuilder output = new StringBuilder();
        final Thread pump = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                output.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (final IOException ignored) {
                // process gone
            }
        });
        pump.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            pump.join(5000);
            return fail(String.join(" ", command) + " did not finish within " + timeout + ":\n" + output);
        }
        pump.join(5000);
        return new Result(process.exitValue(), output.toString());
    }

    /**
     * What the MCAP project's own reader finds in {@code file}: tests/e2e/mcap-check.mjs's JSON (its
     * last output line: node may warn before it), {@code options} as that script takes them.
     */
    static JsonObject mcapCheck(final Path file, final String... options) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(requireTool("node", "nodejs"),
            repoRoot().resolve("tests/e2e/mcap-check.mjs").toString(), file.toString()));
        command.addAll(List.of(options));
        final Result result = run(command, Map.of(), Duration.ofSeconds(90));
        assertEquals(0, result.exitCode(), "mcap-check " + file + ":\n" + result.output());
        final String[] lines = result.output().strip().split("\n");
        return new JsonObject(lines[lines.length - 1]);
    }

    // ---- long-running processes ---------------------------------------------------------------

    /** {@code nats-server -a 127.0.0.1 -p PORT}, ready to accept clients. */
    static ChildProcess startNats(final int port) throws IOException {
        final ChildProcess nats = ChildProcess.start("nats-server", List.of(requireTool(NATS_SERVER, "nats-server"),
            "-a", "127.0.0.1", "-p", String.valueOf(port)), Map.of());
        nats.awaitOutput("Server is ready");
        return nats;
    }

    /** {@code java -jar sdr-transport.jar ARGS} with only {@code env} as SDR_* settings; returns once /health answers. */
    static ChildProcess startServer(final String name, final int port, final Map<String, String> env, final String... args)
        throws IOException {
        final List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx384m",
            // A private JavaCPP cache: the shared ~/.javacpp/cache is locked machine-wide while any
            // JVM re-extracts FFmpeg for a rebuilt jar, which can hold up start-up indefinitely.
            "-Dorg.bytedeco.javacpp.cachedir=" + moduleDir().resolve("target").resolve("javacpp-cache"),
            "-jar", fatJar().toString()));
        command.addAll(List.of(args));
        final ChildProcess server = ChildProcess.start(name, command, env);
        eventually(name + " answers /health on port " + port + "; output so far:\n" + server.tail(), () -> {
            if (!server.process.isAlive()) {
                fail(name + " exited with " + server.process.exitValue() + ":\n" + server.tail());
            }
            return get("http://127.0.0.1:" + port + "/health") != null;
        });
        return server;
    }

    /** The project's Caddyfile run by Caddy on 127.0.0.1-reachable {@code port}, proxying to the transport on {@code upstreamPort}. */
    static ChildProcess startCaddy(final Path stateDir, final int port, final int upstreamPort) throws IOException {
        final ChildProcess caddy = ChildProcess.start("caddy", List.of(requireTool("caddy", "caddy"), "run",
            "--config", repoRoot().resolve("Caddyfile").toString(), "--adapter", "caddyfile"), caddyEnv(stateDir, Map.of(
                "PORT", String.valueOf(port),
                "TRANSPORT_UPSTREAM", "127.0.0.1:" + upstreamPort,
                // /stream/* through the same dynamic (DNS A) upstream a compose deployment uses; an IP resolves to itself.
                "STREAM_UPSTREAM_HOST", "127.0.0.1", "STREAM_UPSTREAM_PORT", String.valueOf(upstreamPort))));
        eventually("caddy proxies /stream/list on port " + port + "; output so far:\n" + caddy.tail(), () -> {
            if (!caddy.process.isAlive()) {
                fail("caddy exited with " + caddy.process.exitValue() + ":\n" + caddy.tail());
            }
            final HttpResponse<String> r = get("http://127.0.0.1:" + port + "/stream/list");
            return r != null && r.statusCode() == 200;
        });
        return caddy;
    }

    /** Caddy's environment: its state (autosave, certificates) in {@code stateDir}, never the user's home. */
    static Map<String, String> caddyEnv(final Path stateDir, final Map<String, String> settings) {
        final Map<String, String> env = new java.util.HashMap<>(settings);
        env.put("HOME", stateDir.toString());
        env.put("XDG_DATA_HOME", stateDir.resolve("data").toString());
        env.put("XDG_CONFIG_HOME", stateDir.resolve("config").toString());
        return env;
    }

    // ---- HTTP and NATS ------------------------------------------------------------------------

    /** GET {@code url}; null when nothing answers. */
    static HttpResponse<String> get(final String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static JsonObject getJson(final String url) {
        final HttpResponse<String> r = get(url);
        return r == null || r.statusCode() >= 500 && r.body().isEmpty() ? null : new JsonObject(r.body());
    }

    /** The body of GET {@code url}; fails the test when nothing answers or the status is not 200. */
    static String getText(final String url) {
        final HttpResponse<String> r = get(url);
        if (r == null || r.statusCode() != 200) {
            fail("GET " + url + ": " + (r == null ? "no answer" : r.statusCode() + " " + r.body()));
        }
        return r.body();
    }

    /** A Prometheus sample by name and {@code label=value} pairs, summed over matching series; NaN when none. */
    static double metric(final String text, final String name, final String... labels) {
        return io.sdr.testing.Http.metric(text, name, labels);
    }

    /** Publishes to nats-server over its text protocol (PUB), each batch confirmed by PING/PONG. */
    static final class NatsPublisher implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        NatsPublisher(final int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            final String info = in.readLine();
            if (info == null || !info.startsWith("INFO ")) {
                throw new IOException("not a NATS server greeting: " + info);
            }
            out.write("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"e2e-test\"}\r\n".getBytes(StandardCharsets.US_ASCII));
        }

        void publish(final String subject, final byte[] payload) throws IOException {
            out.write(("PUB " + subject + " " + payload.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }

        /** Waits until the server has processed everything sent so far. */
        void flush() throws IOException {
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("PONG")) {
                    return;
                }
                if (line.startsWith("-ERR")) {
                    throw new IOException("nats-server: " + line);
                }
            }
            throw new IOException("nats-server closed the connection");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One round of a {@link PeriodicPublisher}: {@code round} counts from 0. */
    @FunctionalInterface
    interface PublishRound {
        void publish(NatsPublisher nats, long round) throws IOException;
    }

    /**
     * Telemetry that keeps coming, as from a robot: a round of messages every {@code periodMs} on a
     * daemon thread (each round flushed, so the server has it), until closed.
     */
    static final class PeriodicPublisher implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        PeriodicPublisher(final int natsPort, final long periodMs, final PublishRound round) {
            thread = new Thread(() -> {
                try (NatsPublisher nats = new NatsPublisher(natsPort)) {
                    for (long n = 0; running; n++) {
                        round.publish(nats, n);
                        nats.flush();
                        Thread.sleep(periodMs);
                    }
                } catch (final IOException e) {
                    System.err.println("telemetry publisher stopped: " + e);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "telemetry-publisher");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }
    }

    /** A docker compose service's {@code volumes}, each as written ("host:container[:ro]"). */
    @SuppressWarnings("unchecked")
    static List<String> mounts(final Map<String, Object> service) {
        final List<String> out = new ArrayList<>();
        for (final Object volume : (List<Object>) service.getOrDefault("volumes", List.of())) {
            out.add(String.valueOf(volume));
        }
        return out;
    }
}
