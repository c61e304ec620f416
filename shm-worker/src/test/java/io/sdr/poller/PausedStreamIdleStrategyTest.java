package io.sdr.poller;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PausedStreamIdleStrategyTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldUseTheStreamingStrategyWhileFramesFlowAndParkLongOnceTheyStop() {
        final long[] now = {0};
        final List<Long> parks = new ArrayList<>();
        final RecordingIdleStrategy streaming = new RecordingIdleStrategy();
        final PausedStreamIdleStrategy idle = new PausedStreamIdleStrategy(streaming, 1_000 * MS, 1 * MS,
            () -> now[0], parks::add);

        now[0] = 10 * MS;
        idle.idle(1);
        now[0] = 20 * MS;
        idle.idle(0);
        assertEquals(List.of("reset", "idle"), streaming.calls, "a frame resets the backoff; no frame backs off");
        assertEquals(List.of(), parks);

        now[0] = 1_011 * MS;
        idle.idle(0);
        assertEquals(List.of(1 * MS), parks, "no frame for over a second: one long park");
        assertEquals(2, streaming.calls.size(), "the streaming strategy is not asked while paused");

        now[0] = 1_012 * MS;
        idle.idle(1);
        idle.idle(0);
        assertEquals(List.of("reset", "idle", "reset", "idle"), streaming.calls, "the next frame ends the pause");
        assertEquals(1, parks.size());
    }

    @Test
    void shouldCountTheTimeBeforeTheFirstFrameAsAPause() {
        final long[] now = {5 * MS};
        final List<Long> parks = new ArrayList<>();
        final PausedStreamIdleStrategy idle = new PausedStreamIdleStrategy(new RecordingIdleStrategy(), 1_000 * MS, 2 * MS,
            () -> now[0], parks::add);
        now[0] = 2_000 * MS;
        idle.idle(0);
        assertEquals(List.of(2 * MS), parks, "a ring nobody writes is a paused stream");
    }

    @Test
    void shouldWrapEveryStrategyUnlessPausedParkIsZero() {
        final PollerConfig wrapped = PollerConfig.from(new JsonObject().put("paced", false));
        assertTrue(wrapped.newIdleStrategy() instanceof PausedStreamIdleStrategy);
        assertEquals(1_000, wrapped.pausedAfterMs());
        assertEquals(1_000_000, wrapped.pausedParkNs());
        final PollerConfig plain = PollerConfig.from(new JsonObject().put("pausedParkNs", 0).put("idleStrategy", "sleeping")
            .put("paced", false));
        assertSame(org.agrona.concurrent.SleepingIdleStrategy.class, plain.newIdleStrategy().getClass());
    }
}
