package io.sdr.ws;

import io.sdr.poller.PollerConfig;
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
 * @param tiers               what is known of each quality tier ({@code main~360p}: a rendition of {@code main}, with
 *                            its own ring and stream entry): stream name to {label, width, height, bitrateKbps};
 *                            filled in by the main verticle from the streams section and the encoder's tiers
 * @param security            tokens, origins, per-address and message-rate limits, timeouts, TLS, admin access
 */
public record WebSocketConfig(String listenHost, int listenPort, List<String> streams, int maxClients,
                              long clientBudgetBytes, int maxQueuedFrames, long idrTimeoutMs, long gopCacheBytes,
                              int sendBufferBytes, int maxClientMessageBytes, long healthStaleMs,
                              long telemetryBudgetBytes, int telemetryPendingSubjects, int telemetryCacheSubjects,
                              long telemetryCacheBytes, long maxFrameAgeMs, long maxLagMs, long joinBurstGraceMs,
                              int notSentLowatBytes, JsonObject tiers, SecurityConfig security) {

    public static final String SECTION = "websocket";

    public static WebSocketConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        // Said "frame" beside maxFrameAgeMs, which is about single frames; this one is /health's.
        c.renamed("staleFrameMs", "healthStaleMs");
        final List<String> keys = new java.util.ArrayList<>(List.of("listen", "streams", "instances", "maxClients",
            "clientBudgetBytes", "maxQueuedFrames", "idrTimeoutMs", "gopCacheBytes", "sendBufferBytes",
            "maxClientMessageBytes", "healthStaleMs", "telemetryBudgetBytes", "telemetryPendingSubjects",
            "telemetryCacheSubjects", "telemetryCacheBytes", "maxFrameAgeMs", "maxLagMs", "joinBurstGraceMs",
            "notSentLowatBytes", "tiers"));
        keys.addAll(List.of(SecurityConfig.KEYS));
        c.allowOnly(keys.toArray(new String[0]));
        c.intValue("instances", 2, 1, 256);
        final ConfigReader.Listen listen = c.listen("listen", "0.0.0.0:8080", 0);
        final String host = listen.host();
        final int port = listen.port();
        final List<String> streams = c.stringList("streams", List.of("main"));
        return new WebSocketConfig(
            host,
            port,
            streams,
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
            tiers(c.child("tiers"), streams),
            SecurityConfig.from(c));
    }

    /**
     * {@code {"main~360p": {"label": "360p", "width": 640, "height": 360, "bitrateKbps": 600}}}: every
     * key a configured stream, every field optional. A tier without its stream would never be watched,
     * and a label is what {@code ?tier=} and the 0x03 tier message name it by, so both are checked here.
     */
    private static JsonObject tiers(final ConfigReader c, final List<String> streams) {
        final JsonObject tiers = new JsonObject();
        for (final String name : c.json().fieldNames()) {
            final ConfigReader one = c.child(name);
            if (!streams.contains(name)) {
                throw new ConfigException(c.key(name) + ": not one of websocket.streams " + streams);
            }
            if (PollerConfig.isTier(name) && !streams.contains(PollerConfig.baseOf(name))) {
                throw new ConfigException(c.key(name) + ": a tier of stream \"" + PollerConfig.baseOf(name)
                    + "\", which is not one of websocket.streams " + streams);
            }
            one.allowOnly("label", "width", "height", "bitrateKbps");
            final JsonObject info = new JsonObject();
            final String label = one.stringValue("label", null);
            if (label != null) {
                if (!label.matches(io.sdr.poller.PollerConfig.TIER_NAME) || "auto".equals(label)) {
                    throw new ConfigException(one.key("label") + "=\"" + label
                        + "\": must be 1-32 of A-Z a-z 0-9 _ . - and not \"auto\"");
                }
                info.put("label", label);
            }
            for (final String key : List.of("width", "height", "bitrateKbps")) {
                if (one.json().containsKey(key)) {
                    info.put(key, one.intValue(key, 0, 1, 1_000_000));
                }
            }
            tiers.put(name, info);
        }
        return tiers;
    }

    /** The first stream that is not a tier of another. */
    public String defaultStream() {
        return baseStreams().get(0);
    }

    /** The streams without their tiers ({@code main}, not {@code main~360p}): what clients choose from. */
    public List<String> baseStreams() {
        final List<String> base = new java.util.ArrayList<>();
        for (final String stream : streams) {
            if (!PollerConfig.isTier(stream)) {
                base.add(stream);
            }
        }
        return base.isEmpty() ? streams : base;
    }

    /** The tiers of {@code stream}, largest first: the stream itself, then its {@code stream~NAME} renditions in configured order. */
    public List<String> tiersOf(final String stream) {
        final List<String> tiers = new java.util.ArrayList<>();
        tiers.add(stream);
        for (final String name : streams) {
            if (PollerConfig.isTier(name) && PollerConfig.baseOf(name).equals(stream)) {
                tiers.add(name);
            }
        }
        return tiers;
    }
}
