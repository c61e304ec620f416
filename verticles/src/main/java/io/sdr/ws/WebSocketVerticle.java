package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Frame;
import io.sdr.bus.FrameCodec;
import io.sdr.health.HealthHandler;
import io.sdr.metrics.Metrics;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One client group: an HTTP server instance (instances share the port; Vert.x spreads connections
 * over them) serving {@code /stream/ws}, {@code /health} and {@code /metrics}. It subscribes once
 * per stream and fans each frame out to its own clients.
 */
public final class WebSocketVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(WebSocketVerticle.class.getName());
    /** RFC 6455 close code for a message too big to process. */
    static final short CLOSE_MESSAGE_TOO_BIG = 1009;

    private WebSocketConfig config;
    private ServerState state;
    private final Map<String, StreamFanout> fanouts = new LinkedHashMap<>();
    private HttpServer server;

    @Override
    public Future<?> start() {
        config = WebSocketConfig.from(config());
        FrameCodec.register(vertx);
        state = ServerState.of(vertx);
        final var registry = Metrics.registry(vertx);
        for (final String stream : config.streams()) {
            final StreamFanout fanout = new StreamFanout(vertx, stream, config,
                new FanoutMetrics(registry, stream, state.clientsOf(stream)));
            fanouts.put(stream, fanout);
            vertx.eventBus().<Frame>localConsumer(Addresses.frames(stream), message -> fanout.onFrame(message.body()));
        }

        final Router router = Router.router(vertx);
        router.get("/stream/ws").handler(this::upgrade);
        router.get("/health").handler(new HealthHandler(vertx, config, state));
        router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));

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
            accept(result.result(), stream, fanout);
        });
    }

    private void accept(final ServerWebSocket socket, final String stream, final StreamFanout fanout) {
        state.clientsOf(stream).incrementAndGet();
        // Clients have nothing to say yet (telemetry subscriptions come later): read and discard,
        // never buffer, and close with 1009 a message over maxClientMessageBytes. Vert.x checks single
        // frames only (not a message sent in fragments), and on an oversized frame it drops the TCP
        // connection without a close frame unless we send one from the exception handler.
        final long[] messageBytes = {0}; // confined to the socket's event loop
        socket.handler(buffer -> { });
        socket.frameHandler(frame -> {
            if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
                messageBytes[0] = (frame.isContinuation() ? messageBytes[0] : 0) + frame.binaryData().length();
                if (messageBytes[0] > config.maxClientMessageBytes() && !socket.isClosed()) {
                    socket.close(CLOSE_MESSAGE_TOO_BIG, "message too big: maxClientMessageBytes=" + config.maxClientMessageBytes());
                }
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
            fanout.leave(socket);
            state.clientsOf(stream).decrementAndGet();
            state.releaseClient();
        });
        fanout.join(socket);
    }

    /** The port this group listens on (useful with port 0). */
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }
}
