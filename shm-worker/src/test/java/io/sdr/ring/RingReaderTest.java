package io.sdr.ring;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

import static io.sdr.ring.RingTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

class RingReaderTest {
    @TempDir
    Path dir;

    private Path ring() {
        return dir.resolve("frames");
    }

    @Test
    void shouldReadV1FrameWithEveryHeaderField() {
        try (RingWriter writer = RingWriter.createV1(ring(), 1 << 16);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            final UnsafeBuffer payload = patternPayload(1, 1000);
            writer.write(77, FrameHeaderDescriptor.FLAG_KEYFRAME, FrameHeaderDescriptor.CODEC_HEVC, payload, 0, 1000);
            final UnsafeBuffer dst = destination(4096);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 1));
            final FrameInfo frame = reader.frame();
            assertEquals(77, frame.frameId());
            assertEquals(1, frame.frameSeq());
            assertEquals(1000, frame.size());
            assertTrue(frame.isKeyframe());
            assertEquals(FrameHeaderDescriptor.CODEC_HEVC, frame.codec());
            assertEquals(crcOf(payload, 1000), frame.crc32());
            assertEquals(1, frame.layoutVersion());
            assertEquals(0, dst.getByte(0), "bytes before dstOffset untouched");
            assertTrue(patternMatches(dst, 1 + FrameHeaderDescriptor.LENGTH, 1, 1000));
            assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 1));
        }
    }

    @Test
    void shouldReadV2FramesInOrderWithCommitTime() {
        try (RingWriter writer = RingWriter.createV2(ring(), 8, 4096);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            final long before = System.nanoTime();
            for (int s = 1; s <= 5; s++) {
                writer.write(patternPayload(s, 100 + s), 0, 100 + s, FrameHeaderDescriptor.CODEC_H264, s == 1);
            }
            final UnsafeBuffer dst = destination(4096);
            for (int s = 1; s <= 5; s++) {
                assertEquals(PollOutcome.FRAME, reader.poll(dst, 0), "frame " + s);
                assertEquals(s, reader.frame().frameSeq());
                assertEquals(100 + s, reader.frame().size());
                assertTrue(reader.frame().commitNs() >= before);
                assertTrue(patternMatches(dst, FrameHeaderDescriptor.LENGTH, s, 100 + s));
            }
            assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 0));
            assertEquals(5, reader.counters().frames());
            assertEquals(0, reader.counters().framesLost());
        }
    }

    @Test
    void shouldStartAtNewestKeyframeInV2Ring() {
        try (RingWriter writer = RingWriter.createV2(ring(), 8, 1024)) {
            for (int s = 1; s <= 10; s++) {
                writer.write(patternPayload(s, 10), 0, 10, 1, s == 1 || s == 4 || s == 7);
            }
            try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
                assertEquals(List.of(7L, 8L, 9L, 10L), drain(reader));
            }
        }
    }

    @Test
    void shouldWaitForNextKeyframeWhenRingHoldsNone() {
        try (RingWriter writer = RingWriter.createV2(ring(), 4, 1024)) {
            for (int s = 1; s <= 6; s++) {
                writer.write(patternPayload(s, 10), 0, 10, 1, s == 1);
            }
            try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
                assertEquals(List.of(), drain(reader));
                assertTrue(reader.isAwaitingKeyframe());
                writer.write(patternPayload(7, 10), 0, 10, 1, false);
                writer.write(patternPayload(8, 10), 0, 10, 1, true);
                writer.write(patternPayload(9, 10), 0, 10, 1, false);
                assertEquals(List.of(8L, 9L), drain(reader));
                assertEquals(1, reader.counters().get(PollOutcome.SKIPPED_AWAITING_KEYFRAME));
            }
        }
    }

    @Test
    void shouldResyncAtKeyframeWhenLapped() {
        try (RingWriter writer = RingWriter.createV2(ring(), 4, 1024);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            writer.write(patternPayload(1, 10), 0, 10, 1, true);
            assertEquals(List.of(1L), drain(reader));
            for (int s = 2; s <= 12; s++) {
                writer.write(patternPayload(s, 10), 0, 10, 1, s == 10);
            }
            assertEquals(List.of(10L, 11L, 12L), drain(reader));
            assertEquals(1, reader.counters().get(PollOutcome.LAPPED));
            assertTrue(reader.counters().framesLost() >= 5, reader.counters().toString());
        }
    }

    @Test
    void shouldResyncWhenV2WriterRestartsWithNewEpoch() {
        final UnsafeBuffer dst = destination(4096);
        try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            try (RingWriter writer = RingWriter.createV2(ring(), 4, 1024)) {
                for (int s = 1; s <= 3; s++) {
                    writer.write(patternPayload(s, 10), 0, 10, 1, s == 1);
                }
                assertEquals(List.of(1L, 2L, 3L), drain(reader));
            }
            try (RingWriter writer = RingWriter.createV2(ring(), 8, 2048)) {
                writer.write(patternPayload(1, 10), 0, 10, 1, false);
                writer.write(patternPayload(2, 10), 0, 10, 1, true);
                assertEquals(List.of(2L), drain(reader));
            }
            assertTrue(reader.counters().get(PollOutcome.RESYNC) >= 1);
            assertEquals(2, reader.counters().remaps());
        }
        assertNotNull(dst);
    }

    @Test
    void shouldResyncWhenEpochChangesInPlace() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), 4, 1024);
             RingReader reader = new RingReader(ring(), RingReader.Options.DEFAULTS)) {
            writer.write(patternPayload(1, 10), 0, 10, 1, true);
            writer.write(patternPayload(2, 10), 0, 10, 1, false);
            assertEquals(List.of(1L, 2L), drain(reader));
            poke(ring(), RingV2Descriptor.EPOCH_OFFSET, 12345L);
            writer.write(patternPayload(3, 10), 0, 10, 1, false);
            assertEquals(List.of(1L, 2L, 3L), drain(reader), "restarted reader begins at the newest keyframe");
            assertEquals(1, reader.counters().get(PollOutcome.RESYNC));
        }
    }

    @Test
    void shouldDetectV1CrcMismatchAndGapThenGateToKeyframe() throws IOException {
        try (RingWriter writer = RingWriter.createV1(ring(), 1 << 16);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            final UnsafeBuffer dst = destination(1 << 16);
            writer.write(patternPayload(1, 100), 0, 100, 1, true);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            writer.write(patternPayload(2, 100), 0, 100, 1, false);
            pokeByte(ring(), RingV1Descriptor.DATA_OFFSET + FrameHeaderDescriptor.LENGTH + 5, (byte) 0x55);
            assertEquals(PollOutcome.CRC_ERROR, reader.poll(dst, 0));
            assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 0), "a bad commit is counted once");
            writer.write(patternPayload(3, 100), 0, 100, 1, false);
            assertEquals(PollOutcome.SKIPPED_AWAITING_KEYFRAME, reader.poll(dst, 0));
            writer.write(patternPayload(4, 100), 0, 100, 1, false);
            writer.write(patternPayload(5, 100), 0, 100, 1, true);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            assertEquals(5, reader.frame().frameSeq());
            final RingCounters c = reader.counters();
            assertEquals(1, c.get(PollOutcome.CRC_ERROR));
            assertEquals(2, c.get(PollOutcome.LAPPED), c.toString());
            assertEquals(2, c.framesLost(), "frames 2 and 4 never delivered: " + c);
        }
    }

    @Test
    void shouldDeliverCorruptPayloadOnlyWhenCrcIsOff() throws IOException {
        try (RingWriter writer = RingWriter.createV1(ring(), 1 << 16);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY.withCrc(false))) {
            writer.write(patternPayload(1, 100), 0, 100, 1, true);
            pokeByte(ring(), RingV1Descriptor.DATA_OFFSET + FrameHeaderDescriptor.LENGTH, (byte) 0x55);
            assertEquals(PollOutcome.FRAME, reader.poll(destination(4096), 0));
        }
    }

    @Test
    void shouldRejectV1WriteLenOutOfRange() throws IOException {
        try (RingWriter writer = RingWriter.createV1(ring(), 4096);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            writer.write(patternPayload(1, 100), 0, 100, 1, true);
            for (final long writeLen : new long[] {0, 31, 4096 - 15, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
                poke(ring(), RingV1Descriptor.WRITE_LEN_OFFSET, writeLen);
                poke(ring(), RingV1Descriptor.SEQ_OFFSET, 100 + writeLen);
                assertEquals(PollOutcome.BAD_LENGTH, reader.poll(destination(8192), 0), "writeLen=" + writeLen);
            }
            // size field disagreeing with write_len
            poke(ring(), RingV1Descriptor.WRITE_LEN_OFFSET, 32 + 99);
            poke(ring(), RingV1Descriptor.SEQ_OFFSET, 7777);
            assertEquals(PollOutcome.BAD_LENGTH, reader.poll(destination(8192), 0));
        }
    }

    @Test
    void shouldDropFrameLargerThanCallerBuffer() {
        try (RingWriter writer = RingWriter.createV2(ring(), 4, 8192);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            writer.write(patternPayload(1, 5000), 0, 5000, 1, true);
            writer.write(patternPayload(2, 10), 0, 10, 1, false);
            writer.write(patternPayload(3, 10), 0, 10, 1, true);
            final UnsafeBuffer small = destination(1024);
            // Sync starts at the newest keyframe, 3; re-create the situation by starting before frame 1 is written.
            assertEquals(PollOutcome.FRAME, reader.poll(small, 0));
            assertEquals(3, reader.frame().frameSeq());
            writer.write(patternPayload(4, 5000), 0, 5000, 1, false);
            writer.write(patternPayload(5, 10), 0, 10, 1, false);
            writer.write(patternPayload(6, 10), 0, 10, 1, true);
            assertEquals(PollOutcome.BAD_LENGTH, reader.poll(small, 0));
            assertEquals(PollOutcome.SKIPPED_AWAITING_KEYFRAME, reader.poll(small, 0));
            assertEquals(PollOutcome.FRAME, reader.poll(small, 0));
            assertEquals(6, reader.frame().frameSeq());
            assertEquals(1, reader.counters().framesLost());
        }
    }

    @Test
    void shouldReportNotReadyUntilFileAppearsAndWhenTooSmall() throws IOException {
        try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            final UnsafeBuffer dst = destination(1024);
            assertEquals(PollOutcome.NOT_READY, reader.poll(dst, 0));
            Files.write(ring(), new byte[10]);
            assertEquals(PollOutcome.NOT_READY, reader.poll(dst, 0));
            Files.write(ring(), new byte[100]);
            assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 0));
            assertEquals(1, reader.layoutVersion());
        }
    }

    @Test
    void shouldSwitchLayoutWhenFileIsRecreatedAsOtherLayout() {
        try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            try (RingWriter v1 = RingWriter.createV1(ring(), 8192)) {
                v1.write(patternPayload(1, 10), 0, 10, 1, true);
                assertEquals(List.of(1L), drain(reader));
                assertEquals(1, reader.layoutVersion());
            }
            try (RingWriter v2 = RingWriter.createV2(ring(), 4, 1024)) {
                v2.write(patternPayload(1, 10), 0, 10, 1, true);
                v2.write(patternPayload(2, 10), 0, 10, 1, false);
                assertEquals(List.of(1L, 2L), drain(reader));
                assertEquals(2, reader.layoutVersion());
            }
        }
    }

    @Test
    void shouldSurviveFileTruncatedUnderMapping() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), 16, 64 * 1024);
             RingReader reader = new RingReader(ring(), RingReader.Options.DEFAULTS.withFileCheckIntervalNs(Long.MAX_VALUE / 4))) {
            for (int s = 1; s <= 8; s++) {
                writer.write(patternPayload(s, 60_000), 0, 60_000, 1, s == 1);
            }
            final UnsafeBuffer dst = destination(1 << 17);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            // Shrink in place: the mapping now extends past the end of the file (SIGBUS territory).
            try (FileChannel channel = FileChannel.open(ring(), StandardOpenOption.WRITE)) {
                channel.truncate(RingV2Descriptor.SUPERBLOCK_LENGTH + 4096);
            }
            final List<PollOutcome> outcomes = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                outcomes.add(reader.poll(dst, 0));
            }
            assertTrue(outcomes.contains(PollOutcome.FAULT), outcomes.toString());
            assertTrue(reader.lastError() == null || reader.lastError().contains("fault"), reader.lastError());
        }
    }

    @Test
    void shouldNeverThrowOnRandomBytes() throws IOException {
        final java.util.Random random = new java.util.Random(42);
        final UnsafeBuffer dst = destination(1 << 16);
        for (int round = 0; round < 300; round++) {
            final byte[] bytes = new byte[64 + random.nextInt(20_000)];
            random.nextBytes(bytes);
            if (round % 3 == 0) {
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, RingV2Descriptor.MAGIC);
            }
            if (round % 6 == 0 && bytes.length >= 128) {
                final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(8, 2).putInt(12, 2).putInt(16, 64 * (1 + random.nextInt(100)));
            }
            Files.write(ring(), bytes);
            try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY.withKeyframeGating(round % 2 == 0))) {
                for (int i = 0; i < 5; i++) {
                    assertNotNull(reader.poll(dst, random.nextInt(64)));
                }
            }
        }
    }

    @Test
    void shouldToleratePathThatIsADirectory() throws IOException {
        Files.createDirectories(ring());
        try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            assertEquals(PollOutcome.NOT_READY, reader.poll(destination(128), 0));
            assertNotNull(reader.lastError());
        }
    }

    @Test
    void shouldRejectBadWriterGeometryWithNamedValues() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> RingWriter.createV2(ring(), 3, 1024));
        assertTrue(e.getMessage().contains("slot_count=3"), e.getMessage());
        final IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
            () -> RingWriter.createV2(ring(), 4, 100));
        assertTrue(e2.getMessage().contains("slot_size=100"), e2.getMessage());
        try (RingWriter writer = RingWriter.createV2(ring(), 4, 128)) {
            assertThrows(IllegalArgumentException.class, () -> writer.write(patternPayload(1, 65), 0, 65, 1, true));
        }
    }

    static List<Long> drain(final RingReader reader) {
        final UnsafeBuffer dst = destination(1 << 20);
        final List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            final PollOutcome outcome = reader.poll(dst, 0);
            if (outcome == PollOutcome.FRAME) {
                seqs.add(reader.frame().frameSeq());
                assertTrue(patternMatches(dst, FrameHeaderDescriptor.LENGTH, reader.frame().frameSeq(), reader.frame().size()));
            } else if (outcome == PollOutcome.NO_NEW_FRAME && i > 3) {
                break;
            }
        }
        return seqs;
    }

    static int crcOf(final UnsafeBuffer payload, final int length) {
        final CRC32 crc = new CRC32();
        final byte[] bytes = new byte[length];
        payload.getBytes(0, bytes);
        crc.update(bytes);
        return (int) crc.getValue();
    }

    static void poke(final Path path, final long offset, final long value) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            final FileChannel channel = file.getChannel();
            channel.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value), offset);
        }
    }

    static void pokeByte(final Path path, final long offset, final byte value) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.getChannel().write(ByteBuffer.wrap(new byte[] {value}), offset);
        }
    }
}
