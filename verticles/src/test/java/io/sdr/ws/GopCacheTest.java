package io.sdr.ws;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GopCacheTest {
    private final java.util.List<String> released = new java.util.ArrayList<>();

    @Test
    void shouldHoldLatestKeyframeAndFollowers() {
        final GopCache<String> cache = new GopCache<>(1000, released::add);
        cache.add("k1", 1, true, 100);
        cache.add("p2", 2, false, 10);
        cache.add("k3", 3, true, 100);
        cache.add("p4", 4, false, 10);
        assertEquals(List.of("k3", "p4"), cache.snapshot());
        assertEquals(110, cache.bytes());
    }

    @Test
    void shouldBeEmptyBeforeFirstKeyframe() {
        final GopCache<String> cache = new GopCache<>(1000, released::add);
        cache.add("p1", 1, false, 10);
        assertEquals(List.of(), cache.snapshot());
    }

    @Test
    void shouldEmptyOnGapUntilNextKeyframe() {
        final GopCache<String> cache = new GopCache<>(1000, released::add);
        cache.add("k1", 1, true, 100);
        cache.add("p3", 3, false, 10);
        cache.add("p4", 4, false, 10);
        assertEquals(List.of(), cache.snapshot());
        cache.add("k5", 5, true, 100);
        assertEquals(List.of("k5"), cache.snapshot());
    }

    @Test
    void shouldEmptyWhenOverBudget() {
        final GopCache<String> cache = new GopCache<>(250, released::add);
        cache.add("k1", 1, true, 100);
        cache.add("p2", 2, false, 100);
        cache.add("p3", 3, false, 100);
        assertEquals(List.of(), cache.snapshot(), "a partial GOP cannot be decoded, so none is kept");
        assertEquals(0, cache.bytes());
        cache.add("p4", 4, false, 1);
        assertEquals(List.of(), cache.snapshot());
    }

    @Test
    void shouldGiveBackEveryFrameItDoesNotKeepExactlyOnce() {
        final GopCache<String> cache = new GopCache<>(1000, released::add);
        cache.add("p0", 1, false, 100);            // no keyframe yet: not kept
        cache.add("k1", 2, true, 100);
        cache.add("p1", 3, false, 100);
        cache.add("p2", 5, false, 100);            // gap: the GOP and p2 go
        cache.add("k2", 6, true, 100);
        cache.add("big", 7, false, 950);           // over the bound: the GOP and big go
        cache.add("k3", 8, true, 100);
        cache.add("k4", 9, true, 100);             // a new GOP: k3 goes
        cache.clear();
        assertEquals(java.util.List.of("p0", "k1", "p1", "p2", "k2", "big", "k3", "k4"), released);
        assertEquals(0, cache.size());
    }
}
