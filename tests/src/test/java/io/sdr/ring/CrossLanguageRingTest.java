package io.sdr.ring;

import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.sdr.testing.ChildProcess;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static io.sdr.ring.FrameHeaderDescriptor.*;
import static io.sdr.ring.RingTestKit.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ring contract across languages, both directions and both layouts: the Python package
 * (shm-worker/python/sdr_ring) writes and the Java {@link RingReader} reads, and the Java
 * {@link RingWriter} writes and the Python {@code read} CLI reads. Every header field and every
 * payload byte is checked, with CRCs on both sides of 2^31, HEVC and H.264, keyframes and not.
 */
class CrossLanguageRingTest {
    private static final int FRAMES = 300;
    private static final int SIZE = 16;
    private static final int JITTER = 6000;
    private static final int GOP = 10;

    @RegisterExtension
    final RingChildren children = new RingChildren("sdr-ring-xlang-");

    @BeforeAll
    static void requirePython() {
        assumeTrue(pythonAvailable(), "python3 and shm-worker/python/sdr_ring are needed");
    }

    private ChildProcess python(final String name, final String... args) throws IOException {
        return children.python(name, args);
    }

    // ---- Python writes, Java reads ------------------------------------------------------------

    @ParameterizedTest(name = "python {0} codec {1} -> java")
    @CsvSource({"v1, 1", "v1, 2", "v2, 1", "v2, 2"})
    void javaShouldReadEveryFieldPythonWrote(final String layout, final int codec) throws Exception {
        final Path ring = children.dir().resolve("frames");
        final boolean v2 = "v2".equals(layout);
        // v2 keeps every frame (slot_count > FRAMES), v1 only the latest: pace it so the reader sees each.
        final RingReader.Options options = RingReader.Options.DEFAULTS
            .withKeyframeGating(v2)
            .withFileCheckIntervalNs(1_000_000);
        final UnsafeBuffer dst = destination(64 * 1024);
        final List<Long> delivered = new ArrayList<>();
        int highCrc = 0;
        int keyframes = 0;
        long lastCommitNs = 0;
        final long startNs = System.nanoTime();
        try (RingReader reader = new RingReader(ring, options)) {
            assertEquals(PollOutcome.NOT_READY, reader.poll(dst, 0), "no file yet");
            final List<String> args = new ArrayList<>(List.of("write", "--layout", layout, "--path", ring.toString(),
                "--frames", Integer.toString(FRAMES), "--size", Integer.toString(SIZE),
                "--size-jitter", Integer.toString(JITTER), "--gop", Integer.toString(GOP),
                "--codec", Integer.toString(codec), "--fps", v2 ? "2000" : "300"));
            if (v2) {
                args.addAll(List.of("--slot-count", "512", "--slot-size", "8192"));
            } else {
                args.addAll(List.of("--buf-size", "65536"));
            }
            final ChildProcess writer = python("writer-" + layout, args.toArray(new String[0]));
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() - deadline < 0) {
                final PollOutcome outcome = reader.poll(dst, 0);
                if (outcome == PollOutcome.FRAME) {
                    final FrameInfo f = reader.frame();
                    final long s = f.frameSeq();
                    final String at = "python " + layout + " frame " + s + ": " + f;
                    assertTrue(delivered.isEmpty() || s > delivered.get(delivered.size() - 1), at + " after " + delivered);
                    delivered.add(s);
                    assertEquals(s, f.frameId(), at);
                    final int size = frameSize(SIZE, JITTER, s);
                    assertEquals(size, f.size(), at);
                    final boolean key = s == 1 || (s - 1) % GOP == 0;
                    assertEquals(key ? FLAG_KEYFRAME : 0, f.flags(), at);
                    assertEquals(codec, f.codec(), at);
                    final int crc = crc32(patternBytes(s, size));
                    assertEquals(crc, f.crc32(), at);
                    assertEquals(v2 ? 2 : 1, f.layoutVersion(), at);
                    // The header as copied into dst, byte for byte.
                    assertEquals(s, dst.getLong(FRAME_ID_OFFSET), at);
                    assertEquals(s, dst.getLong(FRAME_SEQ_OFFSET), at);
                    assertEquals(size, dst.getInt(SIZE_OFFSET), at);
                    assertEquals(key ? FLAG_KEYFRAME : 0, dst.getShort(FLAGS_OFFSET) & 0xFFFF, at);
                    assertEquals(codec, dst.getShort(CODEC_OFFSET) & 0xFFFF, at);
                    assertEquals(crc, dst.getInt(CRC32_OFFSET), at);
                    assertEquals(0, dst.getInt(RESERVED_OFFSET), at + ": reserved");
                    assertTrue(patternMatches(dst, LENGTH, s, size), at + ": payload bytes");
                    assertEquals(crc, crc32(dst, LENGTH, size), at + ": crc of the copied payload");
                    if (v2) {
                        assertTrue(f.commitNs() >= startNs && f.commitNs() <= System.nanoTime(),
                            at + ": commit_ns is CLOCK_MONOTONIC, as System.nanoTime");
                        assertTrue(f.commitNs() >= lastCommitNs, at + ": commit_ns goes forward");
                        lastCommitNs = f.commitNs();
                    } else {
                        assertEquals(0, f.commitNs(), at);
                    }
                    highCrc += crc < 0 ? 1 : 0;
                    keyframes += key ? 1 : 0;
                    if (s == FRAMES) {
                        break;
                    }
                } else if (outcome == PollOutcome.NO_NEW_FRAME || outcome == PollOutcome.NOT_READY) {
                    // Leave the CPU to the writer (2-core machines): a v1 writer that falls behind its
                    // pace catches up in bursts, and v1 keeps only the latest frame.
                    LockSupport.parkNanos(20_000);
                } else if (v2 || !(outcome == PollOutcome.TORN || outcome == PollOutcome.CRC_ERROR
                    || outcome == PollOutcome.BAD_LENGTH)) {
                    // v1 has no write-in-progress marker: a copy racing the writer is torn (counted, dropped).
                    fail("unexpected outcome " + outcome + ": " + reader.counters());
                }
            }
            assertEquals(0, writer.awaitExit(Duration.ofSeconds(20)), writer.tail());
            assertTrue(writer.lines().contains("done frames=" + FRAMES), writer.tail());
            final RingCounters c = reader.counters();
            System.out.println("XLANG python-" + layout + "-codec" + codec + "->java delivered=" + delivered.size()
                + "/" + FRAMES + " first=" + (delivered.isEmpty() ? 0 : delivered.get(0)) + " highCrc=" + highCrc
                + " keyframes=" + keyframes + " counters=" + c);
            assertFalse(delivered.isEmpty(), "nothing delivered: " + c);
            assertEquals(FRAMES, delivered.get(delivered.size() - 1), "the last frame: " + c);
            assertEquals(0, c.get(PollOutcome.BAD_LAYOUT), c.toString());
            if (v2) {
                assertEquals(0, c.get(PollOutcome.CRC_ERROR), c.toString());
                assertEquals(0, c.get(PollOutcome.BAD_LENGTH), c.toString());
                final long first = delivered.get(0);
                assertTrue(first == 1 || (first - 1) % GOP == 0, "v2 starts at a keyframe: " + first);
                assertEquals(FRAMES - first + 1, delivered.size(), "v2 delivers every frame from its start: " + c);
                assertEquals(0, c.framesLost(), c.toString());
            }
            assertTrue(delivered.size() >= FRAMES / 3, "delivered " + delivered.size() + " of " + FRAMES + ": " + c);
            assertTrue(highCrc > 0 && highCrc < delivered.size(), "CRCs on both sides of 2^31: high=" + highCrc);
            assertTrue(keyframes > 0 && keyframes < delivered.size(), "keyframes and delta frames: " + keyframes);
        }
    }

    // ---- Java writes, Python reads ------------------------------------------------------------

    @ParameterizedTest(name = "java {0} -> python")
    @ValueSource(strings = {"v1", "v2"})
    void pythonShouldReadEveryFieldJavaWrote(final String layout) throws Exception {
        final Path ring = children.dir().resolve("frames");
        final boolean v2 = "v2".equals(layout);
        final int frames = 200;
        int highCrc = 0;
        try (RingWriter writer = v2 ? RingWriter.createV2(ring, 256, 8192) : RingWriter.createV1(ring, 65536)) {
            final ChildProcess reader = python("reader-" + layout, "read", "--layout", layout, "--path", ring.toString(),
                "--count", Integer.toString(frames), "--timeout-s", "60");
            for (int s = 1; s <= frames; s++) {
                final long frameId = s == 3 ? -1L : s == 4 ? Long.MIN_VALUE : s == 5 ? 0 : 1_000_000_000_000L + s;
                final boolean key = s == 1 || s % 10 == 0;
                final int flags = (key ? FLAG_KEYFRAME : 0) | (s % 7 == 0 ? 0x8000 : 0);
                final int codec = s % 5 == 0 ? CODEC_H264 : CODEC_HEVC;
                final int size = frameSize(0, 7000, s);
                final byte[] payload = patternBytes(s, size);
                final int crc = crc32(payload);
                highCrc += crc < 0 ? 1 : 0;
                assertEquals(s, writer.write(frameId, flags, codec, new UnsafeBuffer(payload), 0, size));
                final long commitNs = v2 ? readLong(ring, RingV2Descriptor.slotOffset(s, 256, 8192)
                    + RingV2Descriptor.SLOT_COMMIT_NS_OFFSET) : -1;
                // Lockstep: v1 holds only the latest frame, so wait for the reader before the next one.
                final String line = reader.nextLine(Duration.ofSeconds(15));
                assertNotNull(line, "python reader printed nothing for frame " + s + ": " + reader.tail());
                final JsonObject json = new JsonObject(line);
                final String at = "java " + layout + " frame " + s + ": " + line;
                assertEquals(Long.toUnsignedString(frameId), json.getValue("frame_id").toString(), at);
                assertEquals(Integer.toString(s), json.getValue("frame_seq").toString(), at);
                assertEquals(size, json.getInteger("size"), at);
                assertEquals(flags, json.getInteger("flags"), at);
                assertEquals(codec, json.getInteger("codec"), at);
                assertEquals(Integer.toUnsignedString(crc), json.getValue("crc32").toString(), at + ": crc32 unsigned");
                assertEquals(0, json.getInteger("reserved"), at);
                assertEquals(sha256Hex(payload), json.getString("sha256"), at);
                assertEquals(Boolean.TRUE, json.getBoolean("pattern_ok"), at);
                if (v2) {
                    assertEquals(Long.toUnsignedString(commitNs), json.getValue("commit_ns").toString(), at);
                    assertTrue(commitNs > 0, at);
                } else {
                    assertFalse(json.containsKey("commit_ns"), at);
                }
            }
            assertEquals(0, reader.awaitExit(Duration.ofSeconds(20)), reader.tail());
            final String summary = reader.stderr().strip();
            final JsonObject counters = new JsonObject(summary.substring(summary.lastIndexOf('\n') + 1))
                .getJsonObject("counters");
            System.out.println("XLANG java-" + layout + "->python delivered=" + frames + " highCrc=" + highCrc
                + " python.counters=" + counters.encode());
            assertEquals(frames, counters.getInteger("frames"), counters.encode());
            assertEquals(0, counters.getInteger("crc_error"), counters.encode());
            assertEquals(0, counters.getInteger("bad_length"), counters.encode());
            assertEquals(0, counters.getInteger("frames_lost"), counters.encode());
            assertTrue(highCrc > frames / 5 && highCrc < frames * 4 / 5, "CRCs on both sides of 2^31: high=" + highCrc);
        }
    }

    private static long readLong(final Path file, final long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(b, offset);
            return b.getLong(0);
        }
    }
}
