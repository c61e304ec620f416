package io.sdr.ws;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Coverage-guided fuzzing of what a client sends: WebSocket frame sequences through
 * {@link ClientMessageReader} (the size cap across fragments) and the completed texts, plus
 * structure-aware JSON, through {@link ClientRequest#parse}. Tolerant of request kinds added later:
 * only the documented kinds are checked in detail.
 *
 * <p>{@code mvn test} replays the kept inputs in {@code ClientMessageFuzzTestInputs/<method>} (seeds
 * and every crash reproducer); {@code mvn verify} fuzzes each method for {@code fuzz.seconds} (the
 * {@code fuzz-client-messages} and {@code fuzz-client-request} surefire executions).
 */
class ClientMessageFuzzTest {
    private static final int MAX_FRAMES = 64;
    private static final Map<ClientMessageReader.Kind, Long> READER_RESULTS = new EnumMap<>(ClientMessageReader.Kind.class);
    private static final Map<String, Long> PARSE_RESULTS = new java.util.TreeMap<>();
    private static long executions;
    private static final long START_NS = System.nanoTime();

    /**
     * Frames as the server receives them (text frames carry raw bytes, as on the wire: a UTF-8
     * character may be split across fragments), checked against a model of the message rules while
     * the sequence is one a WebSocket peer may send; any sequence must not throw or pass the cap.
     */
    @FuzzTest(maxDuration = "60s")
    void fuzzClientMessages(final FuzzedDataProvider data) {
        executions++;
        final int maxMessageBytes = data.consumeBoolean() ? data.consumeInt(0, 300) : data.consumeInt(16, 70_000);
        final ClientMessageReader reader = new ClientMessageReader(maxMessageBytes);
        final StringBuilder story = new StringBuilder("maxMessageBytes=" + maxMessageBytes + "\n");
        // The model, valid while the sequence is well formed (Netty rejects stray continuations and
        // a new message inside a fragmented one before they reach the reader).
        boolean wellFormed = true;
        boolean open = false;
        boolean text = false;
        boolean tooBig = false;
        long bytes = 0;
        final ByteArrayOutputStream message = new ByteArrayOutputStream();
        final int frames = data.consumeInt(1, MAX_FRAMES);
        for (int i = 0; i < frames && data.remainingBytes() > 0; i++) {
            final WebSocketFrameType type = pickType(data);
            final boolean fin = data.consumeBoolean();
            final byte[] payload = payload(data, maxMessageBytes);
            story.append(type).append(fin ? " final " : " ").append(payload.length).append('\n');
            final WebSocketFrame frame = new WebSocketFrameImpl(type, payload, fin || isControl(type));
            final ClientMessageReader.Kind kind = reader.onFrame(frame);
            assertNotNull(kind, story::toString);
            READER_RESULTS.merge(kind, 1L, Long::sum);
            if (kind == ClientMessageReader.Kind.TEXT) {
                assertTrue(frame.isFinal(), () -> "TEXT completed on a non-final frame\n" + story);
                assertTrue(reader.text().length() <= maxMessageBytes, () -> "text of " + reader.text().length()
                    + " chars passed the cap\n" + story);
                checkRequest(reader.text(), ClientRequest.parse(reader.text()));
            }
            if (isControl(type)) {
                assertEquals(ClientMessageReader.Kind.NONE, kind, story::toString);
                continue;
            }
            if (type == WebSocketFrameType.CONTINUATION ? !open : open) {
                wellFormed = false;
            }
            if (!wellFormed) {
                continue;
            }
            if (type != WebSocketFrameType.CONTINUATION) {
                text = type == WebSocketFrameType.TEXT;
                tooBig = false;
                bytes = 0;
                message.reset();
            }
            open = !frame.isFinal();
            final ClientMessageReader.Kind expected;
            if (tooBig) {
                expected = ClientMessageReader.Kind.NONE;
            } else if ((bytes += payload.length) > maxMessageBytes) {
                tooBig = true;
                expected = ClientMessageReader.Kind.TOO_BIG;
            } else {
                message.write(payload, 0, payload.length);
                expected = !frame.isFinal() ? ClientMessageReader.Kind.NONE
                    : text ? ClientMessageReader.Kind.TEXT : ClientMessageReader.Kind.BINARY;
            }
            assertEquals(expected, kind, story::toString);
            if (kind == ClientMessageReader.Kind.TEXT) {
                assertEquals(new String(message.toByteArray(), StandardCharsets.UTF_8), reader.text(), story::toString);
            }
        }
    }

    /** Requests as JSON built from the input (each kind, boundary values, nesting) or as raw text. */
    @FuzzTest(maxDuration = "60s")
    void fuzzClientRequest(final FuzzedDataProvider data) {
        executions++;
        switch (data.consumeInt(0, 6)) {
            case 0: {
                final List<String> patterns = new ArrayList<>();
                final int count = data.consumeInt(0, ClientRequest.MAX_PATTERNS + 6);
                for (int i = 0; i < count; i++) {
                    patterns.add(subject(data));
                }
                final String json = new JsonObject().put("subscribe", new JsonArray(new ArrayList<>(patterns))).encode();
                final ClientRequest request = ClientRequest.parse(json);
                checkRequest(json, request);
                final boolean allValid = patterns.stream().allMatch(p -> io.sdr.bus.SubjectPattern.parse(p) != null);
                assertEquals(allValid && count <= ClientRequest.MAX_PATTERNS, request.isValid(), json);
                if (request.isValid()) {
                    assertEquals(ClientRequest.Kind.SUBSCRIBE, request.kind(), json);
                    assertEquals(patterns, request.subscribe().stream().map(Object::toString).toList(), json);
                }
                break;
            }
            case 1: {
                final boolean on = data.consumeBoolean();
                final String json = "{\"stats\":" + on + "}";
                final ClientRequest request = ClientRequest.parse(json);
                checkRequest(json, request);
                assertEquals(ClientRequest.Kind.STATS, request.kind(), json);
                assertEquals(on, request.stats(), json);
                break;
            }
            case 2: {
                final String number = number(data);
                final String json = "{\"ping\":" + number + "}";
                final ClientRequest request = ClientRequest.parse(json);
                checkRequest(json, request);
                final double value = Double.parseDouble(number);
                assertEquals(Double.isFinite(value), request.isValid(), json);
                if (request.isValid()) {
                    assertEquals(ClientRequest.Kind.PING, request.kind(), json);
                    assertEquals(value, request.ping(), 0.0, json); // -0 comes back as 0: harmless
                }
                break;
            }
            case 3: {
                // One or more keys, known or not, with any JSON value: never an exception.
                final JsonObject object = new JsonObject();
                final int keys = data.consumeInt(0, 3);
                for (int i = 0; i < keys; i++) {
                    object.put(key(data), value(data, 0));
                }
                final String json = object.encode();
                final ClientRequest request = ClientRequest.parse(json);
                checkRequest(json, request);
                if (object.size() != 1) {
                    assertFalse(request.isValid(), () -> "a request has exactly one key: " + json);
                }
                break;
            }
            case 4: {
                // Deep nesting must be rejected by the JSON decoder's limits, not a StackOverflowError.
                final int depth = data.consumeInt(1, 5000);
                final boolean objects = data.consumeBoolean();
                final String json = (objects ? "{\"subscribe\":" : "") + "[".repeat(depth) + "]".repeat(data.consumeInt(0, depth))
                    + (objects ? "}" : "");
                checkRequest(json, ClientRequest.parse(json));
                break;
            }
            default: {
                final String text = data.consumeRemainingAsString();
                checkRequest(text, ClientRequest.parse(text));
            }
        }
    }

    /** What holds for every parse, whatever the kind. */
    private static void checkRequest(final String text, final ClientRequest request) {
        final String input = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        assertNotNull(request, input);
        assertEquals(request.error() == null, request.isValid(), input);
        PARSE_RESULTS.merge(request.isValid() ? String.valueOf(request.kind()) : "invalid", 1L, Long::sum);
        if (!request.isValid()) {
            assertNull(request.kind(), input);
            assertFalse(request.error().isEmpty(), input);
            // The reason may quote the input: bounded, so a client cannot make the server echo megabytes.
            assertTrue(request.error().length() <= 300, () -> "reason of " + request.error().length() + " chars: " + input);
            return;
        }
        assertNotNull(request.kind(), input);
        if (request.kind() == ClientRequest.Kind.SUBSCRIBE) {
            assertNotNull(request.subscribe(), input);
            assertTrue(request.subscribe().size() <= ClientRequest.MAX_PATTERNS, input);
            request.subscribe().forEach(p -> assertTrue(!p.toString().isEmpty() && p.toString().length() <= 256, input));
        } else if (request.kind() == ClientRequest.Kind.PING) {
            assertTrue(Double.isFinite(request.ping()), input);
        }
    }

    private static WebSocketFrameType pickType(final FuzzedDataProvider data) {
        switch (data.consumeInt(0, 9)) {
            case 0:
            case 1:
            case 2:
                return WebSocketFrameType.TEXT;
            case 3:
            case 4:
            case 5:
                return WebSocketFrameType.CONTINUATION;
            case 6:
            case 7:
                return WebSocketFrameType.BINARY;
            case 8:
                return WebSocketFrameType.PING;
            default:
                return WebSocketFrameType.PONG;
        }
    }

    private static boolean isControl(final WebSocketFrameType type) {
        return type == WebSocketFrameType.PING || type == WebSocketFrameType.PONG || type == WebSocketFrameType.CLOSE;
    }

    /** Fuzzed bytes, a JSON request, or a run of bytes sized to land just under, at or over the cap. */
    private static byte[] payload(final FuzzedDataProvider data, final int maxMessageBytes) {
        switch (data.consumeInt(0, 3)) {
            case 0:
                return data.consumeBytes(data.consumeInt(0, 256));
            case 1:
                return new JsonObject().put("subscribe", new JsonArray().add(subject(data))).encode().getBytes(StandardCharsets.UTF_8);
            case 2:
                return ("{\"ping\":" + number(data) + "}").getBytes(StandardCharsets.UTF_8);
            default:
                final int length = Math.max(0, maxMessageBytes + data.consumeInt(-2, 2));
                final byte[] bytes = new byte[length];
                java.util.Arrays.fill(bytes, (byte) data.consumeInt(0, 255));
                return bytes;
        }
    }

    /** A NATS subject or pattern, valid or nearly so: tokens, wildcards, empty tokens, spaces, non-ASCII. */
    private static String subject(final FuzzedDataProvider data) {
        if (data.consumeInt(0, 7) == 0) {
            return data.consumeString(300);
        }
        final StringBuilder subject = new StringBuilder();
        final int tokens = data.consumeInt(1, 6);
        for (int t = 0; t < tokens; t++) {
            if (t > 0) {
                subject.append('.');
            }
            switch (data.consumeInt(0, 5)) {
                case 0:
                    subject.append('*');
                    break;
                case 1:
                    subject.append('>');
                    break;
                case 2:
                    subject.append(data.consumeString(4));
                    break;
                default:
                    subject.append(data.consumeAsciiString(12).replace('.', '_'));
            }
        }
        return subject.toString();
    }

    private static String key(final FuzzedDataProvider data) {
        final String[] known = {"subscribe", "stats", "ping", "keyframe"};
        return data.consumeBoolean() ? known[data.consumeInt(0, known.length - 1)] : data.consumeString(16);
    }

    /** A JSON value of any type; nesting bounded so that encoding stays cheap. */
    private static Object value(final FuzzedDataProvider data, final int depth) {
        switch (data.consumeInt(0, depth < 4 ? 8 : 6)) {
            case 0:
                return null;
            case 1:
                return data.consumeBoolean();
            case 2:
                return data.consumeLong();
            case 3:
                return data.consumeDouble();
            case 4:
                return data.consumeString(64);
            case 5:
                return new java.math.BigDecimal(number(data));
            case 6:
                return subject(data);
            case 7: {
                final JsonArray array = new JsonArray();
                final int items = data.consumeInt(0, 70);
                for (int i = 0; i < items && data.remainingBytes() > 0; i++) {
                    array.add(data.consumeBoolean() ? subject(data) : value(data, depth + 1));
                }
                return array;
            }
            default: {
                final JsonObject object = new JsonObject();
                final int keys = data.consumeInt(0, 3);
                for (int i = 0; i < keys; i++) {
                    object.put(key(data), value(data, depth + 1));
                }
                return object;
            }
        }
    }

    /** A JSON number literal: small, huge, tiny, negative zero, long digit runs. */
    private static String number(final FuzzedDataProvider data) {
        switch (data.consumeInt(0, 4)) {
            case 0:
                return Long.toString(data.consumeLong());
            case 1: {
                final double value = data.consumeRegularDouble();
                return Double.toString(value).replace("Infinity", "1e999");
            }
            case 2:
                return (data.consumeBoolean() ? "-" : "") + data.consumeInt(1, 9) + "e" + data.consumeInt(-400, 400);
            case 3:
                return "-0";
            default:
                return "1" + "0".repeat(data.consumeInt(0, 1200));
        }
    }

    @AfterAll
    static void printFigures() {
        System.out.println("fuzz client messages: executions=" + executions + ", seconds="
            + (System.nanoTime() - START_NS) / 1_000_000_000L + ", reader=" + READER_RESULTS + ", parse=" + PARSE_RESULTS);
    }
}
