package io.sdr.busbridge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sdr.encode.EncoderStats;
import io.sdr.metrics.MeterNames;
import io.sdr.nats.NatsStats;
import io.sdr.poller.StreamStats;
import io.sdr.ws.ClientSession;
import io.sdr.ws.GroupStats;
import io.sdr.ws.ServerState;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures {@code bus stats} shows, read from the stats objects the verticles share
 * ({@link StreamStats}, {@link ServerState}, {@link GroupStats}, {@link EncoderStats}, {@link NatsStats})
 * and the Micrometer meters; latency percentiles over the last few seconds ({@link LatencyWindow}).
 * Confined to the bridge's event loop.
 *
 * <pre>
 *   {uptime_s, clients,
 *    streams: {S: {frames, frame_seq, last_frame_age_ms, frames_lost, clients, frames_sent,
 *                  dropped: {lagging, awaiting_keyframe}, closed_idr_timeout, keyframe_requests,
 *                  keyframe_requests_coalesced, latency: {NAME: {count, p50_ms, p99_ms, window_s}},
 *                  encoder: {state, name, frames, keyframes, forced_keyframes, keyframe_requests, errors}}},
 *    groups: [{group, clients, frames_sent, dropped: {...}, closed_idr_timeout}],
 *    telemetry: {nats, relayed, dropped_too_large, dropped_bad_subject, slow_consumers, discarded},
 *    bridge: {...}}
 * </pre>
 */
final class StatsReport {
    /** Reported latency name -> timer name (each tagged by stream). */
    private static final List<Map.Entry<String, String>> LATENCIES = List.of(
        Map.entry("ring_commit_to_publish", MeterNames.RING_COMMIT_TO_PUBLISH),
        Map.entry("ws_publish_to_written", MeterNames.WS_PUBLISH_TO_WRITTEN),
        Map.entry("ws_commit_to_written", MeterNames.WS_COMMIT_TO_WRITTEN),
        Map.entry("encoder_encode", MeterNames.ENCODER_ENCODE),
        Map.entry("encoder_capture_to_ring", MeterNames.ENCODER_CAPTURE_TO_RING));

    private final Vertx vertx;
    private final MeterRegistry registry;
    private final List<String> streams;
    private final Map<String, LatencyWindow> windows = new HashMap<>();

    StatsReport(final Vertx vertx, final MeterRegistry registry, final List<String> streams) {
        this.vertx = vertx;
        this.registry = registry;
        this.streams = streams;
    }

    /** Called about once a second. */
    void sample(final long nowNs) {
        for (final String stream : streams) {
            for (final Map.Entry<String, String> latency : LATENCIES) {
                final Timer timer = registry.find(latency.getValue()).tag("stream", stream).timer();
                if (timer != null) {
                    windows.computeIfAbsent(stream + "/" + latency.getKey(), k -> new LatencyWindow()).sample(timer, nowNs);
                }
            }
        }
    }

    JsonObject build(final long nowNs, final JsonObject bridge) {
        final ServerState server = ServerState.of(vertx);
        final JsonObject byStream = new JsonObject();
        for (final String stream : streams) {
            byStream.put(stream, stream(stream, server, nowNs));
        }
        final JsonArray groups = new JsonArray();
        for (final GroupStats group : GroupStats.all(vertx)) {
            groups.add(group.toJson());
        }
        final NatsStats nats = NatsStats.of(vertx);
        final JsonObject telemetry = new JsonObject()
            .put("nats", !nats.isEnabled() ? "off" : nats.isConnected() ? "connected" : "disconnected")
            .put("relayed", nats.relayed.get())
            .put("dropped_too_large", nats.droppedTooLarge.get())
            .put("dropped_bad_subject", nats.droppedBadSubject.get())
            .put("slow_consumers", nats.slowConsumers.get())
            .put("discarded", nats.discarded.get());
        return new JsonObject()
            .put("uptime_s", (nowNs - server.startNs()) / 1_000_000_000L)
            .put("clients", server.clients())
            .put("streams", byStream)
            .put("groups", groups)
            .put("telemetry", telemetry)
            .put("bridge", bridge);
    }

    private JsonObject stream(final String stream, final ServerState server, final long nowNs) {
        final StreamStats stats = StreamStats.of(vertx, stream);
        final long age = stats.lastFrameAgeMs(nowNs);
        final JsonObject latency = new JsonObject();
        for (final Map.Entry<String, String> entry : LATENCIES) {
            final Timer timer = registry.find(entry.getValue()).tag("stream", stream).timer();
            if (timer != null) {
                latency.put(entry.getKey(), windows.computeIfAbsent(stream + "/" + entry.getKey(), k -> new LatencyWindow())
                    .summary(timer, nowNs));
            }
        }
        final JsonObject json = new JsonObject()
            .put("frames", stats.counters().frames())
            .put("frame_seq", stats.lastFrameSeq())
            .put("last_frame_age_ms", age < 0 ? null : age)
            .put("frames_lost", stats.counters().framesLost())
            .put("clients", server.clientsOf(stream))
            .put("frames_sent", count(MeterNames.WS_FRAMES_SENT, stream, null, null))
            .put("dropped", new JsonObject()
                .put(ClientSession.DropReason.LAGGING.tag, count(MeterNames.WS_FRAMES_DROPPED, stream, "reason", ClientSession.DropReason.LAGGING.tag))
                .put(ClientSession.DropReason.AWAITING_KEYFRAME.tag,
                    count(MeterNames.WS_FRAMES_DROPPED, stream, "reason", ClientSession.DropReason.AWAITING_KEYFRAME.tag)))
            .put("closed_idr_timeout", count(MeterNames.WS_CLOSED, stream, "reason", "idr_timeout"))
            .put("keyframe_requests", count(MeterNames.KEYFRAME_REQUESTS, stream, null, null))
            .put("keyframe_requests_coalesced", count(MeterNames.KEYFRAME_REQUESTS_COALESCED, stream, null, null))
            .put("latency", latency);
        for (final EncoderStats encoder : EncoderStats.all(vertx)) {
            if (encoder.stream().equals(stream)) {
                json.put("encoder", new JsonObject()
                    .put("state", encoder.state().name().toLowerCase(Locale.ROOT))
                    .put("name", encoder.encoder())
                    .put("frames", encoder.frames())
                    .put("keyframes", encoder.keyframes())
                    .put("forced_keyframes", encoder.forcedKeyframes())
                    .put("keyframe_requests", encoder.keyframeRequests())
                    .put("errors", encoder.errors()));
            }
        }
        return json;
    }

    /** A counter's value (Counter or FunctionCounter), 0 when it is not registered (yet). */
    private long count(final String name, final String stream, final String tag, final String value) {
        final var search = tag == null ? registry.find(name).tag("stream", stream) : registry.find(name).tag("stream", stream).tag(tag, value);
        final Counter counter = search.counter();
        if (counter != null) {
            return (long) counter.count();
        }
        final FunctionCounter function = search.functionCounter();
        return function == null ? 0 : (long) function.count();
    }
}
