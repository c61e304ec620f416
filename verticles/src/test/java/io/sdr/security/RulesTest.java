package io.sdr.security;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure rules: origins, forwarded client addresses, address ranges, the message-rate bucket. */
class RulesTest {
    private static OriginPolicy origins(final Object value) {
        final JsonObject json = value == null ? new JsonObject() : new JsonObject().put("allowedOrigins", value);
        return OriginPolicy.read(new ConfigReader("websocket", json), "allowedOrigins");
    }

    @Test
    void shouldAllowSameOriginAndOriginlessRequestsByDefault() {
        final OriginPolicy policy = origins(null);
        assertTrue(policy.allows(null, "sdr.example.com"), "no Origin: not a browser page");
        assertTrue(policy.allows("https://sdr.example.com", "sdr.example.com"));
        assertTrue(policy.allows("http://localhost:8080", "localhost:8080"));
        assertTrue(policy.allows("https://SDR.example.com", "sdr.example.com:443"));
        assertFalse(policy.allows("https://evil.example", "sdr.example.com"));
        assertFalse(policy.allows("http://localhost:8081", "localhost:8080"));
        assertFalse(policy.allows("null", "localhost"));
        assertFalse(policy.allows("garbage", "localhost"));
    }

    @Test
    void shouldAllowListedOriginsOrAnyWithStar() {
        final OriginPolicy listed = origins(new JsonArray().add("https://viewer.example.com:443").add("null"));
        assertTrue(listed.allows("https://viewer.example.com", "transport:8080"));
        assertTrue(listed.allows("null", "transport:8080"));
        assertFalse(listed.allows("http://viewer.example.com", "transport:8080"), "the scheme counts");
        assertTrue(origins("*").allows("https://anything.example", "x"));
        assertTrue(origins("same-origin, https://a.example").allows("https://a.example", "x"));
        final ConfigException bad = assertThrows(ConfigException.class, () -> origins(new JsonArray().add("https://a.example/path")));
        assertTrue(bad.getMessage().startsWith("websocket.allowedOrigins: \"https://a.example/path\" is not an origin"), bad.getMessage());
    }

    @Test
    void shouldBelieveForwardedForOnlyFromTrustedProxies() {
        final Cidrs proxies = Cidrs.of(java.util.List.of("10.0.0.0/8", "::1"));
        assertEquals("203.0.113.9", ClientAddress.of("10.1.2.3", "203.0.113.9", proxies));
        assertEquals("203.0.113.9", ClientAddress.of("10.1.2.3", "198.51.100.1, 203.0.113.9, 10.9.9.9", proxies),
            "the rightmost address that is not a proxy");
        assertEquals("192.0.2.7", ClientAddress.of("192.0.2.7", "203.0.113.9", proxies), "untrusted peer: its own address");
        assertEquals("10.1.2.3", ClientAddress.of("10.1.2.3", "unknown", proxies));
        assertEquals("2001:db8::1", ClientAddress.of("::1", "[2001:db8::1]:4711", proxies));
        assertEquals("203.0.113.9", ClientAddress.of("10.1.2.3", "203.0.113.9:5555", proxies));
    }

    @Test
    void shouldMatchAddressRangesAndRejectHostNames() {
        final Cidrs loopback = Cidrs.of(Cidrs.LOOPBACK);
        assertTrue(loopback.contains("127.0.0.1"));
        assertTrue(loopback.contains("127.5.0.1"));
        assertTrue(loopback.contains("::1"));
        assertTrue(loopback.contains("::ffff:127.0.0.1"), "IPv4-mapped");
        assertFalse(loopback.contains("10.0.0.1"));
        assertFalse(loopback.contains("localhost"), "never a DNS look-up");
        final ConfigException name = assertThrows(ConfigException.class, () -> Cidrs.read(
            new ConfigReader("websocket", new JsonObject().put("trustedProxies", "caddy")), "trustedProxies", java.util.List.of()));
        assertTrue(name.getMessage().startsWith("websocket.trustedProxies: \"caddy\" is not an IP address"), name.getMessage());
        assertThrows(ConfigException.class, () -> Cidrs.of(java.util.List.of("10.0.0.0/33")));
        assertTrue(Cidrs.read(new ConfigReader("x", new JsonObject().put("allow", new JsonArray())), "allow", Cidrs.LOOPBACK).isEmpty());
    }

    @Test
    void shouldRefillTheBucketAtTheRateUpToTheBurst() {
        final TokenBucket bucket = new TokenBucket(10, 3, 0);
        assertTrue(bucket.tryTake(0));
        assertTrue(bucket.tryTake(0));
        assertTrue(bucket.tryTake(0));
        assertFalse(bucket.tryTake(0), "burst used up");
        assertFalse(bucket.tryTake(50_000_000L), "half a token after 50 ms");
        assertTrue(bucket.tryTake(100_000_000L), "one token after 100 ms");
        assertTrue(bucket.tryTake(10_000_000_000L));
        assertTrue(bucket.tryTake(10_000_000_000L));
        assertTrue(bucket.tryTake(10_000_000_000L));
        assertFalse(bucket.tryTake(10_000_000_000L), "never more than the burst saved up");
    }
}
