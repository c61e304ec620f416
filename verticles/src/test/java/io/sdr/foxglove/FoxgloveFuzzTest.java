package io.sdr.foxglove;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sdr.foxglove.FoxgloveChannels.Channel;
import io.sdr.foxglove.FoxgloveChannels.Kind;
import io.sdr.foxglove.FoxgloveProtocol.ClientMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of what a Foxglove client sends and what the server keeps for it: any
 * text through {@link FoxgloveProtocol#parse} (never throws; a subscribe or unsubscribe is parsed
 * exactly as its model says), and any sequence of subjects, subscriptions and unsubscriptions
 * through {@link FoxgloveChannels} against a model of the protocol's rules and of the channel bound
 * (a subscribed channel is never unadvertised; the idle subject least recently active, or
 * unsubscribed, gives way).
 *
 * <p>{@code mvn test} replays the kept inputs in {@code FoxgloveFuzzTestInputs/fuzzFoxglove};
 * {@code mvn verify} fuzzes for {@code fuzz.seconds} (the {@code fuzz-foxglove} surefire execution).
 */
class FoxgloveFuzzTest {
    private static final Map<String, Long> RESULTS = new TreeMap<>();
    private static long executions;
    private static final long START_NS = System.nanoTime();

    @FuzzTest(maxDuration = "60s")
    void fuzzFoxglove(final FuzzedDataProvider data) {
        executions++;
        switch (data.consumeInt(0, 3)) {
            case 0:
                raw(data.consumeRemainingAsString());
                break;
            case 1:
                subscribe(data);
                break;
            case 2:
                unsubscribe(data);
                break;
            default:
                channels(data);
                break;
        }
    }

    /** Any text: parsed without throwing, an error exactly when it is not a valid request. */
    private static ClientMessage raw(final String text) {
        final ClientMessage message = FoxgloveProtocol.parse(text);
        assertNotNull(message, text);
        assertNotNull(message.kind(), text);
        final boolean request = message.kind() == ClientMessage.Kind.SUBSCRIBE || message.kind() == ClientMessage.Kind.UNSUBSCRIBE;
        assertEquals(!request, message.error() != null, text);
        RESULTS.merge(message.kind().name(), 1L, Long::sum);
        return message;
    }

    /** A value for an id: mostly in range, sometimes negative, fractional, too large, or not a number. */
    private static Object id(final FuzzedDataProvider data) {
        switch (data.consumeInt(0, 5)) {
            case 0:
                return data.consumeLong(-5, 0xFFFF_FFFFL + 5);
            case 1:
                return data.consumeDouble();
            case 2:
                return data.consumeString(4);
            case 3:
                return null;
            default:
                return data.consumeLong(0, 0xFFFF_FFFFL);
        }
    }

    /** The u32 an id value stands for, or -1 when it is none. */
    private static long u32(final Object value) {
        if (value instanceof Long) {
            final long v = (Long) value;
            return v >= 0 && v <= 0xFFFF_FFFFL ? v : -1;
        }
        if (value instanceof Double) {
            final double v = (Double) value;
            return v == Math.rint(v) && v >= 0 && v <= 0xFFFF_FFFFL ? (long) v : -1;
        }
        return -1;
    }

    private static void subscribe(final FuzzedDataProvider data) {
        final int count = data.consumeInt(0, FoxgloveProtocol.MAX_SUBSCRIPTIONS_PER_REQUEST / 64 + 3);
        final JsonArray subscriptions = new JsonArray();
        final List<FoxgloveProtocol.Subscription> expected = new ArrayList<>();
        boolean valid = true;
        for (int i = 0; i < count; i++) {
            final Object id = id(data);
            final Object channelId = id(data);
            subscriptions.add(new JsonObject().put("id", id).put("channelId", channelId));
            valid &= u32(id) >= 0 && u32(channelId) >= 0;
            expected.add(new FoxgloveProtocol.Subscription(u32(id), u32(channelId)));
        }
        final String json = new JsonObject().put("op", "subscribe").put("subscriptions", subscriptions).encode();
        final ClientMessage message = raw(json);
        assertEquals(valid ? ClientMessage.Kind.SUBSCRIBE : ClientMessage.Kind.INVALID, message.kind(), json);
        if (valid) {
            assertEquals(expected, message.subscriptions(), json);
        }
    }

    private static void unsubscribe(final FuzzedDataProvider data) {
        final int count = data.consumeInt(0, 20);
        final JsonArray ids = new JsonArray();
        final List<Long> expected = new ArrayList<>();
        boolean valid = true;
        for (int i = 0; i < count; i++) {
            final Object id = id(data);
            ids.add(id);
            valid &= u32(id) >= 0;
            expected.add(u32(id));
        }
        final String json = new JsonObject().put("op", "unsubscribe").put("subscriptionIds", ids).encode();
        final ClientMessage message = raw(json);
        assertEquals(valid ? ClientMessage.Kind.UNSUBSCRIBE : ClientMessage.Kind.INVALID, message.kind(), json);
        if (valid) {
            assertEquals(expected, message.subscriptionIds(), json);
        }
    }

