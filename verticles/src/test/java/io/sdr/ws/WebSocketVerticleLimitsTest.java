package io.sdr.ws;

import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.HttpResult;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.sdr.ws.SecurityTestKit.*;
import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.PATIENCE;

/**
 * The connection rules against a real server: origin allowlist, per-address limit (proxy-aware),
 * message rate, idle and handshake timeouts, token expiry, TLS, and who may read /metrics and the
 * detailed /health. Every refusal and close is checked on the wire and in /metrics.
 */
@org.junit.jupiter.api.Timeout(120)
class WebSocketVerticleLimitsTest extends DeployedServerTest {
    /** A server whose ring never gets a frame: only the clients' own messages are traffic. */
    private JsonObject idleConf(final int port) throws Exception {
        final Path ring = dir.resolve("frames-" + port);
        Files.createFile(ring);
        return conf(ring, port);
    }

    @Test
    void shouldRefuseForeignOriginsAndAcceptSameOriginAndNonBrowserClients(final Vertx vertx) throws Exception {
        final int port = freePort();
        deploy(vertx, idleConf(port));
        final WebSocketClient client = client(vertx);

        final UpgradeRejectedException evil = refused(client, ws(port, "/stream/ws").putHeader("Origin", "https://evil.example"));
        assertEquals(403, evil.getStatus());
        assertTrue(body(evil).contains("https://evil.example"), body(evil));
        Viewer.connect(client, ws(port, "/stream/ws").putHeader("Origin", "http://127.0.0.1:" + port), "same-origin");
        Viewer.connect(client, ws(port, "/stream/ws").setAllowOriginHeader(false), "no-origin");
        assertEquals(403, refused(client, ws(port, "/stream/ws").putHeader("Origin", "null")).getStatus());
        assertEquals(2.0, metric(port, "sdr_ws_refused_total", "reason=origin"));
        undeployAll(vertx);

        final JsonObject listed = idleConf(freePort());
        final int port2 = listed.getJsonObject("websocket").getString("listen").transform(l -> Integer.parseInt(l.substring(l.lastIndexOf(':') + 1)));
        listed.getJsonObject("websocket").put("allowedOrigins", new JsonArray().add("https://viewer.example"));
        deploy(vertx, listed);
        Viewer.connect(client, ws(port2, "/stream/ws").putHeader("Origin", "https://viewer.example"), "listed");
        assertEquals(403, refused(client, ws(port2, "/stream/ws").putHeader("Origin", "http://127.0.0.1:" + port2)).getStatus(),
            "same-origin is not implied once a list is given");
    }

    @Test
    void shouldLimitConnectionsPerClientAddressBehindATrustedProxy(final Vertx vertx) throws Exception {
        final int port = freePort();
        final JsonObject conf = idleConf(port);
        conf.getJsonObject("websocket").put("maxClientsPerAddress", 2).put("trustedProxies", "127.0.0.1");
        deploy(vertx, conf);
        final WebSocketClient client = client(vertx);

        final Viewer a1 = Viewer.connect(client, ws(port, "/stream/ws").putHeader("X-Forwarded-For", "10.0.0.1"), "a1");
        Viewer.connect(client, ws(port, "/stream/ws").putHeader("X-Forwarded-For", "10.0.0.1"), "a2");
        final UpgradeRejectedException third = refused(client, ws(port, "/stream/ws").putHeader("X-Forwarded-For", "10.0.0.1"));
        assertEquals(429, third.getStatus());
        assertEquals("5", third.getHeaders().get("Retry-After"));
        assertTrue(body(third).contains("10.0.0.1") && body(third).contains("maxClientsPerAddress=2"), body(third));
        // Another client behind the same proxy has its own slots; spoofed hops left of it do not matter.
        Viewer.connect(client, ws(port, "/stream/ws").putHeader("X-Forwarded-For", "6.6.6.6, 10.0.0.2"), "b1");
        assertEquals(1.0, metric(port, "sdr_ws_refused_total", "reason=max_per_address"));

        a1.socket.close();
        a1.awaitClosed();
        eventually("a slot of 10.0.0.1 is free again", () -> {
            try {
                Viewer.connect(client, ws(port, "/stream/ws").putHeader("X-Forwarded-For", "10.0.0.1"), "a3");
                return true;
            } catch (final WebSocketVerticleTestKit.ConnectFailed e) {
                return false;
            }
        });
    }

