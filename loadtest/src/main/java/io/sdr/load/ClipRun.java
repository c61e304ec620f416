package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Locale;

import static io.sdr.load.EdgeRun.ms;
import static io.sdr.load.EdgeRun.ratio;
import static io.sdr.load.PeerSummary.number;

/**
 * {@code --clips}: what taking clips costs the viewers, in one run of alternating legs (no clips,
 * then a clip every {@code --clip-every-ms}, for {@code --rounds}), each leg a {@link LoadRun} with
 * its own server, warm-up and window and the same healthy viewers. The server keeps its history in
 * both legs (recording is on by default); the legs differ only by the clips taken. Figures: the
 * viewers' commit -> viewer p50/p99 with clips against without, their frame rate, the server's
 * CPU, and the clips' count, size and time.
 */
final class ClipRun {
    static final List<EdgeRun.Figure> FIGURES = List.of(
        new EdgeRun.Figure("plain_p50_ms", "commit → viewer p50, no clips", "ms", r -> viewer(r, "plain", "p50")),
        new EdgeRun.Figure("clips_p50_ms", "commit → viewer p50, taking clips", "ms", r -> viewer(r, "clips", "p50")),
        new EdgeRun.Figure("p50_ratio", "p50 with clips / without", "ratio", r -> ratio(viewer(r, "clips", "p50"), viewer(r, "plain", "p50"))),
        new EdgeRun.Figure("plain_p99_ms", "commit → viewer p99, no clips", "ms", r -> viewer(r, "plain", "p99")),
        new EdgeRun.Figure("clips_p99_ms", "commit → viewer p99, taking clips", "ms", r -> viewer(r, "clips", "p99")),
        new EdgeRun.Figure("p99_ratio", "p99 with clips / without", "ratio", r -> ratio(viewer(r, "clips", "p99"), viewer(r, "plain", "p99"))),
        new EdgeRun.Figure("fps_ratio", "viewer frames/s (median viewer) with clips / without", "ratio", r -> ratio(fps(r, "clips"), fps(r, "plain"))),
        new EdgeRun.Figure("cpu_ratio", "server CPU with clips / without", "ratio", r -> ratio(cpu(r, "clips"), cpu(r, "plain"))),
        new EdgeRun.Figure("clips", "clips taken in the window", "clips", r -> number(leg(r, "clips"), "clips", "clips")),
        new EdgeRun.Figure("clip_bytes", "bytes per clip (mean)", "B", r -> number(leg(r, "clips"), "clips", "mean_bytes")),
        new EdgeRun.Figure("clip_ms", "time per clip, request to last byte (mean)", "ms", r -> number(leg(r, "clips"), "clips", "mean_ms")),
        new EdgeRun.Figure("clip_failures", "clips refused or failed", "clips", r -> number(leg(r, "clips"), "clips", "failures")));

    private final LoadCommand o;

    ClipRun(final LoadCommand options) {
        this.o = options;
    }

    JsonObject run() {
        final JsonArray rounds = new JsonArray();
        final String error = AlternatingLegs.run(o.rounds, List.of(
            new AlternatingLegs.Leg("plain", "no clips", legName -> new LoadRun(o, LoadRun.Target.OURS, legName, -1).run(), ClipRun::problem),
            new AlternatingLegs.Leg("clips", "a clip every " + o.clipEveryMs + " ms",
                legName -> new LoadRun(o, LoadRun.Target.OURS, legName, -1).takingClips().run(), ClipRun::problem)), rounds);
        final JsonObject result = new JsonObject().put("label", o.label).put("machine", LoadRun.machine())
            .put("scenario", new LoadRun(o).scenario().put("rounds", o.rounds).put("clip_every_ms", o.clipEveryMs)
                .put("clip_seconds", o.clipSeconds))
            .put("clip_summary", EdgeRun.summary(FIGURES, rounds, "plain", "clips")).put("clip_rounds", rounds);
        return error == null ? result : result.put("error", error);
    }

    /** A leg whose viewers got nothing, or whose clips all failed, cannot be compared. */
    private static String problem(final JsonObject leg) {
        if (leg.getJsonObject("delivered", new JsonObject()).getLong("bytes", 0L) == 0) {
            return "no frame reached a viewer in the window";
        }
        final JsonObject clips = leg.getJsonObject("clips");
        if (clips != null && clips.getInteger("clips", 0) == 0) {
            return "no clip was taken: " + clips.getString("first_failure");
        }
        return null;
    }

    private static JsonObject leg(final JsonObject round, final String name) {
        return round.getJsonObject(name, new JsonObject());
    }

    private static Double viewer(final JsonObject round, final String leg, final String percentile) {
        return ms(number(leg(round, leg), "kinds", "healthy", "latency_us", percentile));
    }

    private static Double fps(final JsonObject round, final String leg) {
        return number(leg(round, leg), "kinds", "healthy", "fps", "p50");
    }

    private static Double cpu(final JsonObject round, final String leg) {
        return number(leg(round, leg), "server_process", "cpu_cores");
    }

    static String table(final JsonObject r) {
        final StringBuilder b = new StringBuilder();
        if (r.getString("error") != null) {
            b.append("ERROR: ").append(r.getString("error")).append('\n');
        }
        final JsonObject s = r.getJsonObject("scenario", new JsonObject());
        b.append(String.format(Locale.ROOT, "clip run %s: %s viewers, frames %s B (key %s every %s) at %s fps, %s rounds of "
                + "(no clips, a %s s clip every %s ms), %s s warm-up + %s s window per leg%n%n",
            r.getString("label"), s.getValue("clients"), s.getValue("frame_bytes"), s.getValue("keyframe_bytes"), s.getValue("gop"),
            s.getValue("fps"), s.getValue("rounds"), s.getValue("clip_seconds"), s.getValue("clip_every_ms"), s.getValue("warmup_s"),
            s.getValue("duration_s")));
        return EdgeRun.rows(b, r.getJsonArray("clip_summary", new JsonArray())).toString();
    }
}
