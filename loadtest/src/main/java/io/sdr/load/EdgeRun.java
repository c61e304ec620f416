package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import static io.sdr.load.PeerSummary.cell;
import static io.sdr.load.PeerSummary.number;

/**
 * {@code --edges N}: what edges over NATS cost and add, in one run of alternating legs (the origin
 * alone, then the origin with N edges, for {@code --rounds}), each leg a {@link LoadRun} with its
 * own processes, warm-up and window, and a nats-server in both legs so they differ only by the
 * origin's uplink and the edges. The alone leg runs the origin with {@code video.role=off}; the
 * edges leg with {@code origin}, the same {@code --clients} viewers on the origin and as many on
 * every edge, all timed against the same ring commits. Figures: the hop (commit → viewer on an
 * edge against commit → viewer on the origin, p50 and p99, same leg), the bytes nats-server sent
 * each edge per frame (against the frame's payload), and the origin's CPU with edges against alone.
 */
final class EdgeRun {
    /** One figure of a round: key, title, unit, and how to read it from the round's two legs. */
    record Figure(String key, String title, String unit, Function<JsonObject, Double> value) {
    }

    static final List<Figure> FIGURES = List.of(
        new Figure("origin_viewer_p50_ms", "commit → origin viewer p50", "ms", r -> originViewer(r, "p50")),
        new Figure("edge_viewer_p50_ms", "commit → edge viewer p50 (mean of edges)", "ms", r -> edgeMean(r, "p50")),
        new Figure("hop_p50_ratio", "edge / origin viewer p50", "ratio", r -> ratio(edgeMean(r, "p50"), originViewer(r, "p50"))),
        new Figure("origin_viewer_p99_ms", "commit → origin viewer p99", "ms", r -> originViewer(r, "p99")),
        new Figure("edge_viewer_p99_ms", "commit → edge viewer p99 (worst edge)", "ms", r -> edgeMax(r, "p99")),
        new Figure("hop_p99_ratio", "edge / origin viewer p99", "ratio", r -> ratio(edgeMax(r, "p99"), originViewer(r, "p99"))),
        new Figure("alone_viewer_p99_ms", "commit → origin viewer p99, origin alone", "ms", r -> ms(number(leg(r, "alone"), "kinds", "healthy", "latency_us", "p99"))),
        new Figure("bytes_per_frame_per_edge", "bytes nats-server sent one edge per frame", "B", r -> number(leg(r, "edges"), "edges", "nats_server", "bytes_per_frame_per_edge")),
        new Figure("wire_overhead_ratio", "those bytes / mean payload per frame", "ratio", EdgeRun::overhead),
        new Figure("origin_cpu_alone", "origin CPU, alone (video.role=off)", "cores", r -> number(leg(r, "alone"), "server_process", "cpu_cores")),
        new Figure("origin_cpu_edges", "origin CPU, publishing to N edges", "cores", r -> number(leg(r, "edges"), "server_process", "cpu_cores")),
        new Figure("origin_cpu_ratio", "origin CPU with edges / alone", "ratio", r -> ratio(number(leg(r, "edges"), "server_process", "cpu_cores"),
            number(leg(r, "alone"), "server_process", "cpu_cores"))),
        new Figure("origin_cpu_added", "origin CPU added by the uplink (published once for all edges)", "cores", r -> difference(
            number(leg(r, "edges"), "server_process", "cpu_cores"), number(leg(r, "alone"), "server_process", "cpu_cores"))),
        new Figure("origin_cpu_per_edge", "origin CPU added per edge", "cores", EdgeRun::cpuPerEdge),
        new Figure("nats_cpu", "nats-server CPU, N edges", "cores", r -> number(leg(r, "edges"), "edges", "nats_server", "cpu_cores")),
        new Figure("edge_cpu", "edge CPU (mean of edges)", "cores", EdgeRun::edgeCpu),
        new Figure("edge_viewer_fps", "frames/s an edge viewer got (mean of edges)", "fps", r -> edgeMean(r, "fps")),
        new Figure("uplink_queue_full", "frames the origin's uplink discarded", "frames", r -> number(leg(r, "edges"), "server_metrics", "uplink_queue_full")));

    private final LoadCommand o;

    EdgeRun(final LoadCommand options) {
        this.o = options;
    }

    JsonObject run() {
        final JsonArray rounds = new JsonArray();
        final String error = AlternatingLegs.run(o.rounds, List.of(
            new AlternatingLegs.Leg("alone", "the origin alone", legName -> new LoadRun(o, LoadRun.Target.OURS, legName, 0).run(),
                leg -> problem(leg, false)),
            new AlternatingLegs.Leg("edges", "the origin and " + o.edges + " edges",
                legName -> new LoadRun(o, LoadRun.Target.OURS, legName, o.edges).run(), leg -> problem(leg, true))), rounds);
        final JsonArray summary = summary(FIGURES, rounds, "alone", "edges");
        final JsonObject result = new JsonObject().put("label", o.label).put("machine", LoadRun.machine())
            .put("scenario", new LoadRun(o).scenario().put("edges", o.edges).put("rounds", o.rounds))
            .put("edge_summary", summary).put("edge_rounds", rounds);
        return error == null ? result : result.put("error", error);
    }

    /** Why a leg's figures cannot be compared, or null. */
    private String problem(final JsonObject leg, final boolean withEdges) {
        if (o.fps > 0 && leg.getJsonObject("delivered", new JsonObject()).getLong("bytes", 0L) == 0) {
            return "no frame reached an origin viewer in the window";
        }
        if (withEdges && o.fps > 0) {
            for (final Object e : leg.getJsonObject("edges").getJsonArray("edges")) {
                if (number((JsonObject) e, "kinds", "healthy", "frames") == null || number((JsonObject) e, "kinds", "healthy", "frames") == 0) {
                    return "no frame reached a viewer of the edge on port " + ((JsonObject) e).getValue("port");
                }
            }
        }
        return null;
    }

