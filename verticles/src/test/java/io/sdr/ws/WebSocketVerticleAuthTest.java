package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Telemetry;
import io.sdr.ring.RingWriter;
import io.sdr.cli.TokenCommand;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.HttpResult;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import static io.sdr.ws.SecurityTestKit.*;
import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.await;

/**
 * Token authentication of /stream/ws and /stream/list against a real server: where a token may
 * come from, which tokens are refused (401, before the upgrade, with the reason), and what a token
 * grants: streams, telemetry subjects (join replay included), keyframe requests.
 */
@org.junit.jupiter.api.Timeout(120)
class WebSocketVerticleAuthTest extends DeployedServerTest {
    private static final long FRAME_INTERVAL_NS = 20_000_000L;

    @Test
    void shouldStreamToValidTokenFromQuerySubprotocolOrBearer(final Vertx vertx) {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 4096), 1000, 10, FRAME_INTERVAL_NS).start()) {
            deploy(vertx, authConf(ring, port));
            final String token = token(vertx, grants(List.of("main"), List.of(">"), true));
            final WebSocketClient client = client(vertx);

            final Viewer query = Viewer.connect(client, ws(port, "/stream/ws?token=" + token), "query");
            final Viewer protocol = Viewer.connect(client, ws(port, "/stream/ws")
                .setSubProtocols(List.of("sdr.v1", "sdr.token." + token)), "subprotocol");
            final Viewer bearer = Viewer.connect(client, ws(port, "/stream/ws").addHeader("Authorization", "Bearer " + token), "bearer");
            // The server selects sdr.v1, never the token (a browser would fail the connection otherwise).
            assertEquals("sdr.v1", protocol.socket.subProtocol());
            for (final Viewer viewer : List.of(query, protocol, bearer)) {
                viewer.awaitFrames(20);
                viewer.assertHealthy(false);
                assertPatternPayloads(viewer.name, viewer.frames());
            }
            final HttpResult list = get(port, "/stream/list", "Authorization", "Bearer " + token);
            assertEquals(200, list.status(), list.body());
            assertEquals(new JsonArray().add("main"), list.json().getJsonArray("streams"));
        }
    }

    @Test
    void shouldRefuseMissingExpiredForgedAndNonExpiringTokensWith401(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring);
        final int port = freePort();
        deploy(vertx, authConf(ring, port));
        final WebSocketClient client = client(vertx);
        final JsonObject all = grants(List.of("*"), List.of(">"), true);
        final long now = System.currentTimeMillis() / 1000;

        final UpgradeRejectedException missing = refused(client, ws(port, "/stream/ws"));
        assertEquals(401, missing.getStatus());
        assertTrue(body(missing).contains("missing token"), body(missing));
        assertTrue(String.valueOf(missing.getHeaders().get("WWW-Authenticate")).startsWith("Bearer"));

        final String expiredToken = mint(vertx, "HS256", SECRET, all, now - 60);
        final UpgradeRejectedException expired = refused(client, ws(port, "/stream/ws?token=" + expiredToken));
        assertEquals(401, expired.getStatus());
        assertTrue(body(expired).contains("expired"), body(expired));
        assertFalse(body(expired).contains(expiredToken), "the refusal never echoes the token");

        final String forged = mint(vertx, "HS256", "another-secret-of-sufficient-length-0123", all, now + 3600);
        final UpgradeRejectedException wrongKey = refused(client, ws(port, "/stream/ws?token=" + forged));
        assertEquals(401, wrongKey.getStatus());
        assertTrue(body(wrongKey).contains("invalid token"), body(wrongKey));

        final UpgradeRejectedException noExp = refused(client, ws(port, "/stream/ws?token=" + mint(vertx, "HS256", SECRET, all, null)));
        assertEquals(401, noExp.getStatus());
        assertTrue(body(noExp).contains("exp"), body(noExp));

        final UpgradeRejectedException garbage = refused(client, ws(port, "/stream/ws?token=not.a.jwt"));
        assertEquals(401, garbage.getStatus());

        // An unsigned token ("alg": "none") granting everything.
        final java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        final String unsigned = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
            + b64.encodeToString(new JsonObject().put("exp", now + 3600).put("sdr", all).encode().getBytes(StandardCharsets.UTF_8)) + ".";
        assertEquals(401, refused(client, ws(port, "/stream/ws?token=" + unsigned)).getStatus());

        assertEquals(6.0, metric(port, "sdr_ws_refused_total", "reason=unauthorized"), "every refused upgrade is counted");
        final HttpResult list = get(port, "/stream/list");
        assertEquals(401, list.status(), "the stream list needs a token too");
        assertTrue(list.body().contains("missing token"), list.body());
    }

    @Test
    void shouldAcceptRs256TokensAndRefuseAnHs256TokenSignedWithThePublicKey(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring);
        final Path keys = dir.resolve("sdr");
        assertEquals(0, TokenCommand.run("--new-rsa-key", keys.toString()));
        final String publicPem = Files.readString(Path.of(keys + ".pub"));
        final String privatePem = Files.readString(Path.of(keys + ".key"));
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("auth", new JsonObject().put("enabled", true).put("algorithm", "RS256")
            .put("publicKeyFile", keys + ".pub"));
        deploy(vertx, conf);
        final WebSocketClient client = client(vertx);
        final JsonObject all = grants(List.of("*"), List.of(">"), true);
        final long exp = System.currentTimeMillis() / 1000 + 600;

        final Viewer viewer = Viewer.connect(client, ws(port, "/stream/ws?token=" + mint(vertx, "RS256", privatePem, all, exp)), "rs256");
        assertTrue(viewer.closeCode() == null, "connected");
        // Algorithm confusion: an HS256 token whose "secret" is the public key everyone may know.
        final UpgradeRejectedException confused = refused(client, ws(port, "/stream/ws?token=" + mint(vertx, "HS256", publicPem, all, exp)));
        assertEquals(401, confused.getStatus(), body(confused));
    }

    @Test
    void shouldOnlyOfferAndAcceptTheStreamsTheTokenGrants(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        final Path aux = dir.resolve("aux");
        Files.createFile(ring);
        Files.createFile(aux);
        final int port = freePort();
        final JsonObject conf = authConf(ring, port);
        conf.getJsonObject("streams").put("aux", new JsonObject().put("path", aux.toString()));
        deploy(vertx, conf);
        final WebSocketClient client = client(vertx);
        final String auxOnly = token(vertx, grants(List.of("aux"), List.of(), false));

        final HttpResult list = get(port, "/stream/list?token=" + auxOnly);
        assertEquals(200, list.status(), list.body());
        assertEquals(new JsonObject().put("streams", new JsonArray().add("aux")).put("default", "aux"), list.json());

        final UpgradeRejectedException main = refused(client, ws(port, "/stream/ws?stream=main&token=" + auxOnly));
        assertEquals(403, main.getStatus());
        assertTrue(body(main).contains("stream=main"), body(main));
        assertEquals(1.0, metric(port, "sdr_ws_refused_total", "reason=forbidden"));

        // No ?stream=: the first stream the token grants, not the configured default.
        Viewer.connect(client, ws(port, "/stream/ws?token=" + auxOnly), "aux-viewer");
        eventually("the aux viewer counts on stream aux", () -> health(port).getJsonObject("streams").getJsonObject("aux").getInteger("clients") == 1);

        final String nothing = token(vertx, new JsonObject());
        assertEquals(403, get(port, "/stream/list?token=" + nothing).status(), "a token granting no stream sees none");
        assertEquals(403, refused(client, ws(port, "/stream/ws?token=" + nothing)).getStatus());
    }

    @Test
    void shouldDeliverOnlyTheTelemetrySubjectsTheTokenGrants(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring);
        final int port = freePort();
        deploy(vertx, authConf(ring, port));
        final WebSocketClient client = client(vertx);
        final String robot1 = token(vertx, grants(List.of("main"), List.of("telemetry.robot1.>"), true));
        // Latest values held for joiners: the replay must be narrowed too.
        publish(vertx, "telemetry.robot1.pose");
        publish(vertx, "telemetry.robot2.pose");
        LockSupport.parkNanos(200_000_000L);

        final Viewer viewer = Viewer.connect(client, ws(port, "/stream/ws?token=" + robot1), "robot1-viewer");
        eventually("join replay of robot1", () -> subjects(viewer).contains("telemetry.robot1.pose"));
        viewer.socket.writeTextMessage("{\"subscribe\": [\"telemetry.>\"]}");
        eventually("narrowed notice", () -> controls(viewer).stream().anyMatch(c -> "narrowed".equals(c.getString("status"))));
        final JsonObject narrowed = controls(viewer).stream().filter(c -> "subscribe".equals(c.getString("type"))).findFirst().orElseThrow();
        assertEquals(new JsonArray().add("telemetry.robot1.>"), narrowed.getJsonArray("subjects"));
        viewer.socket.writeTextMessage("{\"subscribe\": [\"telemetry.robot2.>\"]}");
        eventually("refused notice", () -> controls(viewer).stream().anyMatch(c -> "refused".equals(c.getString("status"))));
        // Distinct subjects: on a loaded machine the group may coalesce a subject's messages (latest value wins).
        for (int i = 0; i < 5; i++) {
            publish(vertx, "telemetry.robot2.battery" + i);
            publish(vertx, "telemetry.robot1.battery" + i);
        }
        eventually("robot1 live telemetry", () -> subjects(viewer).stream().filter(s -> s.startsWith("telemetry.robot1.battery"))
            .distinct().count() == 5);
        assertFalse(subjects(viewer).stream().anyMatch(s -> s.startsWith("telemetry.robot2")),
            "no robot2 subject ever reached the robot1 viewer: " + subjects(viewer));

        final UpgradeRejectedException outside = refused(client, ws(port, "/stream/ws?subscribe=" + java.net.URLEncoder.encode("telemetry.robot2.>", StandardCharsets.UTF_8) + "&token=" + robot1));
        assertEquals(403, outside.getStatus());
        assertTrue(body(outside).contains("telemetry.robot2.>"), body(outside));
    }

    @Test
    void shouldSendKeyframeRequestsOnlyForTokensThatAllowThem(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring); // no frame: the GOP cache stays empty, every joiner would ask for a keyframe
        final int port = freePort();
        final JsonObject conf = authConf(ring, port);
        deploy(vertx, conf);
        final List<String> reasons = new CopyOnWriteArrayList<>();
        await(vertx.eventBus().<JsonObject>consumer(Addresses.keyframeWanted("main"),
            message -> reasons.add(message.body().getString("reason"))).completion());
        final WebSocketClient client = client(vertx);

        final Viewer passive = Viewer.connect(client, ws(port, "/stream/ws?token="
            + token(vertx, grants(List.of("main"), List.of(), false))), "passive");
        passive.socket.writeTextMessage("{\"keyframe\": true}");
        eventually("refusal notice", () -> controls(passive).stream().anyMatch(c -> "keyframe".equals(c.getString("type"))));
        assertEquals(List.of(), reasons, "neither the join nor the request of a passive token asked the encoder");

        final Viewer active = Viewer.connect(client, ws(port, "/stream/ws?token="
            + token(vertx, grants(List.of("main"), List.of(), true))), "active");
        eventually("join request", () -> reasons.contains("join"));
        LockSupport.parkNanos(100_000_000L); // past the 50 ms damping of one group
        active.socket.writeTextMessage("{\"keyframe\": true}");
        eventually("client request", () -> reasons.contains("client"));
        assertNotNull(active);
    }

    private static void publish(final Vertx vertx, final String subject) {
        vertx.eventBus().publish(Addresses.TELEMETRY, Telemetry.encode(subject, "{}".getBytes(StandardCharsets.UTF_8), System.nanoTime()));
    }

    private static List<String> subjects(final Viewer viewer) {
        return viewer.others().stream().map(SecurityTestKit::telemetrySubject).filter(Objects::nonNull).collect(Collectors.toList());
    }

    private static List<JsonObject> controls(final Viewer viewer) {
        return viewer.others().stream().map(SecurityTestKit::control).filter(Objects::nonNull).collect(Collectors.toList());
    }

}
