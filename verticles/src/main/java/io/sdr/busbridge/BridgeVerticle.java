package io.sdr.busbridge;

import io.micrometer.core.instrument.MeterRegistry;
import io.sdr.bus.Addresses;
import io.sdr.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.eventbus.bridge.tcp.BridgeEvent;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The TCP event-bus bridge for the {@code bus} CLI (deployed once per server): the Vert.x TCP bridge
 * with the configured inbound/outbound address rules, the {@link Inspector} that republishes
 * frame and telemetry summaries on {@code inspect.*} while bridge clients listen, and the
 * request/reply addresses {@code inspect.list} ({@link BusTraffic}) and {@code inspect.stats}
 * ({@link StatsReport}).
 *
 * <p>Failing to listen (the port is taken) does not stop the server: inspection is an aid, the
 * video must flow without it. The failure is logged at ERROR.
 */
public final class BridgeVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(BridgeVerticle.class.getName());
    private static final long SAMPLE_INTERVAL_MS = 1000;

    // Confined to this verticle's event loop (bridge connections, events and consumers all run on it).
    private BridgeConfig config;
    private final Listeners<NetSocket> listeners = new Listeners<>();
    private Inspector inspector;
    private BusTraffic traffic;
    private StatsReport stats;
    private TcpEventBusBridge bridge;
    private boolean listening;
    private long sampler = -1;
    private final List<MessageConsumer<?>> consumers = new ArrayList<>();

    @Override
    public Future<?> start() {
        config = BridgeConfig.from(config());
        final MeterRegistry registry = Metrics.registry(vertx);
        inspector = new Inspector(vertx, config,
            address -> listeners.anyListener(address, socket -> socket.writeQueueFull()));
        traffic = new BusTraffic(registry, config);
        stats = new StatsReport(vertx, registry, config.streams());
        // Local consumers: in a cluster, each node's bridge answers for its own node.
        consumers.add(vertx.eventBus().<Object>localConsumer(Addresses.INSPECT_LIST, message -> {
            final Object body = message.body();
            final String only = body instanceof JsonObject ? ((JsonObject) body).getString("address") : null;
            message.reply(traffic.list(System.nanoTime(), listeners.snapshot(), only));
        }));
        consumers.add(vertx.eventBus().localConsumer(Addresses.INSPECT_STATS,
            message -> message.reply(stats.build(System.nanoTime(), bridgeJson()))));
        sample();
        sampler = vertx.setPeriodic(SAMPLE_INTERVAL_MS, id -> sample());

        final BridgeOptions options = new BridgeOptions();
        config.inbound().forEach(rule -> options.addInboundPermitted(rule.toPermittedOptions()));
        config.outbound().forEach(rule -> options.addOutboundPermitted(rule.toPermittedOptions()));
        bridge = TcpEventBusBridge.create(vertx, options,
            new NetServerOptions().setHost(config.listenHost()).setPort(config.listenPort()).setTcpNoDelay(true),
            this::onBridgeEvent);
        if (!config.isLoopback()) {
            LOG.log(System.Logger.Level.WARNING, "event-bus bridge listens on " + config.listenHost()
                + ": it has no authentication; anyone who reaches the port may use the permitted addresses");
        }
        return bridge.listen().transform(result -> {
            if (result.succeeded()) {
                listening = true;
                LOG.log(System.Logger.Level.INFO, "event-bus bridge listening: tcp://" + config.listenHost() + ":"
                    + config.listenPort() + " (inbound " + config.inbound() + ", outbound " + config.outbound()
                    + "); try: java -jar sdr-transport.jar bus list --port " + config.listenPort());
            } else {
                LOG.log(System.Logger.Level.ERROR, "event-bus bridge disabled: cannot listen on " + config.listenHost() + ":"
                    + config.listenPort() + ": " + result.cause().getMessage() + " (the server runs without it)");
            }
            return Future.succeededFuture();
        });
    }

    private void sample() {
        final long now = System.nanoTime();
        traffic.sample(now);
        stats.sample(now);
    }

    private JsonObject bridgeJson() {
        return new JsonObject()
            .put("listen", config.listenHost() + ":" + config.listenPort())
            .put("listening", listening)
            .put("connections", listeners.connections())
            .put("listeners", new JsonObject(new LinkedHashMap<>(listeners.snapshot())))
            .put("summaries", inspector.summaries.get())
            .put("summaries_skipped", inspector.skipped.get());
    }

    /**
     * Counts listeners (a registration is reported once it took effect; the connection's close
     * ends all of its registrations) and refuses inspection addresses this server does not serve.
     */
    private void onBridgeEvent(final BridgeEvent event) {
        final JsonObject raw = event.getRawMessage();
        final String address = raw == null ? null : raw.getString("address");
        switch (event.type()) {
            case REGISTER:
                // An inspect.* address of an unknown stream, or a payload address with payloads off.
                event.complete(address == null || Addresses.inspectedBy(address) == null || inspector.serves(address));
                return;
            case REGISTERED:
                if (address != null) {
                    final NetSocket socket = event.socket();
                    if (listeners.isNew(socket)) {
                        socket.closeHandler(v -> listeners.removeAll(socket).forEach(idle -> inspector.listenersChanged(idle, 0)));
                    }
                    inspector.listenersChanged(address, listeners.add(socket, address));
                }
                break;
            case UNREGISTER:
                if (address != null) {
                    inspector.listenersChanged(address, listeners.remove(event.socket(), address));
                }
                break;
            default:
                break;
        }
        event.complete(true);
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(sampler);
        inspector.close();
        consumers.forEach(MessageConsumer::unregister);
        return bridge == null || !listening ? Future.succeededFuture() : bridge.close();
    }
}
