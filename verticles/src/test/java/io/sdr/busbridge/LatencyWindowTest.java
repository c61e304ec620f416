package io.sdr.busbridge;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class LatencyWindowTest {
    @Test
    void shouldInterpolateQuantilesWithinBuckets() {
        final double[] bounds = {1_000, 2_000, 4_000};
        // 10 values <= 1 us, 10 more <= 2 us, none above.
        final double[] cumulative = {10, 20, 20};
        assertEquals(1_000, LatencyWindow.quantile(bounds, cumulative, 20, 0.5), 1e-9);
        assertEquals(1_500, LatencyWindow.quantile(bounds, cumulative, 20, 0.75), 1e-9);
        assertEquals(500, LatencyWindow.quantile(bounds, cumulative, 20, 0.25), 1e-9);
        assertEquals(4_000, LatencyWindow.quantile(bounds, cumulative, 40, 0.99), 1e-9, "beyond every bucket: the last bound");
        assertTrue(Double.isNaN(LatencyWindow.quantile(bounds, cumulative, 0, 0.5)), "no values, no quantile");
    }

    @Test
    void shouldReportOnlyTheRecentWindowOfAHistogramTimer() {
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final Timer timer = Timer.builder("t").publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        for (int i = 0; i < 100; i++) {
            timer.record(500, TimeUnit.MILLISECONDS); // old and slow
        }
        final LatencyWindow window = new LatencyWindow();
        window.sample(timer, 0);
        for (int i = 0; i < 100; i++) {
            timer.record(2, TimeUnit.MILLISECONDS); // recent and fast
        }
        final JsonObject summary = window.summary(timer, 1_000_000_000L);
        assertEquals(100, summary.getLong("count"));
        assertEquals(1.0, summary.getDouble("window_s"));
        final double p50 = summary.getDouble("p50_ms");
        final double p99 = summary.getDouble("p99_ms");
        assertTrue(p50 > 1 && p50 <= 3, "p50 of the window near 2 ms: " + summary);
        assertTrue(p99 > 1 && p99 <= 3, "the slow values before the window do not count: " + summary);
    }
}
