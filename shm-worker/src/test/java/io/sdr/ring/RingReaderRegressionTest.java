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
import java.util.Arrays;
import java.util.List;

import static io.sdr.ring.RingTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Reader bugs found by the torture tests (tests module, RingTortureTest), pinned down here. */
class RingReaderRegressionTest {
    @TempDir
    Path dir;

    private Path ring() {
        return dir.resolve("frames");
    }

    /**
     * v1 writer order is payload, header, write_len, seq. A poll between the write_len and seq
     * stores sees the old seq (new to the reader), copies the complete new frame (CRC valid) and
     * delivers it; the next poll sees the new seq and used to deliver the same frame again.
     */
    @Test
    void shouldNotDeliverV1FrameTwiceWhenCopiedAheadOfItsCommit() throws IOException {
        final Path other = dir.resolve("other");
        final int size2 = 300;
        try (RingWriter a = RingWriter.createV1(other, 4096)) {
            a.write(patternPayload(1, 100), 0, 100, 1, true);
            a.write(patternPayload(2, size2), 0, size2, 1, false);
        }
        final byte[] afterFrame2 = Files.readAllBytes(other);
        try (RingWriter writer = RingWriter.createV1(ring(), 4096);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY.withKeyframeGating(false))) {
            writer.write(patternPayload(1, 100), 0, 100, 1, true);
            // The writer has stored frame 2 and its write_len, but not yet seq = 2.
            final int end = RingV1Descriptor.DATA_OFFSET + FrameHeaderDescriptor.LENGTH + size2;
            write(ring(), RingV1Descriptor.WRITE_LEN_OFFSET,
                Arrays.copyOfRange(afterFrame2, RingV1Descriptor.WRITE_LEN_OFFSET, end));
            final UnsafeBuffer dst = destination(4096);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            assertEquals(2, reader.frame().frameSeq(), "frame 2, copied under commit 1");
            // Now the writer commits frame 2.
            write(ring(), RingV1Descriptor.SEQ_OFFSET, Arrays.copyOfRange(afterFrame2, 0, 8));
            assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 0), "frame 2 must not be delivered twice");
            assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 0));
            assertEquals(1, reader.counters().frames(), reader.counters().toString());
            assertEquals(0, reader.counters().get(PollOutcome.RESYNC), reader.counters().toString());
        }
    }

    /**
     * Truncated in place to zero bytes: even the first page of the mapping raises SIGBUS. From
     * JIT-compiled code the JVM throws that InternalError asynchronously, somewhere in the caller,
     * so poll must check the size before touching the mapping instead of relying on catching it
     * (RingTortureTest saw it escape: "a fault occurred in a recent unsafe memory access operation
     * in compiled Java code" thrown from the test's loop).
     */
    @Test
    void shouldReportFaultWithoutTouchingMappingTruncatedToZero() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), 8, 4096);
             RingReader reader = new RingReader(ring(), RingReader.Options.DEFAULTS.withFileCheckIntervalNs(Long.MAX_VALUE / 4))) {
            writer.write(patternPayload(1, 100), 0, 100, 1, true);
            final UnsafeBuffer dst = destination(4096);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            for (int i = 0; i < 200_000; i++) {
                // warm up: poll runs compiled, where a SIGBUS is reported late
                assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 0));
            }
            try (FileChannel channel = FileChannel.open(ring(), StandardOpenOption.WRITE)) {
                channel.truncate(0);
            }
            final List<PollOutcome> outcomes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                outcomes.add(reader.poll(dst, 0));
                // Runtime calls (a large allocation) deliver any pending asynchronous InternalError here.
                assertEquals(1 << 22, new byte[1 << 22].length);
            }
            assertEquals(List.of(PollOutcome.FAULT, PollOutcome.NOT_READY, PollOutcome.NOT_READY, PollOutcome.NOT_READY,
                PollOutcome.NOT_READY), outcomes);
            assertEquals(1, reader.counters().get(PollOutcome.FAULT));
            // Found by the size check, not by a SIGBUS ("fault reading ring: ..."): whether the JVM
            // reports a SIGBUS inside poll or later in the caller depends on how the JIT compiled it.
            assertTrue(reader.lastError() != null && reader.lastError().contains("shrank"), reader.lastError());
        }
    }

    /** A v2 file the reader cannot use yet (epoch 0, bad geometry) must not hide its replacement. */
    @Test
    void shouldNoticeReplacedFileWhileV2LayoutIsNotReady() throws IOException {
        for (final int[] poke : new int[][] {{RingV2Descriptor.EPOCH_OFFSET, 8, 0}, {RingV2Descriptor.SLOT_COUNT_OFFSET, 4, 3},
            {RingV2Descriptor.SLOT_SIZE_OFFSET, 4, 1 << 30}}) {
            try (RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
                try (RingWriter broken = RingWriter.createV2(ring(), 4, 1024)) {
                    broken.write(patternPayload(1, 10), 0, 10, 1, true);
                }
                final ByteBuffer value = ByteBuffer.allocate(poke[1]).order(ByteOrder.LITTLE_ENDIAN);
                if (poke[1] == 8) {
                    value.putLong(0, poke[2]);
                } else {
                    value.putInt(0, poke[2]);
                }
                write(ring(), poke[0], value.array());
                final UnsafeBuffer dst = destination(4096);
                for (int i = 0; i < 5; i++) {
                    final PollOutcome outcome = reader.poll(dst, 0);
                    assertTrue(outcome == PollOutcome.NOT_READY || outcome == PollOutcome.BAD_LAYOUT, outcome.name());
                }
                try (RingWriter writer = RingWriter.createV2(ring(), 8, 2048)) {
                    writer.write(patternPayload(1, 20), 0, 20, 1, true);
                    PollOutcome outcome = null;
                    for (int i = 0; i < 10 && outcome != PollOutcome.FRAME; i++) {
                        outcome = reader.poll(dst, 0);
                    }
                    assertEquals(PollOutcome.FRAME, outcome, "poked offset " + poke[0] + ": " + reader.counters());
                    assertEquals(20, reader.frame().size());
                }
            }
        }
    }

    /** A file with the v2 magic but shorter than the superblock: not ready, and no re-map per poll. */
    @Test
    void shouldNotRemapOnEveryPollWhenV2FileIsShorterThanSuperblock() throws IOException {
        final byte[] bytes = new byte[100];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, RingV2Descriptor.MAGIC);
        Files.write(ring(), bytes);
        try (RingReader reader = new RingReader(ring(), RingReader.Options.DEFAULTS.withFileCheckIntervalNs(Long.MAX_VALUE / 4))) {
            final UnsafeBuffer dst = destination(4096);
            for (int i = 0; i < 10; i++) {
                assertEquals(PollOutcome.NOT_READY, reader.poll(dst, 0));
            }
            assertEquals(0, reader.counters().remaps(), reader.counters().toString());
            assertEquals(0, reader.counters().get(PollOutcome.RESYNC), reader.counters().toString());
            assertNotNull(reader.lastError());
        }
    }

    /**
     * Found by RingReaderFuzzTest (input v1-frame-seq-zero-delivered-twice): a v1 frame with
     * frame_seq 0, which no writer produces, escaped the "already seen" check, so every new commit
     * of it was delivered again with the same frame_seq and no resync counted.
     */
    @Test
    void shouldDropV1FrameWithFrameSeqZero() throws IOException {
        try (RingWriter writer = RingWriter.createV1(ring(), 4096);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY.withKeyframeGating(false))) {
            writer.write(patternPayload(1, 100), 0, 100, 1, true);
            write(ring(), RingV1Descriptor.DATA_OFFSET + FrameHeaderDescriptor.FRAME_SEQ_OFFSET, new byte[8]);
            final UnsafeBuffer dst = destination(4096);
            assertEquals(PollOutcome.BAD_LAYOUT, reader.poll(dst, 0));
            // The same bytes committed again.
            write(ring(), RingV1Descriptor.SEQ_OFFSET, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 99).array());
            assertEquals(PollOutcome.BAD_LAYOUT, reader.poll(dst, 0));
            assertEquals(PollOutcome.NO_NEW_FRAME, reader.poll(dst, 0));
            assertEquals(0, reader.counters().frames(), reader.counters().toString());
            writer.write(patternPayload(2, 50), 0, 50, 1, true);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            assertEquals(2, reader.frame().frameSeq());
        }
    }

    /**
     * Found by the fault suite's garbage writer (random bytes make a file without the v2 magic, read
     * as v1): a frame_seq 2^63 or more ahead passed as a lap, and its gap went into frames.lost as a
     * negative count, after which every /metrics scrape failed.
     */
    @Test
    void shouldTreatV1FrameSeqJumpOf2To63AsResyncNotNegativeLoss() throws IOException {
        try (RingWriter writer = RingWriter.createV1(ring(), 4096);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY.withKeyframeGating(false))) {
            writer.write(patternPayload(1, 100), 0, 100, 1, true);
            final UnsafeBuffer dst = destination(4096);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            writer.write(patternPayload(2, 100), 0, 100, 1, true);
            write(ring(), RingV1Descriptor.DATA_OFFSET + FrameHeaderDescriptor.FRAME_SEQ_OFFSET,
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L).array());
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            assertEquals(1, reader.counters().get(PollOutcome.RESYNC), reader.counters().toString());
            assertEquals(0, reader.counters().get(PollOutcome.LAPPED), reader.counters().toString());
            assertEquals(0, reader.counters().framesLost(), reader.counters().toString());
        }
    }

    /**
     * Found by RingReaderFuzzTest (input v2-restart-through-epoch-zero-not-counted): a writer that
     * re-initialises the file in place stores epoch 0, then a new epoch. A reader polling in between
     * took the new epoch as its first: state forgotten, frames delivered again, no RESYNC counted.
     */
    @Test
    void shouldCountResyncWhenV2EpochChangesByWayOfZero() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), 8, 1024);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            writer.write(patternPayload(1, 10), 0, 10, 1, true);
            final UnsafeBuffer dst = destination(4096);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            write(ring(), RingV2Descriptor.EPOCH_OFFSET, new byte[8]);
            assertEquals(PollOutcome.NOT_READY, reader.poll(dst, 0));
            write(ring(), RingV2Descriptor.EPOCH_OFFSET, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1).array());
            assertEquals(PollOutcome.RESYNC, reader.poll(dst, 0));
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            assertEquals(1, reader.frame().frameSeq(), "state forgotten: the newest keyframe again, after the RESYNC");
            assertEquals(1, reader.counters().get(PollOutcome.RESYNC), reader.counters().toString());
        }
    }

    /**
     * Found with RingReaderFuzzTest's frame_seq invariant: a committed v2 slot whose header names
     * another frame_seq (CRC intact: it covers the payload only) was delivered, taking frame_seq
     * backwards with no resync counted.
     */
    @Test
    void shouldDropV2FrameWhoseHeaderFrameSeqIsNotItsSlots() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), 8, 1024);
             RingReader reader = new RingReader(ring(), NO_FILE_CHECK_DELAY)) {
            writer.write(patternPayload(1, 10), 0, 10, 1, true);
            writer.write(patternPayload(2, 10), 0, 10, 1, false);
            final UnsafeBuffer dst = destination(4096);
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            writer.write(patternPayload(3, 10), 0, 10, 1, false);
            writer.write(patternPayload(4, 10), 0, 10, 1, true);
            write(ring(), RingV2Descriptor.slotOffset(3, 8, 1024) + RingV2Descriptor.SLOT_HEADER_OFFSET
                + FrameHeaderDescriptor.FRAME_SEQ_OFFSET, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1).array());
            assertEquals(PollOutcome.BAD_LAYOUT, reader.poll(dst, 0));
            assertEquals(1, reader.counters().framesLost(), reader.counters().toString());
            assertEquals(PollOutcome.FRAME, reader.poll(dst, 0));
            assertEquals(4, reader.frame().frameSeq());
        }
    }

    private static void write(final Path path, final long offset, final byte[] bytes) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.getChannel().write(ByteBuffer.wrap(bytes), offset);
        }
    }
}
