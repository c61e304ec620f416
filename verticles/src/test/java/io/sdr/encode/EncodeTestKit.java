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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;
import io.sdr.testing.Await;

/**
 * Shared pieces of the encoder tests: frames read back from a real ring file, an Annex-B NAL
 * scanner written independently of {@link AnnexB}, and {@link io.sdr.testing.FfProbe} as the judge of
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
}
