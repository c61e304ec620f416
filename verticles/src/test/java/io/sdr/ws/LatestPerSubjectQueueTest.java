package io.sdr.ws;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatestPerSubjectQueueTest {
    private static List<String> drain(final LatestPerSubjectQueue<String> q) {
        final List<String> out = new ArrayList<>();
        String next;
        while ((next = q.poll()) != null) {
            out.add(next);
        }
        return out;
    }

    @Test
    void shouldKeepLatestPerSubjectInOrderOfLatestUpdate() {
        final LatestPerSubjectQueue<String> q = new LatestPerSubjectQueue<>(10);
        q.offer("a", "a1");
        q.offer("b", "b1");
        q.offer("a", "a2");
        q.offer("c", "c1");
        assertEquals(3, q.size());
        assertEquals(1, q.superseded());
        assertEquals(List.of("b1", "a2", "c1"), drain(q), "a2 replaced a1 and moved behind b1");
        assertTrue(q.isEmpty());
        assertNull(q.poll());
    }

    @Test
    void shouldDropSubjectUpdatedLongestAgoBeyondBound() {
        final LatestPerSubjectQueue<String> q = new LatestPerSubjectQueue<>(2);
        q.offer("a", "a1");
        q.offer("b", "b1");
        q.offer("c", "c1");
        q.offer("b", "b2");
        q.offer("d", "d1");
        assertEquals(2, q.overflowed(), "a1, then c1 dropped");
        assertEquals(1, q.superseded());
        assertEquals(List.of("b2", "d1"), drain(q));
    }

    @Test
    void shouldRefuseNonPositiveBound() {
        assertThrows(IllegalArgumentException.class, () -> new LatestPerSubjectQueue<String>(0));
    }
}
