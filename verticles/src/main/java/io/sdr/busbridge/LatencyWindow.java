package io.sdr.busbridge;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Percentiles of one timer over the last few seconds. The timers publish a percentile histogram
 * (fixed buckets, cumulative since start); the difference between the current buckets and a sample
 * taken up to {@link #WINDOW_NS} ago is the histogram of the recent window, and a percentile is
 * interpolated within its bucket, as Prometheus' {@code histogram_quantile} does. Before the first
 * sample the window is "since start". Confined to the bridge's event loop.
 */
final class LatencyWindow {
    static final long WINDOW_NS = 10_000_000_000L;

    /** Bucket upper bounds (ns) and cumulative counts, plus the timer's total count. */
    record Buckets(long nanos, double[] boundsNs, double[] cumulative, long count) {
    }

    private final ArrayDeque<Buckets> samples = new ArrayDeque<>();

    static Buckets read(final Timer timer, final long nowNs) {
        final HistogramSnapshot snapshot = timer.takeSnapshot();
        final CountAtBucket[] buckets = snapshot.histogramCounts();
        final double[] bounds = new double[buckets.length];
        final double[] cumulative = new double[buckets.length];
        double running = 0;
        boolean monotonic = true;
        for (int i = 0; i < buckets.length; i++) {
            bounds[i] = buckets[i].bucket(TimeUnit.NANOSECONDS);
            cumulative[i] = buckets[i].count();
            monotonic &= i == 0 || cumulative[i] >= cumulative[i - 1];
        }
        if (!monotonic) {
            // Per-bucket counts: accumulate them.
            for (int i = 0; i < cumulative.length; i++) {
                running += cumulative[i];
                cumulative[i] = running;
            }
        }
        return new Buckets(nowNs, bounds, cumulative, snapshot.count());
    }

    void sample(final Timer timer, final long nowNs) {
        samples.addLast(read(timer, nowNs));
        while (samples.size() > 2 && nowNs - samples.stream().skip(1).findFirst().orElseThrow().nanos >= WINDOW_NS) {
            samples.removeFirst();
        }
    }

    /** {@code {count, p50_ms, p99_ms, window_s}} of the recent window; p50/p99 null without samples in it. */
    JsonObject summary(final Timer timer, final long nowNs) {
        final Buckets now = read(timer, nowNs);
        final Buckets before = samples.peekFirst();
        final boolean compatible = before != null && before.boundsNs.length == now.boundsNs.length;
        final double[] window = new double[now.cumulative.length];
        for (int i = 0; i < window.length; i++) {
            window[i] = now.cumulative[i] - (compatible ? before.cumulative[i] : 0);
        }
        final long count = now.count - (compatible ? before.count : 0);
        final JsonObject summary = new JsonObject().put("count", count)
            .put("window_s", compatible ? Math.round((nowNs - before.nanos) / 1e8) / 10.0 : null);
        summary.put("p50_ms", toMs(quantile(now.boundsNs, window, count, 0.50)));
        summary.put("p99_ms", toMs(quantile(now.boundsNs, window, count, 0.99)));
        return summary;
    }

    private static Double toMs(final double ns) {
        return Double.isNaN(ns) ? null : Math.round(ns / 1_000.0) / 1_000.0;
    }

    /**
     * The {@code q} quantile of {@code count} values given cumulative bucket counts: linear
     * interpolation inside the bucket holding it; the last bound when it lies beyond every bucket;
     * NaN for no values.
     */
    static double quantile(final double[] boundsNs, final double[] cumulative, final long count, final double q) {
        if (count <= 0 || boundsNs.length == 0) {
            return Double.NaN;
        }
        final double rank = q * count;
        double lowerBound = 0;
        double lowerCount = 0;
        for (int i = 0; i < boundsNs.length; i++) {
            if (cumulative[i] >= rank) {
                final double inBucket = cumulative[i] - lowerCount;
                final double fraction = inBucket <= 0 ? 1 : (rank - lowerCount) / inBucket;
                return lowerBound + (boundsNs[i] - lowerBound) * fraction;
            }
            lowerBound = boundsNs[i];
            lowerCount = cumulative[i];
        }
        return boundsNs[boundsNs.length - 1];
    }
}
