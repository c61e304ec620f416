package io.sdr.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.sdr.e2e.E2eKit.CHROMIUM;
import static io.sdr.e2e.E2eKit.Child;
import static io.sdr.e2e.E2eKit.PeriodicPublisher;
import static io.sdr.e2e.E2eKit.artefacts;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.e2e.E2eKit.getJson;
import static io.sdr.e2e.E2eKit.getText;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.e2e.E2eKit.requireTool;
import static io.sdr.e2e.E2eKit.startCaddy;
import static io.sdr.e2e.E2eKit.startNats;
import static io.sdr.e2e.E2eKit.startServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The viewer page in a real browser: the fat jar on its default conf (in-process H.264 test
 * pattern), a real nats-server carrying telemetry, the project's Caddyfile run by Caddy, and
 * Debian's headless Chromium driven by playwright-core (tests/e2e/viewer-check.mjs) opening the
 * page through Caddy. All on loopback; every process is stopped by its PID. Screenshots are kept
 * in tests/target/e2e/.
 */
@Timeout(180)
class ViewerBrowserTest {
    private static final Duration NODE_PATIENCE = Duration.ofSeconds(120);
    /** A value only this run publishes: the panel must show this very message. */
    private static final String STATUS = "hello-viewer-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    private static Child nats;
    private static Child server;
    private static Child caddy;
    private static int caddyPort;
    private static int serverPort;
    private static PeriodicPublisher publisher;

