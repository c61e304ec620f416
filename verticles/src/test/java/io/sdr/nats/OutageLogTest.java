package io.sdr.nats;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutageLogTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final OutageLog log = new OutageLog("nats://nats:4222", "every 0.5 s, doubling to 4.0 s", 60_000, now::get);

    @Test
    void shouldLogOneWarningThenAtMostOneLineAMinuteWhileNatsStaysAway() {
        final String first = log.failed("java.net.UnknownHostException: nats");
        assertNotNull(first);
        assertTrue(first.contains("NATS not reachable (java.net.UnknownHostException: nats)"), first);
        assertTrue(first.contains("url=nats://nats:4222") && first.contains("retrying every 0.5 s, doubling to 4.0 s"), first);
        int lines = 1;
        // Three failure reports per attempt, twice a second, for ten minutes.
        for (int i = 0; i < 1200; i++) {
            now.addAndGet(500);
            for (int report = 0; report < 3; report++) {
                final String line = log.failed("java.net.UnknownHostException: nats");
                if (line != null) {
                    lines++;
                    assertTrue(line.startsWith("NATS still not reachable after "), line);
                }
            }
        }
        assertEquals(11, lines, "the first line and one a minute for ten minutes");
        final String back = log.connected("nats://10.0.0.5:4222");
        assertTrue(back.startsWith("NATS connected: nats://10.0.0.5:4222 (after 10 min unreachable)"), back);
        assertNull(log.connected("nats://10.0.0.5:4222"), "already up: nothing to say");
    }

    @Test
    void shouldSayConnectedOnceAndLostOnceAndBackOnce() {
        assertEquals("NATS connected: nats://127.0.0.1:4222", log.connected("nats://127.0.0.1:4222"));
        final String lost = log.failed("java.io.IOException: Read channel closed.");
        assertTrue(lost.startsWith("NATS connection lost (java.io.IOException: Read channel closed.)"), lost);
        now.addAndGet(1500);
        assertNull(log.failed("java.net.ConnectException: Connection refused"));
        now.addAndGet(1000);
        assertEquals("NATS connected: nats://127.0.0.1:4222 (after 2.5 s unreachable)", log.connected("nats://127.0.0.1:4222"));
    }

    @Test
    void shouldNameAMissingReason() {
        assertTrue(log.failed(null).contains("(no reason given)"));
    }
}
