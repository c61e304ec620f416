package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.sdr.load.PeerSummary.cell;
import static io.sdr.load.PeerSummary.number;

/**
 * {@code --tiers}: narrow links with quality tiers against the same links without, in one run of
 * alternating legs ({@link TierLeg}: adaptive viewers, then the same viewers all pinned to the top
 * tier, for {@code --rounds}), each leg with its own server, warm-up and window. Per rate class
 * (healthy, then each narrow class) and round: the oldest frame per second (p50, p99), the frame
 * rate, and tiers-on / main-only ratios of each; the tier each class settled on. Every claim is a
 * ratio against the peer leg of the same round, as in the peer and edge runs.
 */
final class TierRun {
    /** One compared figure of a class: key, title, unit, where a class's figures have it. */
    record Figure(String key, String title, String unit, String... path) {
    }

    static final List<Figure> FIGURES = List.of(
        new Figure("age_p50_ms", "oldest frame per second, p50", "ms", "oldest_frame_age_ms", "p50"),
        new Figure("age_p99_ms", "oldest frame per second, p99", "ms", "oldest_frame_age_ms", "p99"),
        new Figure("fps", "frames/s per viewer (mean)", "fps", "fps", "mean"),
        new Figure("empty_seconds", "seconds without a frame (all viewers)", "s", "seconds_without_frames"),
        new Figure("last_switch_s", "last tier switch after the first frame (latest viewer)", "s", "last_switch_after_first_frame_s"));

    /** Figures of the whole leg (class "server"): where a leg's result has them. */
    static final List<Figure> LEG_FIGURES = List.of(
        new Figure("server_cpu_cores", "server CPU", "cores", "server_cpu_cores"),
        new Figure("dropped_lagging", "frames dropped for lagging viewers", "frames", "server_metrics", "dropped_lagging"),
        new Figure("dropped_awaiting_keyframe", "frames dropped waiting for a keyframe (resyncs, switches)", "frames",
            "server_metrics", "dropped_awaiting_keyframe"));

    private final LoadCommand o;

    TierRun(final LoadCommand options) {
        this.o = options;
    }

    JsonObject run() {
        final JsonArray rounds = new JsonArray();
        final String error = AlternatingLegs.run(o.rounds, List.of(
            new AlternatingLegs.Leg("tiers", "tiers on (adaptive)", legName -> new TierLeg(o, true, legName).run(), TierRun::problem),
            new AlternatingLegs.Leg("main_only", "main only (top tier pinned)", legName -> new TierLeg(o, false, legName).run(),
                TierRun::problem)), rounds);
        final JsonObject result = new JsonObject().put("label", o.label).put("machine", LoadRun.machine())
            .put("scenario", scenario()).put("tier_summary", summarize(rounds, classes())).put("tier_rounds", rounds);
        return error == null ? result : result.put("error", error);
    }

    /** A leg in which not even the healthy viewers got frames measured nothing. */
    private static String problem(final JsonObject leg) {
        final Double fps = number(leg, "classes", "healthy", "fps", "mean");
        final Double clients = number(leg, "classes", "healthy", "clients");
        return clients != null && clients > 0 && (fps == null || fps == 0) ? "no frame reached a healthy viewer in the window" : null;
    }

    private List<String> classes() {
        final List<String> classes = new ArrayList<>(List.of("healthy"));
        classes.addAll(TierReport.classNames(o.narrowRates));
        return classes;
    }

    JsonObject scenario() {
        return new LoadRun(o).scenario().put("rounds", o.rounds).put("narrow_per_class", o.narrow)
            .put("narrow_rates", new JsonArray(new ArrayList<>(o.narrowRates))).put("narrow_rcvbuf", o.narrowRcvBuf)
            .put("tier_labels", TierReport.array(o.tierLabels)).put("tier_shares", new JsonArray(new ArrayList<>(o.tierShares)));
    }

