package io.sdr.e2e;

import io.sdr.testing.ChildProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static io.sdr.e2e.E2eKit.CHROMIUM;
import static io.sdr.e2e.E2eKit.artefacts;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.e2e.E2eKit.requireTool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The browser side of the viewer tests: runs tests/e2e/viewer-check.mjs (Debian's headless Chromium
 * driven by playwright-core) with one scenario and returns its report, and the checks every page
 * must pass. Reports are kept in tests/target/e2e/.
 */
final class ViewerCheck {
    static final Duration NODE_PATIENCE = Duration.ofSeconds(120);

    /** What Chromium logs for a request to an edge that is down or was killed mid-request. */
    private static final Pattern EDGE_DOWN_ERRORS = Pattern.compile("net::ERR_(CONNECTION_(REFUSED|RESET|CLOSED)|EMPTY_RESPONSE)");

    /** An event line the script prints mid-scenario (e.g. "edge-restart"); the handler may answer on its stdin. */
    interface Events {
        void on(JsonObject event, ChildProcess node) throws Exception;
    }

    private ViewerCheck() {
    }

    /** Checks that the script and the page ran cleanly: status 200, no uncaught error, no console error. */
    static void assertPageHealthy(final JsonObject report) {
        assertPageHealthy(report, false);
    }

    /**
     * @param edgeWasDown the scenario killed Caddy: the page's own requests made while it was down
     *                    (asking /stream/list why the socket dropped) fail with connection refused or reset,
     *                    which Chromium logs as a console error; those, and only those, are expected
     */
    static void assertPageHealthy(final JsonObject report, final boolean edgeWasDown) {
        assertNull(report.getString("error"), "browser script failed: " + report.getString("error"));
        assertEquals(200, report.getInteger("status"), "page status");
        assertEquals(new JsonArray(), report.getJsonArray("pageErrors"), "uncaught errors in the page");
        final JsonArray consoleErrors = new JsonArray();
        for (final Object error : report.getJsonArray("consoleErrors")) {
            if (!(edgeWasDown && EDGE_DOWN_ERRORS.matcher(String.valueOf(error)).find())) {
                consoleErrors.add(error);
            }
        }
        assertEquals(new JsonArray(), consoleErrors, "console errors in the page");
    }

    static JsonObject browse(final JsonObject scenario) throws Exception {
        return browse(scenario, (event, node) -> { });
    }

    /** Runs the script with {@code scenario}; {@code events} gets every other event line it prints. */
    static JsonObject browse(final JsonObject scenario, final Events events) throws Exception {
        final Path out = artefacts();
        final Path config = out.resolve(scenario.getString("name") + "-config.json");
        Files.writeString(config, new JsonObject()
            .put("chromium", CHROMIUM)
            .put("outDir", out.toString())
            .put("timeoutMs", NODE_PATIENCE.toMillis() - 10_000)
            .put("hostRules", "MAP viewer.test 127.0.0.1")
            .put("scenarios", new JsonArray().add(scenario)).encodePrettily());
        final List<String> lines = new ArrayList<>();
        try (ChildProcess node = ChildProcess.start("viewer-check-" + scenario.getString("name"),
            List.of(requireTool("node", "nodejs"), repoRoot().resolve("tests/e2e/viewer-check.mjs").toString(), config.toString()),
            Map.of())) {
            final long deadline = System.nanoTime() + NODE_PATIENCE.toNanos();
            JsonObject report = null;
            while (System.nanoTime() < deadline) {
                final String line = node.nextLine(Duration.ofSeconds(1));
                if (line == null) {
                    if (!node.process.isAlive() && node.nextLine(Duration.ofSeconds(1)) == null) {
                        break;
                    }
                    continue;
                }
                lines.add(line);
                if (!line.startsWith("{")) {
                    continue;
                }
                final JsonObject event = new JsonObject(line);
                switch (event.getString("event", "")) {
                    case "scenario":
                        report = event;
                        break;
                    case "done":
                        Files.writeString(out.resolve(scenario.getString("name") + "-report.json"), report == null ? "null" : report.encodePrettily());
                        return report;
                    default:
                        events.on(event, node);
                        break;
                }
            }
            return fail("viewer-check did not finish (report " + (report == null ? "missing" : "present") + "):\n"
                + String.join("\n", lines) + "\n" + node.tail());
        }
    }
}
