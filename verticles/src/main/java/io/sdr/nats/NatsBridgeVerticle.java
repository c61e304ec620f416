package io.sdr.nats;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.sdr.bus.Addresses;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Relays NATS telemetry to every client group and keyframe requests back to out-of-process
 * encoders. Deployed as a worker: jnats connects, reconnects and dispatches on its own threads;
 * the server starts without NATS and connects when it appears ({@link NatsLink}); /health shows
 * NATS as a check of its own, which degrades the server only with {@code nats.required}.
 *
 * <p>Each NATS message is encoded once as the WebSocket telemetry message and published on
 * {@link Addresses#TELEMETRY}; keyframe requests of stream S go out on
 * {@code <controlSubjectPrefix>.S} as JSON {@code {"stream":S,"reason":...}}.
 */
public final class NatsBridgeVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(NatsBridgeVerticle.class.getName());

    private NatsConfig config;
    private NatsStats stats;
    private NatsLink link;
    private final List<Meter> meters = new ArrayList<>();

    @Override
    public Future<?> start() throws Exception {
        config = NatsConfig.from(config());
        stats = NatsStats.of(vertx);
        if (!config.enabled()) {
            LOG.log(System.Logger.Level.INFO, "NATS bridge disabled (nats.enabled=false)");
            return Future.succeededFuture();
        }
        TelemetryCodec.register(vertx);
        registerMeters(Metrics.registry(vertx));
        for (final String stream : config.streams()) {
            vertx.eventBus().<JsonObject>consumer(Addresses.keyframeRequest(stream), message -> forwardKeyframeRequest(stream, message.body()));
        }
        link = new NatsLink(config, "sdr-transport", "telemetry from NATS", stats, options -> options, conn -> {
            subscribe(conn);
            return "relaying " + config.subjects()
                + (config.required() ? " (nats.required: /health degraded while NATS is away)" : "");
        }, true);
        link.start();
        // Nothing logged yet: the first line says whether NATS was there (connected, or not reachable and why).
        return Future.succeededFuture();
    }

    private void subscribe(final Connection conn) {
        final Dispatcher dispatcher = conn.createDispatcher(this::relay);
        dispatcher.setPendingLimits(config.pendingMessages(), 64L * config.pendingMessages() * 1024);
        for (final String subject : config.subjects()) {
            dispatcher.subscribe(subject);
        }
    }

    private void relay(final Message message) {
        final byte[] data = message.getData();
        final byte[] payload = data == null ? new byte[0] : data;
        if (payload.length > config.maxMessageBytes()) {
            stats.droppedTooLarge.incrementAndGet();
            return;
        }
        final Telemetry telemetry = Telemetry.encode(message.getSubject(), payload, System.nanoTime());
        if (telemetry == null) {
            stats.droppedBadSubject.incrementAndGet();
            return;
        }
        stats.relayed.incrementAndGet();
        vertx.eventBus().publish(Addresses.TELEMETRY, telemetry);
    }

    private void forwardKeyframeRequest(final String stream, final JsonObject request) {
        final Connection conn = link == null ? null : link.connected();
        if (conn == null) {
            return;
        }
        final JsonObject body = new JsonObject().put("stream", stream)
            .put("reason", request == null ? "client" : request.getString("reason", "client"));
        conn.publish(config.controlSubjectPrefix() + "." + stream, body.encode().getBytes(StandardCharsets.UTF_8));
        stats.keyframeRequestsSent.incrementAndGet();
    }

    private void registerMeters(final MeterRegistry registry) {
        counter(registry, "sdr.nats.messages.relayed", s -> s.relayed.get(), "reason", "relayed");
        counter(registry, "sdr.nats.messages.dropped", s -> s.droppedTooLarge.get(), "reason", "too_large");
        counter(registry, "sdr.nats.messages.dropped", s -> s.droppedBadSubject.get(), "reason", "bad_subject");
        counter(registry, "sdr.nats.messages.dropped", s -> s.discarded.get(), "reason", "discarded_slow_consumer");
        counter(registry, "sdr.nats.slow.consumers", s -> s.slowConsumers.get(), "kind", "dispatcher");
        counter(registry, "sdr.nats.reconnects", s -> s.reconnects.get(), "kind", "connection");
        counter(registry, "sdr.nats.keyframe.requests.sent", s -> s.keyframeRequestsSent.get(), "kind", "control");
        meters.add(Gauge.builder("sdr.nats.connected", stats, s -> s.isConnected() ? 1 : 0).register(registry));
    }

    private void counter(final MeterRegistry registry, final String name, final ToDoubleFunction<NatsStats> f,
                         final String tag, final String value) {
        meters.add(FunctionCounter.builder(name, stats, f).tag(tag, value).register(registry));
    }

    @Override
    public Future<?> stop() {
        if (link != null) {
            link.close();
        }
        final MeterRegistry registry = Metrics.registry(vertx);
        meters.forEach(registry::remove);
        return Future.succeededFuture();
    }
}
