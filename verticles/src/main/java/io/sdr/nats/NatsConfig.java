package io.sdr.nats;

import io.sdr.bus.SubjectPattern;
import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * NATS bridge settings, validated.
 *
 * @param enabled            false runs the server without the bridge (also when no {@code url} is set)
 * @param url                NATS server(s), comma-separated ({@code SDR_NATS_URL}); null: not configured
 * @param subjects           subjects relayed to clients, NATS wildcards allowed ({@code SDR_TELEMETRY_SUBJECTS})
 * @param maxMessageBytes    larger payloads are dropped and counted ({@code SDR_TELEMETRY_MAX_SIZE})
 * @param controlSubjectPrefix keyframe requests go out on {@code <prefix>.<stream>}
 * @param streams            streams whose keyframe requests are forwarded (filled in by the main verticle)
 * @param reconnectWaitMs    first pause between connection attempts; doubles while NATS stays away
 * @param reconnectMaxWaitMs the longest pause between attempts
 * @param pendingMessages    per-subscription backlog before jnats reports a slow consumer and discards
 * @param required           telemetry is part of the service: /health says degraded while NATS is away
 *                           ({@code SDR_NATS_REQUIRED}); otherwise NATS is a check of its own that
 *                           leaves the status alone
 */
public record NatsConfig(boolean enabled, String url, List<String> subjects, int maxMessageBytes,
                         String controlSubjectPrefix, List<String> streams, long reconnectWaitMs,
                         long reconnectMaxWaitMs, int pendingMessages, boolean required) {

    public static final String SECTION = "nats";

    public static NatsConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        c.allowOnly("enabled", "url", "subjects", "maxMessageBytes", "controlSubjectPrefix", "streams",
            "reconnectWaitMs", "reconnectMaxWaitMs", "pendingMessages", "required");
        final List<String> subjects = c.stringList("subjects", List.of("telemetry.>"));
        for (final String subject : subjects) {
            if (SubjectPattern.parse(subject) == null) {
                throw new ConfigException(c.key("subjects") + "=\"" + subject + "\": not a valid NATS subject pattern");
            }
        }
        // No default server: the embedded first run has no NATS, and a guessed host name (compose's
        // "nats") would only fill the log with unknown-host errors. Compose sets SDR_NATS_URL.
        final String url = c.stringValue("url", null);
        if (url != null) {
            for (final String server : url.split(",")) {
                if (!server.trim().matches("(nats|tls|ws|wss)://[^\\s/]+(:\\d{1,5})?/?")) {
                    throw new ConfigException(c.key("url") + "=\"" + url + "\": must be nats://HOST:PORT (comma-separated for several)");
                }
            }
        }
        final String prefix = c.stringValue("controlSubjectPrefix", "sdr.control.keyframe");
        if (SubjectPattern.parse(prefix) == null || prefix.contains("*") || prefix.contains(">")) {
            throw new ConfigException(c.key("controlSubjectPrefix") + "=\"" + prefix + "\": must be a subject without wildcards");
        }
        final boolean enabled = c.booleanValue("enabled", true);
        final boolean required = c.booleanValue("required", false);
        if (required && (!enabled || url == null)) {
            throw new ConfigException(c.key("required") + "=true: telemetry cannot be required without the bridge; set "
                + c.key("url") + " (SDR_NATS_URL)" + (enabled ? "" : " and " + c.key("enabled") + "=true"));
        }
        final long waitMs = c.longValue("reconnectWaitMs", 500, 10, 60_000);
        final long maxWaitMs = c.longValue("reconnectMaxWaitMs", 4_000, 10, 600_000);
        if (maxWaitMs < waitMs) {
            throw new ConfigException(c.key("reconnectMaxWaitMs") + "=" + maxWaitMs + ": must be at least "
                + c.key("reconnectWaitMs") + "=" + waitMs);
        }
        return new NatsConfig(
            enabled && url != null,
            url,
            subjects,
            c.intValue("maxMessageBytes", 65536, 1, 64 << 20),
            prefix,
            c.stringList("streams", List.of("main")),
            waitMs,
            maxWaitMs,
            c.intValue("pendingMessages", 65536, 16, 10_000_000),
            required);
    }

    /** The pause before connection attempt {@code attempt} (1 = after the first failure): doubling, capped. */
    public long backoffMs(final long attempt) {
        final int doublings = (int) Math.min(30, Math.max(0, attempt - 1));
        return Math.min(reconnectMaxWaitMs, reconnectWaitMs << doublings);
    }
}
