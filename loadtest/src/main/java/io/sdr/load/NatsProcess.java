package io.sdr.load;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --edges}: a {@code nats-server} child process between the origin and its edges, with the
 * limits of the shipped {@code conf/nats.conf} that matter to frames (max_payload, max_pending,
 * write_deadline: read from that file, which owns them) but no JetStream (nothing here is stored),
 * on loopback and free ports, its output in a log file. Stopped by its own PID ({@link StoppedOnExit}).
 */
final class NatsProcess implements AutoCloseable {
    private final Process process;
    private final StoppedOnExit stopper;
    final int port;
    final int monitorPort;
    final Path log;

    private NatsProcess(final Process process, final int port, final int monitorPort, final Path log) {
        this.process = process;
        this.port = port;
        this.monitorPort = monitorPort;
        this.log = log;
        this.stopper = new StoppedOnExit(process, "nats-server");
    }

    static NatsProcess start(final String binary, final Path shippedConf, final Path dir, final Path log) throws IOException {
        final int port = ServerProcess.freePort();
        final int monitorPort = ServerProcess.freePort();
        final Path conf = dir.resolve("nats.conf");
        Files.writeString(conf, frameLimits(shippedConf));
        final List<String> command = List.of(binary, "-c", conf.toString(), "-a", "127.0.0.1",
            "-p", Integer.toString(port), "-m", Integer.toString(monitorPort));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        return new NatsProcess(process, port, monitorPort, log);
    }

    /** The max_payload, write_deadline and max_pending lines of {@code shippedConf}; all three must be there. */
    static String frameLimits(final Path shippedConf) throws IOException {
        final String text = Files.readString(shippedConf);
        final StringBuilder out = new StringBuilder();
        for (final String key : List.of("max_payload", "write_deadline", "max_pending")) {
            final Matcher m = Pattern.compile("(?m)^\\s*" + key + "\\s*[:=].*$").matcher(text);
            if (!m.find()) {
                throw new IOException(shippedConf + " has no " + key + " line: the edge run uses that file's frame limits");
            }
            out.append(m.group().trim()).append('\n');
        }
        return out.toString();
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until it accepts connections (the origin and edges retry their connects anyway); false when it died or time ran out. */
    boolean awaitReady(final Duration patience) {
        return PeerRelay.awaitListening(process, port, patience);
    }

    /** The monitoring endpoint's {@code /connz} (connection names, in/out bytes and messages), or null. */
    JsonObject connz(final HttpClient http) {
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + monitorPort + "/connz?limit=1024")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? new JsonObject(response.body()) : null;
        } catch (final IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        stopper.close();
    }
}
