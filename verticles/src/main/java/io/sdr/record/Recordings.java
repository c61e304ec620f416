package io.sdr.record;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the recording verticle keeps and every client group's {@code /record/clip} reads: the
 * histories, the configuration and the clip counters. One per Vert.x instance, published by
 * {@link RecordingVerticle} in a local map (absent when recording is off).
 */
public final class Recordings implements Shareable {
    private static final String MAP = "sdr.recordings";

    /** How a clip request ended, for {@code sdr_record_clips_total{outcome}}. */
    public enum Outcome { OK, BAD_REQUEST, FORBIDDEN, BUSY, EMPTY, ERROR }

    private final RecordingConfig config;
    private final Map<String, StreamHistory> streams = new LinkedHashMap<>();
    private final TelemetryHistory telemetry;
    private final AtomicInteger clipsInFlight = new AtomicInteger();
    private final Map<Outcome, Counter> outcomes = new ConcurrentHashMap<>();

    Recordings(final RecordingConfig config, final MeterRegistry registry) {
        this.config = config;
        for (final String stream : config.streams()) {
            final StreamHistory history = new StreamHistory(stream, config.historyNs(), config.historyBytes());
            streams.put(stream, history);
            Gauge.builder("sdr.record.history.bytes", history, StreamHistory::bytes).tag("stream", stream)
                .description("Video bytes held in the stream's clip history (pooled frame memory, not copies)").register(registry);
            Gauge.builder("sdr.record.history.seconds", history, h -> h.spanNs() / 1e9).tag("stream", stream)
                .description("Span of the stream's clip history").register(registry);
        }
        // Telemetry of the history plus one GOP's worth of slack before its first keyframe.
        this.telemetry = new TelemetryHistory(config.historyNs() + 10_000_000_000L, config.telemetryBytes());
        Gauge.builder("sdr.record.telemetry.bytes", telemetry, TelemetryHistory::bytes)
            .description("Telemetry bytes held in the clip history").register(registry);
        for (final Outcome outcome : Outcome.values()) {
            outcomes.put(outcome, Counter.builder("sdr.record.clips").tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                .description("GET /record/clip requests by outcome").register(registry));
        }
    }

    /** The recordings of this Vert.x instance, or null when the recording verticle is not deployed. */
    public static Recordings of(final Vertx vertx) {
        final LocalMap<String, Recordings> map = vertx.sharedData().getLocalMap(MAP);
        return map.get("recordings");
    }

    static void publish(final Vertx vertx, final Recordings recordings) {
        vertx.sharedData().<String, Recordings>getLocalMap(MAP).put("recordings", recordings);
    }

    static void withdraw(final Vertx vertx) {
        vertx.sharedData().getLocalMap(MAP).remove("recordings");
    }

    public RecordingConfig config() {
        return config;
    }

    /** The history of {@code stream}, or null when it is not configured. */
    public StreamHistory stream(final String stream) {
        return streams.get(stream);
    }

    public Map<String, StreamHistory> streams() {
        return streams;
    }

    public TelemetryHistory telemetry() {
        return telemetry;
    }

    /** Takes a clip slot; false when {@code maxConcurrentClips} are being written. */
    boolean tryStartClip() {
        while (true) {
            final int current = clipsInFlight.get();
            if (current >= config.maxConcurrentClips()) {
                return false;
            }
            if (clipsInFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void clipDone() {
        clipsInFlight.decrementAndGet();
    }

    void count(final Outcome outcome) {
        outcomes.get(outcome).increment();
    }
}
