package io.sdr.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class EnvOverridesTest {
    @Test
    void shouldApplyEverySeedVariable() {
        final JsonObject conf = new JsonObject().put("streams", new JsonObject()
            .put("front", new JsonObject().put("path", "/a")).put("rear", new JsonObject().put("path", "/b")));
        final JsonObject out = EnvOverrides.apply(conf, Map.of(
            "SDR_SHM_PATH", "/dev/shm/x", "SDR_SHM_SIZE", "1024", "SDR_NATS_URL", "nats://h:1",
            "SDR_LISTEN_ADDR", "127.0.0.1:9", "SDR_BROADCAST_CAPACITY", "8", "SDR_CRC_ENABLED", "0",
            "SDR_IDR_COALESCE_MS", "100", "SDR_IDR_TIMEOUT_MS", "200", "SDR_TELEMETRY_SUBJECTS", "a.>,b",
            "SDR_TELEMETRY_MAX_SIZE", "99")).config();
        assertEquals("/dev/shm/x", out.getJsonObject("streams").getJsonObject("front").getString("path"));
        assertEquals("/b", out.getJsonObject("streams").getJsonObject("rear").getString("path"));
        assertEquals("0", out.getJsonObject("streams").getJsonObject("rear").getString("crc"));
        assertEquals("1024", out.getJsonObject("streams").getJsonObject("front").getString("size"));
        assertEquals("nats://h:1", out.getJsonObject("nats").getString("url"));
        assertEquals("127.0.0.1:9", out.getJsonObject("websocket").getString("listen"));
        assertEquals("8", out.getJsonObject("websocket").getString("maxQueuedFrames"));
        assertEquals("100", out.getJsonObject("poller").getString("idrCoalesceMs"));
        assertEquals("200", out.getJsonObject("websocket").getString("idrTimeoutMs"));
        assertEquals("a.>,b", out.getJsonObject("nats").getString("subjects"));
        assertEquals("99", out.getJsonObject("nats").getString("maxMessageBytes"));
        assertNull(conf.getJsonObject("websocket"), "the input is not modified");
    }

    @Test
    void shouldNameTheVariableWhenItsValueIsRefused() {
        final EnvOverrides overrides = EnvOverrides.apply(new JsonObject(), Map.of("SDR_IDR_TIMEOUT_MS", "abc"));
        final ConfigException e = assertThrows(ConfigException.class,
            () -> new ConfigReader("websocket", overrides.config().getJsonObject("websocket")).longValue("idrTimeoutMs", 1, 1, 10));
        final String message = overrides.explain(e);
        assertTrue(message.startsWith("websocket.idrTimeoutMs=\"abc\": must be an integer in [1, 10]"), message);
        assertTrue(message.endsWith("(set by SDR_IDR_TIMEOUT_MS)"), message);
    }

    @Test
    void shouldAddDefaultStreamWhenNoneConfigured() {
        final JsonObject out = EnvOverrides.apply(null, Map.of("SDR_SHM_PATH", "/x")).config();
        assertEquals("/x", out.getJsonObject("streams").getJsonObject("main").getString("path"));
    }
}
