package io.sdr.encode;

import org.junit.jupiter.api.extension.RegisterExtension;
import io.sdr.testing.Closer;
import io.sdr.testing.FfProbe.Probe;
import io.sdr.ring.RingReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.sdr.testing.FfProbe.ffprobe;
import static io.sdr.testing.FfProbe.ffprobeAvailable;
import static io.sdr.encode.EncodeTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quality tiers from one pipeline, read back from the three real rings it writes with the real
 * reader: the same picture under the same frame_seq and frame_id on every tier, keyframes at the
 * same pictures (GOP and forced), each tier decodable at its own size, and numbering that stays
 * equal when one tier drops an access unit (a gap there, a keyframe on all next) or a ring is
 * deleted (all start again from 1 together).
 */
class EncodePipelineTiersTest {
    private static final List<String> STREAMS = List.of("main", "main~90p", "main~54p");

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();


    private Path ring(final String stream) {
        return dir.resolve(stream.replace("main", "frames"));
    }

    private EncodePipeline start(final EncoderStats stats, final int gop) {
        final EncoderConfig config = config(ring("main"), new JsonObject().put("width", 320).put("height", 180).put("fps", 60)
            .put("gop", gop).put("bitrateKbps", 800).put("tiers", new JsonArray()
                .add(new JsonObject().put("name", "90p").put("width", 160).put("height", 90).put("bitrateKbps", 200))
                .add(new JsonObject().put("name", "54p").put("width", 96).put("height", 54).put("bitrateKbps", 60))));
        assertEquals(ring("main~90p"), config.tiers().get(0).path(), "a tier's ring sits next to the stream's: <path>~NAME");
        final EncodePipeline pipeline = closer.track(new EncodePipeline(config, stats, timer("encode"), timer("ring")));
        pipeline.start();
        return pipeline;
    }

    /** Frames of every tier by frame_seq, until each tier has at least {@code count} more. */
    private static List<Map<Long, RingFrame>> collectAll(final List<RingReader> readers, final int count) {
        final List<Map<Long, RingFrame>> all = new ArrayList<>();
        for (final RingReader reader : readers) {
            final Map<Long, RingFrame> bySeq = new TreeMap<>();
            for (final RingFrame frame : collect(reader, count)) {
                bySeq.put(frame.seq(), frame);
            }
            all.add(bySeq);
        }
        return all;
    }

    @Test
    void shouldWriteTheSamePictureUnderTheSameNumbersWithAlignedKeyframesOnEveryTier() throws Exception {
        final List<RingReader> readers = new ArrayList<>();
        for (final String stream : STREAMS) {
            readers.add(closer.track(reader(ring(stream))));
        }
        final EncoderStats stats = new EncoderStats("main");
        final EncodePipeline pipeline = start(stats, 10);

        final List<Map<Long, RingFrame>> first = collectAll(readers, 30);
        pipeline.requestKeyframe("test");
        eventually("the forced keyframe written", () -> stats.forcedKeyframes() == 1);
        final List<Map<Long, RingFrame>> second = collectAll(readers, 40);
        for (int t = 0; t < STREAMS.size(); t++) {
            first.get(t).putAll(second.get(t));
        }
        final Map<Long, RingFrame> top = first.get(0);
        // The forced keyframe: the first one on the top that the GOP did not make (x264 counts the
        // GOP again from a forced IDR, so every keyframe after it is off the first GOP's beat).
        long forcedSeq = -1;
        for (final RingFrame frame : top.values()) {
            if (forcedSeq < 0 && frame.keyframe() && (frame.frameId() - top.values().iterator().next().frameId()) % 10 != 0) {
                forcedSeq = frame.seq();
            }
        }
        for (int t = 1; t < STREAMS.size(); t++) {
            final Map<Long, RingFrame> tier = first.get(t);
            for (final Map.Entry<Long, RingFrame> e : tier.entrySet()) {
                final RingFrame own = e.getValue();
                final RingFrame same = top.get(e.getKey());
                if (same == null) {
                    continue; // read past the top's window; the top reader may have stopped earlier
                }
                assertEquals(same.frameId(), own.frameId(), STREAMS.get(t) + " frame_seq " + e.getKey() + ": another picture");
                assertEquals(same.keyframe(), own.keyframe(), STREAMS.get(t) + " frame_seq " + e.getKey() + ": keyframe differs");
                if (own.keyframe()) {
                    assertTrue(nalTypes(own.payload(), false).containsAll(List.of(7, 8, 5)), "SPS, PPS and IDR in a tier's keyframe");
                }
            }
            // Consecutive numbers: every picture the top wrote, the tier wrote too.
            final List<Long> seqs = new ArrayList<>(tier.keySet());
            assertEquals(seqs.get(seqs.size() - 1) - seqs.get(0) + 1, seqs.size(), STREAMS.get(t) + ": a gap " + seqs);
        }
        final long keyframes = top.values().stream().filter(RingFrame::keyframe).count();
        assertTrue(keyframes >= 6, "keyframes at the GOP (10) in " + top.size() + " frames: " + keyframes);
        if (forcedSeq > 0) {
            // (The request may also have fallen on the GOP's own beat; then the flags above cover it.)
            for (int t = 1; t < STREAMS.size(); t++) {
                assertTrue(first.get(t).get(forcedSeq).keyframe(), STREAMS.get(t) + ": the forced keyframe at " + forcedSeq);
            }
        }
        assertEquals(1, stats.forcedKeyframes());
        assertEquals(0, stats.droppedPackets());
        assertEquals(List.of("main~90p", "main~54p"), stats.tiers().stream().map(EncoderStats.Tier::stream).toList());
        assertTrue(stats.tiers().get(1).frames() >= 60, "counted: " + stats.tiers().get(1).frames());
        assertEquals(2, stats.toJson(System.nanoTime()).getJsonArray("tiers").size());
        if (ffprobeAvailable()) {
            final int[][] sizes = {{320, 180}, {160, 90}, {96, 54}};
            for (int t = 0; t < STREAMS.size(); t++) {
                final Probe probe = ffprobe(writeStream(dir.resolve(t + ".h264"), new ArrayList<>(first.get(t).values())), "h264");
                assertEquals("", probe.errors(), STREAMS.get(t) + " decodes");
                assertEquals(List.of(sizes[t][0], sizes[t][1], first.get(t).size()), List.of(probe.width(), probe.height(), probe.frames()),
                    STREAMS.get(t));
            }
        }
    }

