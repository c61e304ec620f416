package io.sdr.nats;

import io.sdr.testing.InProcessServer;
import io.sdr.testing.Http;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.sdr.MainVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.fail;
import static io.sdr.testing.Await.await;
import static io.sdr.testing.Await.PATIENCE;

/**
 * Shared pieces of the telemetry tests and the relay benchmark: the server's configuration
 * in-process or as the fat jar, NATS publishers (jnats, and the raw protocol for byte-exact
 * subjects), a WebSocket client that decodes telemetry (0x02) and video (0x01) messages, a raw
 * rate-limited WebSocket reader, a paced ring writer, HTTP probes and bounded waits. Every wait is
 * bounded by {@link #PATIENCE}.
 */
public final class NatsTestKit {

    private NatsTestKit() {
    }

    // ---- configuration and deployment -------------------------------------------------------

    /**
     * conf.json of a test server on 127.0.0.1:{@code wsPort}: one client group reading {@code ring}
     * (stream "main"), budgets so large that nothing lags unless a test lowers them, no encoder,
     * the NATS bridge on {@code natsUrl} relaying {@code telemetry.>}.
     */
    public static JsonObject conf(final Path ring, final int wsPort, final String natsUrl) {
        return InProcessServer.conf(ring, wsPort)
            .put("nats", new JsonObject()
                .put("url", natsUrl)
                .put("subjects", new JsonArray().add("telemetry.>"))
                .put("maxMessageBytes", 65536)
                .put("reconnectWaitMs", 250));
    }

    public static String deploy(final Vertx vertx, final JsonObject conf) {
        return await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf)));
    }

    /** Undeploys everything first, so the server closes its sockets before Vert.x shuts down. */
    public static void undeployAll(final Vertx vertx) {
        InProcessServer.undeployAll(vertx);
    }

    // ---- HTTP probes --------------------------------------------------------------------------

    public static JsonObject health(final int port) {
        return Http.get(port, "/health").json();
    }

    /** The NATS part of /health: "connected" or "disconnected". */
    public static String natsStatus(final int port) {
        final JsonObject nats = health(port).getJsonObject("nats");
        return nats == null ? null : nats.getString("status");
    }

    /** A Prometheus sample by name and {@code label=value} pairs, summed over matching series; NaN when none. */
    public static double metric(final String text, final String name, final String... labels) {
        return io.sdr.testing.Http.metric(text, name, labels);
    }

    public static double metric(final int port, final String name, final String... labels) {
        return Http.metric(port, name, labels);
    }

    // ---- NATS publishers ----------------------------------------------------------------------

    /** A jnats connection (UTF-8 subjects on) that keeps reconnecting on its own. */
    public static Connection connect(final String url) {
        try {
            return Nats.connect(new Options.Builder().server(url).supportUTF8Subjects().maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).connectionTimeout(Duration.ofSeconds(5)).build());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot connect to " + url, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public static void flush(final Connection connection) {
        try {
            connection.flush(PATIENCE);
        } catch (final Exception e) {
            throw new AssertionError("NATS flush failed: " + e, e);
        }
    }

    public static void close(final Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Publishes with the bare NATS protocol ({@code PUB <subject> <n>}), so the subject's bytes on
     * the wire are exactly {@code subject}, independent of any client library; waits for the
     * server's PONG, i.e. until the server has processed the message.
     */
    public static void rawPublish(final int natsPort, final byte[] subject, final byte[] payload) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), natsPort), 5000);
            socket.setSoTimeout((int) PATIENCE.toMillis());
            final InputStream in = socket.getInputStream();
            final OutputStream out = socket.getOutputStream();
            readLine(in); // INFO
            final ByteBuffer b = ByteBuffer.allocate(subject.length + payload.length + 128);
            b.put("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPUB ".getBytes(StandardCharsets.US_ASCII))
                .put(subject).put((" " + payload.length + "\r\n").getBytes(StandardCharsets.US_ASCII))
                .put(payload).put("\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(b.array(), 0, b.position());
            out.flush();
            final String reply = readLine(in);
            if (!reply.equals("PONG")) {
                fail("NATS answered the raw PUB with: " + reply);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("raw publish to 127.0.0.1:" + natsPort, e);
        }
    }

    private static String readLine(final InputStream in) throws IOException {
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
