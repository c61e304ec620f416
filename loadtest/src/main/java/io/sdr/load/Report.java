package io.sdr.load;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

import static io.sdr.load.LoadRun.round;

/** Per-kind figures from the clients' stats (JSON), and the human table from a run's JSON. */
final class Report {
    private final LoadClients clients;
    private final double windowS;

    private final double fps;

    Report(final LoadClients clients, final double windowS, final double fps) {
        this.clients = clients;
        this.windowS = windowS;
        this.fps = fps;
    }

    JsonObject kinds() {
        final JsonObject out = new JsonObject();
        for (final ClientStats.Kind kind : ClientStats.Kind.values()) {
            final List<ClientStats> of = new ArrayList<>();
            for (final ClientStats c : clients.clients) {
                if (c.kind == kind) {
                    of.add(c);
                }
            }
            if (!of.isEmpty()) {
                out.put(kind.name().toLowerCase(Locale.ROOT), kind(kind, of));
            }
        }
        return out;
    }

    private JsonObject kind(final ClientStats.Kind kind, final List<ClientStats> of) {
        final Histogram latency = LoadClients.newLatencyHistogram();
        final List<Double> fps = new ArrayList<>();
        final List<Double> joinMs = new ArrayList<>();
        final List<Double> connectMs = new ArrayList<>();
        final List<Double> clientP99 = new ArrayList<>();
        final TreeMap<Integer, Integer> closes = new TreeMap<>();
        long frames = 0;
        long bytes = 0;
        long dropped = 0;
        long withDrops = 0;
        long keyframeWaits = 0;
        long gapsWithoutKeyframe = 0;
        int open = 0;
        int firstNotKeyframe = 0;
        String failure = null;
        for (final ClientStats c : of) {
            latency.add(c.latencyNs);
            if (c.openNs != 0) {
                open++;
            }
            if (c.closeCode != 0) {
                closes.merge(c.closeCode, 1, Integer::sum);
            }
            if (c.failure != null && failure == null) {
                failure = c.failure;
            }
            fps.add(c.frames / windowS);
            if (c.joinNs() >= 0) {
                joinMs.add(c.joinNs() / 1e6);
            }
            if (c.connectToKeyframeNs() >= 0) {
                connectMs.add(c.connectToKeyframeNs() / 1e6);
            }
            if (c.latencyNs.getTotalCount() > 0) {
                clientP99.add(c.latencyNs.getValueAtPercentile(99) / 1e3);
            }
            frames += c.frames;
            bytes += c.bytes;
            dropped += c.dropped;
            withDrops += c.dropped > 0 ? 1 : 0;
            keyframeWaits += c.keyframeWaits;
            gapsWithoutKeyframe += c.gapsWithoutKeyframe;
            firstNotKeyframe += c.firstNotKeyframe ? 1 : 0;
        }
        final JsonObject closed = new JsonObject();
        closes.forEach((code, n) -> closed.put(code == -1 ? "no_close_frame" : Integer.toString(code), n));
        final JsonObject k = new JsonObject()
            .put("clients", of.size()).put("open", open).put("joined", joinMs.size()).put("closed", closed)
            .put("first_failure", failure)
            .put("fps", spread(fps, 2))
            .put("mb_per_s_per_client", round(bytes / 1e6 / windowS / of.size(), 3))
            .put("mb_per_s", round(bytes / 1e6 / windowS, 2))
            .put("frames", frames)
            .put("latency_us", latency(latency))
            .put("client_p99_us", spread(clientP99, 1))
            .put("dropped_frames", dropped).put("clients_with_drops", withDrops)
            .put("keyframe_waits", keyframeWaits).put("gaps_without_keyframe", gapsWithoutKeyframe)
            .put("join_ms", spread(joinMs, 3)).put("connect_to_keyframe_ms", spread(connectMs, 3)).put("first_frame_not_keyframe", firstNotKeyframe);
        if (kind == ClientStats.Kind.STALLED) {
            final List<Double> firstAge = new ArrayList<>();
            final List<Double> staleKb = new ArrayList<>();
            final List<Double> staleFrames = new ArrayList<>();
            final List<Double> staleVideoMs = new ArrayList<>();
            int resumed = 0;
            for (final ClientStats c : of) {
                resumed += c.resumed ? 1 : 0;
                if (c.resumeFirstAgeNs >= 0) {
                    firstAge.add(c.resumeFirstAgeNs / 1e6);
                    staleKb.add(c.resumeStaleBytes / 1e3);
                    staleFrames.add((double) c.resumeStaleFrames);
                    staleVideoMs.add(this.fps > 0 ? c.resumeStaleFrames * 1000.0 / this.fps : 0);
                }
            }
            // Stale = received after the resume but older than two frame intervals: what was queued
            // for the client while it stalled. Its length as video is frames / fps.
            k.put("resume", new JsonObject().put("resumed", resumed).put("got_frames", firstAge.size())
                .put("oldest_frame_age_ms", spread(firstAge, 1))
                .put("stale_kb", spread(staleKb, 1)).put("stale_frames", spread(staleFrames, 1))
                .put("stale_video_ms", spread(staleVideoMs, 1)));
        }
        return k;
    }

