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

    private static JsonObject tier(final String name, final int width, final int height, final int kbps) {
        return new JsonObject().put("name", name).put("width", width).put("height", height).put("bitrateKbps", kbps);
    }

    private static JsonObject withTiers(final JsonObject... tiers) {
        final JsonArray list = new JsonArray();
        for (final JsonObject t : tiers) {
            list.add(t);
        }
        return new JsonObject().put("stream", "main").put("path", "/dev/shm/t/frames").put("tiers", list);
    }

    @Test
    void shouldReadTiersBelowTheStreamWithARingEachNextToTheStreams() {
        final EncoderConfig c = EncoderConfig.from(withTiers(tier("360p", 640, 360, 600), tier("180p", 320, 180, 150)));
        assertEquals(List.of(new EncoderConfig.Tier("360p", 640, 360, 600, Path.of("/dev/shm/t/frames~360p")),
            new EncoderConfig.Tier("180p", 320, 180, 150, Path.of("/dev/shm/t/frames~180p"))), c.tiers());
        assertEquals("main~360p", c.tierStream(c.tiers().get(0)));
        final EncoderConfig low = c.forTier(c.tiers().get(1));
        assertEquals(List.of("main~180p", Path.of("/dev/shm/t/frames~180p"), 320, 180, 150, 60, List.of()),
            List.of(low.stream(), low.path(), low.width(), low.height(), low.bitrateKbps(), low.gop(), low.tiers()));
        assertEquals(true, c.simulcast());
        assertEquals(true, low.simulcast());
        assertEquals(false, EncoderConfig.from(new JsonObject()).simulcast());
        assertEquals(List.of(), EncoderConfig.from(new JsonObject()).tiers());
        // Keyframes only at the GOP and on request when tiers must line up (x264 scene cuts off).
        assertEquals("repeat-headers=1:annexb=1:scenecut=0", VideoEncoder.options("libx264", low).get("x264-params"));
        assertEquals("repeat-headers=1:annexb=1", VideoEncoder.options("libx264", EncoderConfig.from(new JsonObject()))
            .get("x264-params"));
    }

    @Test
    void shouldRefuseTiersThatAViewerCouldNotMoveDownTo() {
        assertRefused(withTiers(tier("360p", 640, 360, 600)).put("tiers", "360p"),
            "encoder.tiers=360p: must be a list of {\"name\", \"width\", \"height\", \"bitrateKbps\"} objects, largest first");
        assertRefused(withTiers(tier("360p", 640, 360, 600)).put("tiers", new JsonArray().add(3)),
            "encoder.tiers[0]=3: must be an object {\"name\", \"width\", \"height\", \"bitrateKbps\"}");
        assertRefused(withTiers(new JsonObject().put("name", "360p").put("width", 640).put("height", 360)),
            "encoder.tiers[0].bitrateKbps: missing; a tier needs name, width, height and bitrateKbps");
        assertRefused(withTiers(tier("360p", 640, 360, 600).put("fps", 15)),
            "encoder.tiers[0].fps: unknown setting; allowed: bitrateKbps, height, name, path, width");
        assertRefused(withTiers(tier("3 60", 640, 360, 600)),
            "encoder.tiers[0].name=\"3 60\": must be 1-32 of A-Z a-z 0-9 _ . - and not \"auto\"");
        assertRefused(withTiers(tier("auto", 640, 360, 600)),
            "encoder.tiers[0].name=\"auto\": must be 1-32 of A-Z a-z 0-9 _ . - and not \"auto\"");
        assertRefused(withTiers(tier("720p", 640, 360, 600)),
            "encoder.tiers[0].name=\"720p\": the stream itself is called 720p (its height); name the tier after its own size");
        assertRefused(withTiers(tier("low", 640, 360, 600), tier("low", 320, 180, 150)),
            "encoder.tiers[1].name=\"low\": two tiers with the same name");
        assertRefused(withTiers(tier("360p", 641, 360, 600)), "encoder.tiers[0].width=641: must be even (4:2:0 chroma)");
        assertRefused(withTiers(tier("1080p", 1920, 1080, 600)), "encoder.tiers[0]: 1920x1080 is larger than the stream itself"
            + " (encoder.width=1280, encoder.height=720, encoder.bitrateKbps=2500); tiers go from the largest down");
        assertRefused(withTiers(tier("360p", 640, 360, 2500)), "encoder.tiers[0].bitrateKbps=2500: must be below the stream"
            + " itself (encoder.width=1280, encoder.height=720, encoder.bitrateKbps=2500); a narrower link moves down the list");
        assertRefused(withTiers(tier("180p", 320, 180, 150), tier("360p", 640, 360, 600)), "encoder.tiers[1]: 640x360 is larger"
            + " than tier \"180p\" above it (320x180 at 150 kbps); tiers go from the largest down");
        assertRefused(withTiers(tier("a", 640, 360, 600), tier("b", 640, 360, 700)), "encoder.tiers[1].bitrateKbps=700: must be"
            + " below tier \"a\" above it (640x360 at 600 kbps); a narrower link moves down the list");
        final JsonObject many = withTiers();
        for (int i = 0; i <= EncoderConfig.MAX_TIERS; i++) {
            many.getJsonArray("tiers").add(tier("t" + i, 640, 360, 600 - i));
        }
        assertRefused(many, "encoder.tiers: 8 tiers, at most 7");
    }

    private static void assertRefused(final JsonObject json, final String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> EncoderConfig.from(json)).getMessage());
    }
}
