package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class AlternatingLegsTest {
    @Test
    void shouldRunEachLegInTurnEveryRound() {
        final List<String> order = new ArrayList<>();
        final JsonArray rounds = new JsonArray();
        final String error = AlternatingLegs.run(2, List.of(
            new AlternatingLegs.Leg("a", "leg a", name -> {
                order.add(name);
                return new JsonObject().put("v", 1);
            }),
            new AlternatingLegs.Leg("b", "leg b", name -> {
                order.add(name);
                return new JsonObject().put("v", 2);
            })), rounds);
        assertNull(error);
        assertEquals(List.of("-r1-a", "-r1-b", "-r2-a", "-r2-b"), order);
        assertEquals(new JsonObject().put("round", 2).put("a", new JsonObject().put("v", 1)).put("b", new JsonObject().put("v", 2)),
            rounds.getJsonObject(1));
    }

    @Test
    void shouldStopAtTheFirstLegThatCannotBeCompared() {
        final List<String> order = new ArrayList<>();
        final JsonArray rounds = new JsonArray();
        final String error = AlternatingLegs.run(3, List.of(
            new AlternatingLegs.Leg("a", "leg a", name -> {
                order.add(name);
                return new JsonObject().put("frames", order.size() < 3 ? 10 : 0);
            }, leg -> leg.getInteger("frames") == 0 ? "no frames" : null),
            new AlternatingLegs.Leg("b", "leg b", name -> {
                order.add(name);
                throw new IOException("cannot start");
            })), rounds);
        assertEquals("round 1, b: java.io.IOException: cannot start", error);
        assertEquals(List.of("-r1-a", "-r1-b"), order);
        assertEquals(1, rounds.size());
        final String second = AlternatingLegs.run(2, List.of(new AlternatingLegs.Leg("a", "leg a",
            name -> new JsonObject().put("error", "server did not become ready"))), new JsonArray());
        assertEquals("round 1, a: server did not become ready", second);
    }
}
