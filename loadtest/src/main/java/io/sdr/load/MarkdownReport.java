package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sdr-load --markdown RESULT.json...}: the tables of docs/BENCHMARKS.md rendered from the
 * JSON results of {@code loadtest/scenarios.sh}, so a re-run on a quiet machine regenerates the
 * figures instead of someone copying numbers by hand. Scenarios are recognised by their label
 * (the names scenarios.sh gives); the target table judges each issue-8 target from the run that
 * measures it and says "no run" when that result is missing.
 */
final class MarkdownReport {
    private final Map<String, JsonObject> runs = new LinkedHashMap<>();
    /** Peer runs (--peer): their own tables, after the others. */
    private final List<JsonObject> peerRuns = new ArrayList<>();
    private final List<JsonObject> edgeRuns = new ArrayList<>();
    private String iperf3;

    private MarkdownReport() {
    }

    /** The order of scenarios.sh; other labels follow in the order given. */
    private static final List<String> ORDER = List.of("idle", "1080p60-100", "1080p60-100-paced", "720p30-1000",
        "stalled-100-10", "stale-100-10", "stale-100-10-tuned", "stale-100-10-4k", "slow-100-10", "150k-100",
        "150k-100-paced", "maxrate-150", "maxrate-200", "rss500", "soak-500", "peer-11k-100", "peer-150k-100", "peer-8k-1000",
        "peer-smoke");

    static String render(final List<Path> files) throws IOException {
        final MarkdownReport report = new MarkdownReport();
        final List<Path> sorted = new ArrayList<>(files);
        sorted.sort(java.util.Comparator.comparingInt(f -> {
            final int i = ORDER.indexOf(f.getFileName().toString().replaceFirst("\\.json$", ""));
            return i < 0 ? ORDER.size() : i;
        }));
        for (final Path file : sorted) {
            if (file.getFileName().toString().endsWith(".txt")) {
                report.iperf3 = iperf3GbitPerS(Files.readString(file));
                continue;
            }
            final JsonObject run = new JsonObject(Files.readString(file));
            if (run.containsKey("edge_rounds")) {
                report.edgeRuns.add(run);
                continue;
            }
            if (run.containsKey("rounds")) {
                report.peerRuns.add(run);
                continue;
            }
            report.runs.put(run.getString("label", file.getFileName().toString()), run);
        }
        return report.render();
    }

    private String render() {
        final StringBuilder b = new StringBuilder();
        if (!runs.isEmpty() || peerRuns.isEmpty() && edgeRuns.isEmpty()) {
            b.append(machine()).append('\n');
            b.append(scenarios()).append('\n');
            b.append(stalled()).append('\n');
            b.append(rss()).append('\n');
            b.append(targets());
        }
        if (!peerRuns.isEmpty()) {
            b.append(b.length() > 0 ? "\n" : "").append(PeerReport.markdown(peerRuns));
        }
        for (final JsonObject run : edgeRuns) {
            b.append(b.length() > 0 ? "\n" : "").append(EdgeRun.table(run));
        }
        return b.toString();
    }

    private String machine() {
        final StringBuilder b = new StringBuilder("| run | load avg at start | machine cores: user / system / irq+softirq / idle / steal | load tool cores |\n|---|---|---|---|\n");
        for (final Map.Entry<String, JsonObject> e : runs.entrySet()) {
            final JsonObject r = e.getValue();
            final JsonObject c = r.getJsonObject("machine_cpu_cores", new JsonObject());
            b.append(row(e.getKey(), num(r.getValue("load_average_1m_at_start")),
                num(c.getValue("user")) + " / " + num(c.getValue("system")) + " / " + num(c.getValue("irq_softirq")) + " / "
                    + num(c.getValue("idle")) + " / " + num(c.getValue("steal")),
                num(r.getJsonObject("load_tool", new JsonObject()).getValue("cpu_cores"))));
        }
        return b.toString();
    }