    /** Healthy clients' largest latency in each second of the window, in ms. */
    io.vertx.core.json.JsonArray maxLatencyBySecond() {
        final io.vertx.core.json.JsonArray out = new io.vertx.core.json.JsonArray();
        for (int s = 0; s < Math.min(clients.maxLatencyBySecond.length(), Math.ceil(windowS)); s++) {
            out.add(round(clients.maxLatencyBySecond.get(s) / 1e6, 2));
        }
        return out;
    }

    JsonObject delivered() {
        long bytes = 0;
        long frames = 0;
        for (final ClientStats c : clients.clients) {
            bytes += c.bytes;
            frames += c.frames;
        }
        return new JsonObject().put("bytes", bytes).put("gb_per_s", round(bytes / 1e9 / windowS, 3))
            .put("frames_per_s", round(frames / windowS, 1));
    }

    private static JsonObject latency(final Histogram h) {
        final JsonObject out = new JsonObject().put("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            return out;
        }
        return out.put("p50", us(h.getValueAtPercentile(50))).put("p90", us(h.getValueAtPercentile(90)))
            .put("p99", us(h.getValueAtPercentile(99))).put("p999", us(h.getValueAtPercentile(99.9)))
            .put("max", us(h.getMaxValue()));
    }

    private static double us(final long ns) {
        return round(ns / 1e3, 1);
    }

    /** {min, p50, p99, max, mean} of per-client values. */
    private static JsonObject spread(final List<Double> values, final int digits) {
        final JsonObject out = new JsonObject().put("n", values.size());
        if (values.isEmpty()) {
            return out;
        }
        Collections.sort(values);
        double sum = 0;
        for (final double v : values) {
            sum += v;
        }
        return out.put("min", round(values.get(0), digits))
            .put("p50", round(values.get((int) Math.min(values.size() - 1, Math.floor(values.size() * 0.5))), digits))
            .put("p99", round(values.get((int) Math.min(values.size() - 1, Math.floor(values.size() * 0.99))), digits))
            .put("max", round(values.get(values.size() - 1), digits))
            .put("mean", round(sum / values.size(), digits));
    }

    // ---- the human table --------------------------------------------------------------------------

