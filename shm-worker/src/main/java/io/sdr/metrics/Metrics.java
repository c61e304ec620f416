package io.sdr.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * The meter registry of a Vert.x instance: the one vertx-micrometer-metrics set up (the launcher
 * enables it, so /metrics also shows Vert.x's own meters), or else one Prometheus registry shared by
 * every verticle of this Vert.x instance (embedded use, tests).
 */
public final class Metrics {
    private static final SharedState.Kind<Holder> KIND = SharedState.kind("sdr.metrics", id -> new Holder());

    private Metrics() {
    }

    private static final class Holder implements Shareable {
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    public static PrometheusMeterRegistry registry(final Vertx vertx) {
        final MeterRegistry backend = BackendRegistries.getDefaultNow();
        if (backend instanceof PrometheusMeterRegistry) {
            return (PrometheusMeterRegistry) backend;
        }
        return KIND.of(vertx, "registry").registry;
    }
}
