package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Comparator;
import java.util.List;

import static io.sdr.load.LoadRun.round;

/** The server process's and the machine's figures over a window, from {@link ProcStats} samples. */
final class ProcessFigures {
    private ProcessFigures() {
    }

    /** {@code samples}: [t_s, cpu_s, rss_bytes] taken through the window (sorted here). */
    static JsonObject serverProcess(final List<double[]> samples, final long pid, final double windowS,
                                     final double deliveredBytes) {
        final JsonObject out = new JsonObject().put("pid", pid);
        if (samples.size() < 2) {
            return out;
        }
        samples.sort(Comparator.comparingDouble(s -> s[0]));
        final double[] first = samples.get(0);
        final double[] last = samples.get(samples.size() - 1);
        final double cpu = last[1] - first[1];
        double max = 0;
        double min = Double.MAX_VALUE;
        final JsonArray series = new JsonArray();
        for (final double[] s : samples) {
            max = Math.max(max, s[2]);
            min = Math.min(min, s[2]);
            series.add(new JsonArray().add(round(s[0], 1)).add(round(s[2] / 1048576.0, 1)).add(round(s[1], 2)));
        }
        out.put("cpu_cores", round(cpu / windowS, 3))
            .put("cpu_s_per_gb_delivered", deliveredBytes > 0 ? round(cpu / (deliveredBytes / 1e9), 3) : null)
            .put("rss_mb", new JsonObject().put("start", round(first[2] / 1048576.0, 1)).put("min", round(min / 1048576.0, 1))
                .put("max", round(max / 1048576.0, 1)).put("end", round(last[2] / 1048576.0, 1))
                .put("slope_mb_per_min", round(slope(samples) * 60 / 1048576.0, 2)))
            .put("samples_t_s_rss_mb_cpu_s", series);
        return out;
    }

    /** Least-squares slope of RSS over time (bytes per second), over the second half of the window. */
    private static double slope(final List<double[]> samples) {
        final List<double[]> half = samples.subList(samples.size() / 2, samples.size());
        if (half.size() < 2) {
            return 0;
        }
        double sx = 0;
        double sy = 0;
        for (final double[] s : half) {
            sx += s[0];
            sy += s[2];
        }
        final double mx = sx / half.size();
        final double my = sy / half.size();
        double num = 0;
        double den = 0;
        for (final double[] s : half) {
            num += (s[0] - mx) * (s[2] - my);
            den += (s[0] - mx) * (s[0] - mx);
        }
        return den == 0 ? 0 : num / den;
    }

    static JsonObject machineCpu(final long[] before, final long[] after, final double windowS) {
        final String[] names = {"user", "system", "irq_softirq", "idle", "steal"};
        final JsonObject out = new JsonObject();
        for (int i = 0; i < names.length; i++) {
            out.put(names[i], round((after[i] - before[i]) / ProcStats.TICKS_PER_SECOND / windowS, 2));
        }
        return out;
    }
}
