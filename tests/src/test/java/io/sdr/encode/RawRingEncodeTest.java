package io.sdr.encode;

import io.sdr.testing.FfProbe.Probe;
import io.sdr.testing.ChildProcess;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sdr.ring.FrameInfo;
import io.sdr.ring.PollOutcome;
import io.sdr.ring.RingReader;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static io.sdr.testing.FfProbe.ffprobe;
import static io.sdr.testing.FfProbe.ffprobeAvailable;
import static io.sdr.encode.EncoderTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.testing.RepoPaths.repoRoot;

/**
 * The simulator's path: raw pictures written by the Python package ({@code RingWriter.write_raw},
 * via {@code python3 -m sdr_ring write-raw}) into a raw ring, converted with swscale (and scaled)
 * by the encoder, encoded and written to the stream's ring as H.264 that ffprobe decodes.
 */
class RawRingEncodeTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"rgb24", "i420"})
    void shouldEncodeRawFramesWrittenByThePythonWriter(final String format) throws Exception {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
        final Path raw = dir.resolve("raw");
        final Path frames = dir.resolve("frames");
        final EncoderConfig config = EncoderConfig.from(new JsonObject().put("path", frames.toString())
            .put("source", "ring").put("sourcePath", raw.toString()).put("width", 256).put("height", 144)
            .put("fps", 30).put("gop", 15).put("ringSlotCount", 256).put("ringSlotSize", 256 * 1024));
        final EncoderStats stats = new EncoderStats("main");
        final Timer timer = Timer.builder("t").register(new SimpleMeterRegistry());
        final List<byte[]> accessUnits = new ArrayList<>();
        final List<Boolean> keyflags = new ArrayList<>();
        final List<Long> frameIds = new ArrayList<>();
        try (ChildProcess writer = ChildProcess.start("raw-writer-" + format, List.of("python3", "-m", "sdr_ring", "write-raw",
                 "--path", raw.toString(), "--width", "320", "--height", "240", "--format", format, "--fps", "30"),
                 Map.of("PYTHONPATH", repoRoot().resolve("shm-worker/python").toString()), repoRoot().resolve("shm-worker/python"));
             RingReader reader = new RingReader(frames);
             EncodePipeline pipeline = new EncodePipeline(config, stats, timer, timer)) {
            pipeline.start();
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20));
            final long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (accessUnits.size() < 30) {
                if (reader.poll(buffer, 0) == PollOutcome.FRAME) {
                    final FrameInfo info = reader.frame();
                    final byte[] au = new byte[info.size()];
                    buffer.getBytes(32, au);
                    accessUnits.add(au);
                    keyflags.add(info.isKeyframe());
                    frameIds.add(info.frameId());
                    continue;
                }
                if (System.nanoTime() - deadline > 0 || !writer.process.isAlive()) {
                    fail("encoded " + accessUnits.size() + " of 30; stats=" + stats.toJson(System.nanoTime()).encode()
                        + "; writer: " + writer.output());
                }
                LockSupport.parkNanos(2_000_000);
            }
        }
        assertTrue(keyflags.get(0), "the first frame is a keyframe");
        assertTrue(nalTypes(accessUnits.get(0)).containsAll(List.of(7, 8, 5)), "SPS, PPS, IDR: " + nalTypes(accessUnits.get(0)));
        for (int i = 1; i < frameIds.size(); i++) {
            assertTrue(frameIds.get(i) > frameIds.get(i - 1), "the simulator's frame ids, in order: " + frameIds);
        }
        assertTrue(stats.rawFrames() >= 30);
        for (final EncoderStats.RawRejection why : List.of(EncoderStats.RawRejection.BAD_SIZE, EncoderStats.RawRejection.BAD_HEADER,
            EncoderStats.RawRejection.UNKNOWN_FORMAT, EncoderStats.RawRejection.CRC_ERROR, EncoderStats.RawRejection.TOO_LARGE)) {
            assertEquals(0, stats.rawRejected(why), why.name());
        }
        if (ffprobeAvailable()) {
            final Probe probe = ffprobe(writeStream(dir.resolve("raw-" + format + ".h264"), accessUnits), "h264");
            assertEquals("", probe.errors(), "decodes without errors");
            assertEquals(List.of("h264", 256, 144, 30), List.of(probe.codec(), probe.width(), probe.height(), probe.frames()));
            assertTrue(probe.keyframes().get(0));
        }
    }
}
