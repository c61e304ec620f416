package io.sdr.cli.bus;

import io.sdr.bus.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code bus stats}: per-stream and per-client-group figures. */
@Command(name = "stats", sortOptions = false,
    description = {"Prints per-stream figures (frames, clients, frames sent, drops per reason, keyframe requests, "
        + "encoder, latency p50/p99 over the last seconds) and per-client-group figures."})
final class StatsCommand extends InspectCommand {
    StatsCommand() {
        super(Addresses.INSPECT_STATS);
    }

    @Override
    void print(final PrintWriter out, final JsonObject stats) {
        final JsonObject bridge = stats.getJsonObject("bridge", new JsonObject());
        out.printf("uptime %s s, clients %s, bridge %s (%s connection(s) listening)%n", stats.getValue("uptime_s"),
            stats.getValue("clients"), bridge.getValue("listen"), bridge.getValue("connections"));
        final JsonObject streams = stats.getJsonObject("streams", new JsonObject());
        for (final String name : streams.fieldNames()) {
            final JsonObject s = streams.getJsonObject(name);
            out.println();
            out.printf("stream %s: frames %s (frame_seq %s, last %s ms ago, lost %s), clients %s%n", name, s.getValue("frames"),
                s.getValue("frame_seq"), s.getValue("last_frame_age_ms"), s.getValue("frames_lost"), s.getValue("clients"));
            out.printf("  sent %s, dropped %s, closed idr_timeout %s, keyframe requests %s (coalesced %s)%n",
                s.getValue("frames_sent"), drops(s.getJsonObject("dropped")), s.getValue("closed_idr_timeout"),
                s.getValue("keyframe_requests"), s.getValue("keyframe_requests_coalesced"));
            final JsonObject encoder = s.getJsonObject("encoder");
            if (encoder != null) {
                out.printf("  encoder %s (%s): frames %s, keyframes %s (forced %s), keyframe requests %s, errors %s%n",
                    encoder.getValue("name"), encoder.getValue("state"), encoder.getValue("frames"), encoder.getValue("keyframes"),
                    encoder.getValue("forced_keyframes"), encoder.getValue("keyframe_requests"), encoder.getValue("errors"));
            }
            final JsonObject latency = s.getJsonObject("latency", new JsonObject());
            if (!latency.isEmpty()) {
                out.printf("  %-26s %8s %9s %9s %8s%n", "latency", "count", "p50 ms", "p99 ms", "window");
                for (final String metric : latency.fieldNames()) {
                    final JsonObject l = latency.getJsonObject(metric);
                    final Object window = l.getValue("window_s");
                    out.printf("  %-26s %8s %9s %9s %8s%n", metric, l.getValue("count"), ms(l.getValue("p50_ms")),
                        ms(l.getValue("p99_ms")), window == null ? "start" : window + " s");
                }
            }
        }
        final JsonArray groups = stats.getJsonArray("groups", new JsonArray());
        if (!groups.isEmpty()) {
            out.println();
            out.println("client groups:");
            for (int i = 0; i < groups.size(); i++) {
                final JsonObject g = groups.getJsonObject(i);
                out.printf("  %-9s clients %s, sent %s, dropped %s, closed idr_timeout %s%n", g.getString("group"),
                    g.getValue("clients"), g.getValue("frames_sent"), drops(g.getJsonObject("dropped")), g.getValue("closed_idr_timeout"));
            }
        }
        final JsonObject telemetry = stats.getJsonObject("telemetry");
        if (telemetry != null) {
            out.println();
            out.printf("telemetry: nats %s, relayed %s, dropped too_large %s / bad_subject %s, slow consumers %s, discarded %s%n",
                telemetry.getValue("nats"), telemetry.getValue("relayed"), telemetry.getValue("dropped_too_large"),
                telemetry.getValue("dropped_bad_subject"), telemetry.getValue("slow_consumers"), telemetry.getValue("discarded"));
        }
    }

    private static String drops(final JsonObject dropped) {
        if (dropped == null || dropped.isEmpty()) {
            return "0";
        }
        final StringBuilder text = new StringBuilder();
        for (final String reason : dropped.fieldNames()) {
            text.append(text.length() == 0 ? "" : " / ").append(reason).append(' ').append(dropped.getValue(reason));
        }
        return text.toString();
    }

    private static String ms(final Object value) {
        return value == null ? "-" : String.format("%.3f", ((Number) value).doubleValue());
    }
}
