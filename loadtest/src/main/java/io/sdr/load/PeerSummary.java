package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

import static io.sdr.load.LoadRun.round;

/**
 * The figures a peer run compares, taken from each leg's result (the JSON of a plain run), and
 * per figure: our value, the relay's and ours / relay in every round, then the median over the
 * rounds and the range (min, max) of each. A ratio exists for a round only when both legs have the
 * figure and the relay's is above zero (0 drops against 0 drops has no ratio).
 */
final class PeerSummary {
    /** One compared figure: its JSON key, what it is, its unit, and where a leg's result has it. */
    record Metric(String key, String title, String unit, Function<JsonObject, Double> value) {
    }

    static final List<Metric> METRICS = List.of(
        new Metric("server_cpu_cores", "server CPU", "cores", r -> number(r, "server_process", "cpu_cores")),
        new Metric("cpu_s_per_gb", "server CPU per GB delivered", "CPU-s/GB", r -> number(r, "server_process", "cpu_s_per_gb_delivered")),
        new Metric("latency_p50_ms", "commit → client p50", "ms", r -> ms(number(r, "kinds", "healthy", "latency_us", "p50"))),
        new Metric("latency_p99_ms", "commit → client p99", "ms", r -> ms(number(r, "kinds", "healthy", "latency_us", "p99"))),
        new Metric("latency_max_ms", "commit → client max", "ms", r -> ms(number(r, "kinds", "healthy", "latency_us", "max"))),
        new Metric("rss_max_mb", "server RSS (max in the window)", "MB", r -> number(r, "server_process", "rss_mb", "max")),
        new Metric("drops", "frames dropped for healthy clients", "frames", r -> number(r, "kinds", "healthy", "dropped_frames")),
        // Joiners (--joiners) connect into a flowing stream: their join is what a new viewer sees.
        new Metric("join_p50_ms", "join → first keyframe p50", "ms", r -> number(r, "kinds", joinKind(r), "join_ms", "p50")),
        new Metric("join_max_ms", "join → first keyframe max", "ms", r -> number(r, "kinds", joinKind(r), "join_ms", "max")),
        new Metric("delivered_mb_per_s", "delivered", "MB/s", PeerSummary::deliveredMbPerS));

    private PeerSummary() {
    }

    /** {@code rounds}: [{round, ours: leg, peer: leg}, ...]. One entry per metric, in {@link #METRICS} order. */
    static JsonArray summarize(final JsonArray rounds) {
        final JsonArray out = new JsonArray();
        for (final Metric m : METRICS) {
            final List<Double> ours = new ArrayList<>();
            final List<Double> peer = new ArrayList<>();
            final List<Double> ratio = new ArrayList<>();
            for (int i = 0; i < rounds.size(); i++) {
                final JsonObject round = rounds.getJsonObject(i);
                final Double a = round.getJsonObject("ours") == null ? null : m.value().apply(round.getJsonObject("ours"));
                final Double b = round.getJsonObject("peer") == null ? null : m.value().apply(round.getJsonObject("peer"));
                ours.add(a);
                peer.add(b);
                ratio.add(a != null && b != null && b > 0 ? a / b : null);
            }
            out.add(new JsonObject().put("metric", m.key()).put("title", m.title()).put("unit", m.unit())
                .put("ours", stats(ours)).put("peer", stats(peer)).put("ratio", stats(ratio)));
        }
        return out;
    }

    /** {rounds: [v or null, ...], median, min, max} over the non-null values (all null when none). */
    static JsonObject stats(final List<Double> values) {
        final JsonArray all = new JsonArray();
        final List<Double> present = new ArrayList<>();
        for (final Double v : values) {
            all.add(v == null ? null : round(v, 4));
            if (v != null) {
                present.add(v);
            }
        }
        final JsonObject out = new JsonObject().put("rounds", all);
        if (present.isEmpty()) {
            return out.putNull("median").putNull("min").putNull("max");
        }
        Collections.sort(present);
        final int n = present.size();
        final double median = n % 2 == 1 ? present.get(n / 2) : (present.get(n / 2 - 1) + present.get(n / 2)) / 2;
        return out.put("median", round(median, 4)).put("min", round(present.get(0), 4)).put("max", round(present.get(n - 1), 4));
    }

    private static Double deliveredMbPerS(final JsonObject leg) {
        final Double bytes = number(leg, "delivered", "bytes");
        final Double windowS = number(leg, "window_s");
        return bytes == null || windowS == null || windowS <= 0 ? null : bytes / 1e6 / windowS;
    }

    private static String joinKind(final JsonObject leg) {
        final JsonObject kinds = leg.getJsonObject("kinds");
        return kinds != null && kinds.getJsonObject("joiner") != null ? "joiner" : "healthy";
    }

    private static Double ms(final Double us) {
        return us == null ? null : us / 1000;
    }

    /** A figure in a table cell: "–" when absent, whole numbers from 100 up, else 3 significant digits. */
    static String cell(final Number v) {
        if (v == null) {
            return "–";
        }
        final double d = v.doubleValue();
        return Math.abs(d) >= 100 ? String.format(java.util.Locale.ROOT, "%.0f", d) : String.format(java.util.Locale.ROOT, "%.3g", d);
    }

    /** The number at {@code path} in {@code o}, or null when a step is missing or not a number. */
    static Double number(final JsonObject o, final String... path) {
        Object v = o;
        for (final String key : path) {
            if (!(v instanceof JsonObject)) {
                return null;
            }
            v = ((JsonObject) v).getValue(key);
        }
        return v instanceof Number && Double.isFinite(((Number) v).doubleValue()) ? ((Number) v).doubleValue() : null;
    }
}