    private static JsonObject leg(final JsonObject round, final String name) {
        return round.getJsonObject(name, new JsonObject());
    }

    private static List<JsonObject> edges(final JsonObject round) {
        final List<JsonObject> out = new ArrayList<>();
        for (final Object e : leg(round, "edges").getJsonObject("edges", new JsonObject()).getJsonArray("edges", new JsonArray())) {
            out.add((JsonObject) e);
        }
        return out;
    }

    /** The origin's viewers in the edges leg: "p50"/"p99" in ms. */
    private static Double originViewer(final JsonObject round, final String percentile) {
        return ms(number(leg(round, "edges"), "kinds", "healthy", "latency_us", percentile));
    }

    /** "p50"/"p99" in ms, or "fps": mean over the edges. */
    private static Double edgeMean(final JsonObject round, final String what) {
        double sum = 0;
        int n = 0;
        for (final JsonObject e : edges(round)) {
            final Double v = edgeValue(e, what);
            if (v != null) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    private static Double edgeMax(final JsonObject round, final String what) {
        Double max = null;
        for (final JsonObject e : edges(round)) {
            final Double v = edgeValue(e, what);
            if (v != null && (max == null || v > max)) {
                max = v;
            }
        }
        return max;
    }

    private static Double edgeValue(final JsonObject edge, final String what) {
        return what.equals("fps") ? number(edge, "kinds", "healthy", "fps", "mean") : ms(number(edge, "kinds", "healthy", "latency_us", what));
    }

    private static Double edgeCpu(final JsonObject round) {
        final List<JsonObject> edges = edges(round);
        return edges.isEmpty() ? null : edges.stream().mapToDouble(e -> e.getDouble("cpu_cores", 0.0)).sum() / edges.size();
    }

    private static Double cpuPerEdge(final JsonObject round) {
        final Double with = number(leg(round, "edges"), "server_process", "cpu_cores");
        final Double alone = number(leg(round, "alone"), "server_process", "cpu_cores");
        final Double count = number(leg(round, "edges"), "edges", "count");
        return with == null || alone == null || count == null || count == 0 ? null : (with - alone) / count;
    }

    private static Double overhead(final JsonObject round) {
        final Double bytes = number(leg(round, "edges"), "edges", "nats_server", "bytes_per_frame_per_edge");
        final JsonObject s = leg(round, "edges").getJsonObject("scenario", new JsonObject());
        final double gop = s.getDouble("gop", 1.0);
        final double payload = (s.getDouble("keyframe_bytes", 0.0) + (gop - 1) * s.getDouble("frame_bytes", 0.0)) / gop;
        return bytes == null || payload <= 0 ? null : bytes / payload;
    }

    private static Double difference(final Double a, final Double b) {
        return a == null || b == null ? null : a - b;
    }

    static Double ratio(final Double a, final Double b) {
        return a == null || b == null || b <= 0 ? null : a / b;
    }

    static Double ms(final Double us) {
        return us == null ? null : us / 1000;
    }

    /** The terminal (and markdown) table of an edge run's result. */
    static String table(final JsonObject r) {
        final StringBuilder b = new StringBuilder();
        if (r.getString("error") != null) {
            b.append("ERROR: ").append(r.getString("error")).append('\n');
        }
        final JsonObject s = r.getJsonObject("scenario", new JsonObject());
        b.append(String.format(Locale.ROOT, "edge run %s: %s edges over NATS, %s viewers on the origin and on each edge, frames %s B (key %s every %s) "
                + "at %s fps, %s rounds of (origin alone, origin + edges), %s s warm-up + %s s window per leg%n%n",
            r.getString("label"), s.getValue("edges"), s.getValue("clients"), s.getValue("frame_bytes"), s.getValue("keyframe_bytes"),
            s.getValue("gop"), s.getValue("fps"), s.getValue("rounds"), s.getValue("warmup_s"), s.getValue("duration_s")));
        return rows(b, r.getJsonArray("edge_summary", new JsonArray())).toString();
    }

    /** Each figure over the rounds that have both legs: median, min, max and the rounds' values. */
    static JsonArray summary(final List<Figure> figures, final JsonArray rounds, final String legA, final String legB) {
        final JsonArray summary = new JsonArray();
        for (final Figure f : figures) {
            final List<Double> values = new ArrayList<>();
            for (int i = 0; i < rounds.size(); i++) {
                final JsonObject round = rounds.getJsonObject(i);
                values.add(round.containsKey(legA) && round.containsKey(legB) ? f.value().apply(round) : null);
            }
            summary.add(new JsonObject().put("figure", f.key()).put("title", f.title()).put("unit", f.unit()).put("stats", PeerSummary.stats(values)));
        }
        return summary;
    }

    /** The summary as a Markdown table. */
    static StringBuilder rows(final StringBuilder b, final JsonArray summary) {
        b.append("| figure | unit | median | min – max | per round |\n|---|---|---|---|---|\n");
        for (final Object o : summary) {
            final JsonObject f = (JsonObject) o;
            final JsonObject st = f.getJsonObject("stats");
            final List<String> perRound = new ArrayList<>();
            for (final Object v : st.getJsonArray("rounds", new JsonArray())) {
                perRound.add(cell((Number) v));
            }
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s – %s | %s |%n", f.getString("title"), f.getString("unit"),
                cell((Number) st.getValue("median")), cell((Number) st.getValue("min")), cell((Number) st.getValue("max")),
                String.join(", ", perRound)));
        }
        return b;
    }
}
