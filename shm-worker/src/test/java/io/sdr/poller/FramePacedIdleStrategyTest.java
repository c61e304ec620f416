package io.sdr.poller;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FramePacedIdleStrategyTest {
    private static final long US = 1_000L;
    private static final long MS = 1_000_000L;
    private static final long INTERVAL = 16_667 * US;

    private final long[] now = {1_000 * MS};
    private final List<Long> parks = new ArrayList<>();
    private final RecordingIdleStrategy fallback = new RecordingIdleStrategy();
    private final FramePacedIdleStrategy idle = new FramePacedIdleStrategy(fallback, () -> now[0], parks::add);

    private void framesEvery(final long intervalNs, final int count) {
        for (int i = 0; i < count; i++) {
            now[0] += intervalNs;
            idle.idle(1);
        }
    }

    @Test
    void shouldParkUntilShortlyBeforeTheNextFrameOfASteadyStream() {
        framesEvery(INTERVAL, 40);
        assertTrue(idle.paced());
        assertEquals(INTERVAL, idle.meanIntervalNs());

        now[0] += 100 * US;
        idle.idle(0);
        assertEquals(1, parks.size(), "one park right after the frame");
        final long wake = now[0] + parks.get(0);
        final long due = now[0] - 100 * US + INTERVAL;
        assertTrue(wake < due && due - wake <= 1 * MS, "wakes shortly before the due time: " + (due - wake) + " ns early");
        assertFalse(fallback.calls.contains("idle"), "the backoff is not asked while the frame is not due");
    }

    @Test
    void shouldYieldAroundTheDueTimeAndFallBackWhenTheFrameIsLate() {
        framesEvery(INTERVAL, 40);
        final long last = now[0];

        now[0] = last + INTERVAL - 20 * US;
        idle.idle(0);
        assertEquals(List.of(), parks, "inside the window: no park (a yield)");
        assertFalse(fallback.calls.contains("idle"));

        now[0] = last + INTERVAL + 5 * MS;
        idle.idle(0);
        assertEquals(List.of(), parks);
        assertEquals("idle", fallback.calls.get(fallback.calls.size() - 1), "a late frame: the backoff takes over");
    }

    @Test
    void shouldWakeForTheNextScheduledFrameAfterALatePickUp() {
        framesEvery(INTERVAL, 40);
        final long scheduled = now[0] + 2 * INTERVAL;
        // This frame is picked up 5 ms late (the thread was descheduled); the next one comes on schedule.
        now[0] += INTERVAL + 5 * MS;
        idle.idle(1);
        idle.idle(0);
        assertEquals(1, parks.size());
        assertTrue(now[0] + parks.get(0) < scheduled, "the park ends before the on-time frame: "
            + (now[0] + parks.get(0) - scheduled) + " ns after it");
    }

    @Test
    void shouldNotStretchTheIntervalWhenAParkOverranAndShouldWakeEarlierAfterwards() {
        framesEvery(INTERVAL, 40);
        now[0] += 100 * US;
        idle.idle(0);
        final long firstEarly = INTERVAL - 100 * US - parks.get(0);
        // The park overran by 3 ms (a busy machine): the frame is picked up late, right after it.
        now[0] += parks.get(0) + 3 * MS;
        idle.idle(1);
        assertEquals(INTERVAL, idle.meanIntervalNs(), "a pick-up after a park is not a gap to learn");
        now[0] += 100 * US;
        idle.idle(0);
        assertEquals(2, parks.size());
        assertTrue(INTERVAL - 100 * US - parks.get(1) > firstEarly + 1 * MS, "wakes earlier after an overrun");
    }

    @Test
    void shouldRelearnAfterFramesBackToBack() {
        framesEvery(INTERVAL, 40);
        framesEvery(10 * US, 1);
        assertFalse(idle.paced(), "a burst: the pace is learnt again");
        idle.idle(0);
        assertEquals(List.of(), parks);
    }

    @Test
    void shouldNotPaceBeforeItHasLearntTheIntervalNorLearnPausesAndBursts() {
        framesEvery(INTERVAL, FramePacedIdleStrategy.WARM_GAPS);
        assertFalse(idle.paced(), "the first gap only starts the estimate");
        idle.idle(0);
        assertEquals(List.of(), parks);
        assertEquals("idle", fallback.calls.get(fallback.calls.size() - 1));

        framesEvery(5 * 1_000 * MS, 1);
        framesEvery(10 * US, 3);
        assertFalse(idle.paced(), "a pause and a burst are not the stream's pace");
    }

    @Test
    void shouldNotParkForAWriterWhoseGapsVaryByMoreThanAQuarterOfTheInterval() {
        // Alternating 8 and 25 ms (a 60 fps mean, deviation ~8 ms): the park would make an early frame wait.
        for (int i = 0; i < 40; i++) {
            framesEvery(i % 2 == 0 ? 8 * MS : 25 * MS, 1);
        }
        assertTrue(idle.paced());
        now[0] += 100 * US;
        idle.idle(0);
        assertEquals(List.of(), parks, "no long park: four deviations exceed the interval");
    }

    @Test
    void shouldPaceWhenAskedExceptTheStrategiesThatNeverSleep() {
        assertInstanceOf(FramePacedIdleStrategy.class, PollerConfig.from(new JsonObject().put("paced", true)).newIdleStrategy());
        assertInstanceOf(FramePacedIdleStrategy.class, PollerConfig.from(new JsonObject()).newIdleStrategy(), "on by default");
        assertFalse(PollerConfig.from(new JsonObject().put("paced", false)).newIdleStrategy() instanceof FramePacedIdleStrategy);
        assertFalse(PollerConfig.from(new JsonObject().put("paced", true).put("idleStrategy", "busy-spin")).newIdleStrategy()
            instanceof FramePacedIdleStrategy);
    }

    @Test
    void shouldPollByShortParksAroundTheDueTimeWhenParksArePrecise() {
        idle.precise(true);
        framesEvery(INTERVAL, 40);
        now[0] += 100 * US;
        idle.idle(0);
        final long longPark = parks.get(0);
        assertTrue(longPark > INTERVAL - 400 * US && longPark < INTERVAL - 100 * US, "long park: " + longPark);
        // Woken 150 us before the due time (the minimum window): short parks, an eighth of the distance
        // to the due time, never under 10 us; no yields, no fallback.
        now[0] += longPark;
        parks.clear();
        fallback.calls.clear();
        for (int i = 0; i < 20; i++) {
            idle.idle(0);
            now[0] += parks.get(parks.size() - 1) + 2 * US;
        }
        assertTrue(parks.stream().allMatch(p -> p >= FramePacedIdleStrategy.WINDOW_PARK_NS && p <= 40 * US), "window parks: " + parks);
        assertEquals(List.of(), fallback.calls, "the fallback is not asked inside the window");
    }

    @Test
    void shouldSetTheTimerSlackOfTheCallingThreadWhereLinuxAllowsIt() throws Exception {
        final java.nio.file.Path self = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self"));
        final java.nio.file.Path file = java.nio.file.Path.of("/proc", self.getFileName().toString(), "timerslack_ns");
        final java.util.concurrent.atomic.AtomicBoolean set = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong();
        final Thread thread = new Thread(() -> {
            set.set(TimerSlack.setForCurrentThread(2_000));
            try {
                final java.nio.file.Path own = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self"));
                seen.set(Long.parseLong(java.nio.file.Files.readString(
                    java.nio.file.Path.of("/proc", own.getFileName().toString(), "timerslack_ns")).trim()));
            } catch (final java.io.IOException e) {
                seen.set(-1);
            }
        });
        final long before = Long.parseLong(java.nio.file.Files.readString(file).trim());
        thread.start();
        thread.join();
        assertTrue(set.get(), "set on this Linux");
        assertEquals(2_000, seen.get(), "the thread's own slack");
        assertEquals(before, Long.parseLong(java.nio.file.Files.readString(file).trim()), "only the calling thread changes");
    }
}
