package io.sdr.record;

import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.ring.FrameHeaderDescriptor;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static io.sdr.mcap.McapDescriptor.MAGIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous recording into real files: the open Chunk reaches the disk after {@code chunkMs} even
 * when no further message comes (so a kill -9 loses at most that much), segments rotate at a
 * keyframe past {@code segmentBytes}, and the oldest of ours go when the directory is over
 * {@code maxDiskBytes}. (tests/ ClipEndToEndTest reads such files with the MCAP project's reader.)
 */
class SegmentRecorderTest {
    private static final Random RANDOM = new Random(18);

    @TempDir
    Path dir;

    private final List<Frame> made = new ArrayList<>();

    @AfterEach
    void releaseOwnReferences() {
        made.forEach(Frame::release);
    }

    private Frame frame(final long seq, final boolean key, final int payload) {
        final long now = System.nanoTime();
        final Frame f = Frame.allocate("main", seq, seq, key ? 1 : 0, FrameHeaderDescriptor.CODEC_H264, now, now,
            1 + 32 + payload);
        // Incompressible, like H.264: zeros would shrink to nothing in a zstd Chunk.
        final byte[] noise = new byte[payload];
        RANDOM.nextBytes(noise);
        f.wire().setBytes(f.wireLength() - payload, noise);
        made.add(f);
        return f;
    }

    private SegmentRecorder recorder(final JsonObject settings) throws IOException {
        return new SegmentRecorder(RecordingConfig.from(settings.put("dir", dir.toString())));
    }

    /** Whether the file on disk ends with the closing magic: its summary and Footer were written. */
    private static boolean closed(final Path file) throws IOException {
        final byte[] f = Files.readAllBytes(file);
        return f.length > 2 * MAGIC.length && Arrays.equals(MAGIC, Arrays.copyOfRange(f, f.length - MAGIC.length, f.length));
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> SegmentRecorder.SEGMENT_NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
    }

    @Test
    void shouldWriteTheOpenChunkAfterChunkMsWithoutAnotherMessage() throws Exception {
        try (SegmentRecorder r = recorder(new JsonObject().put("chunkMs", 50))) {
            r.onFrame(frame(1, true, 20_000));
            r.onTelemetry(Telemetry.encode("telemetry.pose", "{\"x\":1}".getBytes(StandardCharsets.UTF_8), System.nanoTime()));
            final Path open = segments().get(0);
            final long opened = Files.size(open); // Header, Schema and the two Channels
            assertTrue(opened < 20_000, "younger than chunkMs: the frame is still in memory, " + opened + " bytes on disk");
            r.tick();
            assertEquals(opened, Files.size(open), "the timer before chunkMs writes nothing");
            Thread.sleep(60);
            r.tick(); // the recording verticle's timer
            final long chunked = Files.size(open);
            assertTrue(chunked > opened + 20_000, "the Chunk with the frame is on disk: " + opened + " -> " + chunked);
            assertFalse(closed(open), "the segment is still open");
            Thread.sleep(60);
            r.tick();
            assertEquals(chunked, Files.size(open), "an empty Chunk is never written");
        }
    }

    @Test
    void shouldStartAtAKeyframeAndRotateAtTheFirstKeyframePastSegmentBytes() throws Exception {
        try (SegmentRecorder r = recorder(new JsonObject().put("segmentBytes", 1 << 20).put("maxDiskBytes", 64 << 20)
            .put("chunkBytes", 64 << 10))) {
            r.onFrame(frame(1, false, 1000));
            assertEquals(List.of(), segments(), "no segment before a keyframe");
            long seq = 2;
            for (int gop = 0; gop < 6; gop++) {
                for (int i = 0; i < 10; i++) {
                    r.onFrame(frame(seq++, i == 0, 30_000)); // 300 KB per GOP: a new segment every fourth
                }
            }
            final List<Path> files = segments();
            assertEquals(2, files.size(), "rotated once: " + files);
            assertEquals(2, r.segmentsWritten());
            assertTrue(closed(files.get(0)), "the first one closed with its summary");
            assertFalse(closed(files.get(1)), "the second one is open");
            assertTrue(Files.size(files.get(0)) >= 1 << 20 && Files.size(files.get(0)) < (1 << 20) + 400_000,
                "closed at the keyframe after 1 MiB: " + Files.size(files.get(0)));
        }
    }

    @Test
    void shouldDeleteOnlyTheOldestOfOurSegmentsOverMaxDiskBytes() throws Exception {
        final Path oldest = Files.write(dir.resolve("sdr-20200101T000000.000Z.mcap"), new byte[1 << 20]);
        final Path foreign = Files.write(dir.resolve("keep.mcap"), new byte[4 << 20]);
        try (SegmentRecorder r = recorder(new JsonObject().put("segmentBytes", 1 << 20).put("maxDiskBytes", 2 << 20)
            .put("chunkBytes", 64 << 10))) {
            long seq = 1;
            for (int gop = 0; gop < 4; gop++) {
                for (int i = 0; i < 10; i++) {
                    r.onFrame(frame(seq++, i == 0, 30_000));
                }
            }
            assertFalse(Files.exists(oldest), "over 2 MiB with the open segment: the oldest goes");
            assertTrue(Files.exists(foreign), "not named like a segment: never deleted");
            assertEquals(1, r.segmentsDeleted());
            assertTrue(r.diskBytes() <= 2 << 20, "bounded: " + r.diskBytes());
        }
    }
}
