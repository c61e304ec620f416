package io.sdr.ws;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RecentCommitsTest {
    @Test
    void shouldHandOutOnlyWhatWasAddedSinceThePreviousDrain() {
        final RecentCommits recent = new RecentCommits(4);
        final long[] seqs = new long[4];
        final long[] times = new long[4];
        recent.add(1, 100);
        recent.add(2, 200);
        assertEquals(2, recent.drain(seqs, times));
        assertArrayEquals(new long[] {1, 2}, java.util.Arrays.copyOf(seqs, 2));
        assertArrayEquals(new long[] {100, 200}, java.util.Arrays.copyOf(times, 2));
        assertEquals(0, recent.drain(seqs, times));
        recent.add(3, 300);
        assertEquals(1, recent.drain(seqs, times));
        assertEquals(3, seqs[0]);
    }

    @Test
    void shouldKeepTheNewestWhenMoreThanCapacityWereAdded() {
        final RecentCommits recent = new RecentCommits(4);
        for (long seq = 1; seq <= 10; seq++) {
            recent.add(seq, seq * 10);
        }
        final long[] seqs = new long[4];
        final long[] times = new long[4];
        assertEquals(4, recent.drain(seqs, times));
        assertArrayEquals(new long[] {7, 8, 9, 10}, seqs);
        assertArrayEquals(new long[] {70, 80, 90, 100}, times);
    }
}
