package io.sdr.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.util.List;

/**
 * The request-level rules of {@link SecurityConfig}, applied to Vert.x requests: where a request
 * comes from (proxy-aware), whether it may see the admin endpoints, whether a browser page's origin
 * may open a WebSocket, and whose token it carries.
 *
 * <p>Tokens are taken from, in this order: the WebSocket subprotocol {@code sdr.token.<jwt>} offered
 * next to {@code sdr.v1} (browsers cannot set headers on a WebSocket; the server answers with
 * {@code sdr.v1}, never echoing the token), {@code Authorization: Bearer <jwt>}, {@code ?token=<jwt>}.
 */
public final class AccessControl {
    /** The subprotocol the server selects; a browser offering subprotocols requires one to be selected. */
    public static final String SUBPROTOCOL = "sdr.v1";
    public static final String TOKEN_PROTOCOL_PREFIX = "sdr.token.";

    private final SecurityConfig config;
    private final TokenVerifier verifier;

    public AccessControl(final Vertx vertx, final SecurityConfig config) {
        this.config = config;
        this.verifier = config.auth().enabled() ? new TokenVerifier(vertx, config.auth()) : null;
    }

    public SecurityConfig config() {
        return config;
    }

    /** The TCP peer's IP address ("" when unknown, e.g. a Unix socket). */
    public static String peer(final HttpServerRequest request) {
        final SocketAddress remote = request.connection().remoteAddress();
        return remote == null || remote.hostAddress() == null ? "" : remote.hostAddress();
    }

    /** The client's address: the peer, or the X-Forwarded-For client when the peer is a trusted proxy. */
    public String clientAddress(final HttpServerRequest request) {
        return ClientAddress.of(peer(request), forwardedFor(request), config.trustedProxies());
    }

    private static String forwardedFor(final HttpServerRequest request) {
        final List<String> values = request.headers().getAll("X-Forwarded-For");
        return values.isEmpty() ? null : String.join(",", values);
    }

    /**
     * Whether the request may read /metrics and the detailed /health. A forwarded request (a proxy
     * such as Caddy adds X-Forwarded-For / Forwarded) is judged by the client it was forwarded for,
     * and only when the proxy is trusted: otherwise the Caddy route {@code /viewer/*}, which strips
     * its prefix, would serve /viewer/metrics from Caddy's (backplane) address to anyone.
     */
    public boolean admin(final HttpServerRequest request) {
        final String peer = peer(request);
        final boolean forwarded = request.headers().contains("X-Forwarded-For") || request.headers().contains("Forwarded");
        if (!forwarded) {
            return config.adminAllow().contains(peer);
        }
        return config.trustedProxies().contains(peer) && !request.headers().contains("Forwarded")
            && config.adminAllow().contains(clientAddress(request));
    }

    public boolean originAllowed(final HttpServerRequest request) {
        return config.allowedOrigins().allows(request.getHeader(HttpHeaders.ORIGIN), request.getHeader(HttpHeaders.HOST));
    }

    /** The verified token of the request; everything granted when authentication is off. */
    public Future<TokenVerifier.Verified> authenticate(final HttpServerRequest request) {
        if (verifier == null) {
            return Future.succeededFuture(new TokenVerifier.Verified(Grants.ALL, null, 0));
        }
        return verifier.verify(token(request));
    }

    static String token(final HttpServerRequest request) {
        for (final String header : request.headers().getAll("Sec-WebSocket-Protocol")) {
            for (final String protocol : header.split(",")) {
                final String p = protocol.trim();
                if (p.startsWith(TOKEN_PROTOCOL_PREFIX) && p.length() > TOKEN_PROTOCOL_PREFIX.length()) {
                    return p.substring(TOKEN_PROTOCOL_PREFIX.length());
                }
            }
        }
        final String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return request.getParam("token");
    }
}
