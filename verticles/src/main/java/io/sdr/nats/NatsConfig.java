package io.sdr.nats;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * NATS bridge settings, validated.
 *
 * @param enabled            false runs the server without telemetry
 * @param url                NATS server(s), comma-separated ({@code SDR_NATS_URL})
 * @param subjects           subjects relayed to clients, NATS wildcards allowed ({@code SDR_TELEMETRY_SUBJECTS})
 * @param maxMessageBytes    larger payloads are dropped and counted ({@code SDR_TELEMETRY_MAX_SIZE})
 * @param controlSubjectPrefix keyframe requests go out on {@code <prefix>.<stream>}
 * @param streams            streams whose keyframe requests are forwarded (filled in by the main verticle)
 * @param reconnectWaitMs    pause between connection attempts
 * @param pendingMessages    per-subscription backlog before jnats reports a slow consumer and discards
 */
public record NatsConfig(boolean enabled, String url, List<String> subjects, int maxMessageBytes,
                         String controlSubjectPrefix, List<String> streams, long reconnectWaitMs, int pendingMessages) {

    public static final String SECTION = "nats";

    public static NatsConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        c.allowOnly("enabled", "url", "subjects", "maxMessageBytes", "controlSubjectPrefix", "streams",
            "reconnectWaitMs", "pendingMessages");
        final List<String> subjects = c.stringList("subjects", List.of("telemetry.>"));
        for (final String subject : subjects) {
            if (SubjectPattern.parse(subject) == null) {
                throw new ConfigException(c.key("subjects") + "=\"" + subject + "\": not a valid NATS subject pattern");
            }
        }
        final String url = c.stringValue("url", "nats://nats:4222");
        for (final String server : url.split(",")) {
            if (!server.trim().matches("(nats|tls|ws|wss)://[^\\s/]+(:\\d{1,5})?/?")) {
                throw new ConfigException(c.key("url") + "=\"" + url + "\": must be nats://HOST:PORT (comma-separated for several)");
            }
        }
        final String prefix = c.stringValue("controlSubjectPrefix", "sdr.control.keyframe");
        if (SubjectPattern.parse(prefix) == null || prefix.contains("*") || prefix.contains(">")) {
            throw new ConfigException(c.key("controlSubjectPrefix") + "=\"" + prefix + "\": must be a subject without wildcards");
        }
        return new NatsConfig(
            c.booleanValue("enabled", true),
            url,
            subjects,
            c.intValue("maxMessageBytes", 65536, 1, 64 << 20),
            prefix,
            c.stringList("streams", List.of("main")),
            c.longValue("reconnectWaitMs", 500, 10, 60_000),
            c.intValue("pendingMessages", 65536, 16, 10_000_000));
    }
}
