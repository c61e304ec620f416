package io.sdr.encode;

import io.sdr.config.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EncoderConfigTest {
    @Test
    void shouldDefaultToZeroLatencyH264TestPatternWithNvencFirst() {
        final EncoderConfig c = EncoderConfig.from(new JsonObject());
        assertEquals(List.of("h264_nvenc", "libx264", "libopenh264"), c.candidates());
        assertEquals(List.of("h264", 1280, 720, 30, 60, 2500), List.of(c.codec(), c.width(), c.height(), c.fps(), c.gop(), c.bitrateKbps()));
        assertEquals(List.of("ultrafast", "zerolatency", "p1", "ull"), List.of(c.preset(), c.tune(), c.nvencPreset(), c.nvencTune()));
        assertEquals("testpattern", c.source());
        assertEquals(Path.of("/dev/shm/sdr_os_ipc/frames"), c.path());
        assertEquals(1, c.ringCodec());
        assertEquals(true, c.enabled());
        assertEquals(true, c.yieldToOtherWriters());
    }

    @Test
    void shouldPickHevcCandidatesForHevc() {
        final EncoderConfig c = EncoderConfig.from(new JsonObject().put("codec", "hevc"));
        assertEquals(List.of("hevc_nvenc", "libx265"), c.candidates());
        assertEquals(2, c.ringCodec());
    }

    @Test
    void shouldReadEveryKey() {
        final EncoderConfig c = EncoderConfig.from(new JsonObject().put("enabled", "false").put("stream", "cam2")
            .put("candidates", "libopenh264, libx264").put("width", "640").put("height", 360).put("fps", 60)
            .put("bitrateKbps", 800).put("gop", 30).put("preset", "veryfast").put("tune", "film").put("threads", 1)
            .put("options", new JsonObject().put("libx264", new JsonObject().put("crf", 23).put("aud", true)))
            .put("source", "ring").put("sourcePath", "/dev/shm/x/raw").put("sourceCrc", false)
            .put("ringSlotCount", 16).put("ringSlotSize", 65536).put("yieldToOtherWriters", false));
        assertEquals(false, c.enabled());
        assertEquals(false, c.yieldToOtherWriters());
        assertEquals(List.of("libopenh264", "libx264"), c.candidates());
        assertEquals(Map.of("libx264", Map.of("crf", "23", "aud", "1")), c.options());
        assertEquals(List.of(640, 360, 60, 800, 30, 1), List.of(c.width(), c.height(), c.fps(), c.bitrateKbps(), c.gop(), c.threads()));
        assertEquals(List.of("ring", Path.of("/dev/shm/x/raw"), false, 16, 65536),
            List.of(c.source(), c.sourcePath(), c.sourceCrc(), c.ringSlotCount(), c.ringSlotSize()));
    }

    @Test
    void shouldRefuseBadValuesNamingKeyValueAndWhatIsAllowed() {
        assertRefused(new JsonObject().put("width", 641), "encoder.width=641: must be even (4:2:0 chroma)");
        assertRefused(new JsonObject().put("height", 8), "encoder.height=8: must be an integer in [16, 8192]");
        assertRefused(new JsonObject().put("codec", "av1"), "encoder.codec=\"av1\": must be one of h264, hevc");
        assertRefused(new JsonObject().put("source", "camera"), "encoder.source=\"camera\": must be one of testpattern, ring");
        assertRefused(new JsonObject().put("candidates", new JsonArray().add("libx264").add("Lib X")),
            "encoder.candidates: \"Lib X\": must be an FFmpeg encoder name (a-z 0-9 _)");
        assertRefused(new JsonObject().put("ringSlotCount", 12),
            "encoder.ringSlotCount=12, encoder.ringSlotSize=1048576: slot_count must be a power of two >= 2: slot_count=12");
        assertRefused(new JsonObject().put("ringSlotSize", 1000),
            "encoder.ringSlotCount=32, encoder.ringSlotSize=1000: slot_size must be a multiple of 64 and >= 128: slot_size=1000");
        assertRefused(new JsonObject().put("retryInitialMs", 500).put("retryMaxMs", 100),
            "encoder.retryMaxMs=100: must be >= retryInitialMs=500");
        assertRefused(new JsonObject().put("fps", 0), "encoder.fps=0: must be an integer in [1, 240]");
        assertRefused(new JsonObject().put("options", new JsonObject().put("libx264", new JsonObject().put("x", new JsonArray()))),
            "encoder.options.libx264.x=[]: must be a string, number or boolean");
        assertRefused(new JsonObject().put("stream", "a b"), "encoder.stream=\"a b\": must be 1-64 characters of A-Z a-z 0-9 _ -");
        final ConfigException unknown = assertThrows(ConfigException.class,
            () -> EncoderConfig.from(new JsonObject().put("bitrate", 100)));
        assertEquals(true, unknown.getMessage().startsWith("encoder.bitrate: unknown setting; allowed: "), unknown.getMessage());
    }

    private static void assertRefused(final JsonObject json, final String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> EncoderConfig.from(json)).getMessage());
    }
}
