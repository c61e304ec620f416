package io.sdr.record;

import io.sdr.bus.Frame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The clip history: from a keyframe on, whole GOPs trimmed by age and by bytes, snapshots that start
 * at a keyframe, and one reference per held frame (pooled memory, not copies), every one given back.
 */
class StreamHistoryTest {
    private static final long MS = 1_000_000L;
    /** Every frame the test made, with the test's own reference: released after each test. */
    private final List<Frame> made = new ArrayList<>();

    private Frame frame(final long seq, final boolean key, final long timeMs, final int payload) {
        final Frame f = Frame.allocate("main", seq, seq, key ? 1 : 0, 1, timeMs * MS, timeMs * MS + 1, 1 + 32 + payload);
        made.add(f);
        return f;
    }

    @AfterEach
    void releaseOwnReferences() {
        for (final Frame f : made) {
            assertEquals(1, f.refCnt(), "only the test's reference is left: " + f);
            f.release();
        }
    }

    /** A GOP of {@code length} frames, 100 ms apart, starting at seq / time. */
    private void gop(final StreamHistory h, final long firstSeq, final long firstMs, final int length, final int payload) {
        for (int i = 0; i < length; i++) {
            h.append(frame(firstSeq + i, i == 0, firstMs + 100L * i, payload));
        }
    }

    @Test
    void shouldStartAtTheFirstKeyframe() {
        final StreamHistory h = new StreamHistory("main", 10_000 * MS, 1 << 20);
        h.append(frame(1, false, 0, 100));
        h.append(frame(2, false, 100, 100));
        assertNull(h.snapshot(5), "no keyframe yet: nothing a decoder could start from");
        assertEquals(0, h.frameCount());
        gop(h, 3, 200, 3, 100);
        final StreamHistory.Snapshot s = h.snapshot(5);
        assertEquals(List.of(3L, 4L, 5L), s.frames().stream().map(Frame::frameSeq).toList());
        assertTrue(s.frames().get(0).isKeyframe());
        s.release();
        h.clear();
    }

    @Test
    void shouldHoldTheFramesThemselvesWithOneReferenceEach() {
        final StreamHistory h = new StreamHistory("main", 10_000 * MS, 1 << 20);
        gop(h, 1, 0, 4, 100);
        for (final Frame f : made) {
            assertEquals(2, f.refCnt(), "the test's and the history's: " + f);
        }
        final StreamHistory.Snapshot s = h.snapshot(10);
        assertSame(made.get(0), s.frames().get(0), "the same frame, not a copy");
        assertEquals(3, made.get(0).refCnt(), "the snapshot's own reference");
        s.release();
        h.clear();
    }

    @Test
    void shouldKeepTheWholeHistoryAndDropOnlyGopsOlderThanIt() {
        final StreamHistory h = new StreamHistory("main", 2_000 * MS, 1 << 30);
        for (int g = 0; g < 10; g++) {
            gop(h, g * 10L, g * 1000L, 10, 100); // 1 s GOPs
        }
        // Newest frame at 9900 ms: the GOP at 8000 ms alone would cover 1.9 s, so the one at 7000 ms stays.
        final StreamHistory.Snapshot all = h.snapshot(2);
        assertEquals(70L, all.frames().get(0).frameSeq(), "starts at the newest keyframe at or before now - 2 s");
        assertTrue(all.spanNs() >= 2_000 * MS, "a clip of the whole history is at least as long as asked: " + all.spanNs());
        assertEquals(30, h.frameCount(), "three GOPs held: 7000, 8000, 9000 ms");
        assertEquals(7, h.trimmedGops());
        all.release();
        final StreamHistory.Snapshot half = h.snapshot(0.5);
        assertEquals(90L, half.frames().get(0).frameSeq(), "the keyframe at 9000 ms is at or before 9400 ms");
        assertEquals(10, half.frames().size());
        half.release();
        h.clear();
    }

    @Test
    void shouldDropWholeGopsOverTheByteCapWhateverTheirAge() {
        final int frameBytes = 4 + 1 + 32 + 1000; // WebSocket header (16-bit length), type, frame header, payload
        final StreamHistory h = new StreamHistory("main", 60_000 * MS, 25L * frameBytes);
        for (int g = 0; g < 4; g++) {
            gop(h, g * 10L, g * 1000L, 10, 1000);
        }
        assertTrue(h.bytes() <= 25L * frameBytes, "bytes " + h.bytes());
        assertEquals(20, h.frameCount(), "the two newest GOPs fit, a third would not");
        final StreamHistory.Snapshot s = h.snapshot(60);
        assertEquals(20L, s.frames().get(0).frameSeq());
        assertTrue(s.frames().get(0).isKeyframe());
        s.release();
        h.clear();
        assertEquals(0, h.bytes());
    }

    @Test
    void shouldDropEverythingWhenOneGopIsBiggerThanTheCap() {
        final StreamHistory h = new StreamHistory("main", 60_000 * MS, 5_000);
        gop(h, 1, 0, 10, 1000);
        assertNull(h.snapshot(10), "a partial GOP cannot be decoded: none is held");
        gop(h, 11, 1000, 2, 1000);
        assertEquals(2, h.frameCount(), "the next keyframe starts again");
        h.clear();
    }

    @Test
    void shouldStartAgainWhenTheClockGoesBackOrTheCodecChanges() {
        final StreamHistory h = new StreamHistory("main", 60_000 * MS, 1 << 20);
        gop(h, 1, 5000, 3, 100);
        h.append(frame(4, false, 100, 100)); // a restarted writer: earlier commit time
        assertNull(h.snapshot(10), "a clip must not mix two timelines");
        gop(h, 5, 200, 2, 100);
        final Frame hevc = Frame.allocate("main", 7, 7, 1, 2, 400 * MS, 400 * MS, 1 + 32 + 10);
        made.add(hevc);
        h.append(hevc);
        assertEquals(2, h.codec());
        assertEquals(1, h.frameCount(), "another codec: only its keyframe");
        h.clear();
    }
}
