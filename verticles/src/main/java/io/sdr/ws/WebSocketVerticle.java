package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Frame;
import io.sdr.bus.FrameCodec;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.health.HealthHandler;
import io.sdr.metrics.Metrics;
import io.sdr.nats.SubjectPattern;
import io.sdr.security.AccessControl;
import io.sdr.security.Grants;
import io.sdr.security.HandshakeTimeouts;
import io.sdr.security.SecurityConfig;
import io.sdr.security.SecurityMetrics;
import io.sdr.security.SecurityMetrics.Close;
import io.sdr.security.SecurityMetrics.Refusal;
import io.sdr.security.TokenBucket;
import io.sdr.security.TokenVerifier;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One client group: an HTTP server instance (instances share the port; Vert.x spreads connections
 * over them) serving {@code /stream/ws}, {@code /stream/list}, {@code /health}, {@code /metrics}
 * and the viewer page (static files under {@code webroot/} in the jar) at {@code /}. It subscribes
 * once per stream and fans each frame out to its own clients.
 *
 * <p>Access rules ({@link SecurityConfig}) are applied before the upgrade: origin, token, stream and
 * subjects granted, connection limits (each refusal answered with its reason and counted in
 * {@code sdr_ws_refused_total}); and on open connections: message size and rate, idle time, token
 * expiry (each close counted in {@code sdr_ws_closed_total}).
 */
