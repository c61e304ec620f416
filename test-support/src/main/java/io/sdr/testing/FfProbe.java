package io.sdr.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ffprobe (Debian's ffmpeg package) as the judge of whether an elementary stream decodes: an
 * independent decoder, so a test never checks our encoder's output with our own parser alone.
 * Static-import friendly: {@code ffprobeAvailable()}, {@code ffprobe(file, "h264")}.
 */
public final class FfProbe {
    private static final long LIMIT_SECONDS = 60;

    private FfProbe() {
    }

    /**
     * What ffprobe decoded: the stream's codec and size, the frames it read, each frame's key flag
     * and picture type (I, P, B) in order, and whatever it printed on stderr ("" when it had no complaint).
     */
    public record Probe(String codec, int width, int height, int frames, List<Boolean> keyframes, List<String> pictTypes,
                        String errors) {
    }

    /** True when ffprobe is installed (scripts/test-all.sh installs it). */
    public static boolean ffprobeAvailable() {
        return ChildProcess.works("ffprobe", "-version");
    }

    /** Decodes every frame of {@code file}, an elementary stream of {@code format} ({@code h264}, {@code hevc}). */
    public static Probe ffprobe(final Path file, final String format) throws IOException, InterruptedException {
        final Path errors = Files.createTempFile("ffprobe", ".err");
        try {
            final Process p = new ProcessBuilder("ffprobe", "-v", "error", "-f", format, "-count_frames",
                "-show_entries", "stream=codec_name,width,height,nb_read_frames:frame=key_frame,pict_type",
                "-of", "json", file.toString())
                .redirectError(errors.toFile()).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("ffprobe did not finish within " + LIMIT_SECONDS + " s: " + file);
            }
            final JsonObject json = new JsonObject(out);
            final JsonObject stream = json.getJsonArray("streams").getJsonObject(0);
            final List<Boolean> keys = new ArrayList<>();
            final List<String> types = new ArrayList<>();
            json.getJsonArray("frames").forEach(f -> {
                keys.add(((JsonObject) f).getInteger("key_frame") == 1);
                types.add(((JsonObject) f).getString("pict_type"));
            });
            return new Probe(stream.getString("codec_name"), stream.getInteger("width"), stream.getInteger("height"),
                Integer.parseInt(stream.getString("nb_read_frames")), keys, types, Files.readString(errors).strip());
        } finally {
            Files.deleteIfExists(errors);
        }
    }
}
