package io.sdr.ws;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TelemetryOutboxTest {
    @Test
    void shouldSendAtOnceWithinBudgetAndHoldLatestPerSubjectBeyond() {
        final TelemetryOutbox<String> box = new TelemetryOutbox<>(100, 10);
        assertTrue(box.offer("a", 60, "a1"));
        assertTrue(box.offer("b", 40, "b1"));
        assertFalse(box.offer("a", 60, "a2"));
        assertFalse(box.offer("c", 10, "c1"));
        assertFalse(box.offer("a", 60, "a3"));
        assertEquals(1, box.superseded());
        final List<String> sent = new ArrayList<>();
        box.written(60, sent::add);
        assertEquals(List.of("c1"), sent, "order follows the latest update; a3 does not fit yet");
        box.written(40, sent::add);
        assertEquals(List.of("c1", "a3"), sent);
        assertEquals(0, box.pendingSubjects());
    }

    @Test
    void shouldBoundHeldSubjects() {
        final TelemetryOutbox<String> box = new TelemetryOutbox<>(10, 3);
        assertTrue(box.offer("x", 10, "x"));
        for (int i = 0; i < 10; i++) {
            assertFalse(box.offer("s" + i, 5, "s" + i));
        }
        assertEquals(3, box.pendingSubjects());
        assertEquals(7, box.overflowed());
        final List<String> sent = new ArrayList<>();
        box.written(10, sent::add);
        assertEquals(List.of("s7", "s8"), sent);
    }

    @Test
    void shouldAlwaysSendOneMessageEvenAboveBudget() {
        final TelemetryOutbox<String> box = new TelemetryOutbox<>(10, 3);
        assertTrue(box.offer("big", 1000, "big"));
        assertFalse(box.offer("small", 1, "small"));
    }
}
