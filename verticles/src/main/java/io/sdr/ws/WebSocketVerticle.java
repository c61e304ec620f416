package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.FrameCodec;
import io.sdr.bus.FrameConsumers;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.foxglove.FoxgloveProtocol;
import io.sdr.health.HealthHandler;
import io.sdr.metrics.Metrics;
import io.sdr.record.ClipHandler;
import io.sdr.security.AccessControl;
import io.sdr.security.HandshakeTimeouts;
import io.sdr.security.SecurityConfig;
import io.sdr.security.SecurityMetrics;
import io.sdr.security.SecurityMetrics.Refusal;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One client group: an HTTP server instance (instances share the port; Vert.x spreads connections
 * over them) serving {@code /stream/ws}, {@code /foxglove}, {@code /stream/list}, {@code /health}, {@code /metrics}
 * and the viewer page (static files under {@code webroot/} in the jar) at {@code /}. It subscribes
 * once per stream and fans each frame out to its own clients.
 *
 * <p>Thin on purpose: the rules before the upgrade are {@link UpgradeGate}'s, each open
 * connection's handlers {@link ClientConnections}', the fan-out {@link StreamFanout}'s and the
 * bytes on the wire {@link NettyViewerSink}'s. This class wires them to the server and its timers.
 */
public final class WebSocketVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(WebSocketVerticle.class.getName());
    /** How often clients that sent {"stats": true} get a 0x03 stats message. */
    static final long STATS_INTERVAL_MS = 1000;
    private static final String UPGRADE_PATH = "/stream/ws";
    /** The Foxglove WebSocket protocol, for Foxglove and Lichtblick (same listener, same rules). */
    private static final String FOXGLOVE_PATH = "/foxglove";

    private final Map<String, StreamFanout> fanouts = new LinkedHashMap<>();
    private final Map<String, TierLadder> ladders = new LinkedHashMap<>();
    private HttpServer server;
    private ClipHandler clips;
    private GroupStats group;
    private long statsTimer = -1;
    private long idleTimer = -1;

    @Override
    public Future<?> start() {
        final WebSocketConfig config = WebSocketConfig.from(config());
        FrameCodec.register(vertx);
        TelemetryCodec.register(vertx);
        final ServerState state = ServerState.of(vertx);
        group = GroupStats.register(vertx);
        final var registry = Metrics.registry(vertx);
        for (final String stream : config.streams()) {
            final String wantedAddress = Addresses.keyframeWanted(stream);
            final StreamFanout fanout = new StreamFanout(stream, config,
                new FanoutMetrics(registry, stream, state.counterOf(stream), group),
                reason -> vertx.eventBus().publish(wantedAddress, new JsonObject().put("stream", stream).put("reason", reason)));
            fanouts.put(stream, fanout);
            FrameConsumers.local(vertx.eventBus(), Addresses.frames(stream), fanout::onFrame);
        }
        for (final String stream : config.baseStreams()) {
            final List<StreamFanout> tiers = new java.util.ArrayList<>();
            final List<TierLadder.TierInfo> infos = new java.util.ArrayList<>();
            for (final String tier : config.tiersOf(stream)) {
                tiers.add(fanouts.get(tier));
                infos.add(tierInfo(config, stream, tier));
            }
            ladders.put(stream, new TierLadder(stream, tiers, infos));
        }
        final TelemetryMetrics telemetryMetrics = new TelemetryMetrics(registry);
        final TelemetryFanout telemetry = new TelemetryFanout(task -> context.runOnContext(v -> task.run()),
            config.telemetryCacheSubjects(), config.telemetryCacheBytes(), config.telemetryPendingSubjects(), telemetryMetrics);
        vertx.eventBus().<Telemetry>localConsumer(Addresses.TELEMETRY, message -> telemetry.onTelemetry(message.body()));

        final SecurityConfig rules = config.security();
        final AccessControl access = new AccessControl(vertx, rules);
        final SecurityMetrics securityMetrics = new SecurityMetrics(registry, config.streams());
        final HandshakeTimeouts handshakes = new HandshakeTimeouts(vertx, rules.handshakeTimeoutMs(),
            () -> securityMetrics.refused(Refusal.HANDSHAKE_TIMEOUT));
        final UpgradeGate gate = new UpgradeGate(config, state, ladders, access, securityMetrics);
        final ClientConnections connections = new ClientConnections(vertx, config, telemetry, telemetryMetrics,
            new ClientRequests(telemetry, telemetryMetrics), securityMetrics, group.clients, fanouts);

        final Router router = Router.router(vertx);
        router.get("/health").handler(new HealthHandler(vertx,
            new HealthHandler.Served(config.streams(), config.baseStreams(), config.defaultStream(), config.healthStaleMs()), state,
            ctx -> access.admin(ctx.request())));
        // A scrape takes 10-60 ms: on a worker, so it never stalls this group's video.
        router.get("/metrics").handler(ctx -> {
            if (access.admin(ctx.request())) {
                ctx.next();
            } else {
                gate.refuse(ctx.request(), 403, null, "forbidden: /metrics is served to websocket.admin.allow=" + rules.adminAllow()
                    + " only (a request through a proxy counts as its client's)");
            }
        }).blockingHandler(PrometheusScrapingHandler.create(registry), false);
        router.get("/stream/list").handler(ctx -> gate.streamList(ctx.request()));
        // MCAP clips of the recording history; written on the sdr-record worker pool, not here.
        clips = new ClipHandler(vertx, access, config.streams());
        router.get("/record/clip").handler(clips);
        // The viewer page: plain files from the jar's webroot/, re-read by browsers on every load.
        router.get().handler(StaticHandler.create("webroot").setCachingEnabled(false));
        statsTimer = vertx.setPeriodic(STATS_INTERVAL_MS, id -> fanouts.values().forEach(f -> f.sendStats(telemetryMetrics)));
        if (rules.idleTimeoutMs() > 0) {
            idleTimer = vertx.setPeriodic(Math.max(20, Math.min(1000, rules.idleTimeoutMs() / 4)), id -> connections.closeIdle());
        }

        final String scheme = rules.tls() ? "wss://" : "ws://";
        return vertx.createHttpServer(serverOptions(config))
            .connectionHandler(handshakes::connected)
            .requestHandler(request -> {
                handshakes.requestReceived(request.connection());
                // The upgrade bypasses the router: the fan-out needs the socket of Vert.x core, and
                // vertx-web would hand out its wrapper of it.
                if (request.method() == HttpMethod.GET && UPGRADE_PATH.equals(request.path())) {
                    gate.upgrade(request, connections::accept);
                } else if (request.method() == HttpMethod.GET && FOXGLOVE_PATH.equals(request.path())) {
                    gate.upgradeFoxglove(request, connections::accept);
                } else {
                    router.handle(request);
                }
            })
            .listen().onSuccess(s -> {
                server = s;
                LOG.log(System.Logger.Level.INFO, "WebSocket group listening: " + scheme + config.listenHost() + ":" + s.actualPort()
                    + UPGRADE_PATH + " (Foxglove: " + FOXGLOVE_PATH + "), streams=" + config.streams() + ", auth=" + (rules.auth().enabled() ? rules.auth().algorithm() : "off"));
            });
    }

    /** The configured facts of a tier; its label: the configured one, else HEIGHTp, else its suffix ("top" for the stream itself). */
    private static TierLadder.TierInfo tierInfo(final WebSocketConfig config, final String stream, final String tier) {
        final JsonObject info = config.tiers().getJsonObject(tier, new JsonObject());
        final int width = info.getInteger("width", 0);
        final int height = info.getInteger("height", 0);
        final String suffix = tier.equals(stream) ? "top" : tier.substring(stream.length() + 1);
        final String label = info.getString("label", height > 0 ? height + "p" : suffix);
        return new TierLadder.TierInfo(tier, label, width, height, info.getInteger("bitrateKbps", 0));
    }

    private static HttpServerOptions serverOptions(final WebSocketConfig config) {
        final SecurityConfig rules = config.security();
        final HttpServerOptions options = new HttpServerOptions()
            .setHost(config.listenHost())
            .setPort(config.listenPort())
            .setTcpNoDelay(true)
            .setSendBufferSize(config.sendBufferBytes())
            // Deflate would compress (and copy) every video message once per client.
            .setPerMessageWebSocketCompressionSupported(false)
            .setPerFrameWebSocketCompressionSupported(false)
            .setMaxWebSocketFrameSize(config.maxClientMessageBytes())
            .setMaxWebSocketMessageSize(config.maxClientMessageBytes())
            // Browsers may only pass a token as a subprotocol ("sdr.token.<jwt>" next to "sdr.v1"); one
            // offered protocol must be selected, and it must not be the token.
            .setWebSocketSubProtocols(List.of(AccessControl.SUBPROTOCOL, FoxgloveProtocol.SUBPROTOCOL_SDK,
                FoxgloveProtocol.SUBPROTOCOL_WEBSOCKET))
            // No h2c (browsers never use it; WebSockets are HTTP/1.1): with it on, Vert.x creates the
            // connection only once a whole request head arrived, which hides slowloris connections
            // from the handshake timeout.
            .setHttp2ClearTextEnabled(false);
        if (rules.idleTimeoutMs() > 0) {
            // Vert.x's own idle timeout closes without a word: a backstop for plain HTTP keep-alive
            // connections; WebSockets are closed (1001, counted) by ClientConnections.closeIdle first.
            options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, 2 * rules.idleTimeoutMs())).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        }
        if (rules.tls()) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(rules.tlsCertPath()).setKeyPath(rules.tlsKeyPath()));
            if (rules.handshakeTimeoutMs() > 0) {
                options.setSslHandshakeTimeout(rules.handshakeTimeoutMs()).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
            }
        }
        return options;
    }

    /** The port this group listens on (useful with port 0). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    @Override
    public Future<?> stop() {
        group.unregister(vertx);
        fanouts.values().forEach(StreamFanout::close);
        if (clips != null) {
            clips.close();
        }
        vertx.cancelTimer(statsTimer);
        vertx.cancelTimer(idleTimer);
        return server == null ? Future.succeededFuture() : server.close();
    }
}
