package io.sdr.fault;

import io.sdr.testing.ChildProcess;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.sdr.testing.Ports;

/**
 * Malformed configuration values: the fat jar started with each must exit non-zero within
 * {@link #EXIT_LIMIT}, name the key in its output, and never be half-started (its WebSocket port
 * never accepts a connection, no "SDR transport ready" line). Complements FatJarConfigTest, which
 * covers the SDR_* variables and idleStrategy; this covers other sections, ranges, unknown keys
 * and a conf file that is not JSON.
 */
final class ConfFaults {
    static final Duration EXIT_LIMIT = Duration.ofSeconds(30);

    private record BadConf(String fault, Consumer<JsonObject> edit, String rawFile, String named) {
    }

    private final Path dir;
    private final FaultSummary summary;
    private final List<Throwable> failures = new ArrayList<>();

    ConfFaults(final Path dir, final FaultSummary summary) {
        this.dir = dir;
        this.summary = summary;
    }

    void run() throws Exception {
        final List<BadConf> cases = List.of(
            new BadConf("conf websocket.maxClients=\"many\"", c -> c.getJsonObject("websocket").put("maxClients", "many"),
                null, "websocket.maxClients"),
            new BadConf("conf websocket.maxClientMessageBytes=1", c -> c.getJsonObject("websocket").put("maxClientMessageBytes", 1),
                null, "websocket.maxClientMessageBytes"),
            new BadConf("conf poller.fileCheckIntervalMs=-5", c -> c.getJsonObject("poller").put("fileCheckIntervalMs", -5),
                null, "poller.fileCheckIntervalMs"),
            new BadConf("conf nats.maxMessageBytes=0", c -> c.getJsonObject("nats").put("maxMessageBytes", 0),
                null, "nats.maxMessageBytes"),
            new BadConf("conf websocket.listen port 70000", c -> c.getJsonObject("websocket").put("listen", "127.0.0.1:70000"),
                null, "websocket.listen"),
            new BadConf("conf unknown key websocket.maxClient", c -> c.getJsonObject("websocket").put("maxClient", 5),
                null, "maxClient"),
            new BadConf("conf file that is not JSON", null, "{\"websocket\": {\"listen\": ", "-conf"));
        for (final BadConf bad : cases) {
            final FaultSummary.Row row = summary.add(bad.fault());
            try {
                startAndExpectExit(bad, row);
                row.survived = true;
            } catch (final Throwable e) {
                row.failure = e.toString();
                failures.add(new AssertionError(bad.fault() + ": " + e.getMessage(), e));
            }
            System.out.printf("fault %-44s %s%n", bad.fault(), row.survived ? "refused (" + row.metric + ")" : "NOT: " + row.failure);
        }
        if (!failures.isEmpty()) {
            final AssertionError error = new AssertionError(failures.size() + " malformed conf(s) not handled; first: "
                + failures.get(0).getMessage(), failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }

    private void startAndExpectExit(final BadConf bad, final FaultSummary.Row row) throws Exception {
        final int port = Ports.freePort();
        final String confArg;
        if (bad.rawFile() != null) {
            final Path file = dir.resolve("bad-" + port + ".json");
            Files.writeString(file, bad.rawFile());
            confArg = file.toString();
        } else {
            final JsonObject conf = FaultGroup.conf(dir.resolve("frames"), port, "nats://127.0.0.1:" + Ports.freePort());
            bad.edit().accept(conf);
            confArg = conf.encode();
        }
        final long start = System.nanoTime();
        try (ChildProcess server = FaultKit.startServer("conf-" + port, Map.of(), "-conf", confArg)) {
            // Polled while it runs: a server that binds its port and then fails elsewhere is half-started.
            boolean listened = false;
            while (server.process.isAlive() && System.nanoTime() - start < EXIT_LIMIT.toNanos()) {
                listened |= FaultKit.listening(port);
                server.process.waitFor(50, TimeUnit.MILLISECONDS);
            }
            assertTrue(!server.process.isAlive(), "exited within " + EXIT_LIMIT.toSeconds() + " s:\n" + server.tail());
            row.recoveryMs = (System.nanoTime() - start) / 1_000_000;
            final int exit = server.process.exitValue();
            row.metric = "exit " + exit + " after " + row.recoveryMs + " ms, names " + bad.named();
            final String output = server.output();
            assertNotEquals(0, exit, "non-zero exit:\n" + output);
            assertTrue(output.contains("invalid configuration") && output.contains(bad.named()),
                "says the configuration is invalid and names " + bad.named() + ":\n" + output);
            assertTrue(!output.contains("SDR transport ready"), "never reported ready:\n" + output);
            assertTrue(!listened, "never accepted a connection on port " + port + ":\n" + output);
        }
    }

}
