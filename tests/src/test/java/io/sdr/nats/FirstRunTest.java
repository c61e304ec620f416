package io.sdr.nats;

import io.sdr.testing.ChildProcess;
import io.sdr.testing.FatJar;
import io.sdr.testing.Http;
import io.sdr.testing.WireMessages;
import io.sdr.testing.WireViewer;
import io.sdr.testing.WireMessages.TelemetryMessage;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

import static io.sdr.testing.Await.eventually;
import static io.sdr.nats.NatsTestKit.health;
import static io.sdr.nats.NatsTestKit.metric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.sdr.testing.Ports;
import io.sdr.testing.RepoPaths;

/**
 * What a newcomer sees on the first run: the fat jar on the shipped conf/conf.json, as
 * scripts/run.sh starts it. Without NATS it is quiet (at most one NATS line) and healthy, and the
 * test pattern's demo telemetry reaches WebSocket clients and {@code bus tail telemetry}. With a
 * NATS URL whose server is away (a real nats-server started later, killed, restarted on its port),
 * each change costs one log line and /health stays ok because telemetry is not declared required.
 */
@ExtendWith(VertxExtension.class)
@Timeout(150)
class FirstRunTest {
    /** A log record's message line (java.util.logging's two-line format) that talks about NATS. */
    private static final Pattern NATS_LINE = Pattern.compile("^(SEVERE|WARNING|INFO|CONFIG|FINE\\w*): .*nats.*$",
        Pattern.MULTILINE | Pattern.CASE_INSENSITIVE);

    @TempDir
    Path dir;

    private ChildProcess shippedConf(final String name, final int port, final int bridgePort, final Map<String, String> extra)
        throws Exception {
        final Map<String, String> env = new java.util.HashMap<>(Map.of(
            "SDR_SHM_PATH", dir.resolve("frames").toString(),
            "SDR_LISTEN_ADDR", "127.0.0.1:" + port,
            "SDR_BRIDGE_ADDR", "127.0.0.1:" + bridgePort));
        env.putAll(extra);
        final ChildProcess server = FatJar.start(name, env, "-conf", "conf/conf.json");
        Http.awaitServing(server, port);
        return server;
    }

    private static List<String> natsLines(final ChildProcess server) {
        final List<String> lines = new ArrayList<>();
        final var m = NATS_LINE.matcher(server.output());
        while (m.find()) {
            lines.add(m.group());
        }
        return lines;
    }

