package io.sdr.encode;

import io.sdr.cli.EncodersCommand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Encoder choice by actually opening the candidates of the linked FFmpeg, and the {@code encoders} report. */
class EncoderSelectionTest {
    private static EncoderConfig config(final JsonObject json) {
        return EncoderConfig.from(json.put("width", 320).put("height", 180));
    }

    @Test
    void shouldHonourTheOrderAndFallBackFromNvencToX264WithTheReason() {
        final EncoderSelection.Result result = EncoderSelection.open(config(new JsonObject()));
        try (VideoEncoder encoder = result.encoder()) {
            assertNotNull(encoder);
            final EncoderSelection.Attempt nvenc = result.attempts().get(0);
            assertEquals("h264_nvenc", nvenc.encoder());
            if (nvenc.outcome() == EncoderSelection.Attempt.Outcome.OPENED) {
                assertEquals("h264_nvenc", encoder.name(), "with an NVIDIA driver NVENC comes first");
                return;
            }
            // No GPU driver here: the reason is FFmpeg's, and libx264 is next in line.
            assertFalse(nvenc.reason().isBlank());
            assertTrue(nvenc.reason().contains("avcodec_open2"), nvenc.reason());
            assertEquals("libx264", encoder.name());
            assertEquals(List.of(EncoderSelection.Attempt.Outcome.FAILED, EncoderSelection.Attempt.Outcome.OPENED,
                EncoderSelection.Attempt.Outcome.NOT_TRIED), result.attempts().stream().map(EncoderSelection.Attempt::outcome).toList());
            assertTrue(result.summary().startsWith("libx264 (fell back from h264_nvenc: "), result.summary());
        }
    }

    @Test
    void shouldOpenLaterCandidatesAndExplainEveryFailure() {
        final EncoderSelection.Result result = EncoderSelection.open(config(new JsonObject()
            .put("candidates", new JsonArray().add("no_such_encoder").add("libx265").add("libopenh264"))));
        try (VideoEncoder encoder = result.encoder()) {
            assertEquals("libopenh264", encoder.name());
            assertEquals("not in this FFmpeg build", result.attempts().get(0).reason());
            assertEquals("encodes hevc, not h264", result.attempts().get(1).reason());
        }
    }

    @Test
    void shouldReportNoEncoderWhenNoneOpens() {
        final EncoderSelection.Result result = EncoderSelection.open(config(new JsonObject()
            .put("candidates", new JsonArray().add("libx264")).put("options",
                new JsonObject().put("libx264", new JsonObject().put("preset", "no-such-preset")))));
        assertNull(result.encoder());
        assertTrue(result.summary().startsWith("no candidate opened: libx264: "), result.summary());
        assertTrue(result.attempts().get(0).reason().contains("no-such-preset"), result.attempts().get(0).reason());
    }

    @Test
    void shouldListEncodersAndWhichOpenAsJson() {
        final StringWriter text = new StringWriter();
        final int exit = new CommandLine(new EncodersCommand()).setOut(new PrintWriter(text))
            .execute("--json", "--width", "320", "--height", "180");
        assertEquals(0, exit);
        final JsonObject report = new JsonObject(text.toString());
        assertTrue(report.getString("ffmpeg").startsWith("FFmpeg 8.0"), report.getString("ffmpeg"));
        final JsonObject x264 = find(report, "libx264");
        assertEquals(true, x264.getBoolean("opens"));
        assertEquals("h264", x264.getString("codec"));
        assertEquals(true, find(report, "libx265").getBoolean("opens"));
        assertEquals("hevc", find(report, "libx265").getString("codec"));
        final JsonObject nvenc = find(report, "h264_nvenc");
        if (!nvenc.getBoolean("opens")) {
            assertFalse(nvenc.getString("reason").isBlank());
            assertEquals("libx264", report.getJsonObject("selection").getJsonObject("h264").getString("chosen"));
        }
        assertEquals(new JsonArray().add("hevc_nvenc").add("libx265"),
            report.getJsonObject("selection").getJsonObject("hevc").getJsonArray("order"));
    }

    @Test
    void shouldPrintUsageForHelp() {
        final StringWriter text = new StringWriter();
        assertEquals(0, new CommandLine(new EncodersCommand()).setOut(new PrintWriter(text)).execute("--help"));
        assertTrue(text.toString().startsWith("Usage: encoders"), text.toString());
        assertTrue(text.toString().contains("--bench"));
    }

    private static JsonObject find(final JsonObject report, final String name) {
        for (final Object o : report.getJsonArray("encoders")) {
            if (((JsonObject) o).getString("name").equals(name)) {
                return (JsonObject) o;
            }
        }
        throw new AssertionError("not listed: " + name + " in " + report.encodePrettily());
    }
}
