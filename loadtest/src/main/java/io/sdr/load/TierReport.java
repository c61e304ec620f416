package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;

import static io.sdr.load.LoadRun.round;

/**
 * One quality-tier leg's figures per rate class (the healthy viewers, then each narrow class): the
 * frame age as a viewer on a narrow link feels it, i.e. the oldest frame it was shown in each second
 * of the window (p50, p99 and max over every second of every client of the class), the seconds in
 * which it got no frame at all, its frame rate against the writer's, the tier it settled on (the tier
 * of most of its seconds) and its switches. Pure: built from the clients' stats after the window.
 */
final class TierReport {
    private TierReport() {
    }

    /**
     * @param clients  every client of the leg (per-second tracking on)
     * @param seconds  whole seconds of the window (the partial last one is left out)
     * @param labels   tier labels by tier index (the feeder's tier byte)
     * @param classes  names of the narrow rate classes by index ("25%", ...)
     */
    static JsonObject classes(final List<ClientStats> clients, final int seconds, final double windowS, final double writerFps,
                              final List<String> labels, final List<String> classes) {
        final JsonObject out = new JsonObject();
        out.put("healthy", one(select(clients, -1), seconds, windowS, writerFps, labels));
        for (int k = 0; k < classes.size(); k++) {
            out.put(classes.get(k), one(select(clients, k), seconds, windowS, writerFps, labels));
        }
        return out;
    }

    private static List<ClientStats> select(final List<ClientStats> clients, final int rateClass) {
        final List<ClientStats> of = new ArrayList<>();
        for (final ClientStats c : clients) {
            if (rateClass < 0 ? c.kind == ClientStats.Kind.HEALTHY : c.kind == ClientStats.Kind.NARROW && c.rateClass == rateClass) {
                of.add(c);
            }
        }
        return of;
    }

    static JsonObject one(final List<ClientStats> of, final int seconds, final double windowS, final double writerFps,
                          final List<String> labels) {
        final List<Double> agesMs = new ArrayList<>();
        final List<Double> fps = new ArrayList<>();
        final TreeMap<String, Integer> settled = new TreeMap<>();
        int emptySeconds = 0;
        int switches = 0;
        double lastSwitchS = 0;
        for (final ClientStats c : of) {
            fps.add(c.frames / windowS);
            switches += c.tierSwitches;
            if (c.lastSwitchNs != 0 && c.firstFrameNs != 0) {
                lastSwitchS = Math.max(lastSwitchS, (c.lastSwitchNs - c.firstFrameNs) / 1e9);
            }
            if (c.maxAgeBySecond == null) {
                continue;
            }
            final int[] secondsOnTier = new int[Math.max(labels.size(), 1)];
            for (int s = 0; s < Math.min(seconds, c.maxAgeBySecond.length); s++) {
                if (c.framesBySecond[s] == 0) {
                    emptySeconds++;
                    continue;
                }
                agesMs.add(c.maxAgeBySecond[s] / 1e6);
                final int t = c.tierBySecond[s];
                if (t >= 0 && t < secondsOnTier.length) {
                    secondsOnTier[t]++;
                }
            }
            int best = -1;
            for (int t = 0; t < secondsOnTier.length; t++) {
                if (secondsOnTier[t] > 0 && (best < 0 || secondsOnTier[t] > secondsOnTier[best])) {
                    best = t;
                }
            }
            settled.merge(best < 0 ? "none" : best < labels.size() ? labels.get(best) : "tier" + best, 1, Integer::sum);
        }
        final JsonObject settledJson = new JsonObject();
        settled.forEach(settledJson::put);
        final double meanFps = fps.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        return new JsonObject()
            .put("clients", of.size())
            .put("oldest_frame_age_ms", percentiles(agesMs))
            .put("seconds_without_frames", emptySeconds)
            .put("fps", new JsonObject().put("mean", round(meanFps, 2))
                .put("min", round(fps.stream().mapToDouble(Double::doubleValue).min().orElse(0), 2)))
            .put("fps_share", writerFps > 0 ? round(meanFps / writerFps, 3) : null)
            .put("settled_tier", settledJson)
            .put("tier_switches", switches)
            .put("last_switch_after_first_frame_s", round(lastSwitchS, 2));
    }

    /** p50, p99 and max (nearest rank), or nulls when there is nothing. */
    static JsonObject percentiles(final List<Double> values) {
        if (values.isEmpty()) {
            return new JsonObject().putNull("p50").putNull("p99").putNull("max").put("n", 0);
        }
        final List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return new JsonObject().put("p50", round(rank(sorted, 50), 2)).put("p99", round(rank(sorted, 99), 2))
            .put("max", round(sorted.get(sorted.size() - 1), 2)).put("n", sorted.size());
    }

    private static double rank(final List<Double> sorted, final double percentile) {
        final int i = (int) Math.ceil(percentile / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** The class names for the narrow rates, as shares of the top tier: "25%", "50%", "100%". */
    static List<String> classNames(final List<Double> shares) {
        final List<String> names = new ArrayList<>();
        for (final double share : shares) {
            final double pct = share * 100;
            names.add((pct == Math.rint(pct) ? String.valueOf((long) pct) : String.valueOf(round(pct, 1))) + "%");
        }
        return names;
    }

    static JsonArray array(final List<String> values) {
        return new JsonArray(new ArrayList<>(values));
    }
}
