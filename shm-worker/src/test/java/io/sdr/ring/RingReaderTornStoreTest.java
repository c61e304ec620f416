package io.sdr.ring;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.sdr.ring.RingReaderTest.drain;
import static io.sdr.ring.RingReaderTest.poke;
import static io.sdr.ring.RingTestSupport.*;
import static io.sdr.ring.RingV2Descriptor.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * What the reader decides when a u64 field looks torn (a writer storing it byte by byte): a head
 * behind what was delivered or ahead of what is committed, a slot seq below what head promised.
 * Each is read again; only a value that stays wrong on {@link V2LayoutReader#CONFIRM_POLLS} polls over
 * {@link V2LayoutReader#CONFIRM_NS} is believed, and no decision ever delivers a frame_seq twice.
 * The clock is the test's: it moves only when the test says so.
 */
class RingReaderTornStoreTest {
    private static final RingReader.Options OPTIONS = RingReader.Options.DEFAULTS.withFileCheckIntervalNs(0);
    private static final int SLOTS = 8;
    private static final int SLOT_SIZE = 1024;

    @TempDir
    Path dir;

    private final long[] nowNs = {1_000_000_000L};
    private final List<LogRecord> warnings = new ArrayList<>();
    private final Logger log = Logger.getLogger(V2LayoutReader.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(final LogRecord record) {
            warnings.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final UnsafeBuffer dst = destination(1 << 16);

    @BeforeEach
    void captureLog() {
        log.addHandler(capture);
        log.setUseParentHandlers(false);
    }

    @AfterEach
    void releaseLog() {
        log.removeHandler(capture);
        log.setUseParentHandlers(true);
    }

    private Path ring() {
        return dir.resolve("frames");
    }

    private RingReader reader() {
        return new RingReader(ring(), OPTIONS, () -> nowNs[0]);
    }

    private static void write(final RingWriter writer, final int from, final int to, final int gop) {
        for (int s = from; s <= to; s++) {
            writer.write(patternPayload(s, 10 + s), 0, 10 + s, 1, (s - 1) % gop == 0);
        }
    }

    private void headIs(final long head) throws IOException {
        poke(ring(), HEAD_OFFSET, head);
    }

    private PollOutcome pollAfterMs(final RingReader reader, final long ms) {
        nowNs[0] += ms * 1_000_000L;
        return reader.poll(dst, 0);
    }

    @Test
    void shouldReadHeadAgainWhenItGoesBackForOnePoll() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), SLOTS, SLOT_SIZE); RingReader reader = reader()) {
            write(writer, 1, 0x1FF, 4);
            drain(reader);
            // 0x1FF -> 0x200 stored low byte first: a load between the two byte stores sees 0x100.
            write(writer, 0x200, 0x200, 4);
            headIs(0x100);
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 0));
            headIs(0x200);
            assertEquals(PollOutcome.FRAME, pollAfterMs(reader, 0));
            assertEquals(0x200, reader.frame().frameSeq());
            final RingCounters c = reader.counters();
            assertEquals(1, c.get(PollOutcome.TORN), c.toString());
            assertEquals(0, c.get(PollOutcome.BAD_LAYOUT) + c.get(PollOutcome.WRITER_REWOUND) + c.get(PollOutcome.LAPPED)
                + c.get(PollOutcome.RESYNC) + c.framesLost(), c.toString());
            assertFalse(reader.isAwaitingKeyframe(), "a torn read must not cost a keyframe wait");
        }
    }

    @Test
    void shouldBelieveHeadBehindOnlyAfterThreePollsOverFiveMs() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), SLOTS, SLOT_SIZE); RingReader reader = reader()) {
            write(writer, 1, 20, 4);
            assertEquals(List.of(17L, 18L, 19L, 20L), drain(reader));
            headIs(9);
            // Many polls within 5 ms: still a torn read.
            for (int i = 0; i < 50; i++) {
                assertEquals(PollOutcome.TORN, pollAfterMs(reader, 0), "poll " + i);
            }
            assertEquals(PollOutcome.WRITER_REWOUND, pollAfterMs(reader, 5));
            // Two polls over 10 ms after a good one: still a torn read.
            headIs(20);
            assertEquals(PollOutcome.NO_NEW_FRAME, pollAfterMs(reader, 0));
            headIs(9);
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 0));
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 10));
            assertEquals(PollOutcome.WRITER_REWOUND, pollAfterMs(reader, 0));
            assertEquals(2, reader.counters().get(PollOutcome.WRITER_REWOUND), reader.counters().toString());
        }
    }

    @Test
    void shouldNeverDeliverAFrameAgainWhenHeadStaysBehind() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), SLOTS, SLOT_SIZE); RingReader reader = reader()) {
            write(writer, 1, 20, 4);
            assertEquals(List.of(17L, 18L, 19L, 20L), drain(reader));
            // A writer that went back to frame 14 and stays there: keyframes 13 and 17 are still in the ring.
            headIs(14);
            final List<PollOutcome> outcomes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                outcomes.add(pollAfterMs(reader, 2));
            }
            assertEquals(List.of(PollOutcome.TORN, PollOutcome.TORN, PollOutcome.TORN, PollOutcome.WRITER_REWOUND,
                PollOutcome.NO_NEW_FRAME, PollOutcome.NO_NEW_FRAME, PollOutcome.NO_NEW_FRAME, PollOutcome.NO_NEW_FRAME,
                PollOutcome.NO_NEW_FRAME, PollOutcome.NO_NEW_FRAME), outcomes);
            assertEquals(0, reader.counters().frames() - 4, "nothing delivered while head is behind");
            assertTrue(reader.isAwaitingKeyframe());
            // Head past the floor again: the reader starts at the newest keyframe, 25; 21-24 are lost.
            write(writer, 21, 26, 4);
            assertEquals(List.of(25L, 26L), drain(reader));
            final RingCounters c = reader.counters();
            assertEquals(1, c.get(PollOutcome.WRITER_REWOUND), c.toString());
            assertEquals(4, c.framesLost(), "frames 21-24 skipped to reach keyframe 25: " + c);
            assertEquals(1, warnings.size(), "logged once: " + warnings);
            assertTrue(warnings.get(0).getMessage().contains("head=14") && warnings.get(0).getMessage().contains("lastDelivered=20"),
                warnings.get(0).getMessage());
            // A second rewind in the same file is counted, not logged again.
            headIs(3);
            for (int i = 0; i < 4; i++) {
                pollAfterMs(reader, 2);
            }
            assertEquals(2, c.get(PollOutcome.WRITER_REWOUND), c.toString());
            assertEquals(1, warnings.size(), "logged once: " + warnings);
        }
    }

    @Test
    void shouldNotTakeHeadTornAheadForALap() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), SLOTS, SLOT_SIZE); RingReader reader = reader()) {
            write(writer, 1, 2, 4);
            assertEquals(List.of(1L, 2L), drain(reader));
            write(writer, 3, 3, 4);
            // 0x003 -> 0x004 cannot tear, but a head stored high byte first does: 3 + 0x100.
            headIs(0x103);
            assertEquals(PollOutcome.FRAME, pollAfterMs(reader, 0), "frame 3 is still in its slot");
            assertEquals(3, reader.frame().frameSeq());
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 0), "frame 4 is not committed: head is torn");
            headIs(3);
            assertEquals(PollOutcome.NO_NEW_FRAME, pollAfterMs(reader, 0));
            write(writer, 4, 5, 4);
            assertEquals(List.of(4L, 5L), drain(reader));
            final RingCounters c = reader.counters();
            assertEquals(0, c.get(PollOutcome.LAPPED) + c.framesLost() + c.get(PollOutcome.BAD_LAYOUT), c.toString());
        }
    }

    @Test
    void shouldNotStartPastTheWriterWhenFirstHeadReadIsTornAhead() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), SLOTS, SLOT_SIZE); RingReader reader = reader()) {
            write(writer, 1, 6, 4);
            headIs(0x10006);
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 0), "slot of frame 0x10006 does not hold it");
            headIs(6);
            assertEquals(List.of(5L, 6L), drain(reader), "started at the newest keyframe, 5");
            assertEquals(0, reader.counters().get(PollOutcome.BAD_LAYOUT), reader.counters().toString());
        }
    }

    @Test
    void shouldReadSlotSeqAgainWhenItLooksTornThenResyncIfItStays() throws IOException {
        try (RingWriter writer = RingWriter.createV2(ring(), SLOTS, SLOT_SIZE); RingReader reader = reader()) {
            write(writer, 1, 2, 4);
            assertEquals(List.of(1L, 2L), drain(reader));
            write(writer, 3, 3, 4);
            final long seqAt3 = slotOffset(3, SLOTS, SLOT_SIZE) + SLOT_SEQ_OFFSET;
            poke(ring(), seqAt3, 4); // below 2f = 6 although head says 3: torn
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 0));
            poke(ring(), seqAt3, 6);
            assertEquals(PollOutcome.FRAME, pollAfterMs(reader, 0));
            assertEquals(3, reader.frame().frameSeq());
            assertEquals(0, reader.counters().framesLost(), reader.counters().toString());

            write(writer, 4, 4, 4);
            final long seqAt4 = slotOffset(4, SLOTS, SLOT_SIZE) + SLOT_SEQ_OFFSET;
            poke(ring(), seqAt4, 7); // stays "being written" although head says committed: broken
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 3));
            assertEquals(PollOutcome.TORN, pollAfterMs(reader, 3));
            assertEquals(PollOutcome.BAD_LAYOUT, pollAfterMs(reader, 3));
            write(writer, 5, 6, 4);
            assertEquals(List.of(5L, 6L), drain(reader), "resumed at keyframe 5, never below 4");
            assertEquals(1, reader.counters().framesLost(), "frame 4: " + reader.counters());
        }
    }

    @Test
    void shouldCountLapLossOnceAndResumeAtKeyframe() {
        try (RingWriter writer = RingWriter.createV2(ring(), SLOTS, SLOT_SIZE); RingReader reader = reader()) {
            write(writer, 1, 2, 4);
            assertEquals(List.of(1L, 2L), drain(reader));
            write(writer, 3, 20, 4);
            assertEquals(List.of(17L, 18L, 19L, 20L), drain(reader));
            final RingCounters c = reader.counters();
            assertEquals(1, c.get(PollOutcome.LAPPED), c.toString());
            assertEquals(14, c.framesLost(), "frames 3-16: " + c);
            assertEquals(0, c.get(PollOutcome.TORN), c.toString());
        }
    }
}
