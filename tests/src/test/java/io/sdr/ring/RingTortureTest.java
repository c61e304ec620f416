package io.sdr.ring;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.sdr.testing.ChildProcess;
import java.time.Duration;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

import static io.sdr.ring.FrameHeaderDescriptor.*;
import static io.sdr.ring.RingTestKit.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Torture tests against real processes and real files under /dev/shm: writers at full speed in
 * other processes (Java and Python), writers killed with SIGKILL and restarted, files deleted,
 * re-created with other geometries and truncated under the reader, and garbage in every field.
 * The reader must never deliver a corrupt frame and never throw. Each scenario prints one
 * {@code TORTURE ...} summary line.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RingTortureTest {
    private static final long RUN_NS = 2_500_000_000L;
    private static final long GEN = 1_000_000_000_000L;

    @RegisterExtension
    final RingChildren children = new RingChildren("sdr-ring-torture-");

    private ChildProcess javaWriter(final String name, final String... args) throws IOException {
        return children.javaWriter(name, args);
    }

    private ChildProcess pythonWriter(final String name, final String... args) throws IOException {
        final List<String> all = new ArrayList<>(List.of("write"));
        all.addAll(List.of(args));
        return children.python(name, all.toArray(new String[0]));
    }

    // ---- the frame checker ----------------------------------------------------------------------

    /**
     * Checks each delivered frame against what the writers put in (pattern payload, size rule,
     * frame_id = generation base + frame_seq, keyframe rule, codec, CRC of the payload) and
     * frame_seq order within a writer generation. Writers are told apart by frame_id / {@link #GEN}.
     */
    static final class Checker {
        final String name;
        final int size;
        final int jitter;
        final int gop;
        final int codec;
        final CRC32 crc = new CRC32();
        final List<String> problems = new ArrayList<>();
        long frames;
        long corrupt;
        long duplicates;
        long backwards;
        long generation = -1;
        long lastSeq;
        final Map<Long, Long> framesPerGeneration = new java.util.TreeMap<>();

        Checker(final String name, final int size, final int jitter, final int gop, final int codec) {
            this.name = name;
            this.size = size;
            this.jitter = jitter;
            this.gop = gop;
            this.codec = codec;
        }

        void check(final FrameInfo f, final UnsafeBuffer dst, final int off) {
            frames++;
            final long seq = f.frameSeq();
            final long gen = Long.divideUnsigned(f.frameId(), GEN);
            framesPerGeneration.merge(gen, 1L, Long::sum);
            final int expectedSize = frameSize(size, jitter, seq);
            final boolean key = seq == 1 || (gop > 0 && (seq - 1) % gop == 0);
            String problem = null;
            if (f.size() != expectedSize) {
                problem = "size " + f.size() + " != " + expectedSize;
            } else if (f.frameId() != gen * GEN + seq) {
                problem = "frame_id " + f.frameId() + " does not belong to frame_seq " + seq;
            } else if (f.flags() != (key ? FLAG_KEYFRAME : 0)) {
                problem = "flags " + f.flags();
            } else if (f.codec() != codec) {
                problem = "codec " + f.codec();
            } else if (dst.getLong(off + FRAME_SEQ_OFFSET) != seq || dst.getInt(off + SIZE_OFFSET) != f.size()) {
                problem = "copied header differs from frame()";
            } else if (!patternMatches(dst, off + LENGTH, seq, f.size())) {
                problem = "payload does not match the pattern of frame_seq " + seq;
            } else if (crcOf(dst, off + LENGTH, f.size()) != f.crc32()) {
                problem = "payload CRC differs from the header's";
            }
            if (problem != null) {
                corrupt++;
                if (problems.size() < 10) {
                    problems.add(problem + ": " + f);
                }
            }
            if (gen != generation) {
                generation = gen;
                lastSeq = seq;
                return;
            }
            if (seq == lastSeq) {
                duplicates++;
                if (problems.size() < 10) {
                    problems.add("duplicate frame_seq " + seq + ": " + f);
                }
            } else if (Long.compareUnsigned(seq, lastSeq) < 0) {
                backwards++;
                if (problems.size() < 10) {
                    problems.add("frame_seq went back " + lastSeq + " -> " + seq + ": " + f);
                }
            }
            lastSeq = seq;
        }

        private int crcOf(final UnsafeBuffer dst, final int offset, final int length) {
            crc.reset();
            final ByteBuffer view = dst.byteBuffer().duplicate();
            view.limit(dst.wrapAdjustment() + offset + length).position(dst.wrapAdjustment() + offset);
            crc.update(view);
            return (int) crc.getValue();
        }

        long framesOf(final long gen) {
            return framesPerGeneration.getOrDefault(gen, 0L);
        }

        void assertClean(final boolean ordered) {
            assertEquals(0, corrupt, name + ": corrupt frames delivered: " + problems);
            if (ordered) {
                assertEquals(0, duplicates, name + ": duplicate frames delivered: " + problems);
                assertEquals(0, backwards, name + ": frame_seq went back: " + problems);
            }
        }
    }

    /** Polls for about {@code durationNs} (or until {@code stop} says so), checking every frame. */
    private static Map<PollOutcome, Long> pollFor(final RingReader reader, final UnsafeBuffer dst, final Checker checker,
                                                  final long durationNs, final java.util.function.BooleanSupplier stop) {
        final Map<PollOutcome, Long> outcomes = new EnumMap<>(PollOutcome.class);
        final long deadline = System.nanoTime() + durationNs;
        int n = 0;
        while (true) {
            final PollOutcome outcome = reader.poll(dst, 0);
            assertNotNull(outcome);
            outcomes.merge(outcome, 1L, Long::sum);
            if (outcome == PollOutcome.FRAME) {
                checker.check(reader.frame(), dst, 0);
            } else if (outcome == PollOutcome.NO_NEW_FRAME || outcome == PollOutcome.NOT_READY) {
                Thread.onSpinWait();
            }
            if ((++n & 63) == 0 && (System.nanoTime() - deadline > 0 || stop.getAsBoolean())) {
                return outcomes;
            }
        }
    }

    private static String summary(final String scenario, final Checker c, final RingReader reader) {
        final RingCounters k = reader.counters();
        return "TORTURE " + scenario + " frames=" + c.frames + " laps=" + k.get(PollOutcome.LAPPED)
            + " lost=" + k.framesLost() + " torn=" + k.get(PollOutcome.TORN) + " crcErrors=" + k.get(PollOutcome.CRC_ERROR)
            + " badLength=" + k.get(PollOutcome.BAD_LENGTH) + " resyncs=" + k.get(PollOutcome.RESYNC)
            + " faults=" + k.get(PollOutcome.FAULT) + " duplicates=" + c.duplicates + " corrupt=" + c.corrupt;
    }

    // ---- 1. v2, CRC off, writer in another process at full speed ------------------------------

    @Test
    void v2WithCrcOffShouldNeverDeliverTornFrameFromJavaWriter() throws Exception {
        v2CrcOff("v2-java-writer", false);
    }

    @Test
    void v2WithCrcOffShouldNeverDeliverTornFrameFromPythonWriter() throws Exception {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
        v2CrcOff("v2-python-writer", true);
    }

    private void v2CrcOff(final String scenario, final boolean python) throws Exception {
        final Path ring = children.dir().resolve("frames");
        // 8 slots of 4 KiB and payloads up to the slot: the writer laps the reader constantly.
        final String[] args = {"--layout", "v2", "--path", ring.toString(), "--slot-count", "8", "--slot-size", "4096",
            "--frames", "0", "--size", "64", "--size-jitter", "3968", "--gop", "4", "--codec", "2"};
        final ChildProcess writer = python ? pythonWriter(scenario, args) : javaWriter(scenario, args);
        writer.awaitLine("ready", Duration.ofSeconds(30));
        final Checker checker = new Checker(scenario, 64, 3968, 4, CODEC_HEVC);
        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withCrc(false)
            .withKeyframeGating(false).withFileCheckIntervalNs(5_000_000))) {
            final UnsafeBuffer dst = destination(8192);
            pollFor(reader, dst, checker, RUN_NS, () -> false);
            assertTrue(writer.isAlive(), writer.tail());
            System.out.println(summary(scenario, checker, reader) + " writerPosition=" + reader.writerPosition());
            checker.assertClean(true);
            assertTrue(checker.frames > 100, scenario + ": too few frames checked: " + reader.counters());
            assertEquals(0, reader.counters().get(PollOutcome.BAD_LAYOUT), reader.counters().toString());
        } finally {
            writer.terminate();
        }
    }

    // ---- 2. v1, CRC on, writer in another process at full speed -------------------------------

    @Test
    void v1WithCrcOnShouldNeverDeliverCorruptFrameFromJavaWriter() throws Exception {
        v1CrcOn("v1-java-writer", false);
    }

    @Test
    void v1WithCrcOnShouldNeverDeliverCorruptFrameFromPythonWriter() throws Exception {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
        v1CrcOn("v1-python-writer", true);
    }

    private void v1CrcOn(final String scenario, final boolean python) throws Exception {
        final Path ring = children.dir().resolve("frames");
        final String[] args = {"--layout", "v1", "--path", ring.toString(), "--buf-size", "65536",
            "--frames", "0", "--size", "64", "--size-jitter", "16000", "--gop", "4", "--codec", "1"};
        final ChildProcess writer = python ? pythonWriter(scenario, args) : javaWriter(scenario, args);
        writer.awaitLine("ready", Duration.ofSeconds(30));
        final Checker checker = new Checker(scenario, 64, 16000, 4, CODEC_H264);
        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withCrc(true)
            .withKeyframeGating(false).withFileCheckIntervalNs(5_000_000))) {
            final UnsafeBuffer dst = destination(65536);
            pollFor(reader, dst, checker, RUN_NS, () -> false);
            assertTrue(writer.isAlive(), writer.tail());
            System.out.println(summary(scenario, checker, reader));
            // v1 has no write-in-progress marker: torn copies are expected and must be caught (TORN,
            // BAD_LENGTH or CRC_ERROR), never delivered. Frames are never delivered twice or backwards.
            checker.assertClean(true);
            assertTrue(checker.frames > 50, scenario + ": too few frames checked: " + reader.counters());
        } finally {
            writer.terminate();
        }
    }

    // ---- 3. writer killed with SIGKILL mid-stream and restarted -------------------------------

    @Test
    void readerShouldResyncAfterV2WriterIsKilledAndRestarted() throws Exception {
        killAndRestart("v2", "--slot-count", "16", "--slot-size", "4096");
    }

    @Test
    void readerShouldResyncAfterV1WriterIsKilledAndRestarted() throws Exception {
        killAndRestart("v1", "--buf-size", "65536");
    }

    private void killAndRestart(final String layout, final String... geometry) throws Exception {
        final String scenario = layout + "-sigkill-restart";
        final Path ring = children.dir().resolve("frames");
        final Checker checker = new Checker(scenario, 100, 3900, 8, CODEC_H264);
        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withCrc(true)
            .withFileCheckIntervalNs(2_000_000))) {
            final UnsafeBuffer dst = destination(8192);
            long resyncsBefore = 0;
            for (int gen = 1; gen <= 3; gen++) {
                final List<String> args = new ArrayList<>(List.of("--layout", layout, "--path", ring.toString(),
                    "--frames", "0", "--size", "100", "--size-jitter", "3900", "--gop", "8", "--codec", "1",
                    "--frame-id-base", Long.toString(gen * GEN)));
                args.addAll(List.of(geometry));
                final ChildProcess writer = javaWriter(scenario + "-" + gen, args.toArray(new String[0]));
                writer.awaitLine("ready", Duration.ofSeconds(30));
                final long g = gen;
                final long start = System.nanoTime();
                pollFor(reader, dst, checker, 10_000_000_000L,
                    () -> checker.framesOf(g) >= 500 && System.nanoTime() - start > 300_000_000L);
                assertTrue(checker.framesOf(gen) > 0, scenario + ": nothing from writer " + gen + ": "
                    + reader.counters() + " " + writer.tail());
                if (gen > 1) {
                    assertTrue(reader.counters().get(PollOutcome.RESYNC) > resyncsBefore,
                        scenario + ": no RESYNC after restart " + gen + ": " + reader.counters());
                }
                writer.kill(); // SIGKILL, mid-frame most likely
                assertFalse(writer.isAlive());
                assertFalse(writer.lines().stream().anyMatch(l -> l.startsWith("done")), "SIGKILL leaves no goodbye");
                resyncsBefore = reader.counters().get(PollOutcome.RESYNC);
                // The reader sees the dead writer's ring for a while: nothing new, nothing corrupt.
                pollFor(reader, dst, checker, 100_000_000L, () -> false);
            }
            System.out.println(summary(scenario, checker, reader) + " perWriter=" + checker.framesPerGeneration);
            checker.assertClean(true);
        }
    }

    // ---- 4. files deleted, re-created with other geometries, truncated in place ---------------

    /** One in-process writer generation: {@code frames} frames, each polled for until delivered. */
    private static void writeAndFollow(final RingWriter writer, final long gen, final int frames, final RingReader reader,
                                       final UnsafeBuffer dst, final Checker checker) {
        assertTrue(checker.size + checker.jitter <= writer.maxPayloadLength(), "geometry too small for the test sizes");
        for (int s = 1; s <= frames; s++) {
            final int size = frameSize(checker.size, checker.jitter, s);
            final boolean key = s == 1 || (s - 1) % checker.gop == 0;
            writer.write(gen * GEN + s, key ? FLAG_KEYFRAME : 0, checker.codec, patternBuffer(), patternOffset(s), size);
            final long target = s;
            pollFor(reader, dst, checker, 1_000_000_000L,
                () -> checker.generation == gen && checker.lastSeq == target);
        }
    }

    @Test
    void readerShouldFollowFileDeletedAndRecreatedWithOtherGeometries() throws Exception {
        final String scenario = "recreate-geometries";
        final Path ring = children.dir().resolve("frames");
        final Checker checker = new Checker(scenario, 10, 50, 5, CODEC_HEVC);
        final int frames = 30;
        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withFileCheckIntervalNs(1_000_000))) {
            final UnsafeBuffer dst = destination(1 << 20);
            int gen = 0;
            final Object[][] steps = {
                {"v2", 8, 1024, true}, {"v2", 4, 128, true}, {"v2", 64, 65536, false}, {"v2", 2, 128, false},
                {"v1", 4096, 0, true}, {"v1", 1 << 20, 0, false}, {"v1", 64 + 32 + 16, 0, true},
                {"v2", 1024, 256, true}, {"v1", 4096, 0, false}, {"v2", 16, 4096, true},
            };
            for (final Object[] step : steps) {
                gen++;
                final boolean deleteFirst = (Boolean) step[3];
                final long resyncs = reader.counters().get(PollOutcome.RESYNC);
                if (deleteFirst && Files.exists(ring)) {
                    Files.delete(ring);
                    final Map<PollOutcome, Long> gone = pollFor(reader, dst, checker, 20_000_000L, () -> false);
                    assertFalse(gone.containsKey(PollOutcome.FRAME), "frames from a deleted file: " + gone);
                }
                try (RingWriter writer = "v2".equals(step[0])
                    ? RingWriter.createV2(ring, (Integer) step[1], (Integer) step[2])
                    : RingWriter.createV1(ring, (Integer) step[1])) {
                    writeAndFollow(writer, gen, frames, reader, dst, checker);
                }
                assertEquals(frames, checker.generation == gen ? checker.lastSeq : -1,
                    scenario + ": step " + gen + " " + List.of(step) + " not followed: " + reader.counters());
                assertTrue(checker.framesOf(gen) >= frames / 2, scenario + ": step " + gen + " delivered "
                    + checker.framesOf(gen) + ": " + reader.counters());
                if (gen > 1) {
                    assertTrue(reader.counters().get(PollOutcome.RESYNC) > resyncs,
                        scenario + ": step " + gen + " without RESYNC: " + reader.counters());
                }
            }
            System.out.println(summary(scenario, checker, reader) + " steps=" + gen + " remaps=" + reader.counters().remaps());
            checker.assertClean(true);
        }
    }

    @Test
    void readerShouldSurviveFileTruncatedInPlaceAndRecover() throws Exception {
        final String scenario = "truncate-in-place";
        final Path ring = children.dir().resolve("frames");
        final Checker checker = new Checker(scenario, 30_000, 30_000, 4, CODEC_H264);
        final List<String> seen = new ArrayList<>();
        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withFileCheckIntervalNs(1_000_000))) {
            final UnsafeBuffer dst = destination(1 << 20);
            int gen = 0;
            final long[] truncateTo = {0, 1, 47, 64, 100, RingV2Descriptor.SUPERBLOCK_LENGTH, 4096, 4096 + 128, 300_000};
            for (final String layout : new String[] {"v2", "v1"}) {
                for (final long length : truncateTo) {
                    gen++;
                    try (RingWriter writer = "v2".equals(layout) ? RingWriter.createV2(ring, 16, 65536)
                        : RingWriter.createV1(ring, 1 << 20)) {
                        writeAndFollow(writer, gen, 1, reader, dst, checker);
                        assertEquals(gen, checker.generation, scenario + ": " + reader.counters());
                        // Frames the reader has not copied yet, then the file shrinks under its mapping.
                        for (int s = 2; s <= 8; s++) {
                            final int size = frameSize(checker.size, checker.jitter, s);
                            writer.write(gen * GEN + s, (s - 1) % checker.gop == 0 ? FLAG_KEYFRAME : 0, checker.codec,
                                patternBuffer(), patternOffset(s), size);
                        }
                    }
                    try (FileChannel channel = FileChannel.open(ring, StandardOpenOption.WRITE)) {
                        channel.truncate(length);
                    }
                    final Map<PollOutcome, Long> outcomes = new EnumMap<>(PollOutcome.class);
                    for (int i = 0; i < 40; i++) {
                        final PollOutcome outcome = reader.poll(dst, 0);
                        outcomes.merge(outcome, 1L, Long::sum);
                        if (outcome == PollOutcome.FRAME) {
                            checker.check(reader.frame(), dst, 0);
                        }
                        LockSupport.parkNanos(250_000);
                    }
                    seen.add(layout + "@" + length + "=" + outcomes);
                    assertTrue(outcomes.containsKey(PollOutcome.FAULT) || outcomes.containsKey(PollOutcome.NOT_READY)
                            || outcomes.containsKey(PollOutcome.BAD_LAYOUT) || outcomes.containsKey(PollOutcome.RESYNC),
                        scenario + ": the reader did not notice " + layout + " truncated to " + length + ": " + outcomes);
                    // A writer re-creates the file: the reader must follow.
                    gen++;
                    try (RingWriter writer = RingWriter.createV2(ring, 8, 65536)) {
                        writeAndFollow(writer, gen, 6, reader, dst, checker);
                    }
                    assertEquals(gen, checker.generation, scenario + ": no recovery after " + layout + " truncated to "
                        + length + ": " + outcomes + ", " + reader.counters() + ", lastError=" + reader.lastError());
                    assertEquals(6, checker.lastSeq, scenario + ": " + reader.counters());
                }
            }
            System.out.println(summary(scenario, checker, reader) + " cases=" + seen.size());
            System.out.println("TORTURE truncate-outcomes " + seen);
            checker.assertClean(true);
        }
    }

    // ---- 5. garbage: random files and every field at its extremes -----------------------------

    private static final PollOutcome[] ALL = PollOutcome.values();

    /** Destinations of several sizes, each followed by a canary the reader must never touch. */
    private static final class Destinations {
        static final int CANARY = 64;
        final ByteBuffer[] backing;
        final UnsafeBuffer[] views;
        final UnsafeBuffer[] whole;

        Destinations(final int... capacities) {
            backing = new ByteBuffer[capacities.length];
            views = new UnsafeBuffer[capacities.length];
            whole = new UnsafeBuffer[capacities.length];
            for (int i = 0; i < capacities.length; i++) {
                backing[i] = ByteBuffer.allocateDirect(capacities[i] + CANARY);
                whole[i] = new UnsafeBuffer(backing[i]);
                whole[i].setMemory(capacities[i], CANARY, (byte) 0xA5);
                views[i] = new UnsafeBuffer(backing[i], 0, capacities[i]);
            }
        }

        void assertCanaries(final String at) {
            for (int i = 0; i < views.length; i++) {
                for (int j = 0; j < CANARY; j++) {
                    if (whole[i].getByte(views[i].capacity() + j) != (byte) 0xA5) {
                        fail(at + ": the reader wrote past the destination (capacity " + views[i].capacity() + ")");
                    }
                }
            }
        }
    }

    /** Polls {@code n} times; fails on any exception, a delivered frame that does not fit, or a stomped canary. */
    private static void pollGarbage(final RingReader reader, final Destinations d, final Random random, final int n,
                                    final String at, final Map<PollOutcome, Long> tally) {
        for (int i = 0; i < n; i++) {
            final int which = random.nextInt(d.views.length);
            final UnsafeBuffer dst = d.views[which];
            final int off = random.nextInt(4) == 0 ? dst.capacity() - random.nextInt(Math.min(64, dst.capacity()) + 1)
                : random.nextInt(8);
            final PollOutcome outcome;
            try {
                outcome = reader.poll(dst, off);
            } catch (final Throwable t) {
                throw new AssertionError(at + ": poll threw (dst capacity " + dst.capacity() + ", offset " + off + ")", t);
            }
            assertNotNull(outcome, at);
            assertSame(ALL[outcome.ordinal()], outcome, at);
            tally.merge(outcome, 1L, Long::sum);
            if (outcome == PollOutcome.FRAME) {
                final FrameInfo f = reader.frame();
                assertTrue(f.size() >= 0 && f.length() <= dst.capacity() - off,
                    at + ": delivered a frame larger than the room left: " + f + ", room=" + (dst.capacity() - off));
                assertEquals(f.size(), dst.getInt(off + SIZE_OFFSET), at);
            }
        }
        d.assertCanaries(at);
    }

    private static void put(final Path file, final long offset, final int width, final long value) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(width).order(ByteOrder.LITTLE_ENDIAN);
        switch (width) {
            case 2: b.putShort(0, (short) value); break;
            case 4: b.putInt(0, (int) value); break;
            default: b.putLong(0, value); break;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(b, offset);
        }
    }

    private record Field(String name, long offset, int width, long[] values) {
    }

    private static final long[] U64_EXTREMES = {0, 1, 2, 3, -1, -2, Long.MAX_VALUE, Long.MIN_VALUE,
        Integer.MAX_VALUE, 0xFFFF_FFFFL, 1L << 32, 1L << 62};
    private static final long[] U32_EXTREMES = {0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 127, 128, 191, 192, 193, 255, 256,
        0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1 << 30, 0x7FFF_FFC0L};
    private static final long[] U16_EXTREMES = {0, 1, 2, 3, 0x7FFF, 0x8000, 0xFFFF};

    private static List<Field> headerFields(final String prefix, final long at) {
        return List.of(
            new Field(prefix + ".frame_id", at + FRAME_ID_OFFSET, 8, U64_EXTREMES),
            new Field(prefix + ".frame_seq", at + FRAME_SEQ_OFFSET, 8, U64_EXTREMES),
            new Field(prefix + ".size", at + SIZE_OFFSET, 4, U32_EXTREMES),
            new Field(prefix + ".flags", at + FLAGS_OFFSET, 2, U16_EXTREMES),
            new Field(prefix + ".codec", at + CODEC_OFFSET, 2, U16_EXTREMES),
            new Field(prefix + ".crc32", at + CRC32_OFFSET, 4, U32_EXTREMES),
            new Field(prefix + ".reserved", at + RESERVED_OFFSET, 4, U32_EXTREMES));
    }

    private interface Base {
        void create(Path path);
    }

    @Test
    void readerShouldSurviveEveryFieldAtItsExtremes() throws Exception {
        final String scenario = "field-extremes";
        final Random random = new Random(20240611L);
        final Destinations d = new Destinations(65536, 1024, 200, 40);
        final Map<PollOutcome, Long> tally = new EnumMap<>(PollOutcome.class);
        final Path ring = children.dir().resolve("frames");
        int cases = 0;

        // v2: 4 slots of 256 bytes, frames 1..3 (1 keyframe, 2 exactly slot_size - 64, 3 empty).
        final Base v2 = path -> {
            try (RingWriter w = RingWriter.createV2(path, 4, 256)) {
                w.write(1001, FLAG_KEYFRAME, CODEC_H264, patternBuffer(), patternOffset(1), 100);
                w.write(1002, 0, CODEC_H264, patternBuffer(), patternOffset(2), 192);
                w.write(1003, 0, CODEC_H264, patternBuffer(), patternOffset(3), 0);
            }
        };
        final List<Field> v2Fields = new ArrayList<>(List.of(
            new Field("magic", 0, 8, U64_EXTREMES),
            new Field("version", 8, 4, U32_EXTREMES),
            new Field("slot_count", 12, 4, U32_EXTREMES),
            new Field("slot_size", 16, 4, U32_EXTREMES),
            new Field("sb.flags", 20, 4, U32_EXTREMES),
            new Field("epoch", 24, 8, U64_EXTREMES),
            new Field("created_ns", 32, 8, U64_EXTREMES),
            new Field("head", 64, 8, U64_EXTREMES)));
        for (int slot = 0; slot < 4; slot++) {
            final long base = RingV2Descriptor.SUPERBLOCK_LENGTH + slot * 256L;
            v2Fields.add(new Field("slot" + slot + ".seq", base, 8, U64_EXTREMES));
            v2Fields.add(new Field("slot" + slot + ".commit_ns", base + 8, 8, U64_EXTREMES));
            v2Fields.addAll(headerFields("slot" + slot, base + RingV2Descriptor.SLOT_HEADER_OFFSET));
        }
        // v1: 4096 bytes, one keyframe of 100 bytes.
        final Base v1 = path -> {
            try (RingWriter w = RingWriter.createV1(path, 4096)) {
                w.write(1001, FLAG_KEYFRAME, CODEC_HEVC, patternBuffer(), patternOffset(1), 100);
            }
        };
        final List<Field> v1Fields = new ArrayList<>(List.of(
            new Field("seq", 0, 8, U64_EXTREMES),
            new Field("write_len", 8, 8, new long[] {0, 1, 31, 32, 33, 131, 132, 133, 4096 - 16, 4096 - 15, 4096,
                -1, -16, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, 1L << 31, 1L << 32})));
        v1Fields.addAll(headerFields("v1", RingV1Descriptor.DATA_OFFSET));
        // v1 at its largest: write_len == file_size - 16 exactly, then one past.
        final Base v1Max = path -> {
            try (RingWriter w = RingWriter.createV1(path, 4096)) {
                w.write(1001, FLAG_KEYFRAME, CODEC_H264, patternBuffer(), patternOffset(1), w.maxPayloadLength());
            }
        };
        final List<Field> v1MaxFields = List.of(
            new Field("write_len", 8, 8, new long[] {4096 - 16, 4096 - 15, 4096 - 17}),
            new Field("v1.size", RingV1Descriptor.DATA_OFFSET + SIZE_OFFSET, 4, new long[] {4096 - 48, 4096 - 47, 4096 - 49}));

        for (final Object[] family : new Object[][] {{"v2", v2, v2Fields}, {"v1", v1, v1Fields}, {"v1max", v1Max, v1MaxFields}}) {
            final Base base = (Base) family[1];
            @SuppressWarnings("unchecked")
            final List<Field> fields = (List<Field>) family[2];
            for (final Field field : fields) {
                for (final long value : field.values()) {
                    final String at = family[0] + " " + field.name() + "=" + Long.toUnsignedString(value);
                    // (a) a fresh reader on the damaged file
                    base.create(ring);
                    put(ring, field.offset(), field.width(), value);
                    for (final boolean crc : new boolean[] {true, false}) {
                        try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withCrc(crc)
                            .withKeyframeGating(random.nextBoolean()).withFileCheckIntervalNs(0))) {
                            pollGarbage(reader, d, random, 12, at + " fresh crc=" + crc, tally);
                        }
                    }
                    // (b) a reader that read the intact file, then the field changes in place
                    base.create(ring);
                    try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withFileCheckIntervalNs(0))) {
                        pollGarbage(reader, d, random, 6, at + " before", tally);
                        put(ring, field.offset(), field.width(), value);
                        pollGarbage(reader, d, random, 12, at + " in place", tally);
                    }
                    cases++;
                }
            }
        }

        // Geometry at the limits: slot_count = 2^30 (the largest allowed), slot_size huge, a file
        // larger than one mapping can hold, and a 1 MiB slot holding exactly slot_size - 64 bytes.
        final long[][] geometries = {{1L << 30, 128}, {2, 0x7FFF_FFC0L}, {1L << 24, 128}, {2, 1 << 20}, {1L << 30, 0xFFFF_FFC0L}};
        for (final long[] g : geometries) {
            Files.deleteIfExists(ring);
            final long fileLength = Math.min(128 + g[0] * g[1], (1L << 31) + 4096);
            try (RandomAccessFile f = new RandomAccessFile(ring.toFile(), "rw")) {
                f.setLength(fileLength); // sparse
            }
            put(ring, 0, 8, RingV2Descriptor.MAGIC);
            put(ring, 8, 4, 2);
            put(ring, 12, 4, g[0]);
            put(ring, 16, 4, g[1]);
            put(ring, 24, 8, 0x1234_5678L);
            put(ring, 64, 8, 1);
            put(ring, 128, 8, 2); // slot 0 committed frame 1
            put(ring, 128 + 32 + SIZE_OFFSET, 4, g[1] - 64);
            put(ring, 128 + 32 + FLAGS_OFFSET, 2, FLAG_KEYFRAME);
            final String at = "geometry slot_count=" + g[0] + " slot_size=" + g[1] + " file=" + fileLength;
            try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withCrc(random.nextBoolean())
                .withFileCheckIntervalNs(0))) {
                pollGarbage(reader, d, random, 12, at, tally);
            }
            cases++;
        }
        Files.deleteIfExists(ring);
        // v1 in a file larger than one mapping, write_len near the end of the file.
        try (RandomAccessFile f = new RandomAccessFile(ring.toFile(), "rw")) {
            f.setLength((1L << 31) + 4096);
        }
        for (final long writeLen : new long[] {(1L << 31) + 4096 - 16, Integer.MAX_VALUE - 16, Integer.MAX_VALUE - 15, 1L << 31}) {
            put(ring, 0, 8, 7 + writeLen);
            put(ring, 8, 8, writeLen);
            try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withFileCheckIntervalNs(0))) {
                pollGarbage(reader, d, random, 8, "v1 2 GiB write_len=" + writeLen, tally);
            }
            cases++;
        }
        Files.deleteIfExists(ring);
        System.out.println("TORTURE " + scenario + " cases=" + cases + " polls=" + tally.values().stream().mapToLong(Long::longValue).sum()
            + " outcomes=" + tally + " exceptions=0 overruns=0");
    }

    @Test
    void readerShouldSurviveRandomBytes() throws Exception {
        final String scenario = "random-bytes";
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final Destinations d = new Destinations(65536, 4096, 256, 33);
        final Map<PollOutcome, Long> tally = new EnumMap<>(PollOutcome.class);
        final Path ring = children.dir().resolve("frames");
        final int[] fixedSizes = {0, 1, 15, 16, 47, 48, 63, 64, 127, 128, 129, 4095, 4096, 4097, 8192 + 128};
        final long deadline = System.nanoTime() + 5_000_000_000L;
        int files = 0;
        while (System.nanoTime() - deadline < 0 && files < 4000) {
            final int length = files < fixedSizes.length ? fixedSizes[files] : random.nextInt(4) == 0
                ? random.nextInt(200) : random.nextInt(40_000);
            final byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            final ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            final int kind = random.nextInt(6);
            if (kind >= 2 && length >= 8) {
                b.putLong(0, RingV2Descriptor.MAGIC);
            }
            if (kind >= 3 && length >= 72) {
                // plausible geometry, random everything else
                b.putInt(8, 2).putInt(12, 1 << (1 + random.nextInt(8))).putInt(16, 64 * (2 + random.nextInt(64)));
                b.putLong(64, random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(1000));
                if (kind == 5) {
                    b.putLong(24, random.nextInt(3)); // epoch 0, 1, 2
                }
            }
            if (kind == 1 && length >= 16) {
                // v1 with a small seq and a write_len within the file
                b.putLong(0, 1 + random.nextInt(1000)).putLong(8, random.nextInt(Math.max(1, length)));
            }
            Files.write(ring, bytes);
            final String at = "seed=" + seed + " file#" + files + " length=" + length + " kind=" + kind;
            try (RingReader reader = new RingReader(ring, RingReader.Options.DEFAULTS.withCrc(random.nextBoolean())
                .withKeyframeGating(random.nextBoolean()).withFileCheckIntervalNs(random.nextBoolean() ? 0 : 1_000_000))) {
                pollGarbage(reader, d, random, 6, at, tally);
                if (length > 16) {
                    // scribble over it in place under the reader, a few times
                    for (int round = 0; round < 3; round++) {
                        final byte[] scribble = new byte[1 + random.nextInt(16)];
                        random.nextBytes(scribble);
                        try (FileChannel channel = FileChannel.open(ring, StandardOpenOption.WRITE)) {
                            channel.write(ByteBuffer.wrap(scribble), random.nextInt(length));
                        }
                        pollGarbage(reader, d, random, 3, at + " scribble " + round, tally);
                    }
                }
            }
            files++;
        }
        System.out.println("TORTURE " + scenario + " seed=" + seed + " files=" + files + " polls="
            + tally.values().stream().mapToLong(Long::longValue).sum() + " outcomes=" + tally + " exceptions=0 overruns=0");
        assertTrue(files >= 200, "too few files in the time budget: " + files);
    }
}
