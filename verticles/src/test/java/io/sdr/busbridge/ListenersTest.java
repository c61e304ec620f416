package io.sdr.busbridge;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ListenersTest {
    @Test
    void shouldCountConnectionsPerAddressOncePerConnection() {
        final Listeners<Object> listeners = new Listeners<>();
        final Object a = new Object();
        final Object b = new Object();
        assertTrue(listeners.isNew(a));
        assertEquals(1, listeners.add(a, "inspect.frames.main"));
        assertFalse(listeners.isNew(a));
        assertEquals(1, listeners.add(a, "inspect.frames.main"), "a second registration by the same connection is one listener");
        assertEquals(2, listeners.add(b, "inspect.frames.main"));
        assertEquals(1, listeners.add(b, "inspect.telemetry"));
        assertEquals(Map.of("inspect.frames.main", 2, "inspect.telemetry", 1), listeners.snapshot());
        assertEquals(1, listeners.remove(a, "inspect.frames.main"));
        assertEquals(1, listeners.remove(a, "inspect.frames.main"), "unregistering twice changes nothing");
        assertEquals(1, listeners.remove(a, "inspect.telemetry"), "a never registered the telemetry address");
        assertTrue(listeners.anyListener("inspect.telemetry", c -> c == b));
        assertFalse(listeners.anyListener("inspect.telemetry", c -> c == a));
    }

    @Test
    void shouldReleaseEveryAddressOfAClosedConnection() {
        final Listeners<Object> listeners = new Listeners<>();
        final Object a = new Object();
        final Object b = new Object();
        listeners.add(a, "x");
        listeners.add(a, "y");
        listeners.add(b, "y");
        assertEquals(List.of("x"), listeners.removeAll(a), "y still has a listener");
        assertEquals(0, listeners.count("x"));
        assertEquals(1, listeners.count("y"));
        assertEquals(1, listeners.connections());
        assertEquals(List.of("y"), listeners.removeAll(b));
        assertEquals(List.of(), listeners.removeAll(b));
        assertEquals(Map.of(), listeners.snapshot());
    }
}
