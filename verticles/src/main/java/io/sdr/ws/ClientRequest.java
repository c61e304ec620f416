package io.sdr.ws;

import io.sdr.nats.SubjectPattern;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses what a client may send: a text message {@code {"subscribe": ["telemetry.robot1.>", ...]}}
 * choosing the telemetry subjects it wants (NATS wildcards; replaces the previous choice;
 * {@code ["&gt;"]} or a missing message means everything the server relays). Anything else is
 * rejected with a reason, never an exception.
 */
public final class ClientRequest {
    public static final int MAX_PATTERNS = 64;

    private final List<SubjectPattern> subscribe;
    private final String error;

    private ClientRequest(final List<SubjectPattern> subscribe, final String error) {
        this.subscribe = subscribe;
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
        if (object.size() != 1 || !(object.getValue("subscribe") instanceof JsonArray)) {
            return invalid("expected {\"subscribe\": [subjects]}");
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
        return new ClientRequest(List.copyOf(patterns), null);
    }

    private static ClientRequest invalid(final String reason) {
        return new ClientRequest(null, reason);
    }

    public boolean isValid() {
        return error == null;
    }

    /** Why the message was rejected, or null. */
    public String error() {
        return error;
    }

    public List<SubjectPattern> subscribe() {
        return subscribe;
    }
}