    private String scenarios() {
        final StringBuilder b = new StringBuilder("| run | clients (healthy/slow/stalled) | stream | delivered GB/s | healthy fps p50 (min) "
            + "| healthy commit→client ms p50 / p99 / p99.9 / max | healthy drops (clients) | join ms p50 / p99 / max "
            + "| commit→bus µs p50 / p99 | server cores (ring poller) | server CPU-s/GB | RSS MB start / max / end |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (final Map.Entry<String, JsonObject> e : runs.entrySet()) {
            final JsonObject r = e.getValue();
            final JsonObject s = r.getJsonObject("scenario");
            if (s == null) {
                continue;
            }
            final JsonObject h = healthy(r);
            final JsonObject lat = h.getJsonObject("latency_us", new JsonObject());
            final JsonObject fps = h.getJsonObject("fps", new JsonObject());
            final JsonObject joiner = r.getJsonObject("kinds", new JsonObject()).getJsonObject("joiner");
            // Joiners connect into a warm server mid-window: their join is what a new viewer sees.
            final JsonObject join = (joiner != null ? joiner : h).getJsonObject("join_ms", new JsonObject());
            final JsonObject p = r.getJsonObject("server_process", new JsonObject());
            final JsonObject rss = p.getJsonObject("rss_mb", new JsonObject());
            final JsonObject bus = r.getJsonObject("server_metrics", new JsonObject()).getJsonObject("commit_to_publish", new JsonObject());
            b.append(row(e.getKey() + (r.getString("error") != null ? " (error: " + r.getString("error") + ")" : ""),
                s.getInteger("clients") + " (" + s.getInteger("healthy") + "/" + s.getInteger("slow") + "/" + s.getInteger("stalled") + ")",
                String.format(Locale.ROOT, "%s B (key %s) × %s fps = %s Mbit/s", s.getValue("frame_bytes"), s.getValue("keyframe_bytes"),
                    num(s.getValue("fps")), num(s.getValue("stream_mbit_per_s"))),
                num(r.getJsonObject("delivered", new JsonObject()).getValue("gb_per_s")),
                num(fps.getValue("p50")) + " (" + num(fps.getValue("min")) + ")",
                ms(lat.getValue("p50")) + " / " + ms(lat.getValue("p99")) + " / " + ms(lat.getValue("p999")) + " / " + ms(lat.getValue("max")),
                num(h.getValue("dropped_frames")) + " (" + num(h.getValue("clients_with_drops")) + ")",
                num(join.getValue("p50")) + " / " + num(join.getValue("p99")) + " / " + num(join.getValue("max"))
                    + (joiner != null ? " (" + joiner.getValue("clients") + " joiners)" : ""),
                num(bus.getValue("p50_us")) + " / " + num(bus.getValue("p99_us")),
                num(p.getValue("cpu_cores")) + " (" + num(p.getValue("poller_cpu_cores")) + ")", num(p.getValue("cpu_s_per_gb_delivered")),
                num(rss.getValue("start")) + " / " + num(rss.getValue("max")) + " / " + num(rss.getValue("end"))));
        }
        if (iperf3 != null) {
            b.append("\niperf3 over loopback in the same session: ").append(iperf3).append(" Gbit/s (")
                .append(num(Double.parseDouble(iperf3) / 8)).append(" GB/s).\n");
        }
        return b.toString();
    }

    private String stalled() {
        final StringBuilder b = new StringBuilder("| run | stalled resumed | stale video found queued ms p50 / max | stale KB p50 / max "
            + "| oldest frame age ms max | healthy p99 ms |\n|---|---|---|---|---|---|\n");
        boolean any = false;
        for (final Map.Entry<String, JsonObject> e : runs.entrySet()) {
            final JsonObject stalled = e.getValue().getJsonObject("kinds", new JsonObject()).getJsonObject("stalled");
            if (stalled == null) {
                continue;
            }
            any = true;
            final JsonObject resume = stalled.getJsonObject("resume", new JsonObject());
            final JsonObject video = resume.getJsonObject("stale_video_ms", new JsonObject());
            final JsonObject kb = resume.getJsonObject("stale_kb", new JsonObject());
            b.append(row(e.getKey(), resume.getValue("resumed") + "/" + stalled.getValue("clients"),
                num(video.getValue("p50")) + " / " + num(video.getValue("max")),
                num(kb.getValue("p50")) + " / " + num(kb.getValue("max")),
                num(resume.getJsonObject("oldest_frame_age_ms", new JsonObject()).getValue("max")),
                ms(healthy(e.getValue()).getJsonObject("latency_us", new JsonObject()).getValue("p99"))));
        }
        return any ? b.toString() : "";
    }