public final class WebSocketVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(WebSocketVerticle.class.getName());
    /** RFC 6455 close code for a message too big to process. */
    static final short CLOSE_MESSAGE_TOO_BIG = 1009;
    /** RFC 6455: a message that breaks a policy (here: the message-rate limit). */
    static final short CLOSE_POLICY_VIOLATION = 1008;
    /** RFC 6455 "going away": the idle timeout. */
    static final short CLOSE_GOING_AWAY = 1001;
    /** Application close code (4000-4999), after HTTP 401: the client's token expired. */
    static final short CLOSE_TOKEN_EXPIRED = 4401;

    private WebSocketConfig config;
    private ServerState state;
    private final Map<String, StreamFanout> fanouts = new LinkedHashMap<>();
    private TelemetryFanout telemetry;
    private TelemetryMetrics telemetryMetrics;
    private HttpServer server;
    private GroupStats group;
    private long statsTimer = -1;
    private long idleTimer = -1;
    private AccessControl access;
    private SecurityMetrics securityMetrics;
    private HandshakeTimeouts handshakes;
    private ClientRequests requests;
    /** This group's open connections, for the idle check. Confined to the group's event loop. */
    private final Set<ClientGuard> guards = new LinkedHashSet<>();
    /** How often clients that sent {"stats": true} get a 0x03 stats message. */
    static final long STATS_INTERVAL_MS = 1000;

    @Override
    public Future<?> start() {
        config = WebSocketConfig.from(config());
        FrameCodec.register(vertx);
        state = ServerState.of(vertx);
        group = GroupStats.register(vertx);
        final var registry = Metrics.registry(vertx);
        for (final String stream : config.streams()) {
            final StreamFanout fanout = new StreamFanout(vertx, stream, config,
                new FanoutMetrics(registry, stream, state.clientsOf(stream), group));
            fanouts.put(stream, fanout);
            vertx.eventBus().<Frame>localConsumer(Addresses.frames(stream), message -> fanout.onFrame(message.body()));
        }
        TelemetryCodec.register(vertx);
        telemetryMetrics = new TelemetryMetrics(registry);
        telemetry = new TelemetryFanout(task -> context.runOnContext(v -> task.run()), config.telemetryCacheSubjects(),
            config.telemetryCacheBytes(), config.telemetryPendingSubjects(), telemetryMetrics);
        vertx.eventBus().<Telemetry>localConsumer(Addresses.TELEMETRY, message -> telemetry.onTelemetry(message.body()));
        requests = new ClientRequests(telemetry, telemetryMetrics);

        final SecurityConfig rules = config.security();
        access = new AccessControl(vertx, rules);
        securityMetrics = new SecurityMetrics(registry, config.streams());
        handshakes = new HandshakeTimeouts(vertx, rules.handshakeTimeoutMs(), () -> securityMetrics.refused(Refusal.HANDSHAKE_TIMEOUT));

        final Router router = Router.router(vertx);
        router.get("/stream/ws").handler(this::upgrade);
        router.get("/health").handler(new HealthHandler(vertx, config, state, ctx -> access.admin(ctx.request())));
        // A scrape takes 10-60 ms: on a worker, so it never stalls this group's video.
        router.get("/metrics").handler(ctx -> {
            if (access.admin(ctx.request())) {
                ctx.next();
            } else {
                refuse(ctx, 403, null, "forbidden: /metrics is served to websocket.admin.allow=" + rules.adminAllow()
                    + " only (a request through a proxy counts as its client's)");
            }
        }).blockingHandler(PrometheusScrapingHandler.create(registry), false);
        router.get("/stream/list").handler(this::streamList);
        // The viewer page: plain files from the jar's webroot/, re-read by browsers on every load.
        router.get().handler(StaticHandler.create("webroot").setCachingEnabled(false));
        statsTimer = vertx.setPeriodic(STATS_INTERVAL_MS, id -> fanouts.values().forEach(f -> f.sendStats(telemetryMetrics)));
        if (rules.idleTimeoutMs() > 0) {
            idleTimer = vertx.setPeriodic(Math.max(20, Math.min(1000, rules.idleTimeoutMs() / 4)), id -> closeIdle());
        }

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
            .setWebSocketSubProtocols(List.of(AccessControl.SUBPROTOCOL))
            // No h2c (browsers never use it; WebSockets are HTTP/1.1): with it on, Vert.x creates the
            // connection only once a whole request head arrived, which hides slowloris connections
            // from the handshake timeout.
            .setHttp2ClearTextEnabled(false);
        if (rules.idleTimeoutMs() > 0) {
            // Vert.x's own idle timeout closes without a word: a backstop for plain HTTP keep-alive
            // connections; WebSockets are closed (1001, counted) by closeIdle first.
            options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, 2 * rules.idleTimeoutMs())).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        }
        if (rules.tls()) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(rules.tlsCertPath()).setKeyPath(rules.tlsKeyPath()));
            if (rules.handshakeTimeoutMs() > 0) {
                options.setSslHandshakeTimeout(rules.handshakeTimeoutMs()).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
            }
        }
        final String scheme = rules.tls() ? "wss://" : "ws://";
        return vertx.createHttpServer(options)
            .connectionHandler(handshakes::connected)
            .requestHandler(request -> {
                handshakes.requestReceived(request.connection());
                router.handle(request);
            })
            .listen().onSuccess(s -> {
                server = s;
                LOG.log(System.Logger.Level.INFO, "WebSocket group listening: " + scheme + config.listenHost() + ":" + s.actualPort()
                    + "/stream/ws, streams=" + config.streams() + ", auth=" + (rules.auth().enabled() ? rules.auth().algorithm() : "off"));
            });
    }

    private void upgrade(final RoutingContext ctx) {
        final HttpServerRequest request = ctx.request();
        if (!access.originAllowed(request)) {
            refuse(ctx, 403, Refusal.ORIGIN, "origin not allowed: Origin=" + request.getHeader("Origin")
                + ", websocket.allowedOrigins=" + config.security().allowedOrigins());
            return;
        }
        access.authenticate(request).onComplete(result -> {
            if (result.failed()) {
                refuseToken(ctx, result.cause(), Refusal.UNAUTHORIZED);
            } else {
                authorizedUpgrade(ctx, result.result());
            }
        });
    }

    private void authorizedUpgrade(final RoutingContext ctx, final TokenVerifier.Verified token) {
        final HttpServerRequest request = ctx.request();
        final Grants grants = token.grants();
        final String stream = request.getParam("stream") != null ? request.getParam("stream") : defaultStream(grants);
        if (stream == null) {
            refuse(ctx, 403, Refusal.FORBIDDEN, "forbidden: the token grants none of the streams " + config.streams());
            return;
        }
        final StreamFanout fanout = fanouts.get(stream);
        if (fanout == null) {
            ctx.response().setStatusCode(404).end("unknown stream: stream=" + stream + ", streams="
                + grants.visibleStreams(config.streams()) + "\n");
            return;
        }
        if (!grants.allowsStream(stream)) {
            refuse(ctx, 403, Refusal.FORBIDDEN, "forbidden: the token does not grant stream=" + stream
                + "; granted: " + grants.visibleStreams(config.streams()));
            return;
        }
        final List<SubjectPattern> requested;
        try {
            requested = ClientRequests.subscribeParam(request.params().getAll("subscribe"));
        } catch (final IllegalArgumentException e) {
            ctx.response().setStatusCode(400).end("invalid subscribe parameter: " + e.getMessage() + "\n");
            return;
        }
        final List<SubjectPattern> subjects = grants.narrow(requested);
        if (requested != null && subjects.isEmpty()) {
            refuse(ctx, 403, Refusal.FORBIDDEN, "forbidden: the token grants none of subscribe=" + requested
                + "; granted subjects: " + grants.subjects());
            return;
        }
        if (!state.tryAcquireClient(config.maxClients())) {
            ctx.response().putHeader("Retry-After", "5");
            refuse(ctx, 503, Refusal.MAX_CLIENTS, "too many clients: maxClients=" + config.maxClients());
            return;
        }
        final int perAddress = config.security().maxClientsPerAddress();
        final String address = perAddress > 0 ? access.clientAddress(request) : null;
        if (address != null && !state.tryAcquireAddress(address, perAddress)) {
            state.releaseClient();
            ctx.response().putHeader("Retry-After", "5");
            refuse(ctx, 429, Refusal.MAX_PER_ADDRESS, "too many connections from " + address
                + ": maxClientsPerAddress=" + perAddress);
            return;
        }
        request.toWebSocket().onComplete(result -> {
            if (result.failed()) {
                state.releaseClient();
                if (address != null) {
                    state.releaseAddress(address);
                }
                return;
            }
            accept(result.result(), stream, fanout, subjects, token, address);
        });
    }

    /** The stream a client gets without ?stream=: the configured default, else the first one its token grants. */
    private String defaultStream(final Grants grants) {
        final List<String> visible = grants.visibleStreams(config.streams());
        if (visible.isEmpty()) {
            return null;
        }
        return visible.contains(config.defaultStream()) ? config.defaultStream() : visible.get(0);
    }

    /** @param counted the refusal to count, or null (only WebSocket upgrades are counted as refused connections) */
    private void refuseToken(final RoutingContext ctx, final Throwable cause, final Refusal counted) {
        final String reason = cause instanceof TokenVerifier.TokenRejected ? cause.getMessage() : "invalid token";
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"sdr\", error=\"invalid_token\"");
        refuse(ctx, 401, counted, "unauthorized: " + reason);
    }

    /** Answers a refused request with its reason in plain text and counts it (the token is never part of it). */
    private void refuse(final RoutingContext ctx, final int status, final Refusal reason, final String message) {
        if (reason != null) {
            securityMetrics.refused(reason);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "refused " + AccessControl.peer(ctx.request()) + ": " + message);
        // nosniff: the reason may quote request headers (Origin); it must never be taken for HTML.
        ctx.response().setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8")
            .putHeader("X-Content-Type-Options", "nosniff").putHeader("Cache-Control", "no-store").end(message + "\n");
    }

    private void accept(final ServerWebSocket socket, final String stream, final StreamFanout fanout,
                        final List<SubjectPattern> subjects, final TokenVerifier.Verified token, final String address) {
        state.clientsOf(stream).incrementAndGet();
        group.clients.incrementAndGet();
        final WsClient client = new WsClient(socket, stream, fanout.newSession(),
            new TelemetryOutbox<>(config.telemetryBudgetBytes(), config.telemetryPendingSubjects()),
            fanout.metrics(), telemetryMetrics);
        client.keyframeRequests = token.grants().keyframe();
        if (subjects != null) {
            client.subscribe(subjects);
        }
        final SecurityConfig rules = config.security();
        final long nowNs = System.nanoTime();
        final ClientGuard guard = new ClientGuard(client, fanout, token.grants(),
            rules.messagesPerSecond() > 0 ? new TokenBucket(rules.messagesPerSecond(), rules.messageBurst(), nowNs) : null,
            address, nowNs);
        guards.add(guard);
        if (rules.auth().enabled() && rules.auth().closeOnExpiry()) {
            final long delayMs = (token.expiresAtEpochS() + rules.auth().leewaySeconds()) * 1000L - System.currentTimeMillis();
            guard.expiryTimer = vertx.setTimer(Math.max(1, delayMs),
                id -> closeFor(guard, Close.TOKEN_EXPIRED, CLOSE_TOKEN_EXPIRED, "token expired"));
        }
        // Client messages are read frame by frame so that a message over maxClientMessageBytes is
        // closed with 1009 even when sent in fragments (Vert.x checks single frames only, and on an
        // oversized frame drops the connection without a close frame unless we send one). Text
        // messages are requests; binary ones carry nothing for us and are ignored.
        final ClientMessageReader reader = new ClientMessageReader(config.maxClientMessageBytes());
        socket.frameHandler(frame -> {
            if (guard.closing) {
                return;
            }
            if (!guard.onInbound(System.nanoTime())) {
                closeFor(guard, Close.RATE_LIMITED, CLOSE_POLICY_VIOLATION, "rate limit: more than "
                    + rules.messagesPerSecond() + " messages/s (burst " + rules.messageBurst() + ")");
                return;
            }
            switch (reader.onFrame(frame)) {
                case TOO_BIG:
                    closeFor(guard, Close.TOO_BIG, CLOSE_MESSAGE_TOO_BIG, "message too big: maxClientMessageBytes=" + config.maxClientMessageBytes());
                    break;
                case TEXT:
                    requests.onText(guard, reader.text());
                    break;
                case BINARY:
                    telemetryMetrics.binaryIgnored.increment();
                    break;
                default:
                    break;
            }
        });
        socket.exceptionHandler(error -> {
            LOG.log(System.Logger.Level.DEBUG, () -> "client error: " + error);
            if (error instanceof CorruptedWebSocketFrameException && !socket.isClosed()) {
                final WebSocketCloseStatus status = ((CorruptedWebSocketFrameException) error).closeStatus();
                if (status == WebSocketCloseStatus.MESSAGE_TOO_BIG) {
                    closeFor(guard, Close.TOO_BIG, CLOSE_MESSAGE_TOO_BIG, "message too big: maxClientMessageBytes=" + config.maxClientMessageBytes());
                } else {
                    socket.close((short) status.code(), status.reasonText());
                }
            }
        });
        socket.closeHandler(v -> {
            guards.remove(guard);
            vertx.cancelTimer(guard.expiryTimer);
            fanout.leave(client);
            telemetry.leave(client);
            state.clientsOf(stream).decrementAndGet();
            group.clients.decrementAndGet();
            state.releaseClient();
            if (address != null) {
                state.releaseAddress(address);
            }
        });
        fanout.join(client);
        telemetry.join(client);
    }

    /** Closes a client for breaking a rule: counted once, whatever else happens to the connection meanwhile. */
    private void closeFor(final ClientGuard guard, final Close reason, final short code, final String message) {
        if (guard.closing) {
            return;
        }
        guard.closing = true;
        securityMetrics.closed(guard.client.stream, reason);
        LOG.log(System.Logger.Level.DEBUG, () -> "closing client of " + guard.client.stream + ": " + message);
        if (!guard.client.socket.isClosed()) {
            guard.client.socket.close(code, message);
        }
    }

    /** Closes the WebSockets that saw no traffic either way for idleTimeoutMs. */
    private void closeIdle() {
        final long nowNs = System.nanoTime();
        final long idleNs = config.security().idleTimeoutMs() * 1_000_000L;
        for (final ClientGuard guard : new ArrayList<>(guards)) {
            if (!guard.closing && guard.idle(nowNs, idleNs)) {
                closeFor(guard, Close.IDLE, CLOSE_GOING_AWAY, "idle: no traffic for " + config.security().idleTimeoutMs() + " ms");
            }
        }
    }

    /**
     * {@code GET /stream/list}: {"streams": [names], "default": name}, for the viewer's stream
     * selector: the streams the request's token grants (401 without a valid token when auth is on).
     */
    private void streamList(final RoutingContext ctx) {
        access.authenticate(ctx.request()).onComplete(result -> {
            if (result.failed()) {
                refuseToken(ctx, result.cause(), null);
                return;
            }
            final List<String> visible = result.result().grants().visibleStreams(config.streams());
            if (visible.isEmpty()) {
                refuse(ctx, 403, null, "forbidden: the token grants none of the streams " + config.streams());
                return;
            }
            ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(new JsonObject().put("streams", visible).put("default", defaultStream(result.result().grants())).encode());
        });
    }

    /** The port this group listens on (useful with port 0). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    @Override
    public Future<?> stop() {
        group.unregister(vertx);
        vertx.cancelTimer(statsTimer);
        vertx.cancelTimer(idleTimer);
        return server == null ? Future.succeededFuture() : server.close();
    }
}
