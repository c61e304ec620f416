package io.sdr.ws;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.sdr.security.SecurityConfig;
import io.sdr.security.SecurityMetrics;
import io.sdr.security.SecurityMetrics.Close;
import io.sdr.security.TokenBucket;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;

import io.sdr.foxglove.TelemetryMessages;
import io.sdr.foxglove.VideoMessages;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open viewer connections of one group: what happens on each from the upgrade to the close.
 * Wires a socket's frames (requests, size and rate limits), errors and close to the fan-outs, runs
 * the idle check and token-expiry timers, and closes for broken rules (each close counted once in
 * {@code sdr_ws_closed_total}). Confined to the group's event loop.
 */
final class ClientConnections {
    private static final System.Logger LOG = System.getLogger(ClientConnections.class.getName());
    /** RFC 6455 close code for a message too big to process. */
    static final short CLOSE_MESSAGE_TOO_BIG = 1009;
    /** RFC 6455: a message that breaks a policy (here: the message-rate limit). */
    static final short CLOSE_POLICY_VIOLATION = 1008;
    /** RFC 6455 "going away": the idle timeout. */
    static final short CLOSE_GOING_AWAY = 1001;
    /** Application close code (4000-4999), after HTTP 401: the client's token expired. */
    static final short CLOSE_TOKEN_EXPIRED = 4401;

    private final Vertx vertx;
    private final WebSocketConfig config;
    private final TelemetryFanout telemetry;
    private final TelemetryMetrics telemetryMetrics;
    private final ClientRequests requests;
    private final SecurityMetrics securityMetrics;
    private final AtomicInteger groupClients;
    private final Set<ClientGuard> guards = new LinkedHashSet<>();
    /** Foxglove's serverInfo sessionId: one per server process, so a client can tell a restart. */
    private static final String FOXGLOVE_SESSION_ID = java.util.UUID.randomUUID().toString();
    private final Map<String, StreamFanout> fanouts;
    // Per group and stream: each frame's Foxglove prefix is built once for all the group's Foxglove clients.
    private final Map<String, VideoMessages> foxgloveVideo = new HashMap<>();
    private final TelemetryMessages foxgloveTelemetry = new TelemetryMessages();
    private boolean lowatWarned;

    ClientConnections(final Vertx vertx, final WebSocketConfig config, final TelemetryFanout telemetry,
                      final TelemetryMetrics telemetryMetrics, final ClientRequests requests,
                      final SecurityMetrics securityMetrics, final AtomicInteger groupClients,
                      final Map<String, StreamFanout> fanouts) {
        this.vertx = vertx;
        this.config = config;
        this.telemetry = telemetry;
        this.telemetryMetrics = telemetryMetrics;
        this.requests = requests;
        this.securityMetrics = securityMetrics;
        this.groupClients = groupClients;
        this.fanouts = fanouts;
        fanouts.keySet().forEach(stream -> foxgloveVideo.put(stream, new VideoMessages(stream)));
    }

    void accept(final UpgradeGate.Accepted accepted) {
        if (accepted.foxglove()) {
            acceptFoxglove(accepted);
            return;
        }
        final StreamFanout fanout = accepted.fanout();
        final NettyViewerSink sink = open(accepted);
        final WsClient client = newClient(sink, accepted);
        final ClientGuard guard = guard(accepted, client, fanout);
        // Text messages are requests; binary ones carry nothing for us and are ignored.
        serve(accepted, sink, guard, text -> requests.onText(guard, text), telemetryMetrics.binaryIgnored::increment, () -> {
            fanout.leave(client);
            telemetry.leave(client);
        });
        fanout.join(client);
        telemetry.join(client);
    }

    /**
     * A Foxglove viewer ({@code /foxglove}): the same rules and limits, its requests the Foxglove
     * protocol's; its video lanes join the stream fan-outs as it subscribes ({@link FoxgloveClient}).
     */
    private void acceptFoxglove(final UpgradeGate.Accepted accepted) {
        final NettyViewerSink sink = open(accepted);
        final WsClient control = newClient(sink, accepted);
        final FoxgloveClient foxglove = new FoxgloveClient(control, accepted.token().grants(), fanouts,
            foxgloveVideo, foxgloveTelemetry, telemetry, telemetryMetrics, FOXGLOVE_SESSION_ID);
        final ClientGuard guard = guard(accepted, control, null);
        guard.laneFrames = foxglove::sentFrames;
        serve(accepted, sink, guard, foxglove::onText, foxglove::onBinary, foxglove::close);
        foxglove.open(config.streams());
    }

