package io.sdr.nats;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Consumer;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.sdr.bus.Addresses;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * Relays NATS telemetry to every client group and keyframe requests back to out-of-process
 * encoders. Deployed as a worker: jnats connects, reconnects and dispatches on its own threads;
 * the server starts without NATS and connects when it appears, retrying with a doubling pause
 * ({@code reconnectWaitMs} to {@code reconnectMaxWaitMs}). An outage costs one log line, a reminder
 * at most once a minute and one line when NATS is back ({@link OutageLog}); /health shows NATS as
 * a check of its own, which degrades the server only with {@code nats.required}.
 *
 * <p>Each NATS message is encoded once as the WebSocket telemetry message and published on
 * {@link Addresses#TELEMETRY}; keyframe requests of stream S go out on
 * {@code <controlSubjectPrefix>.S} as JSON {@code {"stream":S,"reason":...}}.
 */
public final class NatsBridgeVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(NatsBridgeVerticle.class.getName());
    /** While NATS stays away, at most one log line per this interval. */
    private static final long OUTAGE_REPEAT_MS = 60_000;

    private NatsConfig config;
    private NatsStats stats;
    private volatile Connection connection;
    private volatile boolean stopped;
    private Thread connector;
    private OutageLog outages;
    /** The last failure jnats reported (its exception names the cause; Nats.connect's does not). */
    private volatile String lastFailure;
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
        stats.enabled(config.url(), config.required());
        final String policy = "every " + OutageLog.seconds(config.reconnectWaitMs()) + ", doubling to "
            + OutageLog.seconds(config.reconnectMaxWaitMs());
        outages = new OutageLog(config.url(), policy, OUTAGE_REPEAT_MS, System::currentTimeMillis);
        registerMeters(Metrics.registry(vertx));
        for (final String stream : config.streams()) {
            vertx.eventBus().<JsonObject>consumer(Addresses.keyframeRequest(stream), message -> forwardKeyframeRequest(stream, message.body()));
        }
        final Options options = new Options.Builder()
            .servers(config.url().split(","))
            .connectionName("sdr-transport")
            .maxReconnects(-1)
            .reconnectWait(Duration.ofMillis(config.reconnectWaitMs()))
            .reconnectDelayHandler(tries -> Duration.ofMillis(config.backoffMs(tries)))
            .connectionTimeout(Duration.ofSeconds(2))
            .pingInterval(Duration.ofSeconds(2))
            // Without it jnats turns each subject byte into a char (sign-extended): a UTF-8 subject
            // such as "telemetry.ré" would reach clients as mojibake, longer than it was sent.
            .supportUTF8Subjects()
            .errorListener(new CountingErrorListener())
            .connectionListener((conn, event) -> onConnectionEvent(conn, event))
            .build();
        connector = new Thread(() -> connectUntilStopped(options), "sdr-nats-connect");
        connector.setDaemon(true);
        connector.start();
        // Nothing logged yet: the first line says whether NATS was there (connected, or not reachable and why).
        return Future.succeededFuture();
    }

    /**
     * The first connection is retried here until NATS is reachable, with a doubling pause; after
     * it, jnats reconnects by itself (same backoff) and keeps the subscriptions.
     */
    private void connectUntilStopped(final Options options) {
        long attempt = 0;
        while (!stopped) {
            Connection conn = null;
            try {
                attempt++;
                conn = Nats.connect(options);
                if (stopped) {
                    closeQuietly(conn);
                    return;
                }
                connection = conn;
                subscribe(conn);
                lastFailure = null;
                stats.connected(true, conn.getConnectedUrl());
                final String line = outages.connected(conn.getConnectedUrl());
                info(line == null ? null : line + "; relaying " + config.subjects()
                    + (config.required() ? " (nats.required: /health degraded while NATS is away)" : ""));
                return;
            } catch (final java.io.IOException | RuntimeException e) {
                // A RuntimeException: the connection closed between connect and subscribe. Start
                // over, or jnats would keep a connection with no subscription alive for ever.
                if (conn != null) {
                    connection = null;
                    closeQuietly(conn);
                }
                final String reason = lastFailure != null ? lastFailure : String.valueOf(e.getMessage());
                stats.error("cannot connect: " + reason);
                warn(outages.failed(reason));
                try {
                    Thread.sleep(config.backoffMs(attempt));
                } catch (final InterruptedException interrupted) {
                    return;
                }
            } catch (final InterruptedException e) {
                return;
            }
        }
    }

    private void onConnectionEvent(final Connection conn, final io.nats.client.ConnectionListener.Events event) {
        switch (event) {
            case RECONNECTED:
                stats.reconnects.incrementAndGet();
                lastFailure = null;
                stats.connected(true, conn.getConnectedUrl());
                info(outages.connected(conn.getConnectedUrl()));
                break;
            case DISCONNECTED:
            case CLOSED:
                // jnats reports every failed reconnect attempt here: OutageLog keeps the log to one line.
                stats.connected(false, null);
                if (!stopped && outages.state() != OutageLog.State.NEVER_CONNECTED) {
                    warn(outages.failed(lastFailure != null ? lastFailure : "connection " + event.getEvent()));
                }
                break;
            default:
                break;
        }
    }

    private static void info(final String line) {
        if (line != null) {
            LOG.log(System.Logger.Level.INFO, line);
        }
    }

    private static void warn(final String line) {
        if (line != null) {
            LOG.log(System.Logger.Level.WARNING, line);
        }
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
        final Connection conn = connection;
        if (conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
            return;
        }
        final JsonObject body = new JsonObject().put("stream", stream)
            .put("reason", request == null ? "client" : request.getString("reason", "client"));
        conn.publish(config.controlSubjectPrefix() + "." + stream, body.encode().getBytes(StandardCharsets.UTF_8));
        stats.keyframeRequestsSent.incrementAndGet();
    }

    /** jnats reports slow consumers and discarded messages here; they are counted, not swallowed. */
    private final class CountingErrorListener implements ErrorListener {
        private final AtomicLong logged = new AtomicLong();

        @Override
        public void slowConsumerDetected(final Connection conn, final Consumer consumer) {
            stats.slowConsumers.incrementAndGet();
        }

        @Override
        public void messageDiscarded(final Connection conn, final Message message) {
            stats.discarded.incrementAndGet();
        }

        @Override
        public void errorOccurred(final Connection conn, final String error) {
            stats.error(error);
            log(error);
        }

        @Override
        public void exceptionOccurred(final Connection conn, final Exception exception) {
            final String reason = String.valueOf(exception);
            stats.error(reason);
            if (!stats.isConnected() && !stopped) {
                // A failed (re)connection attempt, once per try while NATS is away: OutageLog decides.
                lastFailure = reason;
                warn(outages.failed(reason));
            } else if (exception instanceof java.io.IOException) {
                // The connection breaking: the DISCONNECTED event follows and logs it once, with this reason.
                lastFailure = reason;
            } else {
                log(reason);
            }
        }

        private void log(final String error) {
            if (logged.incrementAndGet() <= 20) {
                LOG.log(System.Logger.Level.WARNING, "NATS: " + error);
            }
        }
    }

    private static void closeQuietly(final Connection conn) {
        try {
            conn.close();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        stopped = true;
        if (connector != null) {
            connector.interrupt();
        }
        final Connection conn = connection;
        if (conn != null) {
            closeQuietly(conn);
        }
        final MeterRegistry registry = Metrics.registry(vertx);
        meters.forEach(registry::remove);
        return Future.succeededFuture();
    }
}
