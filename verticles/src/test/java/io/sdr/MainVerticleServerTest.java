package io.sdr;

import io.sdr.ws.DeployedServerTest;
import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.HttpResult;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;

/**
 * The composed server as {@link MainVerticle} deploys it: several client groups behind one port,
 * and what /health and /metrics report about the stream.
 */
class MainVerticleServerTest extends DeployedServerTest {
    @Test
    void shouldServeClientsFromTwoWebSocketInstancesOnOnePort(final Vertx vertx) {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("instances", 2);
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 256, 16 * 1024), 4000, 10, 10_000_000L)) {
            deploy(vertx, conf);
            feeder.start();
            final WebSocketClient client = client(vertx);
            final List<Viewer> viewers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                viewers.add(Viewer.connect(client, port, "viewer-" + i));
            }
            eventually("/health counts 6 clients", () -> health(port).getInteger("clients") == 6);
            // Gapless and strictly increasing: each frame once, whichever group serves the client.
            stopWhenAllHave(feeder, viewers, feeder.written() + 20);
            assertEquals(6.0, metric(port, "sdr_ws_clients", "stream=main"), "sdr_ws_clients");
            assertEquals(6, health(port).getJsonObject("streams").getJsonObject("main").getInteger("clients"));
        }
    }

    @Test
    void shouldReportStreamStateInHealthAndMetricsAndGoStaleWhenFramesStop(final Vertx vertx) {
        final long staleMs = 3000;
        final int frames = 50;
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("healthStaleMs", staleMs);
        try (RingWriter writer = RingWriter.createV2(ring, 64, 4096)) {
            deploy(vertx, conf);
            final JsonObject before = health(port);
            assertNull(before.getValue("last_frame_age_ms"), "no frame yet: " + before);
            assertEquals(0L, before.getLong("shm_seq"), "no frame yet: " + before);
            final Viewer viewer = Viewer.connect(client(vertx), port, "viewer");

            final UnsafeBuffer payload = new UnsafeBuffer(new byte[1000]);
            for (int s = 1; s <= frames; s++) {
                payload.putBytes(0, pattern(s, 1000));
                writer.write(payload, 0, 1000, CODEC_H264, (s - 1) % 10 == 0);
                if (s == 1) {
                    // The poller starts at the newest keyframe it finds: let it take frame 1 first.
                    eventually("poller published frame 1", () -> health(port).getLong("shm_seq") == 1);
                }
            }
            viewer.awaitSeq(frames);

            eventually("/health is ok with shm_seq=" + frames, () -> {
                final HttpResult r = get(port, "/health");
                return r.status() == 200 && r.json().getLong("shm_seq") == frames;
            });
            final JsonObject ok = get(port, "/health").json();
            assertEquals("ok", ok.getString("status"), ok.encode());
            assertEquals(1, ok.getInteger("clients"), ok.encode());
            assertTrue(ok.getValue("last_frame_age_ms") instanceof Number, "last_frame_age_ms is a number: " + ok.encode());
            assertTrue(ok.getValue("uptime_s") instanceof Number && ok.getLong("uptime_s") >= 0, "uptime_s: " + ok.encode());
            assertEquals("v2", ok.getJsonObject("streams").getJsonObject("main").getString("layout"), ok.encode());

            final String metrics = get(port, "/metrics").body();
            assertEquals(frames, metric(metrics, "sdr_ring_polls_total", "outcome=frame", "stream=main"), "frames polled");
            assertEquals(1.0, metric(metrics, "sdr_ws_clients", "stream=main"), "sdr_ws_clients");
            eventually("sdr_ws_frames_sent_total counts " + frames + " frames",
                () -> metric(port, "sdr_ws_frames_sent_total", "stream=main") == frames);
            assertTrue(metric(metrics, "sdr_ws_publish_to_written_seconds_count", "stream=main") > 0, "publish->written histogram");
            assertTrue(metrics.contains("sdr_ws_publish_to_written_seconds_bucket{"), "publish->written buckets");
            assertTrue(metrics.contains("sdr_ws_commit_to_written_seconds_bucket{"), "commit->written buckets");
            assertTrue(metrics.contains("sdr_ring_commit_to_publish_seconds_bucket{"), "commit->publish buckets");

            // No frame for healthStaleMs: 503 "stale", still naming the last frame.
            eventually("/health turns 503 stale", () -> get(port, "/health").status() == 503);
            final HttpResult stale = get(port, "/health");
            assertEquals(503, stale.status());
            assertEquals("stale", stale.json().getString("status"), stale.body());
            assertEquals(frames, stale.json().getLong("shm_seq"), stale.body());
            assertTrue(stale.json().getLong("last_frame_age_ms") >= staleMs, stale.body());
        }
    }
}
