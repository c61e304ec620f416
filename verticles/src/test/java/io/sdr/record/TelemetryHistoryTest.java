package io.sdr.record;

import io.sdr.bus.Telemetry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TelemetryHistoryTest {
    private static final long MS = 1_000_000L;

    private static Telemetry json(final String subject, final String payload, final long timeMs) {
        return Telemetry.encode(subject, payload.getBytes(StandardCharsets.UTF_8), timeMs * MS);
    }

    @Test
    void shouldKeepOnlyJsonAndCountTheRest() {
        final TelemetryHistory h = new TelemetryHistory(10_000 * MS, 1 << 20);
        final Telemetry pose = json("telemetry.pose", "{\"x\":1}", 0);
        h.append(pose);
        h.append(json("telemetry.raw", "not json {", 1));
        h.append(Telemetry.encode("telemetry.empty", new byte[0], 2 * MS));
        h.append(json("telemetry.n", "42", 3));
        final List<TelemetryHistory.Entry> kept = h.between(0, 10 * MS);
        assertEquals(List.of("telemetry.pose", "telemetry.n"), kept.stream().map(e -> e.telemetry().subject()).toList());
        assertSame(pose, kept.get(0).telemetry(), "the message itself, shared with the viewers");
        assertEquals(2, h.notJson());
        assertTrue(TelemetryHistory.isJson(pose));
        assertFalse(TelemetryHistory.isJson(json("t", "{\"a\":", 0)));
    }

    @Test
    void shouldForgetWhatIsOlderThanTheWindowOrOverTheCap() {
        final TelemetryHistory h = new TelemetryHistory(1_000 * MS, 1 << 20);
        for (int i = 0; i < 30; i++) {
            h.append(json("telemetry.t", "{\"i\":" + i + "}", i * 100L));
        }
        final List<TelemetryHistory.Entry> all = h.between(0, Long.MAX_VALUE);
        assertEquals(1900 * MS, all.get(0).timeNs(), "the last second only (2900 - 1000)");
        assertEquals(11, all.size());
        assertEquals(List.of(2000 * MS, 2100 * MS), h.between(2000 * MS, 2100 * MS).stream().map(TelemetryHistory.Entry::timeNs).toList());

        final Telemetry one = json("telemetry.t", "{\"i\":10}", 0);
        final TelemetryHistory capped = new TelemetryHistory(60_000 * MS, 5L * one.messageLength());
        for (int i = 0; i < 20; i++) {
            capped.append(json("telemetry.t", "{\"i\":" + (10 + i) + "}", i)); // all the same size
        }
        assertEquals(5, capped.between(0, Long.MAX_VALUE).size());
        assertTrue(capped.bytes() <= 5L * one.messageLength());
    }
}