    private NettyViewerSink open(final UpgradeGate.Accepted accepted) {
        accepted.slot().opened(groupClients);
        final NettyViewerSink sink = new NettyViewerSink(accepted.socket());
        if (!sink.limitUnsentInKernel(config.notSentLowatBytes()) && config.notSentLowatBytes() > 0 && !lowatWarned) {
            lowatWarned = true;
            LOG.log(System.Logger.Level.INFO, "TCP_NOTSENT_LOWAT not available (no native epoll transport): a slow viewer's "
                + "kernel backlog is bounded by websocket.sendBufferBytes=" + config.sendBufferBytes() + " only");
        }
        return sink;
    }

    private WsClient newClient(final NettyViewerSink sink, final UpgradeGate.Accepted accepted) {
        final WsClient client = new WsClient(sink, accepted.stream(), accepted.fanout().newSession(),
            new TelemetryOutbox<>(config.telemetryBudgetBytes(), config.telemetryPendingSubjects()), telemetryMetrics);
        client.keyframeRequests = accepted.token().grants().keyframe();
        if (accepted.subjects() != null) {
            client.subscribe(accepted.subjects());
        }
        return client;
    }

    private ClientGuard guard(final UpgradeGate.Accepted accepted, final WsClient client, final StreamFanout fanout) {
        final SecurityConfig rules = config.security();
        final long nowNs = System.nanoTime();
        final ClientGuard guard = new ClientGuard(client, fanout, accepted.token().grants(),
            rules.messagesPerSecond() > 0 ? new TokenBucket(rules.messagesPerSecond(), rules.messageBurst(), nowNs) : null,
            accepted.slot().address(), nowNs);
        guards.add(guard);
        if (rules.auth().enabled() && rules.auth().closeOnExpiry()) {
            final long delayMs = (accepted.token().expiresAtEpochS() + rules.auth().leewaySeconds()) * 1000L - System.currentTimeMillis();
            guard.expiryTimer = vertx.setTimer(Math.max(1, delayMs),
                id -> closeFor(guard, Close.TOKEN_EXPIRED, CLOSE_TOKEN_EXPIRED, "token expired"));
        }
        return guard;
    }

    /** The socket's handlers: client messages within the size and rate limits, errors, and the close. */
    private void serve(final UpgradeGate.Accepted accepted, final NettyViewerSink sink, final ClientGuard guard,
                       final java.util.function.Consumer<String> onText, final Runnable onBinary, final Runnable onClose) {
        final ServerWebSocket socket = accepted.socket();
        final SecurityConfig rules = config.security();
        // Client messages are read frame by frame so that a message over maxClientMessageBytes is
        // closed with 1009 even when sent in fragments (Vert.x checks single frames only, and on an
        // oversized frame drops the connection without a close frame unless we send one).
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
                    onText.accept(reader.text());
                    break;
                case BINARY:
                    onBinary.run();
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
                    sink.close((short) status.code(), status.reasonText());
                }
            }
        });
        socket.closeHandler(v -> {
            sink.closed();
            guards.remove(guard);
            vertx.cancelTimer(guard.expiryTimer);
            onClose.run();
            accepted.slot().release();
        });
    }

    /** Closes a client for breaking a rule: counted once, whatever else happens to the connection meanwhile. */
    private void closeFor(final ClientGuard guard, final Close reason, final short code, final String message) {
        if (guard.closing) {
            return;
        }
        guard.closing = true;
        securityMetrics.closed(guard.client.stream, reason);
        LOG.log(System.Logger.Level.DEBUG, () -> "closing client of " + guard.client.stream + ": " + message);
        guard.client.sink.close(code, message);
    }

    /** Closes the WebSockets that saw no traffic either way for idleTimeoutMs. */
    void closeIdle() {
        final long nowNs = System.nanoTime();
        final long idleNs = config.security().idleTimeoutMs() * 1_000_000L;
        for (final ClientGuard guard : new ArrayList<>(guards)) {
            if (!guard.closing && guard.idle(nowNs, idleNs)) {
                closeFor(guard, Close.IDLE, CLOSE_GOING_AWAY, "idle: no traffic for " + config.security().idleTimeoutMs() + " ms");
            }
        }
    }
}
