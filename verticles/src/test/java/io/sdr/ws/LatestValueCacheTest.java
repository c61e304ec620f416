package io.sdr.ws;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LatestValueCacheTest {
    @Test
    void shouldKeepLatestPerSubjectWithinBounds() {
        final LatestValueCache<String> cache = new LatestValueCache<>(3, 100);
        cache.put("a", "a1", 10);
        cache.put("b", "b1", 10);
        cache.put("a", "a2", 10);
        assertEquals(List.of("b1", "a2"), cache.matching(s -> true));
        cache.put("c", "c1", 10);
        cache.put("d", "d1", 10);
        assertEquals(List.of("a2", "c1", "d1"), cache.matching(s -> true), "least recently updated goes first");
        cache.put("e", "e1", 90);
        assertEquals(List.of("d1", "e1"), cache.matching(s -> true), "byte bound: 100 of 100 bytes");
        assertEquals(100, cache.bytes());
        cache.put("f", "f1", 101);
        assertEquals(List.of("d1", "e1"), cache.matching(s -> true), "larger than the whole cache: not kept");
        assertEquals(List.of(), cache.matching(s -> s.equals("zz")));
    }
}
