package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Frame;
import io.sdr.bus.FrameCodec;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.health.HealthHandler;
import io.sdr.metrics.Metrics;
import io.sdr.nats.SubjectPattern;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One client group: an HTTP server instance (instances share the port; Vert.x spreads connections
 * over them) serving {@code /stream/ws}, {@code /stream/list}, {@code /health}, {@code /metrics}
 * and the viewer page (static files under {@code webroot/} in the jar) at {@code /}. It subscribes
 * once per stream and fans each frame out to its own clients.
 */
public final class WebSocketVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(WebSocketVerticle.class.getName());
    /** RFC 6455 close code for a message too big to process. */
    static final short CLOSE_MESSAGE_TOO_BIG = 1009;

    private WebSocketConfig config;
    private ServerState state;
    private final Map<String, StreamFanout> fanouts = new LinkedHashMap<>();
    private TelemetryFanout telemetry;
    private TelemetryMetrics telemetryMetrics;
    private HttpServer server;
    private GroupStats group;
    private long statsTimer = -1;
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

        final Router router = Router.router(vertx);
        router.get("/stream/ws").handler(this::upgrade);
        router.get("/health").handler(new HealthHandler(vertx, config, state));
        // A scrape takes 10-60 ms: on a worker, so it never stalls this group's video.
        router.get("/metrics").blockingHandler(PrometheusScrapingHandler.create(registry), false);
        router.get("/stream/list").handler(this::streamList);
        // The viewer page: plain files from the jar's webroot/, re-read by browsers on every load.
        router.get().handler(StaticHandler.create("webroot").setCachingEnabled(false));
        statsTimer = vertx.setPeriodic(STATS_INTERVAL_MS, id -> fanouts.values().forEach(f -> f.sendStats(telemetryMetrics)));

        final HttpServerOptions options = new HttpServerOptions()
            .setHost(config.listenHost())
            .setPort(config.listenPort())
            .setTcpNoDelay(true)
            .setSendBufferSize(config.sendBufferBytes())
            // Deflate would compress (and copy) every video message once per client.
            .setPerMessageWebSocketCompressionSupported(false)
            .setPerFrameWebSocketCompressionSupported(false)
            .setMaxWebSocketFrameSize(config.maxClientMessageBytes())
            .setMaxWebSocketMessageSize(config.maxClientMessageBytes());
        return vertx.createHttpServer(options).requestHandler(router).listen().onSuccess(s -> {
            server = s;
            LOG.log(System.Logger.Level.INFO, "WebSocket group listening: ws://" + config.listenHost() + ":" + s.actualPort()
                + "/stream/ws, streams=" + config.streams());
        });
    }

    private void upgrade(final RoutingContext ctx) {
        final HttpServerRequest request = ctx.request();
        final String stream = request.getParam("stream", config.defaultStream());
        final StreamFanout fanout = fanouts.get(stream);
        if (fanout == null) {
            ctx.response().setStatusCode(404).end("unknown stream: stream=" + stream + ", streams=" + config.streams() + "\n");
            return;
        }
        final List<SubjectPattern> subjects;
        try {
            subjects = subscribeParam(request.params().getAll("subscribe"));
        } catch (final IllegalArgumentException e) {
            ctx.response().setStatusCode(400).end("invalid subscribe parameter: " + e.getMessage() + "\n");
            return;
        }
        if (!state.tryAcquireClient(config.maxClients())) {
            ctx.response().setStatusCode(503).putHeader("Retry-After", "5")
                .end("too many clients: maxClients=" + config.maxClients() + "\n");
            return;
        }
        request.toWebSocket().onComplete(result -> {
            if (result.failed()) {
                state.releaseClient();
                return;
            }
            accept(result.result(), stream, fanout, subjects);
        });
    }

    /**
     * {@code ?subscribe=P1,P2} (or the parameter repeated): the telemetry subjects a client wants
     * from the start, so that its join brings the latest values of those subjects only (a text
     * {@code {"subscribe": [...]}} can change them later); null when absent (everything).
     */
    static List<SubjectPattern> subscribeParam(final List<String> values) {
        if (values.isEmpty()) {
            return null;
        }
        final List<SubjectPattern> patterns = new ArrayList<>();
        for (final String value : values) {
            for (final String part : value.split(",", -1)) {
                final SubjectPattern pattern = SubjectPattern.parse(part.trim());
                if (pattern == null) {
                    throw new IllegalArgumentException("not a NATS subject pattern: \"" + part + "\"");
                }
                patterns.add(pattern);
            }
        }
        if (patterns.size() > ClientRequest.MAX_PATTERNS) {
            throw new IllegalArgumentException("too many subjects: count=" + patterns.size() + ", max=" + ClientRequest.MAX_PATTERNS);
        }
        return List.copyOf(patterns);
    }

    private void accept(final ServerWebSocket socket, final String stream, final StreamFanout fanout,
                        final List<SubjectPattern> subjects) {
        state.clientsOf(stream).incrementAndGet();
        group.clients.incrementAndGet();
        final WsClient client = new WsClient(socket, stream, fanout.newSession(),
            new TelemetryOutbox<>(config.telemetryBudgetBytes(), config.telemetryPendingSubjects()),
            fanout.metrics(), telemetryMetrics);
        if (subjects != null) {
            client.subscribe(subjects);
        }
        // Client messages are read frame by frame so that a message over maxClientMessageBytes is
        // closed with 1009 even when sent in fragments (Vert.x checks single frames only, and on an
        // oversized frame drops the connection without a close frame unless we send one). Text
        // messages are subscription requests; binary ones carry nothing for us and are ignored.
        final ClientMessageReader reader = new ClientMessageReader(config.maxClientMessageBytes());
        socket.frameHandler(frame -> {
            switch (reader.onFrame(frame)) {
                case TOO_BIG:
                    if (!socket.isClosed()) {
                        socket.close(CLOSE_MESSAGE_TOO_BIG, "message too big: maxClientMessageBytes=" + config.maxClientMessageBytes());
                    }
                    break;
                case TEXT:
                    onClientText(client, reader.text());
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
                socket.close((short) status.code(), status == WebSocketCloseStatus.MESSAGE_TOO_BIG
                    ? "message too big: maxClientMessageBytes=" + config.maxClientMessageBytes() : status.reasonText());
            }
        });
        socket.closeHandler(v -> {
            fanout.leave(client);
            telemetry.leave(client);
            state.clientsOf(stream).decrementAndGet();
            group.clients.decrementAndGet();
            state.releaseClient();
        });
        fanout.join(client);
        telemetry.join(client);
    }

    private void onClientText(final WsClient client, final String message) {
        final ClientRequest request = ClientRequest.parse(message);
        if (!request.isValid()) {
            telemetryMetrics.invalidMessages.increment();
            LOG.log(System.Logger.Level.DEBUG, () -> "ignored client message: " + request.error());
            return;
        }
        switch (request.kind()) {
            case STATS:
                telemetryMetrics.statsRequests.increment();
                client.statsWanted = request.stats();
                break;
            case PING:
                telemetryMetrics.pings.increment();
                final boolean sent = client.sendControl(ControlMessages.pong(request.ping(), ControlMessages.epochMs(Instant.now())));
                (sent ? telemetryMetrics.controlSent : telemetryMetrics.controlDropped).increment();
                break;
            default:
                telemetryMetrics.subscribed.increment();
                client.subscribe(request.subscribe());
                telemetry.resubscribed(client);
                break;
        }
    }

    /** {@code GET /stream/list}: {"streams": [names], "default": name}, for the viewer's stream selector. */
    private void streamList(final RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
            .end(new JsonObject().put("streams", config.streams()).put("default", config.defaultStream()).encode());
    }

    /** The port this group listens on (useful with port 0). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    @Override
    public Future<?> stop() {
        group.unregister(vertx);
        vertx.cancelTimer(statsTimer);
        return server == null ? Future.succeededFuture() : server.close();
    }
}
