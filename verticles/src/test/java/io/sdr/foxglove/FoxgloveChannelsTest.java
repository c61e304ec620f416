package io.sdr.foxglove;

import io.sdr.foxglove.FoxgloveChannels.Channel;
import io.sdr.foxglove.FoxgloveChannels.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FoxgloveChannelsTest {
    @Test
    void shouldGiveEachStreamAndSubjectOneChannel() {
        final FoxgloveChannels channels = new FoxgloveChannels(10);
        final Channel main = channels.addVideo("main");
        assertSame(main, channels.addVideo("main"));
        final Channel subject = channels.addTelemetry("telemetry.a", NONE);
        assertSame(subject, channels.addTelemetry("telemetry.a", NONE));
        assertSame(subject, channels.telemetry("telemetry.a"));
        assertNull(channels.telemetry("telemetry.b"));
        assertEquals(Kind.VIDEO, main.kind());
        assertEquals(Kind.TELEMETRY, subject.kind());
        assertTrue(main.id() != subject.id());
    }

    @Test
    void shouldFollowTheSubscriptionRulesOfTheProtocol() {
        final FoxgloveChannels channels = new FoxgloveChannels(10);
        final Channel main = channels.addVideo("main");
        final Channel subject = channels.addTelemetry("telemetry.a", NONE);
        assertSame(main, channels.subscribe(7, main.id()));
        assertEquals(7, channels.subscriptionOf(main));
        assertEquals(-1, channels.subscriptionOf(subject));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> channels.subscribe(7, subject.id())).getMessage().contains("in use"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> channels.subscribe(8, main.id())).getMessage().contains("already subscribed"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> channels.subscribe(9, 999)).getMessage().contains("unknown channel"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> channels.subscribe(9, 1L << 32)).getMessage().contains("unknown channel"));
        assertSame(main, channels.unsubscribe(7));
        assertEquals(-1, channels.subscriptionOf(main));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> channels.unsubscribe(7)).getMessage().contains("no such subscription"));
        // After unsubscribing, the id may be used again.
        assertSame(subject, channels.subscribe(7, subject.id()));
    }

    @Test
    void shouldReplaceTheLeastRecentlyActiveUnsubscribedSubjectAtTheChannelBound() {
        final FoxgloveChannels channels = new FoxgloveChannels(4);
        final List<Channel> unadvertised = new ArrayList<>();
        final Channel main = channels.addVideo("main");
        final Channel a = channels.addTelemetry("a", unadvertised::add);
        final Channel b = channels.addTelemetry("b", unadvertised::add);
        final Channel c = channels.addTelemetry("c", unadvertised::add);
        channels.subscribe(1, a.id());
        assertSame(b, channels.telemetry("b")); // b is active again: c is now the least recently active
        final Channel d = channels.addTelemetry("d", unadvertised::add);
        assertEquals(List.of(c), unadvertised, "c gives way, not a (subscribed) nor b (more recent) nor the video");
        assertNull(channels.telemetry("c"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> channels.subscribe(2, c.id())).getMessage().contains("unknown channel"));
        assertEquals(4, channels.channelCount());

        // An unadvertised subject that comes back gets a new channel (the next id), and b gives way.
        final Channel c2 = channels.addTelemetry("c", unadvertised::add);
        assertTrue(c2.id() > d.id());
        assertEquals(List.of(c, b), unadvertised);

        // Every telemetry channel subscribed: a new subject is left out, nothing is unadvertised.
        channels.subscribe(3, d.id());
        channels.subscribe(4, c2.id());
        assertNull(channels.addTelemetry("e", unadvertised::add));
        assertEquals(List.of(c, b), unadvertised);
        assertSame(main, channels.subscribe(5, main.id()));
        // An unsubscribe makes the channel one that may give way again.
        channels.unsubscribe(3);
        assertEquals("e", channels.addTelemetry("e", unadvertised::add).name());
        assertEquals(List.of(c, b, d), unadvertised);
        assertEquals(4, channels.channelCount());
    }

    private static final java.util.function.Consumer<Channel> NONE = channel -> {
        throw new AssertionError("nothing is unadvertised below the bound: " + channel);
    };
}
