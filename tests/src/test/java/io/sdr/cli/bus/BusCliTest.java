package io.sdr.cli.bus;

import io.sdr.testing.ChildProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static io.sdr.cli.bus.CliTestKit.*;
import static org.junit.jupiter.api.Assertions.*;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.testing.Await.eventually;

/**
 * The {@code bus} commands of the fat jar, each run as its own process against the jar running the
 * shipped conf.json (in-process test-pattern encoder, bridge on loopback) with {@code -instances 2}:
 * the addresses in use are listed, a frame summary line arrives, stats show frames, a keyframe
 * request from the CLI produces a keyframe within about the coalescing interval, and failures are
 * one line on stderr with a non-zero exit, never a stack trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class BusCliTest {
    private static final Pattern FRAME_LINE = Pattern.compile(
        "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} stream=main frame_seq=\\d+ size=\\d+ keyframe=(true|false) codec=h264 age_ms=[0-9.]+");
    /** Frames at 30 fps within which a requested keyframe must come: 1 s, twice the 500 ms coalescing interval. */
    private static final int KEYFRAME_WITHIN_FRAMES = 30;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path dir;

    private ChildProcess server;
    private Path jar;
    private int httpPort;
    private int bridgePort;

    @BeforeAll
    void startServer() throws Exception {
        jar = jarCopy(dir);
        httpPort = freePort();
        bridgePort = freePort();
        final JsonObject conf = new JsonObject(Files.readString(repoRoot().resolve("conf/conf.json")));
        // Small pictures for a light test; no GOP keyframe for minutes: any later keyframe was requested.
        conf.getJsonObject("encoder").put("width", 320).put("height", 180).put("fps", 30).put("gop", 100_000)
            .put("tiers", new io.vertx.core.json.JsonArray()); // the shipped tiers are larger than this picture
        server = CliTestKit.start("bus-server", List.of(java(), "-Xmx256m", "-jar", jar.toString(), "-conf", conf.encode(),
            "-instances", "2"), Map.of(
                "SDR_SHM_PATH", dir.resolve("frames").toString(),
                "SDR_LISTEN_ADDR", "127.0.0.1:" + httpPort,
                "SDR_BRIDGE_ADDR", "127.0.0.1:" + bridgePort));
        server.awaitStderr("event-bus bridge listening: tcp://127.0.0.1:" + bridgePort);
        server.awaitStderr("SDR transport ready");
        eventually("frames flow: " + server.tail(), () -> shmSeq() > 5);
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private long shmSeq() {
        try {
            final HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new JsonObject(health.body()).getLong("shm_seq", 0L);
        } catch (final IOException e) {
            return 0;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** {@code java -jar sdr-transport.jar bus ARGS} with SDR_BRIDGE_ADDR pointing at the test server. */
    private ChildProcess bus(final String... args) throws IOException {
        return bus(Map.of("SDR_BRIDGE_ADDR", "127.0.0.1:" + bridgePort), args);
    }

    private ChildProcess bus(final Map<String, String> env, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(java(), "-jar", jar.toString(), "bus"));
        command.addAll(List.of(args));
        return CliTestKit.start("bus-" + args[0], command, env);
    }

    /** Runs a command to its end; asserts its exit status. */
    private ChildProcess run(final int expectedExit, final String... args) throws Exception {
        try (ChildProcess child = bus(args)) {
            assertEquals(expectedExit, child.awaitExit(), child.tail());
            return child;
        }
    }

    private static void assertOneLineFailure(final ChildProcess child, final String... fragments) {
        final List<String> err = child.stderr().lines().toList();
        assertEquals(1, err.size(), "one line on stderr: " + child.tail());
        for (final String fragment : fragments) {
            assertTrue(err.get(0).contains(fragment), "\"" + fragment + "\" in: " + child.tail());
        }
        assertFalse(child.stderr().contains("Exception") || child.stderr().contains("\tat "), "no stack trace: " + child.tail());
        assertEquals("", stdout(child), child.tail());
    }

    @Test
    void shouldListTheAddressesInUseWithHandlersAndRates() throws Exception {
        final ChildProcess list = run(0, "list", "--port", String.valueOf(bridgePort));
        final String out = stdout(list);
        assertTrue(out.startsWith("ADDRESS "), out);
        assertTrue(out.matches("(?s).*\\nframes\\.main +[1-9]\\d* +[0-9.]+ +[1-9]\\d* +local-only .*"), "frames.main with handlers and messages:\n" + out);
        assertTrue(out.matches("(?s).*\\nkeyframe\\.wanted\\.main +1 .* in\\+out .*"), out);
        assertTrue(out.matches("(?s).*\\nkeyframe\\.request\\.main +[1-9].* out .*"), out);
        assertTrue(out.matches("(?s).*\\ninspect\\.frames\\.main +\\d+ .* out .*"), out);
        assertTrue(out.matches("(?s).*\\ninspect\\.telemetry +\\d+ .*"), out);
        assertTrue(out.contains("\ntelemetry "), out);

        final JsonObject json = new JsonObject(stdout(run(0, "list", "--json")));
        final JsonArray rows = json.getJsonArray("addresses");
        final JsonObject frames = rows.stream().map(JsonObject.class::cast)
            .filter(r -> r.getString("address").equals("frames.main")).findFirst().orElseThrow();
        // Two client groups per instance, two instances: four consumers; the recorder's clip history
        // (on by default, deployed once) is the fifth; the bridge deployed once, and it consumes none.
        assertEquals(5, frames.getLong("handlers"), frames.encode());
        assertTrue(frames.getDouble("rate") > 0, frames.encode());
    }

    @Test
    void shouldTailOneSummaryLinePerFrame() throws Exception {
        final ChildProcess tail = run(0, "tail", "frames.main", "--count", "3");
        final List<String> lines = tail.lines();
        assertEquals(3, lines.size(), tail.tail());
        for (final String line : lines) {
            assertTrue(FRAME_LINE.matcher(line).matches(), "summary line: " + line);
        }
        assertTrue(tail.stderr().contains("tailing inspect.frames.main (summaries of frames.main)"), tail.tail());

        final ChildProcess json = run(0, "tail", "frames.main", "--count", "2", "--json");
        for (final String line : json.lines()) {
            final JsonObject summary = new JsonObject(line);
            assertEquals("main", summary.getString("stream"));
            assertTrue(summary.getLong("frame_seq") > 0 && summary.getInteger("size") > 0, line);
            assertEquals("h264", summary.getString("codec"));
            assertFalse(summary.containsKey("payload_base64"), "no video payload unless asked: " + line);
        }
        assertEquals(2, json.lines().size(), json.tail());
    }

    @Test
    void shouldShowStreamAndClientGroupFigures() throws Exception {
        final JsonObject stats = new JsonObject(stdout(run(0, "stats", "--json")));
        final JsonObject main = stats.getJsonObject("streams").getJsonObject("main");
        assertTrue(main.getLong("frames") > 0, stats.encodePrettily());
        assertTrue(main.getJsonObject("encoder").getLong("frames") > 0, stats.encodePrettily());
        assertNotNull(main.getJsonObject("latency").getJsonObject("ring_commit_to_publish").getValue("p50_ms"), stats.encodePrettily());
        assertEquals(4, stats.getJsonArray("groups").size(), "2 instances x 2 groups: " + stats.encodePrettily());
        final String text = stdout(run(0, "stats"));
        assertTrue(text.matches("(?s).*stream main: frames [1-9]\\d* .*"), text);
        assertTrue(text.contains("ring_commit_to_publish"), text);
        assertTrue(text.contains("client groups:"), text);
    }

    @Test
    void shouldProduceAKeyframeSoonAfterTheCliRequestsOne() throws Exception {
        // Ctrl-C must reach the tail: a shell that started the build in the background leaves SIGINT
        // ignored in its children (and the JVM keeps it so), so python3 (when present) resets it first.
        final List<String> command = new ArrayList<>();
        if (ChildProcess.works("python3", "--version")) {
            command.addAll(List.of("python3", "-c",
                "import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"));
        }
        command.addAll(List.of(java(), "-jar", jar.toString(), "bus", "tail", "frames.main", "--json"));
        try (ChildProcess tail = CliTestKit.start("bus-tail-keyframe", command, Map.of("SDR_BRIDGE_ADDR", "127.0.0.1:" + bridgePort))) {
            eventually("tail prints summaries: " + tail.tail(), () -> tail.lines().size() >= 5);
            final long seqBefore = shmSeq();
            final ChildProcess publish = run(0, "publish", "keyframe.wanted.main", "{\"reason\":\"cli\"}");
            assertEquals("published to keyframe.wanted.main (1 handler)", stdout(publish));
            final long seqAfter = shmSeq();
            eventually("a keyframe after the request: " + tail.tail(), () -> tail.lines().stream().map(JsonObject::new)
                .anyMatch(s -> s.getBoolean("keyframe") && s.getLong("frame_seq") > seqBefore));
            final long keyframeSeq = tail.lines().stream().map(JsonObject::new)
                .filter(s -> s.getBoolean("keyframe") && s.getLong("frame_seq") > seqBefore)
                .mapToLong(s -> s.getLong("frame_seq")).min().orElseThrow();
            assertTrue(keyframeSeq <= seqAfter + KEYFRAME_WITHIN_FRAMES,
                "keyframe at frame_seq " + keyframeSeq + ", request done by frame_seq " + seqAfter);

            final JsonObject encoder = new JsonObject(stdout(run(0, "stats", "--json")))
                .getJsonObject("streams").getJsonObject("main").getJsonObject("encoder");
            assertTrue(encoder.getLong("forced_keyframes") >= 1, encoder.encode());

            tail.interrupt();
            assertEquals(130, tail.awaitExit(), "Ctrl-C: " + tail.tail());
            assertTrue(tail.stderr().contains("bus: stopped after "), tail.tail());
            assertFalse(tail.stderr().contains("Exception"), tail.tail());
        }
    }

    @Test
    void shouldFailInOneLineForRefusedConnectionsUnknownAddressesAndCommands() throws Exception {
        final int closed = freePort();
        final Map<String, String> noEnv = new HashMap<>();
        try (ChildProcess refused = bus(noEnv, "list", "--port", String.valueOf(closed))) {
            assertEquals(1, refused.awaitExit(), refused.tail());
            assertOneLineFailure(refused, "cannot connect to the event-bus bridge at 127.0.0.1:" + closed, "connection refused");
        }
        assertOneLineFailure(run(1, "tail", "no.such.address"), "unknown address: no.such.address");
        assertOneLineFailure(run(1, "publish", "no.such.address", "{}"), "unknown address", "no.such.address");
        assertOneLineFailure(run(1, "send", "keyframe.wanted.rear", "{}"), "unknown address: no handler for keyframe.wanted.rear");
        assertOneLineFailure(run(1, "tail", "frames.rear"), "unknown address: inspect.frames.rear");
        assertOneLineFailure(run(1, "publish", "keyframe.request.main", "{}"), "not permitted by the server's bridge rules");
        final ChildProcess unknown = run(2, "frobnicate");
        assertTrue(unknown.stderr().startsWith("bus: Unmatched argument at index 0: 'frobnicate'"), unknown.tail());
        assertFalse(unknown.stderr().contains("Exception"), unknown.tail());
    }

    @Test
    void shouldPrintHelpForEveryCommand() throws Exception {
        for (final String command : List.of("list", "tail", "send", "publish", "stats")) {
            final ChildProcess help = run(0, command, "--help");
            assertTrue(stdout(help).startsWith("Usage: bus " + command), help.tail());
        }
        assertTrue(stdout(run(0, "--help")).startsWith("Usage: bus [-h] [COMMAND]"));
    }
}
