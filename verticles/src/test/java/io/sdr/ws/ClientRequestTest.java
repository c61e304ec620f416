package io.sdr.ws;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ClientRequestTest {
    @Test
    void shouldParseSubscription() {
        final ClientRequest r = ClientRequest.parse("{\"subscribe\":[\"telemetry.r1.>\",\"telemetry.*.gps\"]}");
        assertTrue(r.isValid());
        assertEquals(2, r.subscribe().size());
        assertTrue(r.subscribe().get(0).matches("telemetry.r1.imu"));
    }

    @Test
    void shouldParseStatsAndPingRequests() {
        final ClientRequest on = ClientRequest.parse("{\"stats\":true}");
        assertEquals(ClientRequest.Kind.STATS, on.kind());
        assertTrue(on.stats());
        assertFalse(ClientRequest.parse("{\"stats\":false}").stats());
        final ClientRequest ping = ClientRequest.parse("{\"ping\":1234.5}");
        assertEquals(ClientRequest.Kind.PING, ping.kind());
        assertEquals(1234.5, ping.ping());
        assertEquals(ClientRequest.Kind.SUBSCRIBE, ClientRequest.parse("{\"subscribe\":[\">\"]}").kind());
        for (final String bad : new String[] {"{\"stats\":1}", "{\"stats\":true,\"ping\":1}", "{\"ping\":\"x\"}", "{\"ping\":null}"}) {
            assertFalse(ClientRequest.parse(bad).isValid(), bad);
            assertNull(ClientRequest.parse(bad).kind(), bad);
        }
    }

    @Test
    void shouldRejectHostileOrMalformedMessagesWithReason() {
        final String[] bad = {
            "", "garbage", "[1,2]", "null", "42", "{}", "{\"subscribe\":\"a\"}", "{\"subscribe\":[1]}",
            "{\"subscribe\":[\"a..b\"]}", "{\"subscribe\":[],\"x\":1}", "{\"subscribe\":[" + "\"a\",".repeat(64) + "\"a\"]}",
            "[".repeat(5000), "{\"subscribe\":[\"" + "x".repeat(100_000) + "\"]}", "\u0000\uFFFF"
        };
        for (final String text : bad) {
            final ClientRequest r = ClientRequest.parse(text);
            assertFalse(r.isValid(), text.length() > 50 ? text.substring(0, 50) : text);
            assertNotNull(r.error());
            assertTrue(r.error().length() < 200);
        }
    }
}