    @Test
    void shouldIgnoreForwardedForFromUntrustedPeers(final Vertx vertx) throws Exception {
        final int port = freePort();
        final JsonObject conf = idleConf(port);
        conf.getJsonObject("websocket").put("maxClientsPerAddress", 1);
        deploy(vertx, conf);
        final WebSocketClient client = client(vertx);
        Viewer.connect(client, ws(port, "/stream/ws").putHeader("X-Forwarded-For", "10.0.0.1"), "first");
        assertEquals(429, refused(client, ws(port, "/stream/ws").putHeader("X-Forwarded-For", "10.0.0.2")).getStatus(),
            "without trustedProxies both count as 127.0.0.1");
    }

    @Test
    void shouldCloseAClientSendingFasterThanTheRateLimitWith1008(final Vertx vertx) throws Exception {
        final int port = freePort();
        final JsonObject conf = idleConf(port);
        conf.getJsonObject("websocket").put("clientMessagesPerSecond", 5).put("clientMessageBurst", 10);
        deploy(vertx, conf);
        final WebSocketClient client = client(vertx);
        final Viewer polite = Viewer.connect(client, ws(port, "/stream/ws"), "polite");
        final Viewer flooder = Viewer.connect(client, ws(port, "/stream/ws"), "flooder");
        for (int i = 0; i < 8; i++) {
            polite.socket.writeTextMessage("{\"ping\": " + i + "}");
        }
        for (int i = 0; i < 100; i++) {
            flooder.socket.writeTextMessage("{\"ping\": " + i + "}");
        }
        flooder.awaitClosed();
        assertEquals(1008, flooder.closeCode());
        assertTrue(String.valueOf(flooder.socket.closeReason()).contains("rate limit"), flooder.socket.closeReason());
        assertEquals(1.0, metric(port, "sdr_ws_closed_total", "reason=rate_limited", "stream=main"));
        assertFalse(polite.socket.isClosed(), "a client within the burst stays");
    }

    @Test
    void shouldCloseIdleConnectionsWith1001AndKeepTalkingOnes(final Vertx vertx) throws Exception {
        final int port = freePort();
        final JsonObject conf = idleConf(port); // no frames: only the clients' own messages are traffic
        conf.getJsonObject("websocket").put("idleTimeoutMs", 1500); // 15 pings of margin for a loaded machine
        deploy(vertx, conf);
        final WebSocketClient client = client(vertx);
        final Viewer talker = Viewer.connect(client, ws(port, "/stream/ws"), "talker");
        final Viewer silent = Viewer.connect(client, ws(port, "/stream/ws"), "silent");
        final long talkerTimer = vertx.setPeriodic(100, id -> talker.socket.writeTextMessage("{\"ping\": 1}"));
        silent.awaitClosed();
        assertEquals(1001, silent.closeCode());
        assertTrue(String.valueOf(silent.socket.closeReason()).startsWith("idle"), silent.socket.closeReason());
        assertFalse(talker.socket.isClosed(), "a client with traffic is not idle");
        vertx.cancelTimer(talkerTimer);
        assertEquals(1.0, metric(port, "sdr_ws_closed_total", "reason=idle", "stream=main"));
    }

