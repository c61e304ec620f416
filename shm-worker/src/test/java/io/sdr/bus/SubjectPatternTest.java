package io.sdr.bus;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class SubjectPatternTest {
    private static boolean m(final String pattern, final String subject) {
        return SubjectPattern.parse(pattern).matches(subject);
    }

    @Test
    void shouldMatchLikeNatsServer() {
        assertTrue(m("telemetry.>", "telemetry.robot1"));
        assertTrue(m("telemetry.>", "telemetry.robot1.imu"));
        assertFalse(m("telemetry.>", "telemetry"));
        assertFalse(m("telemetry.>", "telemetryx.a"));
        assertTrue(m("telemetry.*.imu", "telemetry.r1.imu"));
        assertFalse(m("telemetry.*.imu", "telemetry.r1.gps"));
        assertFalse(m("telemetry.*.imu", "telemetry.r1.imu.x"));
        assertFalse(m("telemetry.*", "telemetry.a.b"));
        assertTrue(m("a.b", "a.b"));
        assertFalse(m("a.b", "a.bc"));
        assertFalse(m("a.bc", "a.b"));
        assertFalse(m("a.b", "a.b.c"));
        assertTrue(m(">", "anything.at.all"));
        assertTrue(m("*", "one"));
        assertFalse(m("*", "one.two"));
        assertFalse(m("a.*", "a."));
    }

    @Test
    void shouldRejectInvalidPatterns() {
        for (final String bad : new String[] {"", ".", "a..b", "a.", ".a", "a.>.b", "a.b*", "a.>x", "a b", "x".repeat(300)}) {
            assertNull(SubjectPattern.parse(bad), bad);
        }
        assertNull(SubjectPattern.parse(null));
    }
}
