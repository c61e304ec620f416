package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The tables of a peer run ({@link PeerRun}): per round and leg, then our / relay ratios (median
 * over the rounds, and the range), as text for the terminal and as markdown for
 * docs/BENCHMARKS.md. The ratio table judges the issue-13 targets for the scenarios
 * {@code loadtest/scenarios.sh} names {@code peer-11k-100}, {@code peer-150k-100} (100 viewers:
 * CPU, p50, p99, RSS) and {@code peer-8k-1000} (1,000 viewers: p99), by the median ratio.
 */
final class PeerReport {
    /** Label prefix to the targets that apply: metric key to the largest ours / relay ratio allowed. */
    private static final Map<String, Map<String, Double>> TARGETS = Map.of(
        "peer-11k", Map.of("server_cpu_cores", 0.5, "latency_p50_ms", 0.8, "latency_p99_ms", 1.0, "rss_max_mb", 2.0),
        "peer-150k", Map.of("server_cpu_cores", 0.5, "latency_p50_ms", 0.8, "latency_p99_ms", 1.0, "rss_max_mb", 2.0),
        "peer-8k-1000", Map.of("latency_p99_ms", 1.0));

    private PeerReport() {
    }

    // ---- text --------------------------------------------------------------------------------------

    static String table(final JsonObject r) {
        final StringBuilder b = new StringBuilder();
        if (r.getString("error") != null) {
            b.append("ERROR: ").append(r.getString("error")).append('\n');
        }
        final JsonObject s = r.getJsonObject("scenario", new JsonObject());
        final JsonObject peer = r.getJsonObject("peer", new JsonObject());
        b.append(String.format(Locale.ROOT, "peer run %s: ours against the %s relay (node %s, ws %s), %s clients, frames %s B (key %s every %s) "
                + "at %s fps, %s rounds of %s s warm-up + %s s window per leg%n",
            r.getString("label"), peer.getString("kind"), peer.getString("node"), peer.getString("ws"), s.getValue("clients"),
            s.getValue("frame_bytes"), s.getValue("keyframe_bytes"), s.getValue("gop"), s.getValue("fps"), peer.getValue("rounds"),
            s.getValue("warmup_s"), s.getValue("duration_s")));
        b.append(String.format(Locale.ROOT, "%-5s %-5s %8s %9s %9s %29s %8s %7s %15s %7s %9s%n", "round", "leg", "load", "cpu cores",
            "CPU-s/GB", "commit->client ms p50/p99/max", "RSS MB", "drops", "join ms p50/max", "MB/s", "tool cores"));
        for (final Object o : r.getJsonArray("rounds", new JsonArray())) {
            final JsonObject round = (JsonObject) o;
            for (final String leg : List.of("ours", "peer")) {
                final JsonObject l = round.getJsonObject(leg);
                if (l == null) {
                    continue;
                }
                final String[] v = legCells(l);
                b.append(String.format(Locale.ROOT, "%-5s %-5s %8s %9s %9s %29s %8s %7s %15s %7s %9s%n", round.getValue("round"), leg,
                    v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]));
                if (l.getString("error") != null) {
                    b.append("      error: ").append(l.getString("error")).append('\n');
                }
            }
        }
        b.append(String.format(Locale.ROOT, "%n%-46s %-24s %-24s %-24s%n", "figure (median, min-max over rounds)", "ours", "relay", "ours / relay"));
        for (final Object o : r.getJsonArray("summary", new JsonArray())) {
            final JsonObject m = (JsonObject) o;
            b.append(String.format(Locale.ROOT, "%-46s %-24s %-24s %-24s%n", m.getString("title") + " (" + m.getString("unit") + ")",
                spread(m.getJsonObject("ours")), spread(m.getJsonObject("peer")), spread(m.getJsonObject("ratio"))));
        }
        return b.toString();
    }

    /** load avg, cores, CPU-s/GB, latency, RSS, drops, join, GB/s, tool cores of one leg. */
    private static String[] legCells(final JsonObject l) {
        return new String[] {
            num(l.getValue("load_average_1m_at_start")),
            value(l, "server_cpu_cores"), value(l, "cpu_s_per_gb"),
            value(l, "latency_p50_ms") + " / " + value(l, "latency_p99_ms") + " / " + value(l, "latency_max_ms"),
            value(l, "rss_max_mb"), value(l, "drops"),
            value(l, "join_p50_ms") + " / " + value(l, "join_max_ms"),
            value(l, "delivered_mb_per_s"),
            num(PeerSummary.number(l, "load_tool", "cpu_cores"))};
    }

    private static String value(final JsonObject leg, final String key) {
        for (final PeerSummary.Metric m : PeerSummary.METRICS) {
            if (m.key().equals(key)) {
                return num(m.value().apply(leg));
            }
        }
        throw new IllegalArgumentException("no such metric: " + key);
    }

    // ---- markdown ----------------------------------------------------------------------------------

    /** The ratio table of every peer run given, then the per-round table. */
    static String markdown(final List<JsonObject> runs) {
        final StringBuilder b = new StringBuilder("| scenario | figure | ours: median (range) | Node ws relay: median (range) "
            + "| ours / relay: median (range) | target | met |\n|---|---|---|---|---|---|---|\n");
        for (final JsonObject r : runs) {
            final String label = r.getString("label", "");
            final Map<String, Double> targets = targetsOf(label);
            boolean first = true;
            for (final Object o : r.getJsonArray("summary", new JsonArray())) {
                final JsonObject m = (JsonObject) o;
                final Double limit = targets.get(m.getString("metric"));
                final Object median = m.getJsonObject("ratio").getValue("median");
                final String met = limit == null ? "" : median instanceof Number
                    ? (((Number) median).doubleValue() <= limit ? "yes" : "**no**") : "-";
                b.append(row(first ? scenarioCell(r) : "", m.getString("title") + " (" + m.getString("unit") + ")",
                    spread(m.getJsonObject("ours"), "–"), spread(m.getJsonObject("peer"), "–"), spread(m.getJsonObject("ratio"), "–"),
                    limit == null ? "" : "≤ " + num(limit), met));
                first = false;
            }
        }
        b.append("\n| scenario | round | server | load avg at start | server cores | CPU-s/GB | commit→client ms p50 / p99 / max "
            + "| RSS MB max | healthy drops | join ms p50 / max | delivered MB/s | machine steal cores |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (final JsonObject r : runs) {
            for (final Object o : r.getJsonArray("rounds", new JsonArray())) {
                final JsonObject round = (JsonObject) o;
                for (final String leg : List.of("ours", "peer")) {
                    final JsonObject l = round.getJsonObject(leg);
                    if (l == null) {
                        continue;
                    }
                    final String[] v = legCells(l);
                    b.append(row(r.getString("label", ""), String.valueOf(round.getValue("round")),
                        leg.equals("ours") ? "ours" : "relay" + (l.getString("error") != null ? " (error)" : ""),
                        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                        num(PeerSummary.number(l, "machine_cpu_cores", "steal"))));
                }
            }
        }
        return b.toString();
    }

    private static String scenarioCell(final JsonObject r) {
        final JsonObject s = r.getJsonObject("scenario", new JsonObject());
        return String.format(Locale.ROOT, "%s: %s viewers, %s B (key %s) × %s fps, %s × %s s%s", r.getString("label"),
            s.getValue("clients"), s.getValue("frame_bytes"), s.getValue("keyframe_bytes"), num(s.getValue("fps")),
            r.getJsonObject("peer", new JsonObject()).getValue("rounds"), s.getValue("duration_s"),
            r.getString("error") != null ? " (**error**: " + r.getString("error") + ")" : "");
    }

    static Map<String, Double> targetsOf(final String label) {
        for (final Map.Entry<String, Map<String, Double>> e : TARGETS.entrySet()) {
            if (label.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return Map.of();
    }

    /** "median (min-max)", or "median" when they agree, or "-". */
    static String spread(final JsonObject stats) {
        return spread(stats, "-");
    }

    private static String spread(final JsonObject stats, final String dash) {
        if (stats == null || !(stats.getValue("median") instanceof Number)) {
            return "-";
        }
        final String median = num(stats.getValue("median"));
        final String min = num(stats.getValue("min"));
        final String max = num(stats.getValue("max"));
        return min.equals(max) ? median : median + " (" + min + dash + max + ")";
    }

    private static String num(final Object v) {
        return v instanceof Number ? MarkdownReport.fmt(((Number) v).doubleValue()) : "-";
    }

    private static String row(final String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }
}
