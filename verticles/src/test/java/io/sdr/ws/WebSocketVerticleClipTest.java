package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Telemetry;
import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.HttpResult;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.sdr.ws.SecurityTestKit.*;
import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who may take a clip ({@code GET /record/clip}) and what a bad request is told: the admin
 * addresses, or a token granting {@code record} and the stream; 400 with the reason for a bad
 * {@code seconds}, stream or compression; 404 with recording off. A token's clip holds only the
 * telemetry subjects it grants. (What is in a clip is read by the
 * MCAP project's reader in tests/: {@code ClipEndToEndTest}.)
 */
@org.junit.jupiter.api.Timeout(120)
class WebSocketVerticleClipTest extends DeployedServerTest {
    private static final long FRAME_INTERVAL_NS = 20_000_000L;
    /** An MCAP file's magic after its first byte (0x89). */
    private static final String MAGIC_AFTER_FIRST_BYTE = "MCAP0\r\n";

    private static JsonObject record(final List<String> streams, final boolean record) {
        return grants(streams, List.of(">"), false).put("record", record);
    }

    /** Tokens on and loopback not an admin address, so the test's requests need their tokens; 5 s of history. */
    private static JsonObject tokensOnlyConf(final Path ring, final int port) {
        final JsonObject conf = authConf(ring, port);
        conf.getJsonObject("websocket").put("admin", new JsonObject().put("allow", new JsonArray().add("10.255.255.255/32")));
        return conf.put("recording", new JsonObject().put("historySeconds", 5));
    }

    private static void awaitHistory(final int port, final String... auth) {
        eventually("a clip can be taken", () -> get(port, "/record/clip?seconds=0.1", auth).status() == 200);
    }

    @Test
    void shouldServeClipsOnlyToTokensGrantingRecordAndTheStream(final Vertx vertx) {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 4096), 1000, 10, FRAME_INTERVAL_NS).start()) {
            deploy(vertx, tokensOnlyConf(ring, port));
            final String recorder = "Bearer " + token(vertx, record(List.of("main"), true));
            awaitHistory(port, "Authorization", recorder);

            final HttpResult ok = get(port, "/record/clip?stream=main&seconds=1", "Authorization", recorder);
            assertEquals(200, ok.status(), ok.body());
            // The body was read as UTF-8: the magic's first byte (0x89) is not a character of its own.
            assertTrue(ok.body().substring(1).startsWith(MAGIC_AFTER_FIRST_BYTE), "an MCAP file");

            final HttpResult none = get(port, "/record/clip?seconds=1");
            assertEquals(401, none.status(), none.body());
            assertTrue(none.body().contains("missing token"), none.body());

            final HttpResult viewer = get(port, "/record/clip?seconds=1", "Authorization", "Bearer " + token(vertx, record(List.of("main"), false)));
            assertEquals(403, viewer.status(), viewer.body());
            assertTrue(viewer.body().contains("does not grant \"record\""), viewer.body());

            final HttpResult other = get(port, "/record/clip?stream=main&seconds=1", "Authorization",
                "Bearer " + token(vertx, record(List.of("side"), true)));
            assertEquals(403, other.status(), other.body());
            assertTrue(other.body().contains("does not grant stream=main"), other.body());

            final HttpResult forged = get(port, "/record/clip?seconds=1", "Authorization",
                "Bearer " + mint(vertx, "HS256", "another-secret-of-sufficient-length-0123", record(List.of("*"), true),
                    System.currentTimeMillis() / 1000 + 600));
            assertEquals(401, forged.status(), forged.body());

        }
    }

    @Test
    void shouldPutInATokensClipOnlyTheTelemetryItGrants(final Vertx vertx) {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 4096), 1000, 10, FRAME_INTERVAL_NS).start()) {
            deploy(vertx, tokensOnlyConf(ring, port));
            final long timer = vertx.setPeriodic(20, id -> {
                for (final String subject : List.of("telemetry.robot1.pose", "telemetry.secret.key")) {
                    vertx.eventBus().publish(Addresses.TELEMETRY,
                        Telemetry.encode(subject, "{\"v\":1}".getBytes(StandardCharsets.UTF_8), System.nanoTime()));
                }
            });
            try {
                final String narrow = "Bearer " + token(vertx, grants(List.of("main"), List.of("telemetry.robot1.>"), false).put("record", true));
                awaitHistory(port, "Authorization", narrow);
                eventually("telemetry in the clip", () -> get(port, "/record/clip?seconds=1&compression=none", "Authorization", narrow)
                    .body().contains("telemetry.robot1.pose"));
                final HttpResult clip = get(port, "/record/clip?seconds=1&compression=none", "Authorization", narrow);
                assertEquals(200, clip.status(), clip.body());
                assertTrue(clip.body().contains("telemetry.robot1.pose"), "the granted subject's channel");
                assertFalse(clip.body().contains("telemetry.secret"), "no channel (and no message) of a subject the token does not grant");
                final String wide = "Bearer " + token(vertx, record(List.of("main"), true));
                assertTrue(get(port, "/record/clip?seconds=1&compression=none", "Authorization", wide).body().contains("telemetry.secret.key"),
                    "a token granting '>' gets every subject");
            } finally {
                vertx.cancelTimer(timer);
            }
        }
    }

    @Test
    void shouldRefuseBadRequestsWithTheReasonAndNonAdminsWithoutTokens(final Vertx vertx) {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 4096), 1000, 10, FRAME_INTERVAL_NS).start()) {
            final JsonObject conf = conf(ring, port);
            conf.put("recording", new JsonObject().put("historySeconds", 5));
            deploy(vertx, conf);
            awaitHistory(port);
            final String[][] cases = {
                {"/record/clip?seconds=0", "seconds=0: must be in (0, 5]"},
                {"/record/clip?seconds=-3", "seconds=-3: must be in (0, 5]"},
                {"/record/clip?seconds=5.5", "seconds=5.5: must be in (0, 5] (recording.historySeconds)"},
                {"/record/clip?seconds=NaN", "seconds=NaN: must be in (0, 5]"},
                {"/record/clip?seconds=ten", "seconds=\"ten\": not a number"},
                {"/record/clip?stream=nope&seconds=1", "unknown stream: stream=nope, streams=[main]"},
                {"/record/clip?seconds=1&compression=gzip", "compression=\"gzip\": must be zstd, lz4 or none"},
            };
            for (final String[] c : cases) {
                final HttpResult r = get(port, c[0]);
                assertEquals(400, r.status(), c[0] + ": " + r.body());
                assertTrue(r.body().contains(c[1]), c[0] + ": " + r.body());
            }
            assertEquals(cases.length, metric(port, "sdr_record_clips_total", "outcome=bad_request"), 0.0001);
            final HttpResult full = get(port, "/record/clip?seconds=5&compression=none");
            assertEquals(200, full.status(), "the whole history may be asked for: " + full.body());
            assertTrue(metric(port, "sdr_record_clips_total", "outcome=ok") >= 2, "clips counted");
        }
    }

    @Test
    void shouldRefuseNonAdminsWhenTokensAreOff(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring);
        final int closedPort = freePort();
        final JsonObject conf = conf(ring, closedPort);
        conf.getJsonObject("websocket").put("admin", new JsonObject().put("allow", new JsonArray().add("10.255.255.255/32")));
        deploy(vertx, conf);
        final HttpResult outsider = get(closedPort, "/record/clip?seconds=1");
        assertEquals(403, outsider.status(), outsider.body());
        assertTrue(outsider.body().contains("websocket.admin.allow"), outsider.body());
    }

    @Test
    void shouldAnswer404WhenRecordingIsOff(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring);
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.put("recording", new JsonObject().put("enabled", false));
        deploy(vertx, conf);
        final HttpResult off = get(port, "/record/clip?seconds=1");
        assertEquals(404, off.status(), off.body());
        assertTrue(off.body().contains("recording is off"), off.body());
    }
}
