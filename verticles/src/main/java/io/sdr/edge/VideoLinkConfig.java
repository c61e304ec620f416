package io.sdr.edge;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.sdr.nats.SubjectPattern;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Locale;

/**
 * The {@code video} section: frames between an origin and its edges over NATS, validated.
 *
 * @param role               {@code origin} (default): with NATS connected, every stream's frames
 *                           are also published on NATS; {@code edge}: no ring poller and no
 *                           encoder, the streams come from NATS; {@code off}: neither
 *                           ({@code SDR_VIDEO_ROLE})
 * @param subjectPrefix      frames of stream S travel on {@code <subjectPrefix>.S}
 * @param controlPrefix      keyframe requests on {@code <controlPrefix>.keyframe.S}, announcements
 *                           on {@code <controlPrefix>.announce}
 * @param queueFrames        origin: frames waiting for the NATS client at most; more are dropped and counted
 * @param queueBytes         origin: bytes waiting for the NATS client at most
 * @param pendingBytes       edge: bytes the NATS client holds for the edge before it drops (a frame_seq gap)
 * @param keyframeCoalesceMs edge: at most one keyframe request upstream per stream per interval
 * @param announceIntervalMs origin: how often it announces its streams
 * @param reconnectMaxWaitMs the longest pause between reconnection attempts of the video connection:
 *                           short, so that edges stream again soon after nats-server comes back
 * @param streams            the streams (filled in by the main verticle)
 */
public record VideoLinkConfig(Role role, String subjectPrefix, String controlPrefix, int queueFrames, long queueBytes,
                              long pendingBytes, long keyframeCoalesceMs, long announceIntervalMs,
                              long reconnectMaxWaitMs, List<String> streams) {

    public static final String SECTION = "video";

    public enum Role { ORIGIN, EDGE, OFF }

    public static VideoLinkConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        c.allowOnly("role", "subjectPrefix", "controlPrefix", "queueFrames", "queueBytes", "pendingBytes",
            "keyframeCoalesceMs", "announceIntervalMs", "reconnectMaxWaitMs", "streams");
        final Role role = Role.valueOf(c.oneOf("role", "origin", "origin", "edge", "off").toUpperCase(Locale.ROOT));
        final String subjectPrefix = plainSubject(c, "subjectPrefix", "sdr.video");
        final String controlPrefix = plainSubject(c, "controlPrefix", "sdr.edge");
        if (subjectPrefix.equals(controlPrefix) || subjectPrefix.startsWith(controlPrefix + ".")
            || controlPrefix.startsWith(subjectPrefix + ".")) {
            throw new ConfigException(c.key("controlPrefix") + "=\"" + controlPrefix + "\": must not overlap "
                + c.key("subjectPrefix") + "=\"" + subjectPrefix + "\" (a stream could be named like a control subject)");
        }
        final List<String> streams = c.stringList("streams", List.of("main"));
        for (final String stream : role == Role.OFF ? List.<String>of() : streams) {
            if (SubjectPattern.parse(subjectPrefix + "." + stream) == null || !stream.matches("[A-Za-z0-9_~+=@:-]+")) {
                throw new ConfigException("streams." + stream + ": a stream name travels as one NATS subject token;"
                    + " with video.role origin or edge it may hold only letters, digits and _~+=@:-");
            }
        }
        return new VideoLinkConfig(role, subjectPrefix, controlPrefix,
            c.intValue("queueFrames", 30, 1, 4096),
            c.longValue("queueBytes", 16L << 20, 64 << 10, 1L << 30),
            c.longValue("pendingBytes", 64L << 20, 1 << 20, 4L << 30),
            c.longValue("keyframeCoalesceMs", 250, 0, 60_000),
            c.longValue("announceIntervalMs", 1000, 100, 60_000),
            c.longValue("reconnectMaxWaitMs", 1000, 10, 600_000),
            streams);
    }

    private static String plainSubject(final ConfigReader c, final String key, final String fallback) {
        final String subject = c.stringValue(key, fallback);
        if (SubjectPattern.parse(subject) == null || subject.contains("*") || subject.contains(">")) {
            throw new ConfigException(c.key(key) + "=\"" + subject + "\": must be a NATS subject without wildcards");
        }
        return subject;
    }

    /** The subject frames of {@code stream} travel on. */
    public String framesSubject(final String stream) {
        return subjectPrefix + "." + stream;
    }

    /** The subject edges ask for a keyframe of {@code stream} on. */
    public String keyframeSubject(final String stream) {
        return controlPrefix + ".keyframe." + stream;
    }

    /** What the origin subscribes to for every stream's keyframe requests. */
    public String keyframeSubjects() {
        return controlPrefix + ".keyframe.*";
    }

    public String announceSubject() {
        return controlPrefix + ".announce";
    }
}
