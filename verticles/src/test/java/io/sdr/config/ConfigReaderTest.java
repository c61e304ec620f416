package io.sdr.config;

import io.sdr.poller.PollerConfig;
import io.sdr.ws.WebSocketConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ConfigReaderTest {
    private static String failure(final Runnable r) {
        return assertThrows(ConfigException.class, r::run).getMessage();
    }

    @Test
    void shouldNameKeyValueAndRangeForBadNumbers() {
        assertEquals("websocket.maxClients=-1: must be an integer in [1, 100000]",
            failure(() -> WebSocketConfig.from(new JsonObject().put("maxClients", -1))));
        assertEquals("websocket.maxClients=1.5: must be an integer in [1, 100000]",
            failure(() -> WebSocketConfig.from(new JsonObject().put("maxClients", 1.5))));
        assertEquals("websocket.idrTimeoutMs=\"soon\": must be an integer in [1, 3600000]",
            failure(() -> WebSocketConfig.from(new JsonObject().put("idrTimeoutMs", "soon"))));
    }

    @Test
    void shouldReadARenamedSettingUnderItsOldNameButNotBoth() {
        assertEquals(1234, WebSocketConfig.from(new JsonObject().put("staleFrameMs", 1234)).healthStaleMs());
        assertEquals(4321, WebSocketConfig.from(new JsonObject().put("healthStaleMs", 4321)).healthStaleMs());
        assertEquals("websocket.staleFrameMs and websocket.healthStaleMs are the same setting: keep websocket.healthStaleMs",
            failure(() -> WebSocketConfig.from(new JsonObject().put("staleFrameMs", 1).put("healthStaleMs", 2))));
    }

    @Test
    void shouldRejectUnknownKeysListingAllowedOnes() {
        final String message = failure(() -> WebSocketConfig.from(new JsonObject().put("maxClient", 5)));
        assertTrue(message.startsWith("websocket.maxClient: unknown setting; allowed: "), message);
        assertTrue(message.contains("maxClients"), message);
    }

    @Test
    void shouldValidateListenAddress() {
        assertEquals("websocket.listen=\"nohost\": must be HOST:PORT with PORT in [0, 65535]",
            failure(() -> WebSocketConfig.from(new JsonObject().put("listen", "nohost"))));
        assertEquals("websocket.listen=\"h:70000\": must be HOST:PORT with PORT in [0, 65535]",
            failure(() -> WebSocketConfig.from(new JsonObject().put("listen", "h:70000"))));
        final WebSocketConfig v6 = WebSocketConfig.from(new JsonObject().put("listen", "[::1]:81"));
        assertEquals("::1", v6.listenHost());
        assertEquals(81, v6.listenPort());
    }

    @Test
    void shouldValidatePollerChoicesAndBooleans() {
        assertEquals("poller.idleStrategy=\"bogus\": must be one of backoff, sleeping, yielding, busy-spin",
            failure(() -> PollerConfig.from(new JsonObject().put("idleStrategy", "bogus"))));
        assertEquals("poller.crc=\"maybe\": must be true or false (or 1/0)",
            failure(() -> PollerConfig.from(new JsonObject().put("crc", "maybe"))));
        assertFalse(PollerConfig.from(new JsonObject().put("crc", "0")).crcEnabled());
        assertTrue(PollerConfig.from(new JsonObject().put("crc", "true")).crcEnabled());
        assertEquals("poller.maxParkNs=10: must be >= minParkNs=1000",
            failure(() -> PollerConfig.from(new JsonObject().put("maxParkNs", 10))));
        assertEquals("poller.stream=\"a b\": must be 1-64 characters of A-Z a-z 0-9 _ -, for a quality tier followed by ~ and its name"
            + " (1-32 of A-Z a-z 0-9 _ . -)",
            failure(() -> PollerConfig.from(new JsonObject().put("stream", "a b"))));
        // A quality tier's ring is a stream of its own: main~360p.
        assertEquals("main~360p", PollerConfig.from(new JsonObject().put("stream", "main~360p")).stream());
        for (final String bad : List.of("main~", "~360p", "main~360p~90p", "main~36 0p")) {
            assertTrue(failure(() -> PollerConfig.from(new JsonObject().put("stream", bad)))
                .startsWith("poller.stream=\"" + bad + "\": must be"), bad);
        }
    }

    @Test
    void shouldReadStringListsFromArraysAndCommaStrings() {
        final ConfigReader c = new ConfigReader("nats", new JsonObject()
            .put("a", new JsonArray().add("x.>").add("y")).put("b", "p, q").put("c", new JsonArray().add(3)));
        assertEquals(List.of("x.>", "y"), c.stringList("a", List.of()));
        assertEquals(List.of("p", "q"), c.stringList("b", List.of()));
        assertEquals("nats.c=[3]: must be a list of non-empty strings", failure(() -> c.stringList("c", List.of())));
    }

    @Test
    void shouldUseDefaultsForEmptySections() {
        final WebSocketConfig ws = WebSocketConfig.from(null);
        assertEquals("0.0.0.0", ws.listenHost());
        assertEquals(8080, ws.listenPort());
        assertEquals(64, ws.maxQueuedFrames());
        assertEquals(5000, ws.idrTimeoutMs());
        final PollerConfig poller = PollerConfig.from(new JsonObject());
        assertEquals("/dev/shm/sdr_os_ipc/frames", poller.path().toString());
        assertTrue(poller.crcEnabled());
        assertEquals(500, poller.idrCoalesceMs());
    }
}
