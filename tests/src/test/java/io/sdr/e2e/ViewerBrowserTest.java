package io.sdr.e2e;

import io.sdr.testing.ChildProcess;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.sdr.e2e.E2eKit.CHROMIUM;
import static io.sdr.e2e.ViewerCheck.assertPageHealthy;
import static io.sdr.e2e.E2eKit.PeriodicPublisher;
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
    /** A value only this run publishes: the panel must show this very message. */
    private static final String STATUS = "hello-viewer-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    private static ChildProcess nats;
    private static ChildProcess server;
    private static ChildProcess caddy;
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
        for (final ChildProcess child : new ChildProcess[] {caddy, server, nats}) {
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
        try (ChildProcess secured = startServer("transport-auth", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port,
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

    /**
     * The "save 30 s" button: straight to the server (127.0.0.1 is an admin address) the browser
     * downloads an MCAP file that the MCAP project's reader reads, from a keyframe on; through Caddy
     * (forwarded: not an admin address, no tokens) the page shows the server's reason; on a server
     * with tokens where 127.0.0.1 is not an admin address, the link's token that grants "record"
     * gets the clip.
     */
    @Test
    void shouldSaveTheLast30SecondsAsAnMcapFileFromTheButtonAndSayWhyWhenRefused() throws Exception {
        final JsonObject saved = browse(new JsonObject().put("name", "clip")
            .put("url", "http://127.0.0.1:" + serverPort + "/").put("minFrames", 10).put("clip", "download"));
        assertPageHealthy(saved);
        assertTrue(saved.getJsonObject("clipButton").getBoolean("visible"), saved.getJsonObject("clipButton").encode());
        assertDownloadedClip(saved, "telemetry.e2e.count");

        final JsonObject refused = browse(new JsonObject().put("name", "clip-refused")
            .put("url", "http://127.0.0.1:" + caddyPort + "/viewer/").put("minFrames", 5).put("clip", "refused"));
        assertNull(refused.getString("error"), "browser script failed: " + refused.getString("error"));
        assertEquals(new JsonArray(), refused.getJsonArray("pageErrors"));
        for (final Object error : refused.getJsonArray("consoleErrors")) {
            assertTrue(String.valueOf(error).contains("403"), "only the refused request is logged: " + error);
        }
        final String notice = refused.getJsonObject("notice").getString("text");
        assertTrue(notice.contains("did not save the last 30 s (403)") && notice.contains("forbidden: clips are served to websocket.admin.allow"),
            "the server's reason, shown: " + notice);
        assertEquals(403, refused.getJsonObject("clips").getJsonObject("refused").getInteger("status"));
        assertEquals(0, refused.getJsonObject("clips").getInteger("saved"));

        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final String jar = E2eKit.fatJar().toString();
        final E2eKit.Result secret = E2eKit.run(List.of(java, "-jar", jar, "token", "--new-secret"), Map.of(), Duration.ofSeconds(60));
        assertEquals(0, secret.exitCode(), secret.output());
        final Path secretFile = Files.writeString(dir.resolve("clip-jwt-secret"), secret.output().trim());
        final E2eKit.Result minted = E2eKit.run(List.of(java, "-jar", jar, "token", "--secret-file", secretFile.toString(),
            "--stream", "main", "--ttl", "10m", "--record"), Map.of(), Duration.ofSeconds(60));
        assertEquals(0, minted.exitCode(), minted.output());
        final String token = minted.output().lines().filter(l -> l.startsWith("ey")).findFirst().orElseThrow();
        final int port = freePort();
        try (ChildProcess secured = startServer("transport-clip-token", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port,
            "SDR_SHM_PATH", dir.resolve("clip-frames").toString(), "SDR_BRIDGE_ADDR", "127.0.0.1:" + freePort(),
            "SDR_AUTH_ENABLED", "true", "SDR_AUTH_SECRET_FILE", secretFile.toString(), "SDR_ADMIN_ALLOW", "::1/128"),
            "-conf", "conf/conf.json")) {
            assertEquals(401, E2eKit.get("http://127.0.0.1:" + port + "/record/clip?seconds=1").statusCode(),
                "127.0.0.1 is no admin address here: only a token can get a clip");
            final JsonObject withToken = browse(new JsonObject().put("name", "clip-token")
                .put("url", "http://127.0.0.1:" + port + "/#token=" + token).put("minFrames", 10).put("clip", "download"));
            assertPageHealthy(withToken);
            assertDownloadedClip(withToken, "telemetry.demo.box");
        }
    }

    /** The browser's download: named as the server named it, read whole by @mcap/core, video from a keyframe with SPS and PPS. */
    private static void assertDownloadedClip(final JsonObject report, final String telemetryTopic) throws Exception {
        assertTrue(report.getString("clipSuggestedName", "").matches("main-\\d{8}T\\d{6}Z\\.mcap"), report.encode());
        final JsonObject clips = report.getJsonObject("clips");
        assertEquals(1, clips.getInteger("saved"), clips.encode());
        final Path file = Path.of(report.getString("clipFile"));
        assertEquals(clips.getLong("lastBytes"), Files.size(file), "the whole response was saved: " + clips.encode());
        final JsonObject facts = E2eKit.mcapCheck(file);
        final JsonObject indexed = facts.getJsonObject("indexed");
        assertNull(indexed.getString("error"), "indexed read: " + indexed.getString("error"));
        assertTrue(facts.getJsonObject("streaming").getBoolean("done"), "streamed to the footer: " + facts.getJsonObject("streaming"));
        assertEquals(new JsonArray(), indexed.getJsonArray("undecodable"));
        assertTrue(indexed.getInteger("video") >= 10, "video messages: " + indexed.getInteger("video"));
        final JsonArray nal = indexed.getJsonObject("firstVideo").getJsonArray("nalTypes");
        assertTrue(nal.contains(7) && nal.contains(8) && nal.contains(5), "the first video message is SPS, PPS, IDR: " + nal);
        assertTrue(indexed.getJsonArray("channels").stream().anyMatch(c -> ((JsonObject) c).getString("topic").equals(telemetryTopic)),
            "the telemetry is in the clip: " + indexed.getJsonArray("channels"));
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
            .put("width", 640).put("height", 360).put("fps", 15).put("gop", 30).put("tiers", new JsonArray());
        conf.put("nats", conf.getJsonObject("nats").copy().put("enabled", false));
        try (ChildProcess hevc = startServer("transport-hevc", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port,
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
        altConf.getJsonObject("encoder").put("width", 640).put("height", 360).put("fps", 15).put("gop", 30).put("tiers", new JsonArray())
            .put("demoTelemetry", false);
        final int port = freePort();
        final JsonObject conf = shipped.copy().put("streams", new JsonObject()
            .put("main", new JsonObject().put("path", dir.resolve("plots-main").toString()))
            .put("alt", new JsonObject().put("path", altRing.toString())));
        try (ChildProcess alt = startServer("transport-alt", altPort, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + altPort), "-conf", altConf.encode());
             ChildProcess first = startServer("transport-plots", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port,
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

    /**
     * Runs tests/e2e/viewer-check.mjs with one scenario and returns its report. When the script
     * asks for an edge restart, Caddy is killed (SIGKILL, as a crash) and started again on the same
     * port while the page stays open.
     */
    private static JsonObject browse(final JsonObject scenario) throws Exception {
        return ViewerCheck.browse(scenario, (event, node) -> {
            if ("edge-restart".equals(event.getString("event"))) {
                caddy.kill();
                caddy = startCaddy(dir.resolve("caddy"), caddyPort, serverPort);
                node.send("edge-restarted");
            }
        });
    }
}