    @Test
    void shouldLeaveAGapNotAShiftWhenATierDropsAnAccessUnitAndStartAgainTogetherWhenARingGoes() throws Exception {
        final List<RingReader> readers = new ArrayList<>();
        for (final String stream : STREAMS) {
            readers.add(closer.track(reader(ring(stream))));
        }
        final EncoderStats stats = new EncoderStats("main");
        final EncodePipeline pipeline = start(stats, 10_000);
        collectAll(readers, 10);

        pipeline.dropNextOf("main~90p");
        final List<Map<Long, RingFrame>> after = collectAll(readers, 20);
        final Map<Long, RingFrame> top = after.get(0);
        final Map<Long, RingFrame> dropped = after.get(1);
        final Map<Long, RingFrame> other = after.get(2);
        eventually("the drop counted", () -> stats.tiers().get(0).dropped() == 1);
        // The top and the other tier went on without a gap; the next picture was an IDR on all.
        long gap = -1;
        for (final long seq : other.keySet()) {
            if (!dropped.containsKey(seq) && dropped.containsKey(seq + 1)) {
                gap = seq;
            }
        }
        assertTrue(gap > 0, "a gap in main~90p: " + dropped.keySet() + " vs " + other.keySet());
        final long missing = gap;
        for (final Map<Long, RingFrame> tier : after) {
            final RingFrame next = tier.get(missing + 1);
            assertTrue(next != null && next.keyframe(), "an IDR right after the dropped access unit on every tier: " + next);
        }
        for (final Map.Entry<Long, RingFrame> e : dropped.entrySet()) {
            if (top.containsKey(e.getKey())) {
                assertEquals(top.get(e.getKey()).frameId(), e.getValue().frameId(), "frame_seq " + e.getKey() + " is the same picture");
            }
        }
        assertFalse(dropped.containsKey(missing));
        assertEquals(1, stats.droppedPackets());

        // A ring deleted: all are created again, numbered from 1 together, starting with an IDR.
        Files.delete(ring("main~54p"));
        eventually("main~54p created again", () -> Files.exists(ring("main~54p")));
        final List<Map<Long, RingFrame>> anew = new ArrayList<>();
        for (final RingReader reader : readers) {
            final Map<Long, RingFrame> bySeq = new TreeMap<>();
            // Frames of the old files may still come first; keep reading until the new numbering shows.
            while (bySeq.isEmpty() || ((TreeMap<Long, RingFrame>) bySeq).firstKey() != 1 || bySeq.size() < 10) {
                for (final RingFrame frame : collect(reader, 1)) {
                    if (frame.seq() == 1) {
                        bySeq.clear();
                    }
                    bySeq.put(frame.seq(), frame);
                }
            }
            anew.add(bySeq);
        }
        for (int t = 0; t < STREAMS.size(); t++) {
            assertTrue(anew.get(t).get(1L).keyframe(), STREAMS.get(t) + ": the new ring starts with an IDR");
            assertEquals(anew.get(0).get(1L).frameId(), anew.get(t).get(1L).frameId(), STREAMS.get(t) + ": frame_seq 1 is the same picture");
        }
    }
}
