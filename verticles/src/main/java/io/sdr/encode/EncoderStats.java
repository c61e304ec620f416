package io.sdr.encode;

import io.sdr.metrics.SharedState;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a stream's encoder is doing, for /health, /metrics and logs. Written by the encoding thread
 * (and the keyframe-request consumer), read by any thread. One per stream per Vert.x instance.
 */
public final class EncoderStats implements Shareable {
    private static final SharedState.Kind<EncoderStats> KIND = SharedState.kind("sdr.encoders", EncoderStats::new);

    /** Where the encoder is in its life. */
    public enum State { STARTING, RUNNING, RETRYING, STANDBY, STOPPED }

    /** Why raw frames were not encoded. */
    public enum RawRejection { UNKNOWN_FORMAT, BAD_HEADER, BAD_SIZE, TOO_LARGE, CRC_ERROR, SUPERSEDED }

    private final String stream;
    private volatile String codec = "";
    private volatile String source = "";
    private volatile State state = State.STARTING;
    private volatile String encoder;
    private volatile String settings;
    private volatile List<EncoderSelection.Attempt> candidates = List.of();
    private volatile String lastError;
    private volatile String lastRawProblem;
    private volatile String standbyReason;
    private volatile long lastFrameNs;
    /** What it wrote into the stream's own ring; its drops are every access unit the pipeline could not write, the tiers' too. */
    private final Written written = new Written();
    private final AtomicLong forcedKeyframes = new AtomicLong();
    private final AtomicLong keyframeRequests = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    private final AtomicLong rawFrames = new AtomicLong();
    private final AtomicLong[] rawRejected = new AtomicLong[RawRejection.values().length];

    private final java.util.Map<String, Tier> tiers = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<String> tierOrder = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * What an encoder wrote into one ring: frames, their bytes, keyframes, and access units it could
     * not write (too large for a slot, or a second one for a picture). Written by the encoding
     * thread, read by any.
     */
    public static class Written {
        private final AtomicLong frames = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicLong keyframes = new AtomicLong();
        private final AtomicLong dropped = new AtomicLong();

        void encoded(final int length, final boolean keyframe) {
            frames.incrementAndGet();
            bytes.addAndGet(length);
            if (keyframe) {
                keyframes.incrementAndGet();
            }
        }

        void droppedOne() {
            dropped.incrementAndGet();
        }

        public long frames() {
            return frames.get();
        }

        public long bytes() {
            return bytes.get();
        }

        public long keyframes() {
            return keyframes.get();
        }

        public long dropped() {
            return dropped.get();
        }

        JsonObject putInto(final JsonObject json) {
            return json.put("frames", frames.get()).put("bytes", bytes.get()).put("keyframes", keyframes.get())
                .put("dropped_packets", dropped.get());
        }
    }

    /**
     * What the encoder writes into one quality tier's ring ({@code main~360p}); the stream's own
     * counters are those of {@link EncoderStats}.
     */
    public static final class Tier extends Written {
        private final String stream;
        private volatile String encoder;
        private volatile String settings;

        Tier(final String stream) {
            this.stream = stream;
        }

        void opened(final String name, final String newSettings) {
            encoder = name;
            settings = newSettings;
        }

        public String stream() {
            return stream;
        }

        JsonObject toJson() {
            return putInto(new JsonObject().put("stream", stream).put("name", encoder).put("settings", settings));
        }
    }

    public EncoderStats(final String stream) {
        this.stream = stream;
        for (int i = 0; i < rawRejected.length; i++) {
            rawRejected[i] = new AtomicLong();
        }
    }

    /** The stats of {@code stream}'s encoder in this Vert.x instance (created on first use). */
    public static EncoderStats of(final Vertx vertx, final String stream) {
        return KIND.of(vertx, stream);
    }

    /** Every encoder deployed in this Vert.x instance. */
    public static List<EncoderStats> all(final Vertx vertx) {
        return KIND.all(vertx);
    }

    // ---- written by the encoder -----------------------------------------------------------------

    /** The counters of tier {@code tierStream}, created on first use (in the order of first use). */
    Tier tier(final String tierStream) {
        return tiers.computeIfAbsent(tierStream, name -> {
            tierOrder.add(name);
            return new Tier(name);
        });
    }

    void configured(final String newCodec, final String newSource) {
        codec = newCodec;
        source = newSource;
    }

    void selected(final EncoderSelection.Result result) {
        candidates = result.attempts();
        encoder = result.encoder() == null ? null : result.encoder().name();
        settings = result.encoder() == null ? null : result.encoder().settings();
    }