    /** Per class and figure: each leg's value per round, the ratio tiers / main only, their median and range. */
    static JsonArray summarize(final JsonArray rounds, final List<String> classes) {
        final JsonArray out = new JsonArray();
        final List<String> all = new ArrayList<>(classes);
        all.add("server");
        for (final String cls : all) {
            for (final Figure f : cls.equals("server") ? LEG_FIGURES : FIGURES) {
                final List<Double> on = new ArrayList<>();
                final List<Double> off = new ArrayList<>();
                final List<Double> ratio = new ArrayList<>();
                for (int i = 0; i < rounds.size(); i++) {
                    final Double a = value(rounds.getJsonObject(i), "tiers", cls, f);
                    final Double b = value(rounds.getJsonObject(i), "main_only", cls, f);
                    on.add(a);
                    off.add(b);
                    ratio.add(a != null && b != null && b > 0 ? a / b : null);
                }
                out.add(new JsonObject().put("class", cls).put("figure", f.key()).put("title", f.title()).put("unit", f.unit())
                    .put("tiers", PeerSummary.stats(on)).put("main_only", PeerSummary.stats(off)).put("ratio", PeerSummary.stats(ratio)));
            }
            if (cls.equals("server")) {
                continue;
            }
            final JsonArray settled = new JsonArray();
            for (int i = 0; i < rounds.size(); i++) {
                final JsonObject c = classOf(rounds.getJsonObject(i), "tiers", cls);
                settled.add(c == null ? null : c.getJsonObject("settled_tier"));
            }
            out.add(new JsonObject().put("class", cls).put("figure", "settled_tier").put("title", "tier settled on (viewers), tiers on")
                .put("rounds", settled));
        }
        return out;
    }

    private static JsonObject classOf(final JsonObject round, final String leg, final String cls) {
        final JsonObject l = round.getJsonObject(leg);
        return l == null || l.getJsonObject("classes") == null ? null : l.getJsonObject("classes").getJsonObject(cls);
    }

    private static Double value(final JsonObject round, final String leg, final String cls, final Figure f) {
        final JsonObject c = cls.equals("server") ? round.getJsonObject(leg) : classOf(round, leg, cls);
        return c == null ? null : number(c, f.path());
    }

    /** The terminal (and markdown) table of a tier run's result. */
    static String table(final JsonObject r) {
        final StringBuilder b = new StringBuilder();
        if (r.getString("error") != null) {
            b.append("ERROR: ").append(r.getString("error")).append('\n');
        }
        final JsonObject s = r.getJsonObject("scenario", new JsonObject());
        b.append(String.format(Locale.ROOT, "tier run %s: tiers %s (frame shares %s), top tier %s Mbit/s (frames %s B, key %s every %s, %s fps); "
                + "%s healthy viewers + %s per narrow class reading at %s of the top tier's rate, SO_RCVBUF %s; %s rounds of (tiers on, "
                + "main only), %s s warm-up + %s s window per leg%n%n",
            r.getString("label"), s.getValue("tier_labels"), s.getValue("tier_shares"), s.getValue("stream_mbit_per_s"),
            s.getValue("frame_bytes"), s.getValue("keyframe_bytes"), s.getValue("gop"), s.getValue("fps"),
            s.getValue("healthy"), s.getValue("narrow_per_class"), s.getValue("narrow_rates"), s.getValue("narrow_rcvbuf"),
            s.getValue("rounds"), s.getValue("warmup_s"), s.getValue("duration_s")));
        b.append("| class | figure | unit | tiers on | main only | tiers / main (median) | ratio min – max | ratio per round |\n"
            + "|---|---|---|---|---|---|---|---|\n");
        for (final Object o : r.getJsonArray("tier_summary", new JsonArray())) {
            final JsonObject f = (JsonObject) o;
            if ("settled_tier".equals(f.getString("figure"))) {
                final List<String> perRound = new ArrayList<>();
                for (final Object v : f.getJsonArray("rounds", new JsonArray())) {
                    perRound.add(v == null ? "–" : settled((JsonObject) v));
                }
                b.append(String.format(Locale.ROOT, "| %s | %s | viewers | %s | – | – | – | – |%n", f.getString("class"), f.getString("title"),
                    String.join("; ", perRound)));
                continue;
            }
            final JsonObject ratio = f.getJsonObject("ratio");
            final List<String> perRound = new ArrayList<>();
            for (final Object v : ratio.getJsonArray("rounds", new JsonArray())) {
                perRound.add(cell((Number) v));
            }
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s – %s | %s |%n", f.getString("class"), f.getString("title"),
                f.getString("unit"), cell((Number) f.getJsonObject("tiers").getValue("median")),
                cell((Number) f.getJsonObject("main_only").getValue("median")), cell((Number) ratio.getValue("median")),
                cell((Number) ratio.getValue("min")), cell((Number) ratio.getValue("max")), String.join(", ", perRound)));
        }
        return b.toString();
    }

    private static String settled(final JsonObject counts) {
        final List<String> parts = new ArrayList<>();
        for (final String tier : counts.fieldNames()) {
            parts.add(tier + "×" + counts.getValue(tier));
        }
        return String.join(" ", parts);
    }
}