    @Test
    void shouldCloseAConnectionThatNeverCompletesItsRequestHead(final Vertx vertx) throws Exception {
        final int port = freePort();
        final JsonObject conf = idleConf(port);
        conf.getJsonObject("websocket").put("handshakeTimeoutMs", 500);
        deploy(vertx, conf);
        try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), port)) {
            slow.setSoTimeout((int) PATIENCE.toMillis());
            final OutputStream out = slow.getOutputStream();
            out.write("GET /stream/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = slow.getInputStream();
            // Trickle a header byte now and then (what defeats a plain idle timeout) until the server hangs up.
            final long deadline = System.nanoTime() + PATIENCE.toNanos();
            boolean closed = false;
            while (!closed && System.nanoTime() < deadline) {
                try {
                    out.write('X');
                    out.flush();
                    slow.setSoTimeout(100);
                    closed = in.read() < 0;
                } catch (final java.net.SocketTimeoutException stillOpen) {
                    // nothing yet
                } catch (final java.io.IOException reset) {
                    closed = true;
                }
            }
            assertTrue(closed, "the server closed the half-sent request; handshake_timeout="
                + metric(port, "sdr_ws_refused_total", "reason=handshake_timeout"));
        }
        // A complete request on a fresh connection is unaffected.
        assertEquals(200, get(port, "/health").status());
        assertEquals(1.0, metric(port, "sdr_ws_refused_total", "reason=handshake_timeout"));
    }

    @Test
    void shouldCloseTheConnectionWhenItsTokenExpires(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring);
        final int port = freePort();
        deploy(vertx, authConf(ring, port));
        final String shortLived = mint(vertx, "HS256", SECRET, grants(List.of("*"), List.of(), false),
            System.currentTimeMillis() / 1000 + 2);
        final Viewer viewer = Viewer.connect(client(vertx), ws(port, "/stream/ws?token=" + shortLived), "short-lived");
        viewer.awaitClosed();
        assertEquals(4401, viewer.closeCode());
        assertEquals(1.0, metric(port, "sdr_ws_closed_total", "reason=token_expired", "stream=main"));
    }

    @Test
    void shouldCountOversizedMessagesAsTooBig(final Vertx vertx) throws Exception {
        final int port = freePort();
        deploy(vertx, idleConf(port));
        final Viewer big = Viewer.connect(client(vertx), ws(port, "/stream/ws"), "big");
        big.socket.writeTextMessage("{\"subscribe\": [\"" + "x".repeat(70_000) + "\"]}");
        big.awaitClosed();
        assertEquals(1009, big.closeCode());
        assertEquals(1.0, metric(port, "sdr_ws_closed_total", "reason=too_big", "stream=main"));
    }

    @Test
    void shouldServeWssWithTheConfiguredCertificate(final Vertx vertx) {
        final SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("tls", new JsonObject()
            .put("cert", certificate.certificatePath()).put("key", certificate.privateKeyPath()));
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 4096), 1000, 10, 20_000_000L).start()) {
            deploy(vertx, conf);
            final WebSocketClient tls = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
                .setTrustOptions(certificate.trustOptions()).setVerifyHost(false).setMaxMessageSize(16 << 20).setMaxFrameSize(16 << 20));
            final Viewer viewer = Viewer.connect(tls, ws(port, "/stream/ws").setSsl(true), "wss");
            viewer.awaitFrames(10);
            viewer.assertHealthy(false);
            assertPatternPayloads(viewer.name, viewer.frames());
            final WebSocketClient plain = client(vertx);
            final WebSocketVerticleTestKit.ConnectFailed failure = org.junit.jupiter.api.Assertions.assertThrows(
                WebSocketVerticleTestKit.ConnectFailed.class, () -> Viewer.connect(plain, ws(port, "/stream/ws"), "plain"));
            assertFalse(failure.getCause() instanceof UpgradeRejectedException, "no plain-text upgrade on the TLS port");
        }
    }

    @Test
    void shouldServeMetricsAndHealthDetailsOnlyToAdminAddresses(final Vertx vertx) throws Exception {
        final int port = freePort();
        deploy(vertx, idleConf(port));
        assertEquals(200, get(port, "/metrics").status(), "loopback is an admin address by default");
        assertTrue(health(port).containsKey("streams"), "loopback gets the details");
        // What Caddy's /viewer/* route would forward (prefix stripped, X-Forwarded-For added).
        final HttpResult viaProxy = get(port, "/metrics", "X-Forwarded-For", "203.0.113.9");
        assertEquals(403, viaProxy.status());
        assertTrue(viaProxy.body().contains("websocket.admin.allow"), viaProxy.body());
        final HttpResult healthViaProxy = get(port, "/health", "X-Forwarded-For", "203.0.113.9");
        assertEquals(new JsonObject().put("status", healthViaProxy.json().getString("status")), healthViaProxy.json(),
            "only the status through a proxy");
        undeployAll(vertx);

        final int closed = freePort();
        final JsonObject conf = idleConf(closed);
        conf.getJsonObject("websocket").put("admin", new JsonObject().put("allow", new JsonArray()));
        deploy(vertx, conf);
        assertEquals(403, get(closed, "/metrics").status(), "admin.allow [] serves /metrics to nobody");
        assertNull(get(closed, "/health").json().getValue("streams"));
    }
}
