package io.sdr.ring;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.sdr.testing.ChildProcess;
import java.time.Duration;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import static io.sdr.ring.FrameHeaderDescriptor.*;
import static io.sdr.ring.RingTestKit.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Writers that break the single-aligned-8-byte-store rule, in other processes, against the reader
 * the poller uses (CRC on, keyframe gating on): {@link TearingRingWriterProcess} and
 * {@code tests/src/test/python/tearing_writer.py} store every u64 one byte at a time with random
 * pauses between the bytes (v2, at full speed and at 60 fps), and the seed plan's own v1 writer
 * ({@code tests/src/test/python/genesis_bridge}, verbatim) runs at full speed. Each run asserts
 * zero duplicates, zero frames going back, zero corrupt payloads (pattern and CRC), and that every
 * frame from the first one delivered on was delivered or counted (lost or skipped for a keyframe).
 * Each prints one {@code TEARING ...} line.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RingTearingWriterTest {
    private static final long FULL_SPEED_NS = 6_000_000_000L;
    private static final long PACED_NS = 15_000_000_000L;
    private static final Pattern DONE = Pattern.compile("done frames=(\\d+)(?: tears=(\\d+))?");

    @RegisterExtension
    final RingChildren children = new RingChildren("sdr-ring-tearing-");

    // ---- the ordered checker ----------------------------------------------------------------

    /**
     * Checks every delivered frame (payload pattern and CRC, frame_id = frame_seq, keyframe rule,
     * size rule unless the writer bumps sizes) and the order: frame_seq strictly increasing. Also
     * accounts for the gaps: at each delivery, frames lost plus frames skipped since the first
     * delivery must equal the frame_seqs missing between the first and this one.
     */
    static final class OrderedChecker {
        final String name;
        final int size;
        final int jitter;
        final int gop;
        final boolean exactSize;
        final CRC32 crc = new CRC32();
        final List<String> problems = new ArrayList<>();
        long frames;
        long corrupt;
        long duplicates;
        long backwards;
        long first;
        long last;
        long accountedAtFirst;
        long unaccounted;

        OrderedChecker(final String name, final int size, final int jitter, final int gop, final boolean exactSize) {
            this.name = name;
            this.size = size;
            this.jitter = jitter;
            this.gop = gop;
            this.exactSize = exactSize;
        }

        void check(final RingReader reader, final UnsafeBuffer dst) {
            final FrameInfo f = reader.frame();
            final long seq = f.frameSeq();
            final boolean key = (seq - 1) % gop == 0;
            String problem = null;
            if (exactSize && f.size() != frameSize(size, jitter, seq)) {
                problem = "size " + f.size() + " != " + frameSize(size, jitter, seq);
            } else if (f.frameId() != seq) {
                problem = "frame_id " + f.frameId() + " does not belong to frame_seq " + seq;
            } else if (f.flags() != (key ? FLAG_KEYFRAME : 0)) {
                problem = "flags " + f.flags();
            } else if (dst.getLong(FRAME_SEQ_OFFSET) != seq || dst.getInt(SIZE_OFFSET) != f.size()) {
                problem = "copied header differs from frame()";
            } else if (!patternMatches(dst, LENGTH, seq, f.size())) {
                problem = "payload does not match the pattern of frame_seq " + seq;
            } else if (crcOf(dst, LENGTH, f.size()) != f.crc32()) {
                problem = "payload CRC differs from the header's";
            }
            if (problem != null) {
                corrupt++;
                note(problem + ": " + f);
            }
            final RingCounters c = reader.counters();
            final long accounted = c.framesLost() + c.get(PollOutcome.SKIPPED_AWAITING_KEYFRAME);
            if (frames == 0) {
                first = seq;
                accountedAtFirst = accounted;
            } else if (seq == last) {
                duplicates++;
                note("duplicate frame_seq " + seq + ": " + f);
            } else if (Long.compareUnsigned(seq, last) < 0) {
                backwards++;
                note("frame_seq went back " + last + " -> " + seq + ": " + f);
            }
            frames++;
            last = seq;
            unaccounted = (last - first + 1) - frames - (accounted - accountedAtFirst);
        }

        private void note(final String problem) {
            if (problems.size() < 10) {
                problems.add(problem);
            }
        }

        private int crcOf(final UnsafeBuffer dst, final int offset, final int length) {
            crc.reset();
            final ByteBuffer view = dst.byteBuffer().duplicate();
            view.limit(dst.wrapAdjustment() + offset + length).position(dst.wrapAdjustment() + offset);
            crc.update(view);
            return (int) crc.getValue();
        }

        void assertClean(final RingReader reader) {
            assertEquals(0, corrupt, name + ": corrupt frames delivered: " + problems);
            assertEquals(0, duplicates, name + ": duplicate frames delivered: " + problems);
            assertEquals(0, backwards, name + ": frame_seq went back: " + problems);
            assertEquals(0, unaccounted, name + ": frames " + first + ".." + last + " neither delivered nor counted:"
                + " delivered=" + frames + ", counters=" + reader.counters());
        }
    }

    /** Polls (spinning, as the poller does at full speed) for {@code durationNs}, checking every frame. */
    private static void pollFor(final RingReader reader, final UnsafeBuffer dst, final OrderedChecker checker,
                                final long durationNs) {
        final long deadline = System.nanoTime() + durationNs;
        int n = 0;
        while ((++n & 63) != 0 || System.nanoTime() - deadline < 0) {
            final PollOutcome outcome = reader.poll(dst, 0);
            if (outcome == PollOutcome.FRAME) {
                checker.check(reader, dst);
            } else if (outcome == PollOutcome.NO_NEW_FRAME) {
                Thread.onSpinWait();
            }
        }
    }

    /** Stops the writer (end of its stdin) and returns its "done" line's numbers: frames, tears (or -1). */
    private static long[] stop(final ChildProcess writer) throws InterruptedException, IOException {
        writer.closeStdin();
        final Matcher m = DONE.matcher(writer.awaitLine("done", Duration.ofSeconds(10)));
        assertTrue(m.find());
        assertEquals(0, writer.awaitExit(Duration.ofSeconds(10)), writer.tail());
        return new long[] {Long.parseLong(m.group(1)), m.group(2) == null ? -1 : Long.parseLong(m.group(2))};
    }

    private static String summary(final String scenario, final OrderedChecker c, final RingReader reader,
                                  final long[] done) {
        final RingCounters k = reader.counters();
        return "TEARING " + scenario + " written=" + done[0] + " tearingStores=" + done[1] + " delivered=" + c.frames
            + " first=" + c.first + " last=" + c.last + " lost=" + k.framesLost()
            + " skipped=" + k.get(PollOutcome.SKIPPED_AWAITING_KEYFRAME) + " tornReads=" + k.get(PollOutcome.TORN)
            + " laps=" + k.get(PollOutcome.LAPPED) + " rewound=" + k.get(PollOutcome.WRITER_REWOUND)
            + " badLayout=" + k.get(PollOutcome.BAD_LAYOUT) + " crcErrors=" + k.get(PollOutcome.CRC_ERROR)
            + " badLength=" + k.get(PollOutcome.BAD_LENGTH) + " resyncs=" + k.get(PollOutcome.RESYNC)
            + " duplicates=" + c.duplicates + " backwards=" + c.backwards + " corrupt=" + c.corrupt;
    }

    // ---- v2 writers that tear every u64 --------------------------------------------------------

    @Test
    void shouldNeverDuplicateOrReorderFramesFromJavaWriterTearingAtFullSpeed() throws Exception {
        tearing("v2-java-tearing-full-speed", false, 0, "random", "20000", FULL_SPEED_NS);
    }

    @Test
    void shouldNeverDuplicateOrReorderFramesFromJavaWriterTearingAt60Fps() throws Exception {
        tearing("v2-java-tearing-60fps", false, 60, "lsb-first", "300000", PACED_NS);
    }

    @Test
    void shouldNeverDuplicateOrReorderFramesFromPythonWriterTearingAtFullSpeed() throws Exception {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
        tearing("v2-python-tearing-full-speed", true, 0, "lsb-first", "20000", FULL_SPEED_NS);
    }

    @Test
    void shouldNeverDuplicateOrReorderFramesFromPythonWriterTearingAt60Fps() throws Exception {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
        tearing("v2-python-tearing-60fps", true, 60, "random", "300000", PACED_NS);
    }

    private void tearing(final String scenario, final boolean python, final int fps, final String byteOrder,
                         final String maxPauseNs, final long runNs) throws Exception {
        final Path ring = children.dir().resolve("frames");
        // 8 slots: at full speed the writer laps the reader now and then, so laps and torn reads mix.
        final int size = 64;
        final int jitter = python ? 3000 : 3968;
        final int gop = 4;
        final ChildProcess writer;
        if (python) {
            writer = children.pythonScript(scenario, testPythonDir().resolve("tearing_writer.py"), "--path", ring.toString(),
                "--slot-count", "8", "--slot-size", "4096", "--fps", Integer.toString(fps), "--size", Integer.toString(size),
                "--size-jitter", Integer.toString(jitter), "--gop", Integer.toString(gop),
                "--max-pause-us", Long.toString(Long.parseLong(maxPauseNs) / 1000), "--byte-order", byteOrder);
        } else {
            writer = children.java(scenario, TearingRingWriterProcess.class, "--path", ring.toString(), "--slot-count", "8",
                "--slot-size", "4096", "--fps", Integer.toString(fps), "--size", Integer.toString(size),
                "--size-jitter", Integer.toString(jitter), "--gop", Integer.toString(gop), "--max-pause-ns", maxPauseNs,
                "--byte-order", byteOrder);
        }
        writer.awaitLine("ready", Duration.ofSeconds(30));
        final OrderedChecker checker = new OrderedChecker(scenario, size, jitter, gop, true);
        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withFileCheckIntervalNs(5_000_000))) {
            final UnsafeBuffer dst = destination(8192);
            pollFor(reader, dst, checker, runNs);
            assertTrue(writer.isAlive(), writer.tail());
            final long[] done = stop(writer);
            pollFor(reader, dst, checker, 50_000_000L); // catch up with the last frames
            System.out.println(summary(scenario, checker, reader, done) + " byteOrder=" + byteOrder
                + " maxPauseNs=" + maxPauseNs);
            checker.assertClean(reader);
            final RingCounters c = reader.counters();
            assertEquals(done[0], reader.writerPosition(), scenario + ": reader did not follow head to the end: " + c);
            assertTrue(done[0] - checker.last <= 2 * gop, scenario + ": the last frames were not delivered: last="
                + checker.last + ", written=" + done[0] + ", " + c);
            assertEquals(0, c.get(PollOutcome.CRC_ERROR) + c.get(PollOutcome.BAD_LENGTH) + c.get(PollOutcome.RESYNC),
                scenario + ": the seqlock let a torn frame through, or a resync without a new writer: " + c);
            assertTrue(done[1] > 0, scenario + ": the writer never tore a store");
            if (fps == 0) {
                assertTrue(checker.frames > 500, scenario + ": too few frames checked: " + c);
                assertTrue(c.get(PollOutcome.TORN) > 0, scenario + ": no torn read seen, the test proved nothing: " + c);
            } else {
                // 60 fps: about every frame; a lap would take 8 frames (133 ms) of reader stall.
                assertTrue(checker.frames >= done[0] * 9 / 10, scenario + ": frames missing at 60 fps: " + c);
            }
        }
    }

    // ---- v1 under the seed plan's own writer -----------------------------------------------

    @Test
    void shouldNeverDuplicateOrMismatchFramesFromTheSeedV1WriterAtFullSpeed() throws Exception {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
        final String scenario = "v1-seed-writer-full-speed";
        final Path ring = children.dir().resolve("frames");
        final int gop = 4;
        final ChildProcess writer = children.pythonScript(scenario, testPythonDir().resolve("seed_v1_writer.py"), "--path",
            ring.toString(), "--buf-size", "65536", "--size", "64", "--size-jitter", "16000", "--gop", Integer.toString(gop));
        writer.awaitLine("ready", Duration.ofSeconds(30));
        final OrderedChecker checker = new OrderedChecker(scenario, 64, 16000, gop, false);
        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withFileCheckIntervalNs(5_000_000))) {
            final UnsafeBuffer dst = destination(65536);
            pollFor(reader, dst, checker, FULL_SPEED_NS);
            assertTrue(writer.isAlive(), writer.tail());
            final long[] done = stop(writer);
            pollFor(reader, dst, checker, 50_000_000L);
            System.out.println(summary(scenario, checker, reader, done));
            // v1 is latest-wins: at full speed most frames are overwritten before a poll, counted
            // lost. Torn copies are caught (TORN, BAD_LENGTH or CRC_ERROR), never delivered.
            checker.assertClean(reader);
            final RingCounters c = reader.counters();
            assertEquals(0, c.get(PollOutcome.RESYNC), scenario + ": frame_seq went back: " + c);
            assertTrue(checker.frames > 200, scenario + ": too few frames checked: " + c);
            assertEquals(done[0], reader.writerPosition(), scenario + ": reader did not see the last commit: " + c);
        }
    }
}
