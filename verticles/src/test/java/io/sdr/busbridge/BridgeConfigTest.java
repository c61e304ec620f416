package io.sdr.busbridge;

import io.sdr.MainVerticle;
import io.sdr.config.ConfigException;
import io.sdr.config.EnvOverrides;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class BridgeConfigTest {
    private static String failure(final JsonObject json) {
        return assertThrows(ConfigException.class, () -> BridgeConfig.from(json)).getMessage();
    }

    @Test
    void shouldDefaultToLoopbackWithInspectionAndKeyframeRules() {
        final BridgeConfig config = BridgeConfig.from(new JsonObject());
        assertTrue(config.enabled());
        assertEquals("127.0.0.1", config.listenHost());
        assertEquals(7000, config.listenPort());
        assertTrue(config.isLoopback());
        assertTrue(config.inboundPermits("inspect.list"));
        assertTrue(config.inboundPermits("inspect.stats"));
        assertTrue(config.inboundPermits("keyframe.wanted.main"));
        assertFalse(config.inboundPermits("keyframe.request.main"), "the encoder's requests stay coalesced by the poller");
        assertFalse(config.inboundPermits("frames.main"));
        assertTrue(config.outboundPermits("inspect.frames.main"));
        assertTrue(config.outboundPermits("keyframe.request.main"));
        assertFalse(config.outboundPermits("frames.main"));
        assertFalse(config.outboundPermits("telemetry"));
        assertEquals(4096, config.payloadMaxBytes());
    }

    @Test
    void shouldAcceptExactAndRegexRuleObjects() {
        final BridgeConfig config = BridgeConfig.from(new JsonObject()
            .put("inbound", new JsonArray().add(new JsonObject().put("address", "my.control")))
            .put("outbound", new JsonArray().add(new JsonObject().put("addressRegex", "inspect\\.frames\\..+")).add("x\\.y")));
        assertTrue(config.inboundPermits("my.control"));
        assertFalse(config.inboundPermits("my.control.more"));
        assertTrue(config.outboundPermits("inspect.frames.main"));
        assertTrue(config.outboundPermits("x.y"));
        assertFalse(config.outboundPermits("inspect.telemetry"));
        assertEquals(List.of(), BridgeConfig.from(new JsonObject().put("inbound", new JsonArray())).inbound(),
            "an empty list permits nothing");
    }

    @Test
    void shouldRefuseRulesThatLetLocalObjectsCrossTheBridge() {
        assertEquals("bridge.outbound[1]=\"/.*/\": matches frames.main, which carries local Java objects that cannot "
                + "cross the bridge; allowed: addresses other than frames.<stream> and telemetry (tail inspect.frames.main instead)",
            failure(new JsonObject().put("outbound", new JsonArray().add("inspect\\..+").add(".*"))));
        final String message = failure(new JsonObject().put("streams", new JsonArray().add("main").add("rear"))
            .put("inbound", new JsonArray().add(new JsonObject().put("address", "frames.rear"))));
        assertTrue(message.startsWith("bridge.inbound[0]=\"frames.rear\": matches frames.rear"), message);
        assertTrue(failure(new JsonObject().put("outbound", new JsonArray().add("tele.*")))
            .startsWith("bridge.outbound[0]=\"/tele.*/\": matches telemetry"));
    }

    @Test
    void shouldRefuseANonLoopbackListenUnlessAllowRemote() {
        assertTrue(failure(new JsonObject().put("listen", "0.0.0.0:7000"))
            .startsWith("bridge.listen=\"0.0.0.0:7000\": not a loopback address; the event-bus bridge has no authentication"));
        assertEquals("0.0.0.0", BridgeConfig.from(new JsonObject().put("listen", "0.0.0.0:7000").put("allowRemote", true)).listenHost());
        assertTrue(BridgeConfig.from(new JsonObject().put("listen", "[::1]:7000")).isLoopback());
    }

    @Test
    void shouldNameKeyValueAndWhatIsAllowedForBadValues() {
        assertEquals("bridge.listen=\"7000\": must be HOST:PORT with PORT in [1, 65535]",
            failure(new JsonObject().put("listen", "7000")));
        assertEquals("bridge.listen=\"127.0.0.1:0\": must be HOST:PORT with PORT in [1, 65535]",
            failure(new JsonObject().put("listen", "127.0.0.1:0")));
        assertEquals("bridge.inbound[0]=\"(\": not a valid regular expression: Unclosed group",
            failure(new JsonObject().put("inbound", new JsonArray().add("("))));
        assertTrue(failure(new JsonObject().put("inbound", "inspect.list")).startsWith("bridge.inbound=inspect.list: must be a list of rules"));
        assertEquals("bridge.outbound[0]={\"address\":\"a\",\"addressRegex\":\"b\"}: must hold exactly one of address, addressRegex",
            failure(new JsonObject().put("outbound", new JsonArray().add(new JsonObject().put("address", "a").put("addressRegex", "b")))));
        assertEquals("bridge.payloadMaxBytes=-1: must be an integer in [0, 16777216]",
            failure(new JsonObject().put("payloadMaxBytes", -1)));
        assertTrue(failure(new JsonObject().put("port", 7000)).startsWith("bridge.port: unknown setting; allowed: "));
        assertEquals("bridge.enabled=\"maybe\": must be true or false (or 1/0)", failure(new JsonObject().put("enabled", "maybe")));
    }

    @Test
    void shouldTakeTheListenAddressFromSdrBridgeAddr() {
        final EnvOverrides overrides = EnvOverrides.apply(new JsonObject(), Map.of("SDR_BRIDGE_ADDR", "127.0.0.1:7100"));
        final BridgeConfig config = BridgeConfig.from(overrides.config().getJsonObject("bridge"));
        assertTrue(config.enabled(), "setting the address opens the bridge");
        assertEquals(7100, config.listenPort());
        final EnvOverrides bad = EnvOverrides.apply(new JsonObject(), Map.of("SDR_BRIDGE_ADDR", "localhost"));
        final ConfigException e = assertThrows(ConfigException.class, () -> BridgeConfig.from(bad.config().getJsonObject("bridge")));
        assertEquals("bridge.listen=\"localhost\": must be HOST:PORT with PORT in [1, 65535] (set by SDR_BRIDGE_ADDR)", bad.explain(e));
    }

    @Test
    void shouldFailStartUpOnABadBridgeSection() throws Exception {
        final Vertx vertx = Vertx.vertx();
        try {
            final JsonObject conf = new JsonObject()
                .put("streams", new JsonObject().put("main", new JsonObject().put("path", "/nonexistent/ring")))
                .put("nats", new JsonObject().put("enabled", false))
                .put("bridge", new JsonObject().put("outbound", new JsonArray().add("frames\\..*")));
            final ExecutionException failure = assertThrows(ExecutionException.class, () -> vertx
                .deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
            assertTrue(failure.getCause().getMessage().startsWith(
                "invalid configuration: bridge.outbound[0]=\"/frames\\..*/\": matches frames.main"), failure.getCause().getMessage());
            assertTrue(vertx.deploymentIDs().isEmpty(), "nothing deployed");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
