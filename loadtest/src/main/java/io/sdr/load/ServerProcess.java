package io.sdr.load;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The transport server as a child process: the fat jar on 127.0.0.1 and a free port, reading the
 * load tool's ring, with an inline {@code -conf}. Its output goes to a log file. Stopped by its own
 * PID (SIGTERM, then SIGKILL), also when the tool is interrupted.
 */
final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final StoppedOnExit stopper;
    final int port;
    final Path log;

    private ServerProcess(final Process process, final int port, final Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.stopper = new StoppedOnExit(process, "server");
    }

    /**
     * The conf the spawned server runs: the code defaults (which conf/conf.json repeats) with the
     * encoder and NATS off, so the tool's writer is the only source, and no TCP bridge port;
     * {@code overrides} (sections merged key by key) on top.
     */
    static JsonObject conf(final Path ring, final int maxClients, final JsonObject overrides) {
        final JsonObject conf = new JsonObject()
            .put("streams", new JsonObject().put("main", new JsonObject().put("path", ring.toString()).put("crc", true)))
            .put("websocket", new JsonObject().put("maxClients", maxClients))
            .put("encoder", new JsonObject().put("enabled", false))
            .put("nats", new JsonObject().put("enabled", false));
        for (final String section : overrides.fieldNames()) {
            final Object value = overrides.getValue(section);
            if (value instanceof JsonObject && conf.getValue(section) instanceof JsonObject) {
                conf.getJsonObject(section).mergeIn((JsonObject) value, true);
            } else {
                conf.put(section, value);
            }
        }
        return conf;
    }

    static ServerProcess start(final Path jar, final List<String> jvmOptions, final List<String> args,
                               final JsonObject conf, final Path ring,
                               final Path log) throws IOException {
        final int port = freePort();
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        jvmOptions.stream().filter(option -> !option.isBlank()).forEach(command::add);
        command.add("-jar");
        command.add(jar.toString());
        command.add("-conf");
        command.add(conf.encode());
        command.addAll(args);
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        final Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("SDR_"));
        env.put("SDR_LISTEN_ADDR", "127.0.0.1:" + port);
        env.put("SDR_SHM_PATH", ring.toString());
        return new ServerProcess(builder.start(), port, log);
    }

    /** A port free on 127.0.0.1 now (the child binds it a moment later; loopback only, so a clash is unlikely). */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    long pid() {
        return process.pid();
    }

    /** Waits until /health answers (any status); false when the process died or time ran out. */
    boolean awaitReady(final HttpClient http, final Duration patience) {
        final long deadline = System.nanoTime() + patience.toNanos();
        final HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
            .timeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                return false;
            }
            try {
                http.send(request, HttpResponse.BodyHandlers.discarding());
                return true;
            } catch (final IOException e) {
                LockSupport.parkNanos(100_000_000L);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        stopper.close();
    }
}