    static String table(final JsonObject r) {
        final StringBuilder b = new StringBuilder();
        if (r.getString("error") != null) {
            b.append("ERROR: ").append(r.getString("error")).append('\n');
        }
        final JsonObject s = r.getJsonObject("scenario");
        if (s == null || r.getJsonObject("kinds") == null) {
            return b.append(r.encodePrettily()).toString();
        }
        b.append(String.format(Locale.ROOT, "scenario %s: %d clients (%d healthy, %d slow @ %d B/s, %d stalled), "
                + "frames %d B (key %d B every %d) at %.1f fps = %.2f Mbit/s per client, window %.1f s, load avg %.2f%n",
            r.getString("label"), s.getInteger("clients"), s.getInteger("healthy"), s.getInteger("slow"),
            s.getLong("slow_rate_bytes_per_s"), s.getInteger("stalled"), s.getInteger("frame_bytes"),
            s.getInteger("keyframe_bytes"), s.getInteger("gop"), s.getDouble("fps"), s.getDouble("stream_mbit_per_s"),
            r.getDouble("window_s"), r.getDouble("load_average_1m_at_start")));
        final JsonObject w = r.getJsonObject("writer");
        b.append(String.format(Locale.ROOT, "writer: %.1f fps, late %d, write mean %.1f us max %.1f us%n",
            w.getDouble("fps"), w.getLong("late_frames_total"), w.getDouble("write_mean_us"), w.getDouble("write_max_us")));
        b.append(String.format(Locale.ROOT, "%-8s %6s %6s %19s %9s %8s %8s %8s %8s %9s %8s %7s %7s %17s%n",
            "kind", "open", "joined", "fps min/p50/max", "MB/s/cl", "lat p50", "p90", "p99", "p99.9", "max(us)",
            "drops", "cl.drop", "kf-wait", "join ms p50/max"));
        final JsonObject kinds = r.getJsonObject("kinds");
        for (final String kind : kinds.fieldNames()) {
            final JsonObject k = kinds.getJsonObject(kind);
            final JsonObject f = k.getJsonObject("fps");
            final JsonObject l = k.getJsonObject("latency_us");
            final JsonObject j = k.getJsonObject("join_ms");
            b.append(String.format(Locale.ROOT, "%-8s %6d %6d %19s %9.3f %8s %8s %8s %8s %9s %8d %7d %7d %17s%n",
                kind, k.getInteger("open"), k.getInteger("joined"),
                num(f, "min") + "/" + num(f, "p50") + "/" + num(f, "max"), k.getDouble("mb_per_s_per_client"),
                num(l, "p50"), num(l, "p90"), num(l, "p99"), num(l, "p999"), num(l, "max"),
                k.getLong("dropped_frames"), k.getLong("clients_with_drops"), k.getLong("keyframe_waits"),
                num(j, "p50") + "/" + num(j, "max")));
        }
        for (final String kind : kinds.fieldNames()) {
            final JsonObject k = kinds.getJsonObject(kind);
            if (!k.getJsonObject("closed").isEmpty() || k.getString("first_failure") != null
                || k.getLong("gaps_without_keyframe") > 0 || k.getInteger("first_frame_not_keyframe") > 0) {
                b.append(String.format(Locale.ROOT, "  %s: closed %s, gaps without keyframe %d, first frame not keyframe %d, first failure %s%n",
                    kind, k.getJsonObject("closed").encode(), k.getLong("gaps_without_keyframe"),
                    k.getInteger("first_frame_not_keyframe"), k.getString("first_failure")));
            }
            final JsonObject resume = k.getJsonObject("resume");
            if (resume != null) {
                b.append(String.format(Locale.ROOT, "  %s: %d resumed, %d got frames after; stale video queued ms p50 %s max %s "
                        + "(frames max %s, KB p50 %s max %s); oldest frame age ms p50 %s max %s%n",
                    kind, resume.getInteger("resumed"), resume.getInteger("got_frames"),
                    num(resume.getJsonObject("stale_video_ms"), "p50"), num(resume.getJsonObject("stale_video_ms"), "max"),
                    num(resume.getJsonObject("stale_frames"), "max"),
                    num(resume.getJsonObject("stale_kb"), "p50"), num(resume.getJsonObject("stale_kb"), "max"),
                    num(resume.getJsonObject("oldest_frame_age_ms"), "p50"), num(resume.getJsonObject("oldest_frame_age_ms"), "max")));
            }
        }
        final JsonObject d = r.getJsonObject("delivered");
        b.append(String.format(Locale.ROOT, "delivered: %.3f GB/s, %.0f frames/s%n", d.getDouble("gb_per_s"), d.getDouble("frames_per_s")));
        final JsonObject p = r.getJsonObject("server_process");
        if (p != null && p.getJsonObject("rss_mb") != null) {
            final JsonObject rss = p.getJsonObject("rss_mb");
            b.append(String.format(Locale.ROOT, "server: cpu %.3f cores (ring poller %s), %s CPU-s/GB, RSS MB start %.0f max %.0f end %.0f (slope %.2f MB/min)%n",
                p.getDouble("cpu_cores"), p.getValue("poller_cpu_cores"), p.getValue("cpu_s_per_gb_delivered"), rss.getDouble("start"), rss.getDouble("max"),
                rss.getDouble("end"), rss.getDouble("slope_mb_per_min")));
            final io.vertx.core.json.JsonArray series = p.getJsonArray("samples_t_s_rss_mb_cpu_s");
            if (series != null && series.size() > 12) {
                // Long runs (rss500, soak): the RSS series itself, so growth and its shape show.
                b.append("server RSS MB by time:");
                final int step = Math.max(1, series.size() / 70);
                for (int i = 0; i < series.size(); i += step) {
                    final io.vertx.core.json.JsonArray s1 = series.getJsonArray(i);
                    b.append(String.format(Locale.ROOT, "%s %.0fs:%.0f", i % (10 * step) == 0 && i > 0 ? "\n " : "",
                        s1.getDouble(0), s1.getDouble(1)));
                }
                b.append('\n');
            }
        }
        final JsonObject m = r.getJsonObject("server_metrics");
        if (m != null && m.getJsonObject("commit_to_publish") != null) {
            b.append(String.format(Locale.ROOT, "server /metrics: commit->publish us p50/p99/p99.9 %s; publish->written %s; "
                    + "dropped lagging %d awaiting %d; idr-timeout closes %d; ring frames lost %d%n",
                quantiles(m.getJsonObject("commit_to_publish")), quantiles(m.getJsonObject("publish_to_written")),
                m.getLong("dropped_lagging"), m.getLong("dropped_awaiting_keyframe"), m.getLong("closed_idr_timeout"),
                m.getLong("ring_frames_lost")));
        }
        final JsonObject c = r.getJsonObject("machine_cpu_cores");
        b.append(String.format(Locale.ROOT, "load tool cpu %.3f cores; machine cores: user %.2f system %.2f irq+softirq %.2f idle %.2f steal %.2f%n",
            r.getJsonObject("load_tool").getDouble("cpu_cores"), c.getDouble("user"), c.getDouble("system"),
            c.getDouble("irq_softirq"), c.getDouble("idle"), c.getDouble("steal")));
        final JsonObject server = r.getJsonObject("server");
        if (server != null && server.getString("log") != null) {
            b.append("server log: ").append(server.getString("log")).append('\n');
        }
        return b.toString();
    }

    private static String quantiles(final JsonObject h) {
        return num(h, "p50_us") + "/" + num(h, "p99_us") + "/" + num(h, "p999_us") + " (n=" + h.getLong("count") + ")";
    }

    private static String num(final JsonObject o, final String key) {
        final Object v = o == null ? null : o.getValue(key);
        if (v == null) {
            return "-";
        }
        if (v instanceof Double) {
            final double d = (Double) v;
            return d >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.3g", d);
        }
        return v.toString();
    }
}
