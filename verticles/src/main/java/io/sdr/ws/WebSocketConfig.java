package io.sdr.ws;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.sdr.security.SecurityConfig;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Settings of the WebSocket client groups and their HTTP server, validated.
 *
 * @param listenHost          interface to bind ({@code SDR_LISTEN_ADDR} host)
 * @param listenPort          port ({@code SDR_LISTEN_ADDR} port; 0 = any free port)
 * @param streams             the stream names clients may pick with {@code ?stream=}; the first is the default
 * @param maxClients          connections accepted across all groups; more are refused with 503
 * @param clientBudgetBytes   video bytes that may wait for one client's socket before it counts as lagging
 * @param maxQueuedFrames     frames that may wait for one client's socket ({@code SDR_BROADCAST_CAPACITY})
 * @param idrTimeoutMs        how long a client may wait for a keyframe while frames flow ({@code SDR_IDR_TIMEOUT_MS})
 * @param gopCacheBytes       bound of the per-stream GOP cache used for instant join; 0 disables it
 * @param sendBufferBytes     kernel send buffer per client socket: small, so lag shows in the budget, not the kernel
 * @param maxClientMessageBytes largest message a client may send; larger ones close the connection
 * @param healthStaleMs        /health reports 503 when a stream has published nothing for this long
 * @param telemetryBudgetBytes telemetry bytes that may wait for one client's socket; more waits latest-per-subject
 * @param telemetryPendingSubjects subjects that may wait per client beyond that budget, and per group while its event
 *                            loop is behind (latest value per subject; beyond it the oldest subject is dropped)
 * @param telemetryCacheSubjects latest-value cache for joiners: subjects kept (0 disables)
 * @param telemetryCacheBytes latest-value cache for joiners: bytes kept
 * @param maxFrameAgeMs       a frame that reaches this group's event loop later than this after it was published
 *                            (the loop was starved of CPU) is skipped for every client, who resync at the next
 *                            keyframe: a backlog is never written out as old video; 0 disables
 * @param maxLagMs            a viewer lags (and waits for a keyframe) when a frame has waited longer than this to
 *                            reach its kernel socket; 0 = two of the stream's measured frame intervals
 * @param joinBurstGraceMs    time the join burst (the cached GOP) gets on top of that before the joiner counts as lagging
 * @param notSentLowatBytes   TCP_NOTSENT_LOWAT per viewer socket (native epoll): what the kernel may hold unsent,
 *                            so a slow viewer's backlog stays where the fan-out can judge it; 0 leaves the kernel default
 * @param security            tokens, origins, per-address and message-rate limits, timeouts, TLS, admin access
 */
public record WebSocketConfig(String listenHost, int listenPort, List<String> streams, int maxClients,
                              long clientBudgetBytes, int maxQueuedFrames, long idrTimeoutMs, long gopCacheBytes,
                              int sendBufferBytes, int maxClientMessageBytes, long healthStaleMs,
                              long telemetryBudgetBytes, int telemetryPendingSubjects, int telemetryCacheSubjects,
                              long telemetryCacheBytes, long maxFrameAgeMs, long maxLagMs, long joinBurstGraceMs,
                              int notSentLowatBytes, SecurityConfig security) {

    public static final String SECTION = "websocket";

    public static WebSocketConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        // Said "frame" beside maxFrameAgeMs, which is about single frames; this one is /health's.
        c.renamed("staleFrameMs", "healthStaleMs");
        final List<String> keys = new java.util.ArrayList<>(List.of("listen", "streams", "instances", "maxClients",
            "clientBudgetBytes", "maxQueuedFrames", "idrTimeoutMs", "gopCacheBytes", "sendBufferBytes",
            "maxClientMessageBytes", "healthStaleMs", "telemetryBudgetBytes", "telemetryPendingSubjects",
            "telemetryCacheSubjects", "telemetryCacheBytes", "maxFrameAgeMs", "maxLagMs", "joinBurstGraceMs",
            "notSentLowatBytes"));
        keys.addAll(List.of(SecurityConfig.KEYS));
        c.allowOnly(keys.toArray(new String[0]));
        c.intValue("instances", 2, 1, 256);
        final String listen = c.stringValue("listen", "0.0.0.0:8080");
        final int colon = listen.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(listen.substring(colon + 1));
            } catch (final NumberFormatException ignored) {
                port = -1;
            }
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException(c.key("listen") + "=\"" + listen + "\": must be HOST:PORT with PORT in [0, 65535]");
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new WebSocketConfig(
            host,
            port,
            c.stringList("streams", List.of("main")),
            c.intValue("maxClients", 1000, 1, 100_000),
            c.longValue("clientBudgetBytes", 1 << 20, 1024, 1L << 30),
            c.intValue("maxQueuedFrames", 64, 1, 100_000),
            c.longValue("idrTimeoutMs", 5000, 1, 3_600_000),
            c.longValue("gopCacheBytes", 32L << 20, 0, 1L << 32),
            c.intValue("sendBufferBytes", 128 * 1024, 4096, 64 << 20),
            c.intValue("maxClientMessageBytes", 64 * 1024, 16, 16 << 20),
            c.longValue("healthStaleMs", 5000, 1, 3_600_000),
            c.longValue("telemetryBudgetBytes", 64 * 1024, 1024, 64L << 20),
            c.intValue("telemetryPendingSubjects", 1024, 1, 1_000_000),
            c.intValue("telemetryCacheSubjects", 4096, 0, 1_000_000),
            c.longValue("telemetryCacheBytes", 16L << 20, 0, 1L << 32),
            c.longValue("maxFrameAgeMs", 2000, 0, 3_600_000),
            c.longValue("maxLagMs", 0, 0, 60_000),
            c.longValue("joinBurstGraceMs", 1000, 0, 60_000),
            c.intValue("notSentLowatBytes", 8 * 1024, 0, 64 << 20),
            SecurityConfig.from(c));
    }

    public String defaultStream() {
        return streams.get(0);
    }
}
