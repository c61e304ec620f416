package io.sdr.foxglove;

import io.sdr.foxglove.FoxgloveChannels.Channel;
import io.sdr.foxglove.FoxgloveChannels.Kind;
import org.junit.jupiter.api.Test;

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
        final Channel subject = channels.addTelemetry("telemetry.a");
        assertSame(subject, channels.addTelemetry("telemetry.a"));
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
        final Channel subject = channels.addTelemetry("telemetry.a");
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
    void shouldStopAdvertisingSubjectsAtTheChannelBound() {
        final FoxgloveChannels channels = new FoxgloveChannels(3);
        channels.addVideo("main");
        channels.addTelemetry("a");
        channels.addTelemetry("b");
        assertNull(channels.addTelemetry("c"));
        assertEquals(3, channels.channelCount());
    }
}