    void state(final State newState) {
        state = newState;
    }

    void standby(final String reason) {
        standbyReason = reason;
        state = State.STANDBY;
    }

    void error(final String message) {
        errors.incrementAndGet();
        lastError = message;
    }

    void restarted() {
        restarts.incrementAndGet();
    }

    void encoded(final int length, final boolean keyframe, final boolean forced, final long nowNs) {
        written.encoded(length, keyframe);
        if (keyframe && forced) {
            forcedKeyframes.incrementAndGet();
        }
        lastFrameNs = nowNs;
    }

    /** An access unit of the stream or one of its tiers was not written (the rest carries on). */
    void droppedPacket(final String why) {
        written.droppedOne();
        error(why);
    }

    void rawEncoded() {
        rawFrames.incrementAndGet();
    }

    void rawRefused(final RawRejection why) {
        rawRejected[why.ordinal()].incrementAndGet();
    }

    void rawRefused(final RawRejection why, final String problem) {
        rawRefused(why);
        lastRawProblem = problem;
    }

    void keyframeRequested() {
        keyframeRequests.incrementAndGet();
    }

    // ---- read by anyone ------------------------------------------------------------------------

    public String stream() {
        return stream;
    }

    public State state() {
        return state;
    }

    /** The encoder in use, or null while none is open. */
    public String encoder() {
        return encoder;
    }

    public List<EncoderSelection.Attempt> candidates() {
        return candidates;
    }

    public long frames() {
        return written.frames();
    }

    public long bytes() {
        return written.bytes();
    }

    public long keyframes() {
        return written.keyframes();
    }

    public long forcedKeyframes() {
        return forcedKeyframes.get();
    }

    public long keyframeRequests() {
        return keyframeRequests.get();
    }

    public long errors() {
        return errors.get();
    }

    public long restarts() {
        return restarts.get();
    }

    public long rawFrames() {
        return rawFrames.get();
    }

    public long rawRejected(final RawRejection why) {
        return rawRejected[why.ordinal()].get();
    }

    /** Access units not written to a ring (the rest of the stream carries on; counted in /health). */
    public long droppedPackets() {
        return written.dropped();
    }

    public String lastError() {
        return lastError;
    }

    /** The tiers the encoder writes besides the stream itself, largest first; empty without renditions. */
    public List<Tier> tiers() {
        final List<Tier> list = new ArrayList<>();
        for (final String name : tierOrder) {
            list.add(tiers.get(name));
        }
        return list;
    }

    /** Why the encoder stands by (another writer owns the ring), or null. */
    public String standbyReason() {
        return standbyReason;
    }

    /** Why the last refused raw frame was refused, or null. */
    public String lastRawProblem() {
        return lastRawProblem;
    }

    /** The "encoder" object of /health. */
    public JsonObject toJson(final long nowNs) {
        final JsonArray attempts = new JsonArray();
        for (final EncoderSelection.Attempt attempt : candidates) {
            final JsonObject one = new JsonObject().put("name", attempt.encoder())
                .put("status", attempt.outcome().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            if (attempt.reason() != null) {
                one.put("reason", attempt.reason());
            }
            attempts.add(one);
        }
        final JsonObject raw = new JsonObject().put("encoded", rawFrames.get());
        for (final RawRejection why : RawRejection.values()) {
            raw.put(why.name().toLowerCase(Locale.ROOT), rawRejected[why.ordinal()].get());
        }
        if (lastRawProblem != null) {
            raw.put("last_problem", lastRawProblem);
        }
        final long last = lastFrameNs;
        final JsonObject json = new JsonObject()
            .put("stream", stream)
            .put("state", state.name().toLowerCase(Locale.ROOT))
            .put("name", encoder)
            .put("codec", codec)
            .put("source", source)
            .put("settings", settings)
            .put("candidates", attempts);
        written.putInto(json)
            .put("forced_keyframes", forcedKeyframes.get())
            .put("keyframe_requests", keyframeRequests.get())
            .put("errors", errors.get())
            .put("restarts", restarts.get())
            .put("raw", raw)
            .put("last_frame_age_ms", last == 0 ? null : Math.max(0, (nowNs - last) / 1_000_000))
            .put("last_error", lastError)
            .put("standby_reason", standbyReason);
        if (!tierOrder.isEmpty()) {
            final JsonArray list = new JsonArray();
            for (final Tier tier : tiers()) {
                list.add(tier.toJson());
            }
            json.put("tiers", list);
        }
        return json;
    }
}
