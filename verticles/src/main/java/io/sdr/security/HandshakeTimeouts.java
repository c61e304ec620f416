package io.sdr.security;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Closes a connection that has not delivered a complete request head within the handshake
 * timeout: a client trickling header bytes (slowloris) keeps Vert.x's idle timeout from firing and
 * would otherwise hold a socket forever. Vert.x has no request-head timeout of its own. Once the
 * first request arrives, the idle timeout (and for WebSockets the server's idle check) takes over.
 * Confined to the server's event loop (connections and their requests are handled there).
 */
public final class HandshakeTimeouts {
    private final Vertx vertx;
    private final long timeoutMs;
    private final Runnable onTimeout;
    private final Map<HttpConnection, Long> timers = new IdentityHashMap<>();

    public HandshakeTimeouts(final Vertx vertx, final long timeoutMs, final Runnable onTimeout) {
        this.vertx = vertx;
        this.timeoutMs = timeoutMs;
        this.onTimeout = onTimeout;
    }

    public void connected(final HttpConnection connection) {
        if (timeoutMs <= 0) {
            return;
        }
        final long timer = vertx.setTimer(timeoutMs, id -> {
            if (timers.remove(connection) != null) {
                onTimeout.run();
                connection.close();
            }
        });
        timers.put(connection, timer);
        connection.closeHandler(v -> requestReceived(connection));
    }

    /** A request head arrived (or the connection closed): no handshake deadline any more. */
    public void requestReceived(final HttpConnection connection) {
        if (timers.isEmpty()) {
            return;
        }
        final Long timer = timers.remove(connection);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

}
