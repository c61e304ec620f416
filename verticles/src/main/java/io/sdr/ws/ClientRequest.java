package io.sdr.ws;

import io.sdr.bus.SubjectPattern;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses what a client may send, one JSON object with exactly one key:
 * <ul>
 *   <li>{@code {"subscribe": ["telemetry.robot1.>", ...]}} chooses the telemetry subjects it wants
 *       (NATS wildcards; replaces the previous choice; {@code ["&gt;"]} or no message means
 *       everything the server relays);</li>
 *   <li>{@code {"stats": true|false}} asks for (or stops) the periodic 0x03 {@code stats} message
 *       (commit times of recent frames, for an end-to-end latency figure);</li>
 *   <li>{@code {"ping": N}} asks for one 0x03 {@code pong} echoing {@code N} with the server's
 *       wall-clock time (the client estimates its clock offset from it);</li>
 *   <li>{@code {"tiers": true|false}} asks for (or stops) the 0x03 {@code tier} message (which
 *       rendition of a stream with quality tiers it receives: at once, then at every switch);</li>
 *   <li>{@code {"keyframe": true}} asks the encoder for a keyframe (coalesced per stream; only when
 *       the client's token allows keyframe requests).</li>
 * </ul>
 * Anything else is rejected with a reason, never an exception.
 */
public final class ClientRequest {
    public static final int MAX_PATTERNS = 64;

    /** What a valid request asks for. */
    public enum Kind { SUBSCRIBE, STATS, PING, KEYFRAME, TIERS }

    private final Kind kind;
    private final List<SubjectPattern> subscribe;
    private final boolean stats;
    private final double ping;
    private final String error;

    private ClientRequest(final Kind kind, final List<SubjectPattern> subscribe, final boolean stats, final double ping,
                          final String error) {
        this.kind = kind;
        this.subscribe = subscribe;
        this.stats = stats;
        this.ping = ping;
        this.error = error;
    }

    public static ClientRequest parse(final String text) {
        final Object json;
        try {
            json = new JsonObject(text);
        } catch (final DecodeException | ClassCastException e) {
            return invalid("not a JSON object");
        }
        final JsonObject object = (JsonObject) json;
        if (object.size() == 1 && object.getValue("stats") instanceof Boolean) {
            return new ClientRequest(Kind.STATS, null, object.getBoolean("stats"), 0, null);
        }
        if (object.size() == 1 && object.getValue("tiers") instanceof Boolean) {
            return new ClientRequest(Kind.TIERS, null, object.getBoolean("tiers"), 0, null);
        }
        if (object.size() == 1 && Boolean.TRUE.equals(object.getValue("keyframe"))) {
            return new ClientRequest(Kind.KEYFRAME, null, false, 0, null);
        }
        if (object.size() == 1 && object.getValue("ping") instanceof Number) {
            final double ping = object.getNumber("ping").doubleValue();
            return Double.isFinite(ping) ? new ClientRequest(Kind.PING, null, false, ping, null) : invalid("ping: not a finite number");
        }
        if (object.size() != 1 || !(object.getValue("subscribe") instanceof JsonArray)) {
            return invalid("expected {\"subscribe\": [subjects]}, {\"stats\": true|false}, {\"ping\": number}, {\"tiers\": true|false} or {\"keyframe\": true}");
        }
        final JsonArray list = object.getJsonArray("subscribe");
        if (list.size() > MAX_PATTERNS) {
            return invalid("too many subjects: count=" + list.size() + ", max=" + MAX_PATTERNS);
        }
        final List<SubjectPattern> patterns = new ArrayList<>();
        for (final Object item : list) {
            final SubjectPattern pattern = item instanceof String ? SubjectPattern.parse((String) item) : null;
            if (pattern == null) {
                return invalid("not a NATS subject pattern: " + String.valueOf(item).substring(0, Math.min(64, String.valueOf(item).length())));
            }
            patterns.add(pattern);
        }
        return new ClientRequest(Kind.SUBSCRIBE, List.copyOf(patterns), false, 0, null);
    }

    private static ClientRequest invalid(final String reason) {
        return new ClientRequest(null, null, false, 0, reason);
    }

    public boolean isValid() {
        return error == null;
    }

    /** Why the message was rejected, or null. */
    public String error() {
        return error;
    }

    /** What a valid request asks for; null when invalid. */
    public Kind kind() {
        return kind;
    }

    /** The subject patterns of a {@link Kind#SUBSCRIBE} request, else null. */
    public List<SubjectPattern> subscribe() {
        return subscribe;
    }

    /** A {@link Kind#STATS} (or {@link Kind#TIERS}) request: whether those messages are wanted. */
    public boolean stats() {
        return stats;
    }

    /** A {@link Kind#PING} request: the value to echo. */
    public double ping() {
        return ping;
    }
}