    /** RSS series of the long runs (rss500, soak): one row per sample, thinned to at most ~70. */
    private String rss() {
        final StringBuilder b = new StringBuilder();
        for (final Map.Entry<String, JsonObject> e : runs.entrySet()) {
            if (!e.getKey().startsWith("soak") && !e.getKey().startsWith("rss")) {
                continue;
            }
            final JsonObject p = e.getValue().getJsonObject("server_process", new JsonObject());
            final JsonArray series = p.getJsonArray("samples_t_s_rss_mb_cpu_s", new JsonArray());
            final JsonObject rss = p.getJsonObject("rss_mb", new JsonObject());
            b.append(String.format(Locale.ROOT, "%s: RSS MB start %s, max %s, end %s; slope over the second half %s MB/min; %d samples%n%n",
                e.getKey(), num(rss.getValue("start")), num(rss.getValue("max")), num(rss.getValue("end")),
                num(rss.getValue("slope_mb_per_min")), series.size()));
            final int step = Math.max(1, series.size() / 70);
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < series.size(); i += step) {
                final JsonArray s = series.getJsonArray(i);
                line.append(line.length() == 0 ? "" : ", ").append(num(s.getValue(0))).append(" s: ").append(num(s.getValue(1)));
            }
            b.append("```text\n").append(wrap(line.toString(), 110)).append("\n```\n\n");
        }
        return b.toString();
    }

    private String targets() {
        final List<String[]> rows = new ArrayList<>();
        final JsonObject r150 = runs.get("150k-100");
        if (r150 != null) {
            final double p99 = latencyP99Ms(r150);
            final double cpu = r150.getJsonObject("server_process").getDouble("cpu_s_per_gb_delivered", Double.NaN);
            rows.add(judge("150 KB × 60 fps × 100: commit→client p99 ≤ 2 ms", p99 <= 2, fmt(p99) + " ms"));
            rows.add(judge("… at ≤ 0.12 server CPU-s per GB", cpu <= 0.12, fmt(cpu) + " CPU-s/GB"));
        } else {
            rows.add(missing("150 KB × 60 fps × 100: p99 ≤ 2 ms, ≤ 0.12 CPU-s/GB", "150k-100"));
        }
        double best = Double.NaN;
        String bestRun = null;
        for (final Map.Entry<String, JsonObject> e : runs.entrySet()) {
            if (e.getKey().startsWith("maxrate")) {
                final double gbs = e.getValue().getJsonObject("delivered").getDouble("gb_per_s");
                if (Double.isNaN(best) || gbs > best) {
                    best = gbs;
                    bestRun = e.getKey();
                }
            }
        }
        rows.add(bestRun == null ? missing("max-rate fan-out to 100 ≥ 2.2 GB/s", "maxrate-*")
            : judge("max-rate fan-out to 100 ≥ 2.2 GB/s", best >= 2.2, fmt(best) + " GB/s (" + bestRun
                + (iperf3 != null ? "; iperf3 " + num(Double.parseDouble(iperf3) / 8) + " GB/s" : "") + ")"));
        final JsonObject r720 = runs.get("720p30-1000");
        if (r720 != null) {
            final JsonObject h = healthy(r720);
            final long drops = h.getLong("dropped_frames", -1L);
            rows.add(judge("1,000 × 720p30: no drop for healthy clients", drops == 0 && h.getInteger("joined", 0) == 1000,
                drops + " drops, " + h.getValue("joined") + "/1000 joined, p99 " + fmt(latencyP99Ms(r720)) + " ms"));
        } else {
            rows.add(missing("1,000 × 720p30: no drop for healthy clients", "720p30-1000"));
        }
        final JsonObject base = runs.get("1080p60-100");
        final JsonObject stalled = runs.get("stalled-100-10");
        if (base != null && stalled != null) {
            final double a = latencyP99Ms(base);
            final double s = latencyP99Ms(stalled);
            // "Unchanged": within 20 % or 1 ms, whichever is larger (run-to-run noise on this VM is about that).
            rows.add(judge("10 % stalled: healthy p99 unchanged", s <= Math.max(a * 1.2, a + 1),
                fmt(s) + " ms with 10 stalled vs " + fmt(a) + " ms without"));
        } else {
            rows.add(missing("10 % stalled: healthy p99 unchanged", "1080p60-100 + stalled-100-10"));
        }
        for (final String label : new String[] {"stale-100-10", "stale-100-10-tuned", "stale-100-10-4k"}) {
            final JsonObject r = runs.get(label);
            if (r == null) {
                continue;
            }
            final JsonObject resume = r.getJsonObject("kinds").getJsonObject("stalled", new JsonObject()).getJsonObject("resume", new JsonObject());
            final double max = resume.getJsonObject("stale_video_ms", new JsonObject()).getDouble("max", Double.NaN);
            final double interval = 1000 / r.getJsonObject("scenario").getDouble("fps");
            // "About one frame interval": at most two frames (the one being written plus one).
            rows.add(judge("stale video queued for a stalled client ≤ ~1 frame interval (" + label + ")", max <= 2 * interval + 0.1,
                fmt(max) + " ms max (frame interval " + fmt(interval) + " ms)"));
        }
        if (base != null) {
            final JsonObject joiner = base.getJsonObject("kinds").getJsonObject("joiner");
            final JsonObject join = (joiner != null ? joiner : healthy(base)).getJsonObject("join_ms", new JsonObject());
            final double interval = 1000 / base.getJsonObject("scenario").getDouble("fps");
            rows.add(judge("join → first keyframe ≤ one frame interval (1080p60-100 " + (joiner != null ? "joiners" : "initial clients")
                    + ", p99)", join.getDouble("p99", Double.NaN) <= interval,
                "p50 " + num(join.getValue("p50")) + " / p99 " + num(join.getValue("p99")) + " / max " + num(join.getValue("max"))
                    + " ms (interval " + fmt(interval) + " ms)"));
            final Object busP99 = base.getJsonObject("server_metrics", new JsonObject()).getJsonObject("commit_to_publish", new JsonObject()).getValue("p99_us");
            rows.add(judge("commit → published on the bus p99 ≤ 120 µs (1080p60-100)", busP99 instanceof Number && ((Number) busP99).doubleValue() <= 120,
                num(busP99) + " µs (bucket upper bound)"));
        } else {
            rows.add(missing("join ≤ one frame interval; commit → bus p99 ≤ 120 µs", "1080p60-100"));
        }
        final JsonObject idle = runs.get("idle");
        if (idle != null) {
            final double cores = idle.getJsonObject("server_process").getDouble("cpu_cores", Double.NaN);
            rows.add(judge("idle CPU ≤ 7 % of a core", cores <= 0.07, fmt(cores * 100) + " % of a core"));
        } else {
            rows.add(missing("idle CPU ≤ 7 % of a core", "idle"));
        }
        for (final String label : new String[] {"rss500", "soak-500"}) {
            final JsonObject r = runs.get(label);
            if (r == null) {
                rows.add(missing("RSS ≤ 1 GiB with 500 clients" + (label.startsWith("soak") ? ", flat over the soak" : ""), label));
                continue;
            }
            final JsonObject rss = r.getJsonObject("server_process").getJsonObject("rss_mb");
            final double max = rss.getDouble("max");
            final double slope = rss.getDouble("slope_mb_per_min");
            final boolean soak = label.startsWith("soak");
            // Flat: the second half's least-squares slope below 1 MB/min (< 10 MB over the soak).
            rows.add(judge("RSS ≤ 1 GiB with 500 clients" + (soak ? ", flat over the soak" : "") + " (" + label + ")",
                max <= 1024 && (!soak || Math.abs(slope) < 1),
                "max " + fmt(max) + " MB, slope " + fmt(slope) + " MB/min over " + num(r.getValue("window_s")) + " s"));
        }
        final StringBuilder b = new StringBuilder("| target | measured | met |\n|---|---|---|\n");
        for (final String[] row : rows) {
            b.append(row(row[0], row[1], row[2]));
        }
        return b.toString();
    }

    private static String[] judge(final String target, final boolean met, final String measured) {
        return new String[] {target, measured, met ? "yes" : "**no**"};
    }

    private static String[] missing(final String target, final String label) {
        return new String[] {target, "no run (" + label + ")", "-"};
    }

    private static JsonObject healthy(final JsonObject run) {
        return run.getJsonObject("kinds", new JsonObject()).getJsonObject("healthy", new JsonObject());
    }

    private static double latencyP99Ms(final JsonObject run) {
        return healthy(run).getJsonObject("latency_us", new JsonObject()).getDouble("p99", Double.NaN) / 1000;
    }

    static String iperf3GbitPerS(final String text) {
        for (final String line : text.split("\n")) {
            if (line.contains("receiver")) {
                final String[] f = line.trim().split("\\s+");
                for (int i = 1; i < f.length; i++) {
                    if (f[i].equals("Gbits/sec")) {
                        return f[i - 1];
                    }
                }
            }
        }
        return null;
    }

    private static String row(final String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private static String ms(final Object us) {
        return us instanceof Number ? fmt(((Number) us).doubleValue() / 1000) : "-";
    }

    private static String num(final Object v) {
        if (v instanceof Double || v instanceof Float) {
            return fmt(((Number) v).doubleValue());
        }
        return v == null ? "-" : v.toString();
    }

    static String fmt(final double d) {
        if (Double.isNaN(d)) {
            return "-";
        }
        if (Math.abs(d) >= 100) {
            return String.format(Locale.ROOT, "%.0f", d);
        }
        final String s = String.format(Locale.ROOT, "%.3g", d);
        return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static String wrap(final String text, final int width) {
        final StringBuilder b = new StringBuilder();
        int lineStart = 0;
        for (final String part : text.split(", ")) {
            if (b.length() - lineStart + part.length() > width) {
                b.append(",\n");
                lineStart = b.length();
            } else if (b.length() > 0) {
                b.append(", ");
            }
            b.append(part);
        }
        return b.toString();
    }
}
