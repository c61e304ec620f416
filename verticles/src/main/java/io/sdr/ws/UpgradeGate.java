package io.sdr.ws;

import io.sdr.poller.PollerConfig;
import io.sdr.bus.SubjectPattern;
import io.sdr.security.AccessControl;
import io.sdr.security.Grants;
import io.sdr.security.SecurityMetrics;
import io.sdr.security.SecurityMetrics.Refusal;
import io.sdr.security.TokenVerifier;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * The rules in front of {@code /stream/ws}, before the upgrade: origin, token, the stream and the
 * subjects it grants, the connection slots (overall and per address). A refusal is answered with
 * its reason in plain text and counted in {@code sdr_ws_refused_total}; an accepted request is
 * upgraded and handed on with everything decided about it ({@link Accepted}).
 *
 * <p>It takes the raw {@code HttpServerRequest} of the server, not vertx-web's wrapped one: the
 * fan-out needs the socket Vert.x core creates ({@link NettyViewerSink}).
 */
final class UpgradeGate {
    private static final System.Logger LOG = System.getLogger(UpgradeGate.class.getName());

    /** An upgraded viewer and what the gate decided for it. */
    /**
     * @param tier     its place on the stream's tier ladder; null when the stream has no renditions
     * @param foxglove a {@code /foxglove} viewer: {@code stream} is only where its slot is counted (the
     *                 token's default stream); it subscribes to streams through the protocol
     */
    record Accepted(ServerWebSocket socket, String stream, StreamFanout fanout, AdaptiveTier tier,
                    List<SubjectPattern> subjects, TokenVerifier.Verified token, ServerState.Slot slot, boolean foxglove) {
    }

    @FunctionalInterface
    interface Handler {
        void accepted(Accepted accepted);
    }

    private final WebSocketConfig config;
    private final ServerState state;
    private final Map<String, TierLadder> ladders;
    private final AccessControl access;
    private final SecurityMetrics securityMetrics;

    UpgradeGate(final WebSocketConfig config, final ServerState state, final Map<String, TierLadder> ladders,
                final AccessControl access, final SecurityMetrics securityMetrics) {
        this.config = config;
        this.state = state;
        this.ladders = ladders;
        this.access = access;
        this.securityMetrics = securityMetrics;
    }

    void upgrade(final HttpServerRequest request, final Handler handler) {
        upgrade(request, handler, false);
    }

    /**
     * {@code /foxglove}: the same rules, for a client that offers a Foxglove subprotocol (without one
     * it is answered 400, as the Foxglove SDK's server does).
     */
    void upgradeFoxglove(final HttpServerRequest request, final Handler handler) {
        final String offered = request.getHeader("Sec-WebSocket-Protocol");
        boolean foxglove = false;
        if (offered != null) {
            for (final String protocol : offered.split(",")) {
                foxglove |= io.sdr.foxglove.FoxgloveProtocol.SUBPROTOCOLS.contains(protocol.trim());
            }
        }
        if (!foxglove) {
            request.response().setStatusCode(400).putHeader("Content-Type", "text/plain; charset=utf-8")
                .end("missing Sec-WebSocket-Protocol: offer one of " + io.sdr.foxglove.FoxgloveProtocol.SUBPROTOCOLS + "\n");
            return;
        }
        upgrade(request, handler, true);
    }

    private void upgrade(final HttpServerRequest request, final Handler handler, final boolean foxglove) {
        if (!access.originAllowed(request)) {
            refuse(request, 403, Refusal.ORIGIN, "origin not allowed: Origin=" + request.getHeader("Origin")
                + ", websocket.allowedOrigins=" + config.security().allowedOrigins());
            return;
        }
        access.authenticate(request).onComplete(result -> {
            if (result.failed()) {
                refuseToken(request, result.cause(), Refusal.UNAUTHORIZED);
            } else {
                authorized(request, result.result(), handler, foxglove);
            }
        });
    }

