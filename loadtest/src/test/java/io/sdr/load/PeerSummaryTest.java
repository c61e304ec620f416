package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerSummaryTest {
    /** A leg's result with the fields the summary reads, in the shape LoadRun writes them. */
    private static JsonObject leg(final double cores, final double p50Us, final double p99Us, final double rssMb, final long drops) {
        return new JsonObject()
            .put("server_process", new JsonObject().put("cpu_cores", cores).put("cpu_s_per_gb_delivered", cores * 10)
                .put("rss_mb", new JsonObject().put("max", rssMb)))
            .put("kinds", new JsonObject().put("healthy", new JsonObject()
                .put("latency_us", new JsonObject().put("p50", p50Us).put("p99", p99Us).put("max", p99Us * 2))
                .put("dropped_frames", drops).put("join_ms", new JsonObject().put("p50", 0.5).put("max", 2.0))))
            .put("delivered", new JsonObject().put("bytes", 1_000_000_000L).put("gb_per_s", 0.1))
            .put("window_s", 10.0);
    }

    private static JsonObject metric(final JsonArray summary, final String key) {
        for (final Object o : summary) {
            if (((JsonObject) o).getString("metric").equals(key)) {
                return (JsonObject) o;
            }
        }
        throw new AssertionError("no metric " + key + " in " + summary.encode());
    }

    @Test
    void shouldGiveEachRoundsRatioAndTheirMedianAndRange() {
        final JsonArray rounds = new JsonArray()
            .add(new JsonObject().put("round", 1).put("ours", leg(0.30, 6000, 9000, 300, 0)).put("peer", leg(0.10, 4000, 9000, 60, 0)))
            .add(new JsonObject().put("round", 2).put("ours", leg(0.40, 7000, 8000, 320, 3)).put("peer", leg(0.10, 5000, 10000, 64, 1)))
            .add(new JsonObject().put("round", 3).put("ours", leg(0.35, 5000, 9900, 310, 0)).put("peer", leg(0.20, 5000, 9000, 62, 0)));
        final JsonArray summary = PeerSummary.summarize(rounds);

        final JsonObject cpu = metric(summary, "server_cpu_cores");
        assertEquals(List.of(3.0, 4.0, 1.75), cpu.getJsonObject("ratio").getJsonArray("rounds").getList());
        assertEquals(3.0, cpu.getJsonObject("ratio").getDouble("median"));
        assertEquals(1.75, cpu.getJsonObject("ratio").getDouble("min"));
        assertEquals(4.0, cpu.getJsonObject("ratio").getDouble("max"));
        assertEquals(0.35, cpu.getJsonObject("ours").getDouble("median"));
        assertEquals(0.1, cpu.getJsonObject("peer").getDouble("median"));

        final JsonObject p50 = metric(summary, "latency_p50_ms");
        assertEquals(6.0, p50.getJsonObject("ours").getDouble("median"));
        assertEquals(1.4, p50.getJsonObject("ratio").getDouble("median"));

        // 0 drops against 0 drops has no ratio; 3 against 1 has.
        final JsonObject drops = metric(summary, "drops");
        assertEquals(Arrays.asList(null, 3.0, null), drops.getJsonObject("ratio").getJsonArray("rounds").getList());
        assertEquals(3.0, drops.getJsonObject("ratio").getDouble("median"));
    }

    @Test
    void shouldTakeTheMeanOfTheMiddleTwoForAnEvenCountAndLeaveMissingFiguresOut() {
        final JsonObject stats = PeerSummary.stats(Arrays.asList(4.0, null, 1.0, 2.0, 8.0));
        assertEquals(3.0, stats.getDouble("median"));
        assertEquals(1.0, stats.getDouble("min"));
        assertEquals(8.0, stats.getDouble("max"));
        final JsonObject none = PeerSummary.stats(Arrays.asList(null, null));
        assertNull(none.getValue("median"));
        assertEquals("-", PeerReport.spread(none));
    }

    @Test
    void shouldHaveNoRatiosForALegThatNeverRan() {
        final JsonArray rounds = new JsonArray().add(new JsonObject().put("round", 1).put("ours", leg(0.3, 6000, 9000, 300, 0)));
        final JsonObject cpu = metric(PeerSummary.summarize(rounds), "server_cpu_cores");
        assertEquals(0.3, cpu.getJsonObject("ours").getDouble("median"));
        assertNull(cpu.getJsonObject("peer").getValue("median"));
        assertNull(cpu.getJsonObject("ratio").getValue("median"));
    }

    @Test
    void shouldJudgeTheIssueTargetsByTheMedianRatioInTheMarkdown() {
        final JsonArray rounds = new JsonArray()
            .add(new JsonObject().put("round", 1).put("ours", leg(0.04, 3000, 9000, 100, 0)).put("peer", leg(0.10, 4000, 9000, 60, 0)))
            .add(new JsonObject().put("round", 2).put("ours", leg(0.06, 3000, 9000, 100, 0)).put("peer", leg(0.10, 4000, 9000, 60, 0)));
        final JsonObject run = new JsonObject().put("label", "peer-150k-100")
            .put("scenario", new JsonObject().put("clients", 100).put("frame_bytes", 150000).put("keyframe_bytes", 150000)
                .put("fps", 60.0).put("duration_s", 15))
            .put("peer", new JsonObject().put("rounds", 2))
            .put("summary", PeerSummary.summarize(rounds)).put("rounds", rounds);
        final String md = PeerReport.markdown(List.of(run));
        // CPU 0.5x (0.4-0.6): met at <= 0.5; p50 0.75x: met at <= 0.8; p99 1x: met; RSS 1.67x: met at <= 2.
        assertTrue(md.contains("| server CPU (cores) | 0.05 (0.04–0.06) | 0.1 | 0.5 (0.4–0.6) | ≤ 0.5 | yes |"), md);
        assertTrue(md.contains("| commit → client p50 (ms) | 3 | 4 | 0.75 | ≤ 0.8 | yes |"), md);
        assertTrue(md.contains("| server RSS (max in the window) (MB) | 100 | 60 | 1.67 | ≤ 2 | yes |"), md);
        // No target for the max latency.
        assertTrue(md.contains("| commit → client max (ms) | 18 | 18 | 1 |  |  |"), md);
        assertTrue(md.startsWith("| scenario | figure |"), md);
        assertTrue(md.contains("| peer-150k-100 | 2 | relay |"), md);

        final JsonObject worse = run.copy().put("label", "peer-8k-1000");
        worse.getJsonArray("rounds").getJsonObject(0).getJsonObject("ours").getJsonObject("kinds").getJsonObject("healthy")
            .getJsonObject("latency_us").put("p99", 20000.0);
        worse.put("summary", PeerSummary.summarize(worse.getJsonArray("rounds")));
        final String md1000 = PeerReport.markdown(List.of(worse));
        // p99 ratios 2.22 and 1: median 1.61 > 1.0; the 1,000-viewer scenario has no CPU target.
        assertTrue(md1000.contains("| commit → client p99 (ms) | 14.5 (9–20) | 9 | 1.61 (1–2.22) | ≤ 1 | **no** |"), md1000);
        assertTrue(md1000.contains("| server CPU (cores) | 0.05 (0.04–0.06) | 0.1 | 0.5 (0.4–0.6) |  |  |"), md1000);
    }
}