    /** Operations on one connection's channels, each checked against a model. */
    private static void channels(final FuzzedDataProvider data) {
        final int max = data.consumeInt(1, 8);
        final FoxgloveChannels channels = new FoxgloveChannels(max);
        // The model: live channels by id, subscriptions, and telemetry activity (a counter per touch).
        final Map<Integer, Channel> live = new HashMap<>();
        final Map<Long, Integer> subscriptions = new HashMap<>();
        final Map<String, Long> lastActive = new HashMap<>();
        final Set<Integer> everUsed = new HashSet<>();
        long clock = 0;
        final Channel video = channels.addVideo("main");
        live.put(video.id(), video);
        everUsed.add(video.id());
        final int steps = data.consumeInt(0, 64);
        for (int step = 0; step < steps && data.remainingBytes() > 0; step++) {
            final String subject = "s" + data.consumeInt(0, 11);
            switch (data.consumeInt(0, 3)) {
                case 0: { // a message on the subject
                    final Channel known = channels.telemetry(subject);
                    final Channel modelled = live.values().stream().filter(c -> c.kind() == Kind.TELEMETRY && c.name().equals(subject))
                        .findFirst().orElse(null);
                    assertEquals(modelled, known, subject);
                    if (known != null) {
                        lastActive.put(subject, ++clock);
                        break;
                    }
                    final List<Channel> removed = new ArrayList<>();
                    final Channel added = channels.addTelemetry(subject, removed::add);
                    // Who should give way: the least recently active telemetry channel without a subscription.
                    Channel victim = null;
                    if (live.size() >= max) {
                        for (final Channel c : live.values()) {
                            if (c.kind() == Kind.TELEMETRY && !subscriptions.containsValue(c.id())
                                && (victim == null || lastActive.get(c.name()) < lastActive.get(victim.name()))) {
                                victim = c;
                            }
                        }
                        if (victim == null) {
                            assertNull(added, "no room and nothing may give way");
                            assertEquals(List.of(), removed);
                            break;
                        }
                    }
                    assertEquals(victim == null ? List.of() : List.of(victim), removed, "who gave way");
                    if (victim != null) {
                        live.remove(victim.id());
                        lastActive.remove(victim.name());
                    }
                    assertNotNull(added, subject);
                    assertEquals(subject, added.name());
                    assertTrue(everUsed.add(added.id()), "a channel id is never used twice: " + added.id());
                    live.put(added.id(), added);
                    lastActive.put(subject, ++clock);
                    break;
                }
                case 1: { // subscribe
                    final long id = data.consumeLong(0, 5);
                    final int channelId = data.consumeInt(0, everUsed.size() + 1);
                    final Channel target = live.get(channelId);
                    final boolean ok = target != null && !subscriptions.containsKey(id) && !subscriptions.containsValue(channelId);
                    try {
                        assertEquals(target, channels.subscribe(id, channelId));
                        assertTrue(ok, "subscribe " + id + " to " + channelId + " should have been refused");
                        subscriptions.put(id, channelId);
                    } catch (final IllegalArgumentException e) {
                        assertFalse(ok, "subscribe " + id + " to " + channelId + " refused: " + e.getMessage());
                    }
                    break;
                }
                case 2: { // unsubscribe
                    final long id = data.consumeLong(0, 5);
                    final Integer channelId = subscriptions.remove(id);
                    try {
                        assertEquals(live.get(channelId), channels.unsubscribe(id));
                        assertNotNull(channelId, "unsubscribe of " + id + " should have been refused");
                        if (live.get(channelId).kind() == Kind.TELEMETRY) {
                            lastActive.put(live.get(channelId).name(), ++clock); // idle again: the most recent
                        }
                    } catch (final IllegalArgumentException e) {
                        assertNull(channelId, "unsubscribe of " + id + " refused: " + e.getMessage());
                    }
                    break;
                }
                default:
                    break;
            }
            assertEquals(live.size(), channels.channelCount());
            assertTrue(channels.channelCount() <= Math.max(max, 1));
            for (final Map.Entry<Long, Integer> s : subscriptions.entrySet()) {
                assertEquals(s.getKey().longValue(), channels.subscriptionOf(live.get(s.getValue())), "a subscribed channel stays");
            }
        }
        RESULTS.merge("channels", 1L, Long::sum);
    }

    @AfterAll
    static void printFigures() {
        System.out.println("fuzz foxglove: executions=" + executions + ", seconds="
            + (System.nanoTime() - START_NS) / 1_000_000_000L + ", results=" + RESULTS);
    }
}
