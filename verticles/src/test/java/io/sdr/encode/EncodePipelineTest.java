package io.sdr.encode;

import org.junit.jupiter.api.extension.RegisterExtension;
import io.sdr.testing.Closer;
import io.sdr.testing.FfProbe.Probe;
import io.sdr.ring.RingReader;
import io.sdr.ring.RingWriter;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.sdr.testing.FfProbe.ffprobe;
import static io.sdr.testing.FfProbe.ffprobeAvailable;
import static io.sdr.encode.EncodeTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Await.eventually;

/**
 * The encoding loop against real FFmpeg encoders and real ring files: what lands in the ring is
 * H.264/HEVC Annex-B a browser can join (first frame an IDR with SPS/PPS, every keyframe flagged
 * and carrying its parameter sets), keyframes come at the GOP and on request, a failed encoder is
 * reopened, and raw frames that cannot be used are counted and skipped.
 */
class EncodePipelineTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();


    private EncodePipeline start(final EncoderConfig config, final EncoderStats stats) {
        final EncodePipeline pipeline = closer.track(new EncodePipeline(config, stats, timer("encode"), timer("ring")));
        pipeline.start();
        return pipeline;
    }

    @Test
    void shouldWriteJoinableH264WithKeyframesAtTheGop() throws Exception {
        final Path ring = dir.resolve("frames");
        final RingReader reader = closer.track(reader(ring));
        final EncoderStats stats = new EncoderStats("main");
        start(config(ring, new JsonObject().put("width", 320).put("height", 180).put("fps", 60).put("gop", 10)), stats);

        final List<RingFrame> frames = collect(reader, 35);
        assertEquals("libx264", stats.encoder(), "no GPU here: NVENC falls back to libx264");
        assertEquals(EncoderSelection.Attempt.Outcome.FAILED, stats.candidates().get(0).outcome());
        assertEquals("h264_nvenc", stats.candidates().get(0).encoder());
        for (int i = 0; i < frames.size(); i++) {
            final RingFrame frame = frames.get(i);
            final List<Integer> nals = nalTypes(frame.payload(), false);
            assertEquals(1, frame.codec(), "codec H.264");
            assertTrue(startsWithStartCode(frame.payload()), "Annex-B start code first");
            assertEquals(i % 10 == 0, frame.keyframe(), "keyframe flag of frame " + i + " (gop 10)");
            assertEquals(i % 10 == 0, nals.contains(5), "IDR slice in frame " + i + ": " + nals);
            if (frame.keyframe()) {
                assertTrue(nals.indexOf(7) >= 0 && nals.indexOf(8) > nals.indexOf(7) && nals.indexOf(5) > nals.indexOf(8),
                    "SPS, PPS, then IDR in keyframe " + i + ": " + nals);
            } else {
                assertTrue(nals.stream().allMatch(t -> t == 1 || t == 6 || t == 9), "only non-IDR slices: " + nals);
            }
            assertEquals(frames.get(0).frameId() + i, frame.frameId(), "one access unit per picture, in order");
        }
        if (ffprobeAvailable()) {
            final Probe probe = ffprobe(writeStream(dir.resolve("out.h264"), frames), "h264");
            assertEquals("", probe.errors(), "decodes without errors");
            assertEquals(new Probe("h264", 320, 180, 35, probe.keyframes(), probe.pictTypes(), ""), probe);
            for (int i = 0; i < 35; i++) {
                assertEquals(i % 10 == 0, probe.keyframes().get(i), "decoded keyframe " + i);
            }
        }
    }

    @Test
    void shouldForceAnIdrOnTheNextFrameWhenAKeyframeIsRequested() throws Exception {
        final Path ring = dir.resolve("frames");
        final RingReader reader = closer.track(reader(ring));
        final EncoderStats stats = new EncoderStats("main");
        final EncodePipeline pipeline = start(config(ring, new JsonObject().put("width", 320).put("height", 180)
            .put("fps", 60).put("gop", 10_000)), stats);

        final List<RingFrame> frames = new ArrayList<>(collect(reader, 5));
        final long requestedAt = stats.frames(); // index of the next frame to be written
        pipeline.requestKeyframe("test");
        pipeline.requestKeyframe("coalesced into the same IDR");
        frames.addAll(collect(reader, (int) requestedAt - 5 + 6));

        final List<Integer> keyframes = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).keyframe()) {
                keyframes.add(i);
                assertTrue(nalTypes(frames.get(i).payload(), false).containsAll(List.of(7, 8, 5)));
            }
        }
        assertEquals(2, keyframes.size(), "the first frame and one forced IDR: " + keyframes);
        assertEquals(0, keyframes.get(0));
        // The frame in flight when the request came may still be a P frame; the one after is the IDR.
        assertTrue(keyframes.get(1) >= requestedAt && keyframes.get(1) <= requestedAt + 1,
            "IDR at frame " + keyframes.get(1) + ", requested before frame " + requestedAt);
        assertEquals(1, stats.forcedKeyframes());
        assertEquals(2, stats.keyframeRequests());
        if (ffprobeAvailable()) {
            final Probe probe = ffprobe(writeStream(dir.resolve("forced.h264"), frames), "h264");
            assertEquals("", probe.errors());
            assertEquals("I", probe.pictTypes().get(keyframes.get(1)));
            assertTrue(probe.keyframes().get(keyframes.get(1)));
        }
    }

    @Test
    void shouldReopenTheEncoderAfterAFailureAndRestartWithAnIdr() throws Exception {
        final Path ring = dir.resolve("frames");
        final RingReader reader = closer.track(reader(ring));
        final EncoderStats stats = new EncoderStats("main");
        final EncodePipeline pipeline = start(config(ring, new JsonObject().put("width", 320).put("height", 180)
            .put("fps", 60).put("gop", 10_000)), stats);

        final List<RingFrame> frames = new ArrayList<>(collect(reader, 5));
        pipeline.injectFault();
        eventually("encoder reopened", () -> stats.restarts() == 1 && stats.state() == EncoderStats.State.RUNNING);
        frames.addAll(collect(reader, 10));

        assertTrue(stats.errors() >= 1);
        assertTrue(stats.lastError().contains("injected fault"), stats.lastError());
        final int restartedAt = (int) frames.stream().skip(1).filter(RingFrame::keyframe).count();
        assertEquals(1, restartedAt, "exactly one keyframe after the first: the reopened encoder's IDR");
        for (int i = 1; i < frames.size(); i++) {
            assertEquals(frames.get(i - 1).seq() + 1, frames.get(i).seq(), "ring sequence continues across the restart");
        }
        if (ffprobeAvailable()) {
            final Probe probe = ffprobe(writeStream(dir.resolve("restart.h264"), frames), "h264");
            assertEquals("", probe.errors(), "the stream decodes across the encoder restart");
            assertEquals(frames.size(), probe.frames());
        }
    }

    @Test
    void shouldFallBackToTheNextCandidateWhenAnEncoderFailsBeforeItsFirstFrame() throws Exception {
        final Path ring = dir.resolve("frames");
        final RingReader reader = closer.track(reader(ring));
        final EncoderStats stats = new EncoderStats("main");
        final EncodePipeline pipeline = closer.track(new EncodePipeline(config(ring, new JsonObject().put("width", 320).put("height", 180)
            .put("fps", 60).put("candidates", new io.vertx.core.json.JsonArray().add("libx264").add("libopenh264"))),
            stats, timer("encode"), timer("ring")));
        pipeline.injectFault(); // libx264 opens, then fails on its first picture
        pipeline.start();

        final List<RingFrame> frames = collect(reader, 5);
        assertEquals("libopenh264", stats.encoder());
        assertEquals("failed after opening: libx264: injected fault", stats.candidates().get(0).reason());
        assertEquals(1, stats.restarts());
        assertTrue(frames.get(0).keyframe());
        assertTrue(nalTypes(frames.get(0).payload(), false).containsAll(List.of(7, 8, 5)), "openh264 keyframe with SPS/PPS");
    }

    @Test
    void shouldEncodeHevcWithParameterSetsBeforeEveryKeyframe() throws Exception {
        final Path ring = dir.resolve("frames");
        final RingReader reader = closer.track(reader(ring));
        final EncoderStats stats = new EncoderStats("main");
        start(config(ring, new JsonObject().put("codec", "hevc").put("width", 320).put("height", 180)
            .put("fps", 60).put("gop", 8)), stats);

        final List<RingFrame> frames = collect(reader, 17);
        assertEquals("libx265", stats.encoder(), "hevc_nvenc falls back to libx265");
        for (int i = 0; i < frames.size(); i++) {
            final List<Integer> nals = nalTypes(frames.get(i).payload(), true);
            assertEquals(2, frames.get(i).codec());
            assertEquals(i % 8 == 0, frames.get(i).keyframe(), "keyframe " + i + ": " + nals);
            if (frames.get(i).keyframe()) {
                assertTrue(nals.containsAll(List.of(32, 33, 34)), "VPS, SPS, PPS in keyframe " + i + ": " + nals);
            }
        }
        if (ffprobeAvailable()) {
            final Probe probe = ffprobe(writeStream(dir.resolve("out.hevc"), frames), "hevc");
            assertEquals("", probe.errors());
            assertEquals(List.of("hevc", 320, 180, 17), List.of(probe.codec(), probe.width(), probe.height(), probe.frames()));
        }
    }

    @Test
    void shouldCountAndSkipBadRawFramesAndEncodeTheGoodOnes() throws Exception {
        final Path raw = dir.resolve("raw");
        final Path ring = dir.resolve("frames");
        final RingReader reader = closer.track(reader(ring));
        final RingWriter rawWriter = closer.track(RingWriter.createV2(raw, 8, 256 * 1024));
        final EncoderStats stats = new EncoderStats("main");
        start(config(ring, new JsonObject().put("width", 160).put("height", 96).put("source", "ring")
            .put("sourcePath", raw.toString())), stats);
        eventually("encoder open", () -> stats.encoder() != null);

        final int w = 64;
        final int h = 48;
        writeRaw(rawWriter, RawFrameDescriptor.CODEC_RGB24, RawFrameDescriptor.MAGIC, w, h, w * h * 3);
        eventually("first good frame", () -> stats.rawFrames() == 1);
        writeRaw(rawWriter, RawFrameDescriptor.CODEC_RGB24, RawFrameDescriptor.MAGIC, w, h, w * h * 3 - 1);
        eventually("wrong size counted", () -> stats.rawRejected(EncoderStats.RawRejection.BAD_SIZE) == 1);
        writeRaw(rawWriter, 40, RawFrameDescriptor.MAGIC, w, h, w * h * 3);
        eventually("unknown format counted", () -> stats.rawRejected(EncoderStats.RawRejection.UNKNOWN_FORMAT) == 1);
        writeRaw(rawWriter, RawFrameDescriptor.CODEC_I420, 0x12345678, w, h, w * h * 3 / 2);
        eventually("bad magic counted", () -> stats.rawRejected(EncoderStats.RawRejection.BAD_HEADER) == 1);
        writeRaw(rawWriter, RawFrameDescriptor.CODEC_I420, RawFrameDescriptor.MAGIC, 0, h, 0);
        eventually("zero width counted", () -> stats.rawRejected(EncoderStats.RawRejection.BAD_HEADER) == 2);
        writeRaw(rawWriter, RawFrameDescriptor.CODEC_I420, RawFrameDescriptor.MAGIC, w, h, w * h * 3 / 2);
        eventually("second good frame", () -> stats.rawFrames() == 2);

        final List<RingFrame> frames = collect(reader, 2);
        assertTrue(frames.get(0).keyframe());
        assertEquals(List.of(1L, 6L), List.of(frames.get(0).frameId(), frames.get(1).frameId()), "raw frame ids carried over");
        assertEquals(2, stats.frames());
        assertEquals(0, stats.errors(), "bad input is not an encoder error");
        assertNotNull(stats.lastRawProblem());
        if (ffprobeAvailable()) {
            final Probe probe = ffprobe(writeStream(dir.resolve("raw.h264"), frames), "h264");
            assertEquals("", probe.errors());
            assertEquals(List.of(160, 96, 2), List.of(probe.width(), probe.height(), probe.frames()));
        }
    }

    /** A raw frame (docs/RING-RAW.md) with a grey gradient; {@code pixelBytes} may lie on purpose. */
    private static void writeRaw(final RingWriter writer, final int codec, final int magic, final int width,
                                 final int height, final int pixelBytes) {
        final ByteBuffer payload = ByteBuffer.allocateDirect(RawFrameDescriptor.HEADER_LENGTH + pixelBytes)
            .order(ByteOrder.LITTLE_ENDIAN);
        payload.putInt(magic).putInt(width).putInt(height).putInt(0);
        for (int i = 0; i < pixelBytes; i++) {
            payload.put((byte) (i * 7));
        }
        writer.write(writer.lastFrameSeq() + 1, 1, codec, new UnsafeBuffer(payload), 0, payload.capacity());
    }

    /** Another process's writer: a frame every 10 ms on its own thread until closed. */
    private static final class OtherWriter implements AutoCloseable {
        private final RingWriter writer;
        private final Thread thread;
        private volatile boolean running = true;

        OtherWriter(final Path ring) {
            writer = RingWriter.createV2(ring, 8, 4096);
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[100]);
            thread = new Thread(() -> {
                while (running) {
                    writer.write(payload, 0, 100, 1, writer.lastFrameSeq() % 30 == 0);
                    java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
                }
            }, "other-writer");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
            writer.close();
        }
    }

    private static Object fileKey(final Path path) throws java.io.IOException {
        return java.nio.file.Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    }

    @Test
    void shouldStandByInsteadOfTakingARingAnotherWriterIsWriting() throws Exception {
        final Path ring = dir.resolve("frames");
        final OtherWriter simulator = closer.track(new OtherWriter(ring));
        final Object key = fileKey(ring);
        final EncoderStats stats = new EncoderStats("main");
        start(config(ring, new JsonObject().put("width", 320).put("height", 180)), stats);

        eventually("encoder stands by", () -> stats.state() == EncoderStats.State.STANDBY);
        assertTrue(stats.standbyReason().contains("is being written by another writer"), stats.standbyReason());
        assertEquals(0, stats.frames());
        assertEquals(key, fileKey(ring), "the simulator's ring was not replaced");
        final long before = simulator.writer.lastFrameSeq();
        eventually("the simulator keeps writing its ring", () -> simulator.writer.lastFrameSeq() > before + 5);
        assertEquals(key, fileKey(ring));
    }

    @Test
    void shouldStandByWhenAnotherWriterReplacesItsRing() throws Exception {
        final Path ring = dir.resolve("frames");
        final RingReader reader = closer.track(reader(ring));
        final EncoderStats stats = new EncoderStats("main");
        start(config(ring, new JsonObject().put("width", 320).put("height", 180).put("fps", 60)), stats);
        collect(reader, 5);

        final OtherWriter simulator = closer.track(new OtherWriter(ring));
        final Object key = fileKey(ring);
        eventually("encoder stands by", () -> stats.state() == EncoderStats.State.STANDBY);
        assertTrue(stats.standbyReason().contains("re-created by another writer"), stats.standbyReason());
        final long frames = stats.frames();
        java.util.concurrent.locks.LockSupport.parkNanos(300_000_000L);
        assertEquals(frames, stats.frames(), "no more encoding");
        assertEquals(key, fileKey(ring), "the ring stays the other writer's");
        assertTrue(simulator.writer.lastFrameSeq() > 0);
    }

    @Test
    void shouldTakeOverAnIdleRingLeftByAPreviousWriter() throws Exception {
        final Path ring = dir.resolve("frames");
        try (RingWriter previous = RingWriter.createV2(ring, 8, 4096)) {
            previous.write(new UnsafeBuffer(new byte[10]), 0, 10, 1, true);
        }
        final Object key = fileKey(ring);
        final RingReader reader = closer.track(reader(ring));
        final EncoderStats stats = new EncoderStats("main");
        start(config(ring, new JsonObject().put("width", 320).put("height", 180).put("fps", 60)), stats);

        eventually("encoding", () -> stats.frames() >= 3);
        assertEquals(EncoderStats.State.RUNNING, stats.state());
        assertNotEquals(key, fileKey(ring), "a fresh ring replaced the idle one");
        final List<RingFrame> frames = collect(reader, 3);
        assertTrue(frames.stream().anyMatch(f -> f.codec() == 1 && nalTypes(f.payload(), false).contains(5)));
    }

    @Test
    void shouldKeepRetryingWhenNoCandidateOpens() {
        final Path ring = dir.resolve("frames");
        final EncoderStats stats = new EncoderStats("main");
        start(config(ring, new JsonObject().put("width", 320).put("height", 180)
            .put("candidates", new io.vertx.core.json.JsonArray().add("no_such_encoder").add("libx265"))), stats);

        eventually("several failed attempts", () -> stats.errors() >= 3);
        assertEquals(EncoderStats.State.RETRYING, stats.state());
        assertEquals(null, stats.encoder());
        assertEquals("not in this FFmpeg build", stats.candidates().get(0).reason());
        assertTrue(stats.candidates().get(1).reason().startsWith("encodes hevc, not h264"), stats.candidates().get(1).reason());
        assertFalse(stats.lastError().isEmpty());
    }
}
