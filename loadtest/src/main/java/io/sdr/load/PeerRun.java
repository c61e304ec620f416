package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code --peer node}: one run that measures the transport server and the Node ws relay of
 * {@code loadtest/peer} with the same writer, frames, clients and figures, alternating legs
 * (ours, relay, ours, relay, ... for {@code --rounds}), each leg a complete {@link LoadRun} with
 * its own process, warm-up and window; then our / relay ratios per figure ({@link PeerSummary}).
 *
 * <p>Each leg starts its server and stops it by PID before the next leg starts, rather than
 * keeping both up and feeding one: on 2 shared cores an idle JVM is not free (its ring poller's
 * park, GC and JIT threads: ~0.03 cores), so only the process under test runs during its window;
 * each leg's RSS is that of a process with the same history (start, joins, warm-up), not a
 * high-water mark left by an earlier round; and a leg that breaks a process cannot spoil the next.
 * The cost is a JIT warm-up per leg for our JVM, which {@code --warmup} must cover.
 */
final class PeerRun {
    private final LoadCommand o;

    PeerRun(final LoadCommand options) {
        this.o = options;
    }

    JsonObject run() throws InterruptedException {
        final Path peerDir = o.peerDir.toAbsolutePath();
        final JsonObject peer = new JsonObject().put("kind", o.peer).put("dir", o.peerDir.toString()).put("rounds", o.rounds);
        final JsonArray rounds = new JsonArray();
        String error = null;
        try {
            PeerRelay.ensureInstalled(peerDir, o.npm, Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("sdr-load-npm-ci-" + ProcessHandle.current().pid() + ".log"));
            peer.mergeIn(PeerRelay.versions(peerDir, o.node));
        } catch (final IOException e) {
            error = e.getMessage();
        }
        double maxSteal = 0;
        for (int r = 1; r <= o.rounds && error == null; r++) {
            final JsonObject round = new JsonObject().put("round", r);
            rounds.add(round);
            for (final LoadRun.Target target : LoadRun.Target.values()) {
                final String name = target == LoadRun.Target.OURS ? "ours" : "peer";
                System.err.printf("sdr-load: round %d/%d, %s%n", r, o.rounds, target == LoadRun.Target.OURS ? "our server" : "the node relay");
                JsonObject leg;
                try {
                    leg = new LoadRun(o, target, "-r" + r + "-" + name, -1).run();
                } catch (final IOException e) {
                    leg = new JsonObject().put("error", e.toString());
                }
                round.put(name, leg);
                maxSteal = Math.max(maxSteal, leg.getJsonObject("machine_cpu_cores", new JsonObject()).getDouble("steal", 0.0));
                error = legProblem(leg);
                if (error != null) {
                    error = "round " + r + ", " + name + ": " + error;
                    break;
                }
            }
        }
        // Key order matters to scenarios.sh: the first "steal" in the file is the worst leg's.
        final JsonObject result = new JsonObject().put("label", o.label).put("machine", LoadRun.machine())
            .put("scenario", new LoadRun(o).scenario()).put("peer", peer)
            .put("machine_cpu_cores", new JsonObject().put("steal", maxSteal))
            .put("summary", PeerSummary.summarize(rounds)).put("rounds", rounds);
        return error == null ? result : result.put("error", error);
    }

    /** Why a leg's figures cannot be compared, or null. */
    private String legProblem(final JsonObject leg) {
        if (leg.getString("error") != null) {
            return leg.getString("error");
        }
        if (o.fps > 0 && o.clients > o.stalled && leg.getJsonObject("delivered", new JsonObject()).getLong("bytes", 0L) == 0) {
            return "no frame reached a client in the window";
        }
        return null;
    }
}