    @BeforeAll
    static void startStack() throws Exception {
        requireTool(CHROMIUM, "chromium");
        requireTool("node", "nodejs");
        requireTool("caddy", "caddy");
        if (!Files.isDirectory(repoRoot().resolve("tests/e2e/node_modules/playwright-core"))) {
            fail("playwright-core is not installed: run (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci) -- scripts/test-all.sh does");
        }
        final int natsPort = freePort();
        nats = startNats(natsPort);
        serverPort = freePort();
        server = startServer("transport-viewer", serverPort, Map.of(
            "SDR_SHM_PATH", dir.resolve("frames").toString(),
            "SDR_LISTEN_ADDR", "127.0.0.1:" + serverPort,
            "SDR_NATS_URL", "nats://127.0.0.1:" + natsPort,
            "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort()), "-conf", "conf/conf.json");
        eventually("the server relays NATS and streams video: " + getJson("http://127.0.0.1:" + serverPort + "/health"), () -> {
            final JsonObject health = getJson("http://127.0.0.1:" + serverPort + "/health");
            return health != null && health.getJsonObject("nats") != null
                && "connected".equals(health.getJsonObject("nats").getString("status")) && health.getLong("shm_seq", 0L) > 0;
        });
        caddyPort = freePort();
        caddy = startCaddy(dir.resolve("caddy"), caddyPort, serverPort);
        // A text value, a binary value and a counter, five times a second, until the class is done.
        publisher = new PeriodicPublisher(natsPort, 200, (nats, n) -> {
            nats.publish("telemetry.e2e.status", STATUS.getBytes(StandardCharsets.UTF_8));
            nats.publish("telemetry.e2e.blob", new byte[] {0, 1, 2, 3, 4});
            nats.publish("telemetry.e2e.count", Long.toString(n).getBytes(StandardCharsets.UTF_8));
        });
    }

    @AfterAll
    static void stopStack() throws InterruptedException {
        if (publisher != null) {
            publisher.close();
        }
        for (final Child child : new Child[] {caddy, server, nats}) {
            if (child != null) {
                child.close();
            }
        }
    }

    @Test
    void shouldDecodeTheTestPatternAndShowTelemetryThroughCaddyAndReconnectAfterTheEdgeRestarts() throws Exception {
        final JsonObject report = browse(new JsonObject().put("name", "viewer")
            .put("url", "http://127.0.0.1:" + caddyPort + "/viewer/")
            .put("minFrames", 10)
            .put("telemetry", new JsonObject().put("telemetry.e2e.status", STATUS).put("telemetry.e2e.blob", "5 bytes (binary)"))
            .put("screenshot", "viewer.png")
            .put("edgeRestart", true));
        assertPageHealthy(report, true);
        assertTrue(report.getBoolean("isSecureContext"), "127.0.0.1 is a secure context");

        final JsonObject first = report.getJsonObject("first");
        final JsonObject second = report.getJsonObject("second");
        assertTrue(first.getInteger("decoded") >= 10, "decoded frames: " + first.encode());
        assertTrue(second.getInteger("decoded") > first.getInteger("decoded"), "the decoded-frame count rises: "
            + first.getInteger("decoded") + " then " + second.getInteger("decoded"));
        assertEquals("H.264", second.getString("codec"));
        assertTrue(second.getString("codecString").startsWith("avc1."), "codec string from the in-band SPS: " + second.getString("codecString"));
        assertEquals(1280, second.getInteger("width"));
        assertEquals(720, second.getInteger("height"));
        assertEquals(0, second.getInteger("decodeErrors"), "decoder errors");
        assertEquals(0, second.getInteger("malformed"), "malformed messages");

        final JsonObject pixels = report.getJsonObject("pixels");
        assertTrue(pixels.getDouble("litFraction") > 0.5, "the canvas is not blank: " + pixels.encode());
        assertTrue(pixels.getInteger("distinctColours") >= 8, "the canvas shows the colour bars: " + pixels.encode());

        final JsonObject telemetry = report.getJsonObject("telemetry");
        assertEquals(STATUS, telemetry.getString("telemetry.e2e.status"), "the panel shows the value published on NATS: " + telemetry.encode());
        assertEquals("5 bytes (binary)", telemetry.getString("telemetry.e2e.blob"), "a binary value shows as its size");

        final JsonObject latency = report.getJsonObject("withLatency");
        for (final String key : List.of("latencyToArrivalMs", "latencyToPictureMs")) {
            assertNotNull(latency.getDouble(key), key + " shown (server stats joined with arrivals): " + latency.encode());
            // Not a timing assertion: only that the figure is a sane one (commit clock joined correctly).
            assertTrue(latency.getDouble(key) > -100 && latency.getDouble(key) < 10_000, key + " = " + latency.getDouble(key));
        }
        assertEquals("commit", latency.getString("latencyClock"), "v2 ring: latency from the writer's commit time");
        final String overlay = report.getString("overlay");
        for (final String figure : List.of("fps ", "Mbit/s", "decode queue ", "dropped ", "latency ", "frames decoded ")) {
            assertTrue(overlay.contains(figure), "overlay shows \"" + figure + "\":\n" + overlay);
        }

        final Path screenshot = Path.of(report.getString("screenshot"));
        assertTrue(Files.size(screenshot) > 20_000, "screenshot kept: " + screenshot);

        final JsonObject before = report.getJsonObject("beforeRestart");
        final JsonObject after = report.getJsonObject("afterRestart");
        assertTrue(after.getInteger("connections") >= 2, "the page reconnected after Caddy was killed and restarted: " + after.encode());
        assertTrue(after.getInteger("decoded") >= before.getInteger("decoded") + 10, "and decodes again: "
            + before.getInteger("decoded") + " then " + after.getInteger("decoded"));
        assertEquals(0, after.getInteger("decodeErrors"), "resumed at a keyframe, no decoder error");
    }

    @Test
    void shouldStreamWithTheTokenFromTheLinkAndExplainARefusedOne() throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final String jar = E2eKit.fatJar().toString();
        final E2eKit.Result secret = E2eKit.run(List.of(java, "-jar", jar, "token", "--new-secret"), Map.of(), Duration.ofSeconds(60));
        assertEquals(0, secret.exitCode(), secret.output());
        final Path secretFile = Files.writeString(dir.resolve("jwt-secret"), secret.output().trim());
        final E2eKit.Result minted = E2eKit.run(List.of(java, "-jar", jar, "token", "--secret-file", secretFile.toString(),
            "--stream", "main", "--ttl", "10m"), Map.of(), Duration.ofSeconds(60));
        assertEquals(0, minted.exitCode(), minted.output());
        final String token = minted.output().lines().filter(l -> l.startsWith("ey")).findFirst().orElseThrow();
        final int port = freePort();
        try (Child secured = startServer("transport-auth", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port,
            "SDR_SHM_PATH", dir.resolve("auth-frames").toString(), "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort(),
            "SDR_AUTH_ENABLED", "true", "SDR_AUTH_SECRET_FILE", secretFile.toString()), "-conf", "conf/conf.json")) {
            eventually("the secured server streams", () -> {
                final JsonObject health = getJson("http://127.0.0.1:" + port + "/health");
                return health != null && health.getLong("shm_seq", 0L) > 0;
            });
            final JsonObject withToken = browse(new JsonObject().put("name", "auth-token")
                .put("url", "http://127.0.0.1:" + port + "/#token=" + token).put("minFrames", 5));
            assertPageHealthy(withToken);
            assertTrue(withToken.getJsonObject("second").getInteger("decoded") >= 5, "decoded with the link's token: "
                + withToken.getJsonObject("second").encode());
            assertEquals("token", withToken.getJsonObject("second").getString("access"));

            final JsonObject without = browse(new JsonObject().put("name", "auth-denied")
                .put("url", "http://127.0.0.1:" + port + "/").put("notice", "auth"));
            assertNull(without.getString("error"), "browser script failed: " + without.getString("error"));
            assertEquals(new JsonArray(), without.getJsonArray("pageErrors"));
            for (final Object error : without.getJsonArray("consoleErrors")) {
                assertTrue(String.valueOf(error).contains("401"), "only the refused request is logged: " + error);
            }
            final JsonObject notice = without.getJsonObject("notice");
            assertTrue(notice.getString("text").contains("needs a valid access token") && notice.getString("text").contains("missing token"),
                notice.getString("text"));
            assertEquals("denied", without.getJsonObject("snapshot").getString("access"));
            assertEquals(0, without.getJsonObject("snapshot").getInteger("received"), "no video without a token");
        }
    }

