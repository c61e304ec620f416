package io.sdr.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The 0x03 control message, sent only to a client that asked for it with a text message
 * ({@code {"stats": true}} or {@code {"ping": N}}), so clients knowing only 0x01 and 0x02 never
 * see one:
 *
 * <pre>
 *   0      1
 *   +------+---------------------------------------------+
 *   | 0x03 | JSON object, UTF-8 (the rest of the message) |
 *   +------+---------------------------------------------+
 * </pre>
 *
 * {@code {"type":"stats","stream":S,"server_time_ms":T,"clock":"commit"|"publish","frames":[[frame_seq, time_ms], ...]}}
 * gives, for the frames committed since the previous stats message (about one per second), the
 * time each was committed to the ring ({@code clock: commit}, the writer's v2 {@code commit_ns})
 * or, when the ring has no commit time, published by the poller ({@code clock: publish}); every
 * time is server wall-clock milliseconds since the Unix epoch.
 * {@code {"type":"pong","ping":N,"server_time_ms":T}} answers a ping at once.
 * {@code {"type":"subscribe","status":"narrowed"|"refused","subjects":[...],"reason":R}} answers a
 * subscribe its token does not fully grant (narrowed: now receiving {@code subjects}; refused: the
 * previous subscription stays), {@code {"type":"keyframe","status":"refused","reason":R}} a keyframe
 * request it does not allow.
 * {@code {"type":"tier","stream":S,"tier":T,"label":L,"index":I,"tiers":[...],"reason":R,"frame_seq":N,...}}
 * says which rendition of a stream with quality tiers the client now receives, from the keyframe
 * {@code frame_seq} on (sent to a client that sent {@code {"tiers": true}}: at once, then at every switch).
 */
final class ControlMessages {
    static final byte TYPE_CONTROL = 0x03;

    private ControlMessages() {
    }

    /** Server wall-clock time in milliseconds since the epoch, with microseconds. */
    static double epochMs(final Instant now) {
        return now.getEpochSecond() * 1000.0 + now.getNano() / 1_000_000.0;
    }

    /**
     * A stats message; {@code timesNs} are System.nanoTime()-domain (CLOCK_MONOTONIC) and are
     * turned into wall-clock times against the pair ({@code nowNs}, {@code nowEpochMs}) taken together.
     */
    static ByteBuf stats(final String stream, final String clock, final long nowNs, final double nowEpochMs,
                        final long[] frameSeqs, final long[] timesNs, final int count) {
        final JsonArray frames = new JsonArray();
        for (int i = 0; i < count; i++) {
            final double timeMs = nowEpochMs - (nowNs - timesNs[i]) / 1_000_000.0;
            frames.add(new JsonArray().add(frameSeqs[i]).add(Math.round(timeMs * 1000.0) / 1000.0));
        }
        return message(new JsonObject().put("type", "stats").put("stream", stream)
            .put("server_time_ms", nowEpochMs).put("clock", clock).put("frames", frames));
    }

    static ByteBuf pong(final double ping, final double nowEpochMs) {
        return message(new JsonObject().put("type", "pong").put("ping", ping).put("server_time_ms", nowEpochMs));
    }

    static ByteBuf subscribeNotice(final String status, final java.util.List<?> subjects, final String reason) {
        final JsonArray list = new JsonArray();
        subjects.forEach(pattern -> list.add(pattern.toString()));
        return message(new JsonObject().put("type", "subscribe").put("status", status).put("subjects", list).put("reason", reason));
    }

    /**
     * The tier a client now receives: {@code index} on {@code ladder}, why ({@code join}, {@code pinned},
     * {@code lagging}, {@code probe}, {@code probe_failed}), from which keyframe ({@code frameSeq}, -1:
     * the next one), and the link rate measured for it (0 unknown).
     */
    static ByteBuf tier(final TierLadder ladder, final int index, final String reason, final long frameSeq,
                        final long linkBytesPerSecond) {
        final JsonArray tiers = new JsonArray();
        for (final TierLadder.TierInfo info : ladder.infos()) {
            tiers.add(info.label());
        }
        final TierLadder.TierInfo info = ladder.info(index);
        final JsonObject body = new JsonObject().put("type", "tier").put("stream", ladder.stream()).put("tier", info.stream())
            .put("label", info.label()).put("index", index).put("tiers", tiers).put("reason", reason).put("frame_seq", frameSeq);
        if (info.width() > 0) {
            body.put("width", info.width()).put("height", info.height());
        }
        if (info.bitrateKbps() > 0) {
            body.put("bitrate_kbps", info.bitrateKbps());
        }
        if (linkBytesPerSecond > 0) {
            body.put("link_kbps", linkBytesPerSecond * 8 / 1000);
        }
        return message(body);
    }

    static ByteBuf keyframeRefused(final String reason) {
        return message(new JsonObject().put("type", "keyframe").put("status", "refused").put("reason", reason));
    }

    /** One reference, the caller's: a write consumes it; share it with {@code retainedDuplicate()}. */
    private static ByteBuf message(final JsonObject body) {
        final byte[] json = body.encode().getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer(json.length + 1).writeByte(TYPE_CONTROL).writeBytes(json);
    }
}
