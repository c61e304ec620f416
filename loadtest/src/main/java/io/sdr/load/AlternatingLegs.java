package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.List;
import java.util.function.Function;

/**
 * The A/B runs' common shape (peer, edges, tiers): for each round, each leg in turn, each with its
 * own processes, warm-up and window; a leg whose figures cannot be compared ends the run. The legs
 * alternate so that a drift of the machine (another job starting, the hypervisor) hits both alike.
 */
final class AlternatingLegs {
    /** One leg: runs with its log-name suffix ("-r2-edges"). */
    interface Run {
        JsonObject run(String legName) throws IOException;
    }

    /**
     * @param name     the leg's key in each round's JSON
     * @param shown    what the progress line calls it
     * @param problem  why the leg's result cannot be compared (beyond its own "error"), or null
     */
    record Leg(String name, String shown, Run run, Function<JsonObject, String> problem) {
        Leg(final String name, final String shown, final Run run) {
            this(name, shown, run, leg -> null);
        }
    }

    private AlternatingLegs() {
    }

    /** Appends {round, NAME: leg result, ...} to {@code rounds} per round; returns the error that ended the run, or null. */
    static String run(final int roundCount, final List<Leg> legs, final JsonArray rounds) {
        for (int r = 1; r <= roundCount; r++) {
            final JsonObject round = new JsonObject().put("round", r);
            rounds.add(round);
            for (final Leg leg : legs) {
                System.err.printf("sdr-load: round %d/%d, %s%n", r, roundCount, leg.shown());
                JsonObject result;
                try {
                    result = leg.run().run("-r" + r + "-" + leg.name());
                } catch (final IOException e) {
                    result = new JsonObject().put("error", e.toString());
                }
                round.put(leg.name(), result);
                final String error = result.getString("error") != null ? result.getString("error") : leg.problem().apply(result);
                if (error != null) {
                    return "round " + r + ", " + leg.name() + ": " + error;
                }
            }
        }
        return null;
    }
}