    @Test
    void shouldSayWhyVideoCannotBeDecodedOutsideASecureContext() throws Exception {
        // viewer.test resolves to 127.0.0.1 in this browser only (--host-resolver-rules): same
        // server, but a host name that is neither HTTPS nor localhost.
        final JsonObject report = browse(new JsonObject().put("name", "insecure")
            .put("url", "http://viewer.test:" + caddyPort + "/viewer/")
            .put("notice", "insecure-context")
            .put("screenshot", "insecure-context.png"));
        assertPageHealthy(report);
        assertFalse(report.getBoolean("isSecureContext"));
        final JsonObject notice = report.getJsonObject("notice");
        assertTrue(notice.getJsonArray("kinds").contains("insecure-context"), "notice: " + notice.encode());
        assertTrue(notice.getString("text").contains("not in a secure context"), notice.getString("text"));
        final JsonObject snapshot = report.getJsonObject("snapshot");
        assertEquals(0, snapshot.getInteger("decoded"), "nothing decoded");
        assertTrue(snapshot.getInteger("received") > 0, "video still arrives");
        assertTrue(snapshot.getJsonObject("telemetry").encode().contains(STATUS),
            "telemetry still shown without video: " + snapshot.getJsonObject("telemetry").encode());
    }

    @Test
    void shouldSayPlainlyThatAnHevcStreamCannotBeDecodedAndOfferEveryStream() throws Exception {
        final int port = freePort();
        final JsonObject conf = new JsonObject(Files.readString(repoRoot().resolve("conf/conf.json")));
        conf.put("streams", new JsonObject()
            .put("main", new JsonObject().put("path", dir.resolve("hevc-main").toString()))
            .put("alt", new JsonObject().put("path", dir.resolve("hevc-alt").toString())));
        conf.getJsonObject("encoder").put("codec", "hevc").put("candidates", new JsonArray().add("libx265"))
            .put("width", 640).put("height", 360).put("fps", 15).put("gop", 30);
        conf.put("nats", conf.getJsonObject("nats").copy().put("enabled", false));
        try (Child hevc = startServer("transport-hevc", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port,
            "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort()), "-conf", conf.encode())) {
            // Straight to the server, whose "/" is the viewer.
            final JsonObject report = browse(new JsonObject().put("name", "hevc")
                .put("url", "http://127.0.0.1:" + port + "/?stream=main")
                .put("notice", "hevc")
                .put("screenshot", "hevc.png"));
            assertPageHealthy(report);
            final JsonObject notice = report.getJsonObject("notice");
            assertTrue(notice.getString("text").contains("This browser cannot decode HEVC"), "notice: " + notice.encode());
            final JsonObject snapshot = report.getJsonObject("snapshot");
            assertEquals("HEVC (H.265)", snapshot.getString("codec"));
            assertEquals(0, snapshot.getInteger("decoded"));
            assertEquals(0, snapshot.getInteger("decodeErrors"), "not fed to the decoder at all");
            final JsonObject selector = report.getJsonObject("selector");
            assertTrue(selector.getBoolean("visible"), "two streams: the selector shows");
            assertEquals(new JsonArray().add("main").add("alt"), selector.getJsonArray("options"));
        }
    }

    /**
     * The first-run view: two streams on one server (main: its own 1280x720 test pattern; alt: the
     * ring of a second server's 640x360 encoder), no NATS at all. The demo telemetry must show as
     * moving plots, the figures must sit off the picture until toggled onto it, the keyframe button
     * must get a keyframe, full screen must work, the picker must switch to the other stream, and
     * the page must fit a phone. The desktop screenshot is the one in docs/viewer.png.
     */
    @Test
    void shouldPlotDemoTelemetrySwitchStreamsAskForKeyframesAndFitAPhone() throws Exception {
        final JsonObject shipped = new JsonObject(Files.readString(repoRoot().resolve("conf/conf.json")));
        final Path altRing = dir.resolve("plots-alt");
        final int altPort = freePort();
        final JsonObject altConf = shipped.copy()
            .put("streams", new JsonObject().put("main", new JsonObject().put("path", altRing.toString())))
            .put("bridge", new JsonObject().put("enabled", false));
        altConf.getJsonObject("encoder").put("width", 640).put("height", 360).put("fps", 15).put("gop", 30)
            .put("demoTelemetry", false);
        final int port = freePort();
        final JsonObject conf = shipped.copy().put("streams", new JsonObject()
            .put("main", new JsonObject().put("path", dir.resolve("plots-main").toString()))
            .put("alt", new JsonObject().put("path", altRing.toString())));
        try (Child alt = startServer("transport-alt", altPort, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + altPort), "-conf", altConf.encode());
             Child first = startServer("transport-plots", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port,
                 "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort()), "-conf", conf.encode())) {
            eventually("both streams flow", () -> {
                final JsonObject health = getJson("http://127.0.0.1:" + port + "/health");
                return health != null && health.getJsonObject("streams").getJsonObject("alt").getLong("shm_seq", 0L) > 0
                    && health.getJsonObject("streams").getJsonObject("main").getLong("shm_seq", 0L) > 0;
            });
            final JsonObject report = browse(new JsonObject().put("name", "plots")
                .put("url", "http://127.0.0.1:" + port + "/?stream=main")
                .put("minFrames", 10)
                .put("plots", new JsonObject().put("subject", "telemetry.demo.box").put("field", "x"))
                .put("switchTo", "alt").put("switchWidth", 640)
                .put("screenshot", "viewer-plots.png")
                .put("phoneScreenshot", "viewer-phone.png"));
            assertPageHealthy(report);

            final JsonObject plot = report.getJsonObject("plot");
            assertNotNull(plot.getJsonObject("field"), "a plot of telemetry.demo.box x: " + plot.encode());
            assertTrue(plot.getJsonObject("field").getInteger("drawn") >= 20, "points drawn: " + plot.encode());
            assertTrue(plot.getJsonObject("field").getDouble("max") > plot.getJsonObject("field").getDouble("min"),
                "the box moves, so x varies: " + plot.encode());
            final JsonObject before = report.getJsonObject("plotPixelsBefore");
            final JsonObject after = report.getJsonObject("plotPixelsAfter");
            assertTrue(before.getInteger("painted") > 50, "the plot canvas is painted: " + before.encode());
            assertFalse(before.getLong("hash").equals(after.getLong("hash")), "the plot moves within a second: " + before + " " + after);
            assertTrue(report.getJsonObject("fieldRow").getString("latest").matches("\\d+"), "latest value beside the plot: "
                + report.getJsonObject("fieldRow").encode());
            assertTrue(report.getJsonObject("fpsPlotPixels").getInteger("painted") > 50, "the frame-rate trend is drawn");
            assertTrue(plot.getJsonObject("trends").getJsonObject("fps").getInteger("drawn") >= 5, plot.encode());

            final JsonObject overlayDefault = report.getJsonObject("overlayDefault");
            assertFalse(overlayDefault.getBoolean("onPicture"), overlayDefault.encode());
            assertTrue(overlayDefault.getBoolean("visible"), "the figures are shown: " + overlayDefault.encode());
            assertFalse(overlayDefault.getBoolean("overlaps"), "by default the figures are off the picture: " + overlayDefault.encode());
            final JsonObject toggled = report.getJsonObject("overlayToggled");
            assertTrue(toggled.getBoolean("onPicture") && toggled.getBoolean("overlaps"), "toggled onto the picture: " + toggled.encode());
            assertFalse(toggled.getBoolean("coversCaption"), "never over the frame number and clock: " + toggled.encode());

            assertTrue(report.getJsonObject("keyframeButton").getBoolean("visible"), "tokens off: keyframe requests allowed");
            final JsonObject keyframe = report.getJsonObject("keyframe");
            assertNotNull(keyframe.getValue("lastDelayMs"), "a keyframe came after the request: " + keyframe.encode());
            assertNull(keyframe.getValue("refused"), keyframe.encode());
            assertTrue(E2eKit.metric(getText("http://127.0.0.1:" + port + "/metrics"), "sdr_ws_client_messages_total", "result=keyframe") >= 1,
                "the server got the request");

            final JsonObject fullscreen = report.getJsonObject("fullscreen");
            assertTrue(fullscreen.getBoolean("entered"), "full screen: " + fullscreen.encode());
            assertTrue(fullscreen.getBoolean("left"), "and back: " + fullscreen.encode());

            assertEquals(new JsonArray().add("main").add("alt"), report.getJsonObject("selector").getJsonArray("options"));
            final JsonObject switched = report.getJsonObject("switched");
            assertEquals("alt", switched.getString("stream"), switched.encode());
            assertEquals(640, switched.getInteger("width"), "the other stream's pictures are shown: " + switched.encode());
            assertEquals(360, switched.getInteger("height"), switched.encode());
            assertEquals(0, switched.getInteger("decodeErrors"), switched.encode());
            assertTrue(report.getString("switchedUrl").contains("stream=alt"), report.getString("switchedUrl"));

            final JsonObject phone = report.getJsonObject("phone");
            assertNotNull(phone.getInteger("decoded"), "video and plots at a phone's width: " + phone.encode());
            assertTrue(phone.getInteger("scrollWidth") <= phone.getInteger("innerWidth"), "no sideways scrolling: " + phone.encode());
            assertTrue(phone.getInteger("widestRight") <= phone.getInteger("innerWidth") + 1, "nothing sticks out: " + phone.encode());
            assertTrue(phone.getDouble("canvasWidth") <= phone.getInteger("innerWidth"), phone.encode());
            assertEquals(3, phone.getJsonArray("controlsVisible").size(), phone.encode());

            for (final String shot : List.of("screenshot", "phoneScreenshot")) {
                assertTrue(Files.size(Path.of(report.getString(shot))) > 20_000, "screenshot kept: " + report.getString(shot));
            }
            assertTrue(first.process.isAlive() && alt.process.isAlive());
        }
    }

    @Test
    void shouldParseHostileMessagesH264HeadersAndTelemetryValuesInThePage() throws Exception {
        // The page's own modules, in the browser: tests/e2e/page-units.js. Straight to the server.
        final JsonObject report = browse(new JsonObject().put("name", "units")
            .put("url", "http://127.0.0.1:" + serverPort + "/")
            .put("units", true));
        assertPageHealthy(report);
        final JsonArray units = report.getJsonArray("units");
        assertTrue(units.size() >= 20, "checks run: " + units.size());
        for (final Object item : units) {
            final JsonObject unit = (JsonObject) item;
            assertTrue(unit.getBoolean("ok"), unit.getString("name") + ": got " + unit.getString("got") + ", want " + unit.getString("want"));
        }
    }

    /** What Chromium logs for a request to an edge that is down or was killed mid-request. */
    private static final java.util.regex.Pattern EDGE_DOWN_ERRORS =
        java.util.regex.Pattern.compile("net::ERR_(CONNECTION_(REFUSED|RESET|CLOSED)|EMPTY_RESPONSE)");

    private static void assertPageHealthy(final JsonObject report) {
        assertPageHealthy(report, false);
    }

    /**
     * @param edgeWasDown the scenario killed Caddy: the page's own requests made while it was down
     *                    (asking /stream/list why the socket dropped) fail with connection refused or reset,
     *                    which Chromium logs as a console error; those, and only those, are expected
     */
    private static void assertPageHealthy(final JsonObject report, final boolean edgeWasDown) {
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

    /**
     * Runs tests/e2e/viewer-check.mjs with one scenario and returns its report. When the script
     * asks for an edge restart, Caddy is killed (SIGKILL, as a crash) and started again on the same
     * port while the page stays open.
     */
    private static JsonObject browse(final JsonObject scenario) throws Exception {
        final Path out = artefacts();
        final Path config = out.resolve(scenario.getString("name") + "-config.json");
        Files.writeString(config, new JsonObject()
            .put("chromium", CHROMIUM)
            .put("outDir", out.toString())
            .put("timeoutMs", NODE_PATIENCE.toMillis() - 10_000)
            .put("hostRules", "MAP viewer.test 127.0.0.1")
            .put("scenarios", new JsonArray().add(scenario)).encodePrettily());
        final List<String> lines = new ArrayList<>();
        try (Child node = new Child("viewer-check-" + scenario.getString("name"),
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
                    case "edge-restart":
                        caddy.kill();
                        caddy = startCaddy(dir.resolve("caddy"), caddyPort, serverPort);
                        node.writeLine("edge-restarted");
                        break;
                    case "scenario":
                        report = event;
                        break;
                    case "done":
                        Files.writeString(out.resolve(scenario.getString("name") + "-report.json"), report == null ? "null" : report.encodePrettily());
                        return report;
                    default:
                        break;
                }
            }
            return fail("viewer-check did not finish (report " + (report == null ? "missing" : "present") + "):\n"
                + String.join("\n", lines) + "\n" + node.tail());
        }
    }
}