    private static void sleepMs(final long ms) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    @Test
    void shouldRunQuietAndHealthyWithoutNatsAndShowDemoTelemetryToClientsAndBusTail(final Vertx vertx) throws Exception {
        final int port = Ports.freePort();
        final int bridgePort = Ports.freePort();
        try (ChildProcess server = shippedConf("first-run", port, bridgePort, Map.of())) {
            eventually("the test pattern streams", () -> health(port).getLong("shm_seq", 0L) > 10);
            final WireViewer viewer = WireViewer.connect(WireViewer.wsClient(vertx, 0), port, "viewer");
            final WireMessages.TelemetryMessage first = viewer.await("telemetry.demo.box", t -> t.subject().equals("telemetry.demo.box"));

            // The rate, over 4 s of messages: 20 Hz configured, 10-30 Hz promised.
            sleepMs(4000);
            final List<WireMessages.TelemetryMessage> boxes = viewer.telemetry().stream()
                .filter(t -> t.subject().equals("telemetry.demo.box") && t.receivedNs() >= first.receivedNs()).toList();
            final WireMessages.TelemetryMessage last = boxes.get(boxes.size() - 1);
            final double hz = (boxes.size() - 1) / ((last.receivedNs() - first.receivedNs()) / 1e9);
            System.out.printf(Locale.ROOT, "%ndemo telemetry: %d box messages, %.1f Hz%n", boxes.size(), hz);
            assertTrue(hz >= 10 && hz <= 30, "telemetry.demo.box at " + hz + " Hz");
            long previousFrame = 0;
            final java.util.Set<Integer> positions = new java.util.HashSet<>();
            for (final WireMessages.TelemetryMessage m : boxes) {
                final JsonObject box = new JsonObject(m.text());
                assertTrue(box.getLong("frame") > previousFrame, "frame numbers rise: " + m.text());
                previousFrame = box.getLong("frame");
                positions.add(box.getInteger("x"));
                assertEquals(240, Math.abs(box.getInteger("vx")), "8 px a frame at 30 fps: " + m.text());
            }
            assertTrue(positions.size() > boxes.size() / 2, "the box moves: " + positions.size() + " positions in " + boxes.size());
            final WireMessages.TelemetryMessage wave = viewer.await("telemetry.demo.wave", t -> t.subject().equals("telemetry.demo.wave"));
            assertNotNull(new JsonObject(wave.text()).getDouble("sin"), wave.text());
            final WireMessages.TelemetryMessage clock = viewer.await("telemetry.demo.clock", t -> t.subject().equals("telemetry.demo.clock"));
            final long utcMs = new JsonObject(clock.text()).getLong("utc_ms");
            assertTrue(Math.abs(System.currentTimeMillis() - utcMs) < 60_000, "the clock is wall-clock time: " + clock.text());
            assertEquals(List.of(), viewer.problems());
            assertTrue(metric(port, "sdr_encoder_demo_telemetry_total") >= boxes.size(), "counted in /metrics");

            // bus tail telemetry sees the same messages, through the event-bus bridge.
            final String tail = runBusTail(bridgePort);
            assertTrue(tail.contains("subject=telemetry.demo."), "bus tail telemetry shows demo telemetry:\n" + tail);

            // Healthy, and quiet about NATS: one INFO line saying it is not configured.
            final JsonObject h = health(port);
            assertEquals("ok", h.getString("status"), h.encodePrettily());
            assertNull(h.getJsonObject("nats"), "no bridge, no nats object: " + h.encode());
            eventually("15 s of uptime", () -> health(port).getLong("uptime_s") >= 15);
            final List<String> lines = natsLines(server);
            assertEquals(1, lines.size(), "NATS lines in the first 15 s: " + lines + "\n" + server.tail());
            assertTrue(lines.get(0).startsWith("INFO: NATS not configured"), lines.get(0));
        }
    }

