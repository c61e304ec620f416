package io.sdr.security;

import io.sdr.bus.SubjectPattern;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrantsTest {
    private static String both(final String a, final String b) {
        final SubjectPattern p = Grants.intersect(SubjectPattern.parse(a), SubjectPattern.parse(b));
        return p == null ? null : p.toString();
    }

    @Test
    void shouldIntersectNatsPatternsTokenByToken() {
        assertEquals("telemetry.robot1.>", both("telemetry.>", "telemetry.robot1.>"));
        assertEquals("telemetry.robot1.pose", both("telemetry.*.pose", "telemetry.robot1.>"));
        assertEquals("a.b.c", both("a.*.c", "a.b.*"));
        assertEquals("x.y.>", both("x.>", "*.y.>"));
        assertEquals(">", both(">", ">"));
        assertEquals("a", both(">", "a"));
        assertNull(both("telemetry.robot2.>", "telemetry.robot1.>"));
        assertNull(both("a.>", "a"), "'>' needs one more token");
        assertNull(both("a.b", "a.b.c"));
    }

    @Test
    void shouldMatchExactlyWhatBothPatternsMatch() {
        final List<String> patterns = List.of(">", "a.>", "a.*", "*.b", "a.b", "a.*.c", "*.*.*", "a.b.>", "*.>", "b.>");
        final List<String> subjects = List.of("a", "a.b", "a.c", "b.b", "a.b.c", "a.x.c", "a.b.c.d", "x.y.z", "b");
        for (final String x : patterns) {
            for (final String y : patterns) {
                final SubjectPattern px = SubjectPattern.parse(x);
                final SubjectPattern py = SubjectPattern.parse(y);
                final SubjectPattern pz = Grants.intersect(px, py);
                for (final String s : subjects) {
                    final boolean expected = px.matches(s) && py.matches(s);
                    final boolean actual = pz != null && pz.matches(s);
                    assertEquals(expected, actual, x + " & " + y + " = " + pz + " on " + s);
                }
            }
        }
    }

    @Test
    void shouldReadTheSdrClaimAndGrantNothingWithoutIt() {
        final Grants none = Grants.fromClaims(new JsonObject().put("sub", "x"));
        assertFalse(none.allowsStream("main"));
        assertEquals(List.of(), none.narrow(null));
        assertFalse(none.keyframe());

        final Grants some = Grants.fromClaims(new JsonObject().put("sdr", new JsonObject()
            .put("streams", new JsonArray().add("main")).put("subjects", new JsonArray().add("telemetry.r1.>")).put("keyframe", true)));
        assertTrue(some.allowsStream("main"));
        assertFalse(some.allowsStream("aux"));
        assertEquals(List.of("main"), some.visibleStreams(List.of("aux", "main")));
        assertEquals(List.of("telemetry.r1.>"), text(some.narrow(null)));
        assertEquals(List.of("telemetry.r1.pose"), text(some.narrow(List.of(SubjectPattern.parse("telemetry.*.pose")))));
        assertEquals(List.of(), some.narrow(List.of(SubjectPattern.parse("telemetry.r2.>"))));

        final Grants all = Grants.fromClaims(new JsonObject().put("sdr", new JsonObject()
            .put("streams", new JsonArray().add("*")).put("subjects", new JsonArray().add(">"))));
        assertTrue(all.allowsStream("anything"));
        assertNull(all.narrow(null), "everything");
        assertFalse(all.keyframe());
    }

    @Test
    void shouldRejectMalformedClaims() {
        assertThrows(IllegalArgumentException.class, () -> Grants.fromClaims(new JsonObject().put("sdr", "all")));
        assertThrows(IllegalArgumentException.class, () -> Grants.fromClaims(new JsonObject().put("sdr",
            new JsonObject().put("streams", "main"))));
        assertThrows(IllegalArgumentException.class, () -> Grants.fromClaims(new JsonObject().put("sdr",
            new JsonObject().put("subjects", new JsonArray().add("bad..subject")))));
        assertThrows(IllegalArgumentException.class, () -> Grants.fromClaims(new JsonObject().put("sdr",
            new JsonObject().put("keyframe", "yes"))));
    }

    private static List<String> text(final List<SubjectPattern> patterns) {
        return patterns.stream().map(SubjectPattern::toString).collect(Collectors.toList());
    }
}
