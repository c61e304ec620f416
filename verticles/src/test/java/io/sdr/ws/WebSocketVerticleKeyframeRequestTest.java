package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import static io.sdr.ws.WebSocketVerticleTestKit.feeder;
import io.sdr.ws.WebSocketVerticleTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.sdr.ws.WebSocketVerticleTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.await;

/**
 * Keyframe (IDR) requests toward the encoder, seen on the event bus where the encoder listens:
 * a viewer with nothing to start from asks for one, and however many ask, at most one request per
 * coalescing interval goes out.
 */
@io.vertx.junit5.Timeout(value = 90, timeUnit = java.util.concurrent.TimeUnit.SECONDS)
class WebSocketVerticleKeyframeRequestTest extends DeployedServerTest {
    @Test
    void shouldRequestKeyframeWhenClientJoinsWithEmptyGopCache(final Vertx vertx, final VertxTestContext test)
        throws Exception {
        final Path ring = dir.resolve("frames");
        Files.createFile(ring); // not a ring yet: no frame will ever arrive, the cache stays empty
        final int port = freePort();
        deploy(vertx, conf(ring, port));
        final Checkpoint requested = test.checkpoint();
        await(vertx.eventBus().<JsonObject>consumer(Addresses.keyframeRequest("main"), message -> test.verify(() -> {
            assertEquals("main", message.body().getString("stream"));
            assertEquals("join", message.body().getString("reason"));
            requested.flag();
        })).completion());
        Viewer.connect(client(vertx), port, "joiner");
    }

    @Test
    void shouldCoalesceKeyframeRequestsToAtMostOnePerInterval(final Vertx vertx) {
        final long intervalMs = 1000;
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("poller").put("idrCoalesceMs", intervalMs);
        conf.getJsonObject("websocket").put("gopCacheBytes", 0);
        final List<Long> requestsNs = new CopyOnWriteArrayList<>();
        final AtomicInteger asks = new AtomicInteger();
        // gop 0: frame 1 is the only keyframe, so every viewer keeps waiting (and asking) while frames flow.
        try (PacedFeeder feeder = feeder(RingWriter.createV2(ring, 1024, 4096), 1000, 0, 10_000_000L)) {
            final long startNs = System.nanoTime();
            deploy(vertx, conf);
            vertx.eventBus().consumer(Addresses.keyframeRequest("main"), message -> requestsNs.add(System.nanoTime()));
            vertx.eventBus().consumer(Addresses.keyframeWanted("main"), message -> asks.incrementAndGet());
            feeder.start();
            eventually("poller is past the only keyframe", () -> health(port).getLong("shm_seq") > 5);
            final WebSocketClient client = client(vertx);
            final List<Viewer> viewers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                viewers.add(Viewer.connect(client, port, "waiting-" + i));
            }
            eventually("three requests went out", () -> requestsNs.size() >= 3);
            final long elapsedNs = System.nanoTime() - startNs;
            final int requests = requestsNs.size();
            final int wanted = asks.get();

            // Each request is sent at least one interval after the previous one, all of them within
            // [start, now]: so no more than elapsed / interval + 1 of them, however late they arrive.
            final long bound = elapsedNs / (intervalMs * 1_000_000L) + 1;
            assertTrue(requests <= bound, "requests=" + requests + " within " + elapsedNs / 1_000_000 + " ms, at most " + bound);
            assertTrue(wanted > requests, "viewers asked more often than requests went out: asks=" + wanted
                + ", requests=" + requests);
            assertTrue(metric(port, "sdr_keyframe_requests_coalesced_total", "stream=main") > 0,
                "/metrics counts the coalesced asks");
            for (final Viewer viewer : viewers) {
                assertEquals(0, viewer.count(), viewer.name + " never got a keyframe, so no frame either");
            }
        }
    }
}
