package io.sdr.load;

import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.PollOutcome;
import io.sdr.ring.RingReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quality-tier run's pieces: the tier feeder's rings, the per-class figures, the A/B summary, the options. */
class TierRunTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(30)
    void shouldWriteEveryPictureToEachTierRingWithTheSameSeqAlignedKeyframesAndSizesByShare() throws Exception {
        final Path shm = Files.createTempDirectory(Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm") : dir, "sdr-tier-feeder-");
        final List<Path> rings = List.of(shm.resolve("main"), shm.resolve("main-360p"), shm.resolve("main-180p"));
        // In /dev/shm, which no @TempDir cleans: removed even when an assertion fails.
        try {
            try (RingFeeder feeder = new RingFeeder(rings, new double[] {1.0, 0.25, 0.0625}, 200, 1600, 6400, 5, 64)) {
                feeder.start();
                while (feeder.framesWritten() < 12) {
                    LockSupport.parkNanos(5_000_000L);
                }
            }
            final int[][] sizes = {{6400, 1600}, {1600, 400}, {400, 100}};
            final List<List<Long>> seqs = new ArrayList<>();
            for (int tier = 0; tier < rings.size(); tier++) {
                final List<Long> seen = new ArrayList<>();
                seqs.add(seen);
                // A new reader starts at the newest keyframe; the feeder has stopped, so every ring ends at the same picture.
                try (RingReader reader = new RingReader(rings.get(tier))) {
                    final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(16 * 1024));
                    for (PollOutcome out = reader.poll(dst, 0); out != PollOutcome.NO_NEW_FRAME; out = reader.poll(dst, 0)) {
                        assertEquals(PollOutcome.FRAME, out, "tier " + tier + ": " + reader.lastError());
                        final long seq = reader.frame().frameSeq();
                        seen.add(seq);
                        assertEquals(seq, reader.frame().frameId());
                        final boolean key = (seq - 1) % 5 == 0;
                        assertEquals(key, reader.frame().isKeyframe(), "keyframes aligned: tier " + tier + ", seq " + seq);
                        assertEquals(sizes[tier][key ? 0 : 1], reader.frame().size(), "size by share: tier " + tier);
                        assertEquals(tier, dst.getByte(FrameHeaderDescriptor.LENGTH + RingFeeder.TIER_OFFSET), "the tier byte");
                    }
                }
                assertTrue(!seen.isEmpty() && seen.get(seen.size() - 1) >= 12, "tier " + tier + " read " + seen);
            }
            assertEquals(seqs.get(0), seqs.get(1), "the same frame_seq in every tier ring");
            assertEquals(seqs.get(0), seqs.get(2));
        } finally {
            try (var paths = Files.walk(shm)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void shouldRefuseAFrameTooSmallForItsTierByte() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new RingFeeder(List.of(dir.resolve("a"), dir.resolve("b")), new double[] {1.0, 0.01}, 30, 100, 100, 30, 8));
        assertTrue(e.getMessage().contains("tier 1, share 0.01"), e.getMessage());
    }

    /** A narrow client of class 0 whose seconds had these oldest ages (ms; -1: no frame) on these tiers. */
    private static ClientStats client(final int rateClass, final long frames, final double[] agesMs, final int[] tiers) {
        final ClientStats c = new ClientStats(0, rateClass < 0 ? ClientStats.Kind.HEALTHY : ClientStats.Kind.NARROW);
        c.rateClass = rateClass;
        c.frames = frames;
        c.trackSeconds(agesMs.length);
        for (int s = 0; s < agesMs.length; s++) {
            if (agesMs[s] >= 0) {
                c.inSecond(s, (long) (agesMs[s] * 1e6), tiers[s]);
            }
        }
        return c;
    }

    @Test
    void shouldReportEachClassesOldestFramePerSecondSettledTierAndFrameRate() {
        final List<ClientStats> clients = new ArrayList<>();
        clients.add(client(-1, 300, new double[] {5, 6, 7, 8}, new int[] {0, 0, 0, 0}));
        clients.add(client(0, 200, new double[] {900, 40, 30, -1}, new int[] {0, 1, 1, 1}));
        clients.add(client(0, 280, new double[] {20, 10, 50, 60}, new int[] {2, 2, 1, 2}));
        final ClientStats switching = clients.get(1);
        switching.firstFrameNs = 1_000_000_000L;
        switching.tierSeen(0, 1_000_000_000L);
        switching.tierSeen(1, 3_500_000_000L);
        final JsonObject classes = TierReport.classes(clients, 4, 10.0, 30.0, List.of("720p", "360p", "180p"), List.of("25%"));

        final JsonObject healthy = classes.getJsonObject("healthy");
        assertEquals(1, healthy.getInteger("clients"));
        assertEquals(30.0, healthy.getJsonObject("fps").getDouble("mean"));
        assertEquals(1.0, healthy.getDouble("fps_share"));
        assertEquals(new JsonObject().put("720p", 1), healthy.getJsonObject("settled_tier"));

        final JsonObject narrow = classes.getJsonObject("25%");
        assertEquals(2, narrow.getInteger("clients"));
        // Seven seconds with a frame: 10 20 30 40 50 60 900 ms; the empty one is counted, not averaged in.
        assertEquals(new JsonObject().put("p50", 40.0).put("p99", 900.0).put("max", 900.0).put("n", 7), narrow.getJsonObject("oldest_frame_age_ms"));
        assertEquals(1, narrow.getInteger("seconds_without_frames"));
        assertEquals(24.0, narrow.getJsonObject("fps").getDouble("mean"));
        assertEquals(20.0, narrow.getJsonObject("fps").getDouble("min"));
        assertEquals(0.8, narrow.getDouble("fps_share"));
        assertEquals(new JsonObject().put("180p", 1).put("360p", 1), narrow.getJsonObject("settled_tier"), "the tier of most seconds");
        assertEquals(1, narrow.getInteger("tier_switches"));
        assertEquals(2.5, narrow.getDouble("last_switch_after_first_frame_s"));
    }

    private static JsonObject leg(final double p50, final double p99, final double fps) {
        return new JsonObject().put("server_cpu_cores", fps / 100).put("classes", new JsonObject().put("50%", new JsonObject()
            .put("oldest_frame_age_ms", new JsonObject().put("p50", p50).put("p99", p99))
            .put("fps", new JsonObject().put("mean", fps)).put("seconds_without_frames", 0)
            .put("settled_tier", new JsonObject().put("360p", 4))));
    }

    @Test
    void shouldGiveEachRoundsTiersOverMainOnlyRatioPerClass() {
        final JsonArray rounds = new JsonArray()
            .add(new JsonObject().put("round", 1).put("tiers", leg(5, 12, 30)).put("main_only", leg(250, 600, 12)))
            .add(new JsonObject().put("round", 2).put("tiers", leg(6, 10, 30)).put("main_only", leg(200, 500, 15)))
            .add(new JsonObject().put("round", 3).put("tiers", leg(4, 20, 29)).put("main_only", leg(400, 800, 10)));
        final JsonArray summary = TierRun.summarize(rounds, List.of("50%"));
        final JsonObject p99 = find(summary, "50%", "age_p99_ms");
        assertEquals(new JsonArray().add(0.02).add(0.02).add(0.025), p99.getJsonObject("ratio").getJsonArray("rounds"));
        assertEquals(0.02, p99.getJsonObject("ratio").getDouble("median"));
        assertEquals(12.0, p99.getJsonObject("tiers").getDouble("median"));
        assertEquals(600.0, p99.getJsonObject("main_only").getDouble("median"));
        final JsonObject fps = find(summary, "50%", "fps");
        assertEquals(2.5, fps.getJsonObject("ratio").getDouble("median"));
        assertEquals(2.9, fps.getJsonObject("ratio").getDouble("max"));
        // 0 empty seconds against 0: no ratio, not a division by zero.
        assertNull(find(summary, "50%", "empty_seconds").getJsonObject("ratio").getValue("median"));
        assertEquals(3, find(summary, "50%", "settled_tier").getJsonArray("rounds").size());
        assertEquals(2.5, find(summary, "server", "server_cpu_cores").getJsonObject("ratio").getDouble("median"), "the leg's own figures too");
        final String table = TierRun.table(new JsonObject().put("label", "t").put("tier_summary", summary));
        assertTrue(table.contains("| 50% | oldest frame per second, p99 | ms | 12.0 | 600 | 0.0200 | 0.0200 – 0.0250 | 0.0200, 0.0200, 0.0250 |"), table);
        assertTrue(table.contains("| 50% | tier settled on (viewers), tiers on | viewers | 360p×4; 360p×4; 360p×4 |"), table);
    }

    private static JsonObject find(final JsonArray summary, final String cls, final String figure) {
        for (final Object o : summary) {
            final JsonObject f = (JsonObject) o;
            if (f.getString("class").equals(cls) && f.getString("figure").equals(figure)) {
                return f;
            }
        }
        throw new AssertionError("no " + cls + "/" + figure + " in " + summary.encode());
    }

    private static String problem(final String... args) {
        final LoadCommand command = new LoadCommand();
        new CommandLine(command).parseArgs(args);
        return command.tierProblem();
    }

    @Test
    void shouldExplainTierOptionsThatCannotRun() {
        assertNull(problem("--tiers"));
        assertEquals("--tier-labels=[720p, 360p], --tier-shares=[1.0, 0.24, 0.06]: 2 to 8 tiers, one share per label",
            problem("--tiers", "--tier-labels", "720p,360p"));
        assertEquals("--tier-shares=[1.0, 0.5, 0.6]: the first 1, then each smaller than the one before, all > 0",
            problem("--tiers", "--tier-shares", "1,0.5,0.6"));
        assertEquals("--tier-labels: \"auto\" must be 1-32 of A-Z a-z 0-9 _ -, not \"auto\", and unique",
            problem("--tiers", "--tier-labels", "720p,auto,180p"));
        assertEquals("--tier-shares: tier 180p would carry 6 B frames; at least 9 (timestamp and tier byte): raise --frame-bytes",
            problem("--tiers", "--frame-bytes", "100"));
        assertEquals("--tiers starts its own server with healthy and narrow viewers only: not with --peer, --url, --edges, --stalled, --slow or --joiners",
            problem("--tiers", "--slow", "1"));
        assertEquals("--narrow-rates=[0.25, -1.0]: each a share of the top tier's rate in (0, 10]", problem("--tiers", "--narrow-rates", "0.25,-1"));
    }
}