    private static String runBusTail(final int bridgePort) throws Exception {
        final Path jar = RepoPaths.repoRoot().resolve("verticles/target/sdr-transport.jar");
        final Process tail = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
            jar.toString(), "bus", "tail", "telemetry", "--count", "5", "--port", String.valueOf(bridgePort), "--timeout", "20000")
            .redirectErrorStream(true).start();
        try {
            assertTrue(tail.waitFor(60, TimeUnit.SECONDS), "bus tail finished");
            try (BufferedReader in = new BufferedReader(new InputStreamReader(tail.getInputStream(), StandardCharsets.UTF_8))) {
                final String out = String.join("\n", in.lines().toList());
                assertEquals(0, tail.exitValue(), out);
                return out;
            }
        } finally {
            tail.destroyForcibly();
        }
    }

    @Test
    void shouldLogAnAbsentNatsOnceItsArrivalOnceItsLossOnceAndStayOkWhenNotRequired() throws Exception {
        final int port = Ports.freePort();
        final int natsPort = Ports.freePort();
        try (ChildProcess server = shippedConf("nats-away", port, Ports.freePort(),
                 Map.of("SDR_NATS_URL", "nats://127.0.0.1:" + natsPort));
             NatsServerProcess nats = NatsServerProcess.create(natsPort)) {
            eventually("the test pattern streams", () -> health(port).getLong("shm_seq", 0L) > 10);
            // 12 s without NATS: ~7 attempts (0.5 s doubling to 4 s), each reported by jnats 2-3 times.
            eventually("12 s of uptime", () -> health(port).getLong("uptime_s") >= 12);
            final JsonObject away = Http.get(port, "/health").json();
            assertEquals("ok", away.getString("status"), "NATS is not required: " + away.encodePrettily());
            final JsonObject natsHealth = away.getJsonObject("nats");
            assertEquals("disconnected", natsHealth.getString("status"), away.encode());
            assertFalse(natsHealth.getBoolean("required"), away.encode());
            assertTrue(natsHealth.getString("error").contains("Connection refused"), "the reason: " + away.encode());
            assertTrue(away.getJsonArray("checks").contains(new JsonObject().put("id", "nats").put("status", "DOWN").put("required", false)),
                "NATS is a check of its own: " + away.getJsonArray("checks").encode());
            List<String> lines = natsLines(server);
            assertEquals(1, lines.size(), "one line while NATS stays away: " + lines);
            assertTrue(lines.get(0).startsWith("WARNING: NATS not reachable (") && lines.get(0).contains("Connection refused")
                && lines.get(0).contains("retrying every 0.5 s, doubling to 4.0 s") && lines.get(0).contains("url=nats://127.0.0.1:" + natsPort),
                "reason and retry policy: " + lines.get(0));

            nats.start();
            final long startedNs = System.nanoTime();
            eventually("connected once NATS is there", () -> "connected".equals(health(port).getJsonObject("nats").getString("status")));
            final long connectMs = (System.nanoTime() - startedNs) / 1_000_000;
            System.out.printf("%nconnected %d ms after nats-server started (backoff capped at 4 s)%n", connectMs);
            assertTrue(connectMs < 8_000, "the backoff is capped: connected after " + connectMs + " ms");
            assertTrue(Http.get(port, "/health").json().getJsonArray("checks")
                .contains(new JsonObject().put("id", "nats").put("status", "UP").put("required", false)));
            sleepMs(500);
            lines = natsLines(server);
            assertEquals(2, lines.size(), "one line when it came: " + lines);
            assertTrue(lines.get(1).startsWith("INFO: NATS connected: nats://127.0.0.1:" + natsPort + " (after "), lines.get(1));

            nats.kill();
            eventually("disconnected after the kill", () -> "disconnected".equals(health(port).getJsonObject("nats").getString("status")));
            sleepMs(6000); // several reconnect attempts
            assertEquals("ok", health(port).getString("status"));
            lines = natsLines(server);
            assertEquals(3, lines.size(), "one line for the loss: " + lines);
            assertTrue(lines.get(2).startsWith("WARNING: NATS connection lost ("), lines.get(2));

            nats.start();
            eventually("reconnected", () -> "connected".equals(health(port).getJsonObject("nats").getString("status")));
            sleepMs(500);
            lines = natsLines(server);
            assertEquals(4, lines.size(), "one line when it is back: " + lines);
            assertTrue(lines.get(3).startsWith("INFO: NATS connected: "), lines.get(3));
            assertTrue(server.process.isAlive());
        }
    }

    @Test
    void shouldReportDegradedWhileNatsIsAwayOnlyWhenTelemetryIsRequired() throws Exception {
        final int port = Ports.freePort();
        final int natsPort = Ports.freePort();
        try (ChildProcess server = shippedConf("nats-required", port, Ports.freePort(),
                 Map.of("SDR_NATS_URL", "nats://127.0.0.1:" + natsPort, "SDR_NATS_REQUIRED", "true"));
             NatsServerProcess nats = NatsServerProcess.create(natsPort)) {
            eventually("the test pattern streams", () -> health(port).getLong("shm_seq", 0L) > 10);
            final Http.Result degraded = Http.get(port, "/health");
            assertEquals(200, degraded.status(), "degraded, not down: video flows");
            assertEquals("degraded", degraded.json().getString("status"), degraded.body());
            assertEquals(new JsonObject().put("id", "nats").put("status", "DOWN").put("required", true),
                findCheck(degraded.json().getJsonArray("checks"), "nats"));
            nats.start();
            eventually("ok once NATS is there", () -> "ok".equals(health(port).getString("status")));
            assertTrue(server.process.isAlive());
        }
    }

    private static JsonObject findCheck(final JsonArray checks, final String id) {
        for (final Object c : checks) {
            if (id.equals(((JsonObject) c).getString("id"))) {
                return (JsonObject) c;
            }
        }
        return null;
    }
}
