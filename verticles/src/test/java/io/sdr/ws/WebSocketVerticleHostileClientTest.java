package io.sdr.ws;

import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.await;

/**
 * Clients that misbehave in every way a browser, a proxy or an attacker can: none of it may stop
 * the stream for a well-behaved client, leak a connection slot, or take /health down.
 */
@org.junit.jupiter.api.Timeout(120)
class WebSocketVerticleHostileClientTest extends DeployedServerTest {
    private static final int MAX_CLIENTS = 4;
    private static final int MAX_MESSAGE = 1024;

    @Test
    void shouldKeepStreamingToHealthyClientWhileHostileClientsComeAndGo(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("maxClients", MAX_CLIENTS).put("maxClientMessageBytes", MAX_MESSAGE);
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 16 * 1024), 2000, 10, 20_000_000L)) {
            deploy(vertx, conf);
            feeder.start();
            final WebSocketClient client = client(vertx);
            final Viewer healthy = Viewer.connect(client, port, "healthy");
            healthy.awaitFrames(5);

            // Binary garbage is read and ignored: that client keeps streaming. Text is where clients
            // make requests (telemetry subscriptions): garbage may be answered or refused with a close
            // frame, but must not break the connection abnormally nor stop the video.
            final Viewer texter = Viewer.connect(client, port, "text-garbage");
            await(texter.socket.writeTextMessage("{\"subscribe\": \u0000\uFFFF garbage \u2603"));
            final Viewer binary = Viewer.connect(client, port, "binary-garbage");
            final byte[] noise = new byte[MAX_MESSAGE];
            new Random(7).nextBytes(noise);
            await(binary.socket.writeBinaryMessage(Buffer.buffer(noise)));
            final long afterGarbage = feeder.written();
            binary.awaitSeq(afterGarbage + 5);
            eventually("text-garbage client streams on or is closed cleanly",
                () -> texter.lastSeq() >= afterGarbage + 5 || texter.closed.isDone());
            final boolean texterStaysOpen = !texter.closed.isDone();
            if (!texterStaysOpen) {
                final Integer code = texter.closeCode();
                assertTrue(code != null && code != 1006, "text garbage: closed with a close frame, code=" + code);
                eventually("/health counts 2 clients after the text-garbage close", () -> health(port).getInteger("clients") == 2);
            }
            final int live = texterStaysOpen ? 3 : 2;

            // One frame over the limit, and a message over the limit in small fragments: closed, 1009.
            final Viewer oversized = Viewer.connect(client, port, "oversized");
            // Small enough to arrive in one read: a server closing with unread bytes sends RST, which
            // could discard the close frame before the client reads it.
            oversized.socket.writeBinaryMessage(Buffer.buffer(new byte[MAX_MESSAGE + 476]));
            oversized.awaitClosed();
            assertEquals(1009, oversized.closeCode(), "oversized frame: close code");
            assertTrue(oversized.socket.closeReason().contains("message too big"), oversized.socket.closeReason());
            final Viewer fragmented = Viewer.connect(client, port, "fragmented");
            final Buffer fragment = Buffer.buffer(new byte[MAX_MESSAGE / 2 + 1]);
            fragmented.socket.writeFrame(WebSocketFrame.binaryFrame(fragment, false));
            fragmented.socket.writeFrame(WebSocketFrame.continuationFrame(fragment, false));
            fragmented.socket.writeFrame(WebSocketFrame.continuationFrame(fragment, true));
            fragmented.awaitClosed();
            assertEquals(1009, fragmented.closeCode(), "oversized fragmented message: close code");
            assertTrue(fragmented.socket.closeReason().contains("message too big"), fragmented.socket.closeReason());

            eventually("/health counts the live clients after the 1009 closes", () -> health(port).getInteger("clients") == live);

            // Abrupt disconnects mid-stream: FIN after a handshake, RST after a handshake, RST mid-handshake.
            // Each must give its connection slot back (the next one would be refused otherwise).
            try (Socket fin = upgraded(port)) {
                readSome(fin);
            }
            eventually("/health counts the live clients after a FIN", () -> health(port).getInteger("clients") == live);
            final Socket rst = upgraded(port);
            readSome(rst);
            rst.setSoLinger(true, 0);
            rst.close();
            eventually("/health counts the live clients after a RST", () -> health(port).getInteger("clients") == live);
            final Socket halfHandshake = new Socket(InetAddress.getLoopbackAddress(), port);
            halfHandshake.getOutputStream().write("GET /stream/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websock"
                .getBytes(StandardCharsets.US_ASCII));
            halfHandshake.setSoLinger(true, 0);
            halfHandshake.close();

            eventually("/health counts the live clients after a RST mid-handshake", () -> health(port).getInteger("clients") == live);

            // Unknown stream: 404, whatever the load.
            final StringBuilder unknown = new StringBuilder();
            rawUpgrade(port, "/stream/ws?stream=nope", unknown).close();
            assertTrue(unknown.toString().contains(" 404"), "unknown stream: " + unknown);

            // maxClients: up to 4 accepted, the next refused with 503 until a slot frees up.
            final List<Viewer> fillers = new ArrayList<>();
            for (int i = live; i < MAX_CLIENTS; i++) {
                fillers.add(Viewer.connect(client, port, "filler-" + i));
            }
            eventually("/health counts " + MAX_CLIENTS + " clients", () -> health(port).getInteger("clients") == MAX_CLIENTS);
            final StringBuilder refused = new StringBuilder();
            rawUpgrade(port, "/stream/ws", refused).close();
            assertTrue(refused.toString().contains(" 503"), "connection over maxClients=" + MAX_CLIENTS + ": " + refused);
            await(fillers.get(0).socket.close());
            eventually("/health counts " + (MAX_CLIENTS - 1) + " clients after one left",
                () -> health(port).getInteger("clients") == MAX_CLIENTS - 1);
            final Viewer late = Viewer.connect(client, port, "late");
            late.awaitFrames(5);
            late.assertHealthy(true);

            // Through all of it the healthy client missed nothing and the server stayed healthy.
            healthy.awaitSeq(feeder.written() + 5);
            final long last = feeder.stop();
            healthy.awaitSeq(last);
            final List<Viewer> streaming = new ArrayList<>(List.of(healthy, binary));
            if (texterStaysOpen) {
                streaming.add(texter);
            }
            for (final Viewer viewer : streaming) {
                viewer.assertHealthy(true);
                assertPatternPayloads(viewer.name, viewer.frames());
            }
            final HttpResult health = get(port, "/health");
            assertEquals(200, health.status(), "/health: " + health.body());
            assertEquals("ok", health.json().getString("status"));
            assertEquals(MAX_CLIENTS, health.json().getInteger("clients"), health.body());
        }
    }

    private static Socket upgraded(final int port) throws Exception {
        final StringBuilder status = new StringBuilder();
        final Socket socket = rawUpgrade(port, "/stream/ws", status);
        assertTrue(status.toString().contains(" 101"), "raw upgrade: " + status);
        return socket;
    }

    /** Reads a little of the video stream, so the disconnect happens mid-stream. */
    private static void readSome(final Socket socket) throws Exception {
        final InputStream in = socket.getInputStream();
        final byte[] chunk = new byte[4096];
        int total = 0;
        while (total < 4096) {
            final int n = in.read(chunk);
            if (n < 0) {
                break;
            }
            total += n;
        }
        assertTrue(total > 0, "raw client received video bytes before disconnecting");
    }
}
