package io.sdr.security;

import io.sdr.bus.SubjectPattern;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one token allows, from its {@code sdr} claim:
 * <pre>
 *   "sdr": {"streams": ["main"] | ["*"], "subjects": ["telemetry.robot1.&gt;"], "keyframe": true, "record": false}
 * </pre>
 * A missing entry grants nothing (no stream, no telemetry, no keyframe request): a token minted by
 * another tool for another purpose opens nothing here. With authentication off every client holds
 * {@link #ALL}.
 *
 * @param streams  the stream names allowed; null: every stream
 * @param subjects the telemetry subject patterns allowed (NATS wildcards); null: every subject
 * @param keyframe whether the client may cause keyframe requests toward the encoder
 * @param record   whether the client may take clips ({@code GET /record/clip}) of the streams it may watch
 */
public record Grants(Set<String> streams, List<SubjectPattern> subjects, boolean keyframe, boolean record) {
    public static final String CLAIM = "sdr";
    public static final Grants ALL = new Grants(null, null, true, true);

    /** The grants of a verified token's claims; fails with a reason when the {@code sdr} claim is malformed. */
    public static Grants fromClaims(final JsonObject claims) {
        final Object raw = claims.getValue(CLAIM);
        if (raw == null) {
            return new Grants(Set.of(), List.of(), false, false);
        }
        if (!(raw instanceof JsonObject)) {
            throw new IllegalArgumentException("claim \"sdr\" must be an object");
        }
        final JsonObject sdr = (JsonObject) raw;
        Set<String> streams = new LinkedHashSet<>();
        for (final String name : strings(sdr, "streams")) {
            if (name.equals("*")) {
                streams = null;
                break;
            }
            streams.add(name);
        }
        List<SubjectPattern> subjects = new ArrayList<>();
        for (final String text : strings(sdr, "subjects")) {
            final SubjectPattern pattern = SubjectPattern.parse(text);
            if (pattern == null) {
                throw new IllegalArgumentException("claim sdr.subjects: not a NATS subject pattern: \"" + text + "\"");
            }
            if (text.equals(">")) {
                subjects = null;
                break;
            }
            subjects.add(pattern);
        }
        final Object keyframe = sdr.getValue("keyframe");
        if (keyframe != null && !(keyframe instanceof Boolean)) {
            throw new IllegalArgumentException("claim sdr.keyframe must be true or false");
        }
        final Object record = sdr.getValue("record");
        if (record != null && !(record instanceof Boolean)) {
            throw new IllegalArgumentException("claim sdr.record must be true or false");
        }
        return new Grants(streams == null ? null : Set.copyOf(streams), subjects == null ? null : List.copyOf(subjects),
            Boolean.TRUE.equals(keyframe), Boolean.TRUE.equals(record));
    }

    private static List<String> strings(final JsonObject sdr, final String name) {
        final Object raw = sdr.getValue(name);
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof JsonArray)) {
            throw new IllegalArgumentException("claim sdr." + name + " must be a list of strings");
        }
        final List<String> values = new ArrayList<>();
        for (final Object item : (JsonArray) raw) {
            if (!(item instanceof String)) {
                throw new IllegalArgumentException("claim sdr." + name + " must be a list of strings");
            }
            values.add((String) item);
        }
        return values;
    }

    /** The {@code sdr} claim for these grants (the mint command's side). */
    public static JsonObject claim(final List<String> streams, final List<String> subjects, final boolean keyframe,
                                   final boolean record) {
        return new JsonObject().put("streams", new JsonArray(new ArrayList<>(streams)))
            .put("subjects", new JsonArray(new ArrayList<>(subjects))).put("keyframe", keyframe).put("record", record);
    }

    public boolean allowsStream(final String stream) {
        return streams == null || streams.contains(stream);
    }

    /** Whether the token may receive telemetry of {@code subject} (a clip holds only such subjects). */
    public boolean allowsSubject(final String subject) {
        if (subjects == null) {
            return true;
        }
        for (final SubjectPattern pattern : subjects) {
            if (pattern.matches(subject)) {
                return true;
            }
        }
        return false;
    }

    /** The configured streams this token may watch, in configuration order. */
    public List<String> visibleStreams(final List<String> configured) {
        final List<String> visible = new ArrayList<>();
        for (final String stream : configured) {
            if (allowsStream(stream)) {
                visible.add(stream);
            }
        }
        return visible;
    }

    /**
     * The subscription a client gets when it asks for {@code requested} (null: everything): the
     * subjects that match both a requested and a granted pattern, as patterns. Null means
     * everything; an empty list means nothing the token grants was asked for.
     */
    public List<SubjectPattern> narrow(final List<SubjectPattern> requested) {
        if (subjects == null) {
            return requested;
        }
        if (requested == null) {
            return subjects;
        }
        final Map<String, SubjectPattern> result = new LinkedHashMap<>();
        for (final SubjectPattern want : requested) {
            for (final SubjectPattern granted : subjects) {
                final SubjectPattern both = intersect(want, granted);
                if (both != null) {
                    result.putIfAbsent(both.toString(), both);
                }
            }
        }
        return List.copyOf(result.values());
    }

    /**
     * The pattern matching exactly the subjects both {@code a} and {@code b} match (NATS wildcards
     * intersect token by token, so it is always one pattern), or null when they share none.
     */
    public static SubjectPattern intersect(final SubjectPattern a, final SubjectPattern b) {
        final String[] x = a.toString().split("\\.", -1);
        final String[] y = b.toString().split("\\.", -1);
        final StringBuilder out = new StringBuilder();
        for (int i = 0; ; i++) {
            final boolean xEnd = i == x.length;
            final boolean yEnd = i == y.length;
            if (xEnd && yEnd) {
                break;
            }
            if (!xEnd && x[i].equals(">")) {
                if (yEnd) {
                    return null; // '>' needs at least one more token
                }
                append(out, String.join(".", java.util.Arrays.copyOfRange(y, i, y.length)));
                break;
            }
            if (!yEnd && y[i].equals(">")) {
                if (xEnd) {
                    return null;
                }
                append(out, String.join(".", java.util.Arrays.copyOfRange(x, i, x.length)));
                break;
            }
            if (xEnd || yEnd) {
                return null;
            }
            if (x[i].equals("*")) {
                append(out, y[i]);
            } else if (y[i].equals("*") || x[i].equals(y[i])) {
                append(out, x[i]);
            } else {
                return null;
            }
        }
        return SubjectPattern.parse(out.toString());
    }

    private static void append(final StringBuilder out, final String tokens) {
        if (out.length() > 0) {
            out.append('.');
        }
        out.append(tokens);
    }
}
