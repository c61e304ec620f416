package io.sdr.edge;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** What /health says of the video link: the role, and on an edge the origin's last announcement. Thread-safe. */
public final class VideoLinkStatus implements Shareable {
    private static final String MAP = "sdr.video";

    final AtomicLong keyframeRequests = new AtomicLong();
    private volatile VideoLinkConfig.Role role = VideoLinkConfig.Role.OFF;
    private volatile String subjectPrefix = "";
    private volatile String lastAnnouncement;
    private volatile long lastAnnouncementNs;

    public static VideoLinkStatus of(final Vertx vertx) {
        final LocalMap<String, VideoLinkStatus> map = vertx.sharedData().getLocalMap(MAP);
        final VideoLinkStatus fresh = new VideoLinkStatus();
        final VideoLinkStatus existing = map.putIfAbsent("status", fresh);
        return existing != null ? existing : fresh;
    }

    void role(final VideoLinkConfig.Role role, final String subjectPrefix) {
        this.role = role;
        this.subjectPrefix = subjectPrefix;
    }

    void announced(final String announcement, final long nowNs) {
        lastAnnouncement = announcement;
        lastAnnouncementNs = nowNs;
    }

    public boolean active() {
        return role != VideoLinkConfig.Role.OFF;
    }

    /** The health JSON's {@code video} object, without the connection state (the caller adds it). */
    public JsonObject toJson(final long nowNs) {
        final JsonObject json = new JsonObject().put("role", role.name().toLowerCase(Locale.ROOT)).put("subject_prefix", subjectPrefix);
        if (role == VideoLinkConfig.Role.ORIGIN) {
            json.put("keyframe_requests_from_edges", keyframeRequests.get());
        }
        if (role == VideoLinkConfig.Role.EDGE) {
            final String announcement = lastAnnouncement;
            json.put("origin_seen_ms_ago", announcement == null ? null : (nowNs - lastAnnouncementNs) / 1_000_000);
            JsonObject origin = null;
            try {
                origin = announcement == null ? null : new JsonObject(announcement);
            } catch (final RuntimeException e) {
                // Someone else's message on the announce subject: shown as absent.
            }
            json.put("origin", origin);
        }
        return json;
    }
}