    private void authorized(final HttpServerRequest request, final TokenVerifier.Verified token, final Handler handler,
                            final boolean foxglove) {
        final Grants grants = token.grants();
        final String asked = request.getParam("stream") != null && !foxglove ? request.getParam("stream") : defaultStream(grants);
        if (asked == null) {
            refuse(request, 403, Refusal.FORBIDDEN, "forbidden: the token grants none of the streams " + config.baseStreams());
            return;
        }
        // ?stream=main~360p is main pinned to that tier, like ?stream=main&tier=360p.
        final String stream = PollerConfig.baseOf(asked);
        final String tierName = asked.equals(stream) ? request.getParam("tier") : asked;
        final TierLadder ladder = ladders.get(stream);
        if (ladder == null) {
            request.response().setStatusCode(404).end("unknown stream: stream=" + asked + ", streams="
                + grants.visibleStreams(config.baseStreams()) + "\n");
            return;
        }
        final boolean pinned = tierName != null && !"auto".equals(tierName);
        final int start = pinned ? ladder.indexOf(tierName) : 0;
        if (start < 0) {
            request.response().setStatusCode(404).end("unknown tier: tier=" + tierName + ", tiers of " + stream + "="
                + ladder.infos().stream().map(TierLadder.TierInfo::label).toList() + " (or auto)\n");
            return;
        }
        final StreamFanout fanout = ladder.fanout(start);
        final AdaptiveTier tier = ladder.size() > 1 ? ladder.newTier(start, pinned) : null;
        if (!grants.allowsStream(stream)) {
            refuse(request, 403, Refusal.FORBIDDEN, "forbidden: the token does not grant stream=" + stream
                + "; granted: " + grants.visibleStreams(config.baseStreams()));
            return;
        }
        final List<SubjectPattern> requested;
        try {
            requested = ClientRequests.subscribeParam(request.params().getAll("subscribe"));
        } catch (final IllegalArgumentException e) {
            request.response().setStatusCode(400).end("invalid subscribe parameter: " + e.getMessage() + "\n");
            return;
        }
        final List<SubjectPattern> subjects = grants.narrow(requested);
        if (requested != null && subjects.isEmpty()) {
            refuse(request, 403, Refusal.FORBIDDEN, "forbidden: the token grants none of subscribe=" + requested
                + "; granted subjects: " + grants.subjects());
            return;
        }
        final int perAddress = config.security().maxClientsPerAddress();
        final String address = perAddress > 0 ? access.clientAddress(request) : null;
        final String[] refused = new String[1];
        final ServerState.Slot slot = state.acquire(stream, config.maxClients(), address, perAddress, refused);
        if (slot == null) {
            request.response().putHeader("Retry-After", "5");
            if ("max_clients".equals(refused[0])) {
                refuse(request, 503, Refusal.MAX_CLIENTS, "too many clients: maxClients=" + config.maxClients());
            } else {
                refuse(request, 429, Refusal.MAX_PER_ADDRESS, "too many connections from " + address
                    + ": maxClientsPerAddress=" + perAddress);
            }
            return;
        }
        request.toWebSocket().onComplete(result -> {
            if (result.failed()) {
                slot.release();
                return;
            }
            handler.accepted(new Accepted(result.result(), stream, fanout, tier, subjects, token, slot, foxglove));
        });
    }

    /**
     * {@code GET /stream/list}: {"streams": [names], "default": name}, for the viewer's stream
     * selector: the streams the request's token grants (401 without a valid token when auth is on).
     */
    void streamList(final HttpServerRequest request) {
        access.authenticate(request).onComplete(result -> {
            if (result.failed()) {
                refuseToken(request, result.cause(), null);
                return;
            }
            final List<String> visible = result.result().grants().visibleStreams(config.baseStreams());
            if (visible.isEmpty()) {
                refuse(request, 403, null, "forbidden: the token grants none of the streams " + config.baseStreams());
                return;
            }
            final JsonObject tiers = new JsonObject();
            for (final String stream : visible) {
                final TierLadder ladder = ladders.get(stream);
                if (ladder != null && ladder.size() > 1) {
                    final io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
                    for (final TierLadder.TierInfo info : ladder.infos()) {
                        final JsonObject entry = new JsonObject().put("stream", info.stream()).put("label", info.label());
                        if (info.width() > 0) {
                            entry.put("width", info.width()).put("height", info.height());
                        }
                        if (info.bitrateKbps() > 0) {
                            entry.put("bitrate_kbps", info.bitrateKbps());
                        }
                        list.add(entry);
                    }
                    tiers.put(stream, list);
                }
            }
            final JsonObject list = new JsonObject().put("streams", visible).put("default", defaultStream(result.result().grants()));
            if (!tiers.isEmpty()) {
                list.put("tiers", tiers);
            }
            request.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(list.encode());
        });
    }

    /** The stream a client gets without ?stream=: the configured default, else the first one its token grants. */
    private String defaultStream(final Grants grants) {
        final List<String> visible = grants.visibleStreams(config.baseStreams());
        if (visible.isEmpty()) {
            return null;
        }
        return visible.contains(config.defaultStream()) ? config.defaultStream() : visible.get(0);
    }

    /** @param counted the refusal to count, or null (only WebSocket upgrades are counted as refused connections) */
    private void refuseToken(final HttpServerRequest request, final Throwable cause, final Refusal counted) {
        final String reason = cause instanceof TokenVerifier.TokenRejected ? cause.getMessage() : "invalid token";
        request.response().putHeader("WWW-Authenticate", "Bearer realm=\"sdr\", error=\"invalid_token\"");
        refuse(request, 401, counted, "unauthorized: " + reason);
    }

    /** Answers a refused request with its reason in plain text and counts it (the token is never part of it). */
    void refuse(final HttpServerRequest request, final int status, final Refusal reason, final String message) {
        if (reason != null) {
            securityMetrics.refused(reason);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "refused " + AccessControl.peer(request) + ": " + message);
        // nosniff: the reason may quote request headers (Origin); it must never be taken for HTML.
        final HttpServerResponse response = request.response();
        response.setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8")
            .putHeader("X-Content-Type-Options", "nosniff").putHeader("Cache-Control", "no-store").end(message + "\n");
    }
}
