package io.sdr.busbridge;

import io.sdr.Main;
import io.sdr.bus.Addresses;
import io.sdr.bus.Frame;
import io.sdr.bus.FrameCodec;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.cli.bus.BridgeClient;
import io.sdr.cli.CliException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.await;

/**
 * The bridge verticle in one Vert.x with the launcher's metrics (event-bus meters with addresses),
 * driven by the CLI's own {@link BridgeClient}: summaries flow only while someone listens, the
 * request/reply addresses answer, and what the rules or the inspector do not serve is refused.
 * Every wait is bounded; nothing asserts on how long something took.
 */
@Timeout(90)
class BridgeVerticleTest {
    private static final int PATIENCE_MS = 30_000;

    private Vertx vertx;
    private int port;

    @BeforeEach
    void startVertx() {
        vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(Main.metricsOptions()))
            .withMetrics(new MicrometerMetricsFactory()).build();
        FrameCodec.register(vertx);
        TelemetryCodec.register(vertx);
        port = freePort();
    }

    @AfterEach
    void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private void deploy(final JsonObject extra) throws Exception {
        final JsonObject conf = new JsonObject().put("listen", "127.0.0.1:" + port)
            .put("streams", new JsonArray().add("main")).mergeIn(extra);
        await(vertx.deployVerticle(BridgeVerticle.class.getName(), new DeploymentOptions().setConfig(conf)));
    }

    private BridgeClient connect() {
        return BridgeClient.connect("127.0.0.1", port, PATIENCE_MS);
    }

    @Test
    void shouldPublishFrameSummariesOnlyWhileABridgeClientListens() throws Exception {
        deploy(new JsonObject());
        final AtomicInteger summaries = new AtomicInteger();
        await(vertx.eventBus().consumer(Addresses.inspectFrames("main"), m -> summaries.incrementAndGet()).completion());
        final Frame frame = SummariesTest.frame("main", 7, true, 5000, 0, System.nanoTime());
        final long timer = vertx.setPeriodic(10, id -> vertx.eventBus().publish(Addresses.frames("main"), frame));
        try {
            LockSupport.parkNanos(300_000_000L);
            assertEquals(0, summaries.get(), "nobody tails: frames.main is not tapped");
            try (BridgeClient client = connect()) {
                client.register(Addresses.inspectFrames("main"), PATIENCE_MS);
                final JsonObject message = nextMessage(client, Addresses.inspectFrames("main"));
                final JsonObject body = message.getJsonObject("body");
                assertEquals("main", body.getString("stream"));
                assertEquals(7, body.getLong("frame_seq"));
                assertEquals(5000, body.getInteger("size"));
                assertTrue(body.getBoolean("keyframe"));
                assertEquals("h264", body.getString("codec"));
                assertTrue(body.getDouble("age_ms") >= 0);
                assertFalse(body.containsKey("payload_base64"), "summaries carry no video unless asked");
                final JsonObject stats = (JsonObject) client.request(Addresses.INSPECT_STATS, new JsonObject(), PATIENCE_MS);
                assertEquals(1, stats.getJsonObject("bridge").getJsonObject("listeners").getInteger(Addresses.inspectFrames("main")));
            }
            // Closing the connection (without unregistering) ends the tap.
            eventually("listeners gone after the client closed", () -> {
                try (BridgeClient client = connect()) {
                    final JsonObject stats = (JsonObject) client.request(Addresses.INSPECT_STATS, new JsonObject(), PATIENCE_MS);
                    return stats.getJsonObject("bridge").getJsonObject("listeners").isEmpty();
                }
            });
            final int after = summaries.get();
            LockSupport.parkNanos(300_000_000L);
            assertEquals(after, summaries.get(), "no listener: no more summaries");
        } finally {
            vertx.cancelTimer(timer);
            // A publish already under way finishes first (it runs on the timer's event loop).
            LockSupport.parkNanos(100_000_000L);
            frame.release();
        }
    }

    @Test
    void shouldShipCappedPayloadsOnlyOnThePayloadAddress() throws Exception {
        deploy(new JsonObject().put("payloadMaxBytes", 100));
        final Frame frame = SummariesTest.frame("main", 3, false, 5000, 0, System.nanoTime());
        final long timer = vertx.setPeriodic(10, id -> vertx.eventBus().publish(Addresses.frames("main"), frame));
        try (BridgeClient client = connect()) {
            client.register(Addresses.inspectFramePayloads("main"), PATIENCE_MS);
            final JsonObject body = nextMessage(client, Addresses.inspectFramePayloads("main")).getJsonObject("body");
            assertEquals(100, java.util.Base64.getDecoder().decode(body.getString("payload_base64")).length);
            assertTrue(body.getBoolean("payload_truncated"));
        } finally {
            vertx.cancelTimer(timer);
            // A publish already under way finishes first (it runs on the timer's event loop).
            LockSupport.parkNanos(100_000_000L);
            frame.release();
        }
    }

    @Test
    void shouldSummariseTelemetryWithPrintableText() throws Exception {
        deploy(new JsonObject());
        final Telemetry pose = Telemetry.encode("telemetry.robot.pose", "{\"x\":1.5}".getBytes(StandardCharsets.UTF_8), System.nanoTime());
        final long timer = vertx.setPeriodic(10, id -> vertx.eventBus().publish(Addresses.TELEMETRY, pose));
        try (BridgeClient client = connect()) {
            client.register(Addresses.INSPECT_TELEMETRY, PATIENCE_MS);
            final JsonObject body = nextMessage(client, Addresses.INSPECT_TELEMETRY).getJsonObject("body");
            assertEquals("telemetry.robot.pose", body.getString("subject"));
            assertEquals(9, body.getInteger("size"));
            assertEquals("{\"x\":1.5}", body.getString("text"));
        } finally {
            vertx.cancelTimer(timer);
        }
    }

    @Test
    void shouldListAddressesWithHandlersRatesAndBridgePermissions() throws Exception {
        deploy(new JsonObject());
        await(vertx.eventBus().consumer(Addresses.keyframeWanted("main"), m -> { }).completion());
        for (int i = 0; i < 5; i++) {
            vertx.eventBus().publish(Addresses.keyframeWanted("main"), new JsonObject().put("reason", "test"));
        }
        try (BridgeClient client = connect()) {
            final JsonObject list = (JsonObject) client.request(Addresses.INSPECT_LIST, new JsonObject(), PATIENCE_MS);
            assertTrue(list.getBoolean("metered"), list.encodePrettily());
            final JsonObject wanted = row(list, Addresses.keyframeWanted("main"));
            assertEquals(1, wanted.getLong("handlers"), wanted.encode());
            assertEquals(5, wanted.getLong("messages"), wanted.encode());
            assertEquals("in+out", wanted.getString("bridge"));
            assertEquals("out", row(list, Addresses.inspectFrames("main")).getString("bridge"));
            assertEquals("out", row(list, Addresses.INSPECT_TELEMETRY).getString("bridge"));
            assertEquals(1, row(list, Addresses.INSPECT_STATS).getLong("handlers"));
            final JsonObject one = (JsonObject) client.request(Addresses.INSPECT_LIST,
                new JsonObject().put("address", "no.such.address"), PATIENCE_MS);
            assertFalse(one.getBoolean("known"));
            assertTrue(one.getJsonArray("addresses").isEmpty());
            // Stats without pollers or client groups: the stream is there with zeros.
            final JsonObject stats = (JsonObject) client.request(Addresses.INSPECT_STATS, new JsonObject(), PATIENCE_MS);
            assertEquals(0, stats.getJsonObject("streams").getJsonObject("main").getLong("frames"), stats.encodePrettily());
            assertEquals("127.0.0.1:" + port, stats.getJsonObject("bridge").getString("listen"));
        }
    }

    @Test
    void shouldRefuseWhatTheRulesOrTheInspectorDoNotServe() throws Exception {
        deploy(new JsonObject().put("payloadMaxBytes", 0));
        try (BridgeClient client = connect()) {
            assertTrue(refusal(() -> client.publish(Addresses.frames("main"), new JsonObject(), PATIENCE_MS))
                .startsWith("not permitted by the server's bridge rules: publish to frames.main"));
            assertTrue(refusal(() -> client.register(Addresses.frames("main"), PATIENCE_MS))
                .startsWith("not permitted by the server's bridge rules: tail frames.main (bridge.outbound"));
            assertTrue(refusal(() -> client.register(Addresses.inspectFrames("rear"), PATIENCE_MS))
                .startsWith("the server refused to tail inspect.frames.rear"), "not a configured stream");
            assertTrue(refusal(() -> client.register(Addresses.inspectFramePayloads("main"), PATIENCE_MS))
                .startsWith("the server refused to tail inspect.payload.frames.main"), "payloads are off");
            assertTrue(refusal(() -> client.request(Addresses.keyframeWanted("rear"), new JsonObject(), PATIENCE_MS))
                .startsWith("unknown address: no handler for keyframe.wanted.rear"));
            // The connection survives refusals.
            client.register(Addresses.inspectFrames("main"), PATIENCE_MS);
        }
    }

    @Test
    void shouldSkipSummariesForAListenerThatDoesNotRead() throws Exception {
        deploy(new JsonObject().put("payloadMaxBytes", 65536));
        final Frame big = SummariesTest.frame("main", 1, false, 65536, 0, System.nanoTime());
        try (BridgeClient stalled = connect(); BridgeClient observer = connect()) {
            stalled.register(Addresses.inspectFramePayloads("main"), PATIENCE_MS);
            // ~87 KB of JSON per summary, never read: the kernel buffers fill, then the write queue.
            eventually("summaries skipped for the stalled listener", () -> {
                for (int i = 0; i < 100; i++) {
                    vertx.eventBus().publish(Addresses.frames("main"), big);
                }
                final JsonObject stats = (JsonObject) observer.request(Addresses.INSPECT_STATS, new JsonObject(), PATIENCE_MS);
                return stats.getJsonObject("bridge").getLong("summaries_skipped") > 0;
            });
        } finally {
            // Every publish took its own reference synchronously: this one is the test's.
            big.release();
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static JsonObject row(final JsonObject list, final String address) {
        final JsonArray rows = list.getJsonArray("addresses");
        for (int i = 0; i < rows.size(); i++) {
            if (rows.getJsonObject(i).getString("address").equals(address)) {
                return rows.getJsonObject(i);
            }
        }
        return fail("no row for " + address + " in " + list.encodePrettily());
    }

    private static String refusal(final Runnable action) {
        return assertThrows(CliException.class, action::run).getMessage();
    }

    private static JsonObject nextMessage(final BridgeClient client, final String address) throws IOException {
        while (true) {
            final JsonObject frame = client.read(PATIENCE_MS);
            if ("message".equals(frame.getString("type")) && address.equals(frame.getString("address"))) {
                return frame;
            }
        }
    }

}
