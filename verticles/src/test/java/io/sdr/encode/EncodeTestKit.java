package io.sdr.encode;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sdr.ring.FrameInfo;
import io.sdr.ring.PollOutcome;
import io.sdr.ring.RingReader;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;
import io.sdr.testing.Await;

/**
 * Shared pieces of the encoder tests: frames read back from a real ring file, an Annex-B NAL
 * scanner written independently of {@link AnnexB}, and ffprobe (Debian's ffmpeg) as the judge of
 * decodability. Every wait is bounded by {@link #PATIENCE}; nothing asserts how long anything took.
 */
final class EncodeTestKit {
    static final Duration PATIENCE = Duration.ofSeconds(60);

    private EncodeTestKit() {
    }

    /** One frame as read back from the ring. */
    record RingFrame(long seq, long frameId, int flags, int codec, byte[] payload) {
        boolean keyframe() {
            return (flags & 1) != 0;
        }
    }

    static Timer timer(final String name) {
        return Timer.builder(name).register(new SimpleMeterRegistry());
    }

    /** The default configuration with {@code overrides} applied, writing {@code ring}. */
    static EncoderConfig config(final Path ring, final JsonObject overrides) {
        return EncoderConfig.from(new JsonObject().put("path", ring.toString()).put("ringSlotCount", 512)
            .put("ringSlotSize", 256 * 1024).put("retryInitialMs", 50).put("retryMaxMs", 400).mergeIn(overrides));
    }

    /** A reader that sees every frame of a ring from its first keyframe (create it before the writer starts). */
    static RingReader reader(final Path ring) {
        return new RingReader(ring, RingReader.Options.DEFAULTS.withFileCheckIntervalNs(1_000_000));
    }

    /** Reads until {@code count} frames arrived (fails after {@link #PATIENCE}). */
    static List<RingFrame> collect(final RingReader reader, final int count) {
        final List<RingFrame> frames = new ArrayList<>();
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4 << 20));
        final long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (frames.size() < count) {
            if (reader.poll(buffer, 0) == PollOutcome.FRAME) {
                final FrameInfo info = reader.frame();
                final byte[] payload = new byte[info.size()];
                buffer.getBytes(32, payload);
                frames.add(new RingFrame(info.frameSeq(), info.frameId(), info.flags(), info.codec(), payload));
                continue;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("only " + frames.size() + " of " + count + " frames within " + PATIENCE.toSeconds() + " s; counters="
                    + reader.counters());
            }
            LockSupport.parkNanos(1_000_000);
        }
        return frames;
    }

    static void eventually(final String what, final BooleanSupplier condition) {
        Await.eventually(PATIENCE, what, condition);
    }

    /** NAL unit types of an Annex-B access unit, in order (an independent scanner, not {@link AnnexB}). */
    static List<Integer> nalTypes(final byte[] au, final boolean hevc) {
        final List<Integer> types = new ArrayList<>();
        for (int i = 0; i + 3 < au.length; i++) {
            if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1) {
                final int header = au[i + 3] & 0xFF;
                types.add(hevc ? (header >> 1) & 0x3F : header & 0x1F);
                i += 3;
            }
        }
        return types;
    }

    static boolean startsWithStartCode(final byte[] au) {
        return au.length > 4 && au[0] == 0 && au[1] == 0 && (au[2] == 1 || (au[2] == 0 && au[3] == 1));
    }

    static Path writeStream(final Path file, final List<RingFrame> frames) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final RingFrame frame : frames) {
            out.write(frame.payload());
        }
        return Files.write(file, out.toByteArray());
    }

    /** True when Debian's ffprobe is installed (scripts/test-all.sh installs it). */
    static boolean ffprobeAvailable() {
        try {
            final Process p = new ProcessBuilder("ffprobe", "-version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What ffprobe decoded from a raw Annex-B file. */
    record Probe(String codec, int width, int height, int frames, List<Boolean> keyframes, List<String> pictTypes, String errors) {
    }

    /** Decodes every frame of {@code file} ({@code h264} or {@code hevc} elementary stream) with ffprobe. */
    static Probe ffprobe(final Path file, final String format) throws IOException, InterruptedException {
        final Path errors = Files.createTempFile("ffprobe", ".err");
        try {
            final Process p = new ProcessBuilder("ffprobe", "-v", "error", "-f", format, "-count_frames",
                "-show_entries", "stream=codec_name,width,height,nb_read_frames:frame=key_frame,pict_type",
                "-of", "json", file.toString())
                .redirectError(errors.toFile()).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("ffprobe did not finish: " + file);
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
                Integer.parseInt(stream.getString("nb_read_frames")), keys, types,
                Files.readString(errors).strip());
        } finally {
            Files.deleteIfExists(errors);
        }
    }
}
