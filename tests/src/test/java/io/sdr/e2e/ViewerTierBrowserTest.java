package io.sdr.e2e;

import io.sdr.testing.ChildProcess;
import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.RingWriter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static io.sdr.e2e.E2eKit.CHROMIUM;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.e2e.E2eKit.getJson;
import static io.sdr.e2e.E2eKit.getText;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.e2e.E2eKit.requireTool;
import static io.sdr.e2e.E2eKit.startServer;
import static io.sdr.e2e.ViewerCheck.assertPageHealthy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The viewer page on a stream with quality tiers, in headless Chromium: real H.264 at 1280x720,
 * 640x360 and 320x180, encoded by the ffmpeg CLI (libx264) from one test source with the same fixed
 * GOP, so keyframes fall on the same pictures; one ring per tier (main, main~360p, main~180p) written
 * by this class with the same frame_seq for the same picture, as an external encoder would; the fat
 * jar reading them with websocket.tiers and no encoder. The page must start on the top tier, switch
 * to each tier pinned in its picker and back to auto, each time decoding the new size with no decoder
 * error; then, its link narrowed through CDP, the server must move it down at a keyframe.
 */
@Timeout(240)
class ViewerTierBrowserTest {
    private static final int FPS = 30;
    private static final int GOP = 30;
    /** Four GOPs, looped: a loop starts at an IDR, so the decoder never sees a missing reference. */
    private static final int FRAMES = 4 * GOP;
    private static final String[][] TIERS = {
        // stream, label, width, height, kbit/s
        {"main", "720p", "1280", "720", "2500"},
        {"main~360p", "360p", "640", "360", "600"},
        {"main~180p", "180p", "320", "180", "150"},
    };

    @TempDir
    Path dir;

    @Test
    void shouldSwitchPictureSizeAtTierChangesWithoutDecoderErrors() throws Exception {
        requireTool(CHROMIUM, "chromium");
        requireTool("node", "nodejs");
        final String ffmpeg = requireTool("ffmpeg", "ffmpeg");
        if (!Files.isDirectory(repoRoot().resolve("tests/e2e/node_modules/playwright-core"))) {
            fail("playwright-core is not installed: run (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci) -- scripts/test-all.sh does");
        }
        final List<List<byte[]>> units = encode(ffmpeg);
        final Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "sdr-tier-e2e-");
        final int port = freePort();
        final JsonObject streams = new JsonObject();
        final JsonObject tiers = new JsonObject();
        for (final String[] t : TIERS) {
            streams.put(t[0], new JsonObject().put("path", shm.resolve(t[0].replace('~', '-')).toString()));
            tiers.put(t[0], new JsonObject().put("label", t[1]).put("width", Integer.parseInt(t[2]))
                .put("height", Integer.parseInt(t[3])).put("bitrateKbps", Integer.parseInt(t[4])));
        }
        final JsonObject conf = new JsonObject().put("streams", streams)
            .put("websocket", new JsonObject().put("tiers", tiers))
            .put("encoder", new JsonObject().put("enabled", false))
            .put("nats", new JsonObject().put("enabled", false));
        try (TierWriter writer = new TierWriter(shm, units);
             ChildProcess server = startServer("transport-tiers", port, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port), "-conf", conf.encode())) {
            eventually("every tier flows", () -> {
                final JsonObject health = getJson("http://127.0.0.1:" + port + "/health");
                if (health == null || health.getJsonObject("streams") == null) {
                    return false;
                }
                for (final String[] t : TIERS) {
                    final JsonObject s = health.getJsonObject("streams").getJsonObject(t[0]);
                    if (s == null || s.getLong("shm_seq", 0L) == 0) {
                        return false;
                    }
                }
                return true;
            });
            final JsonObject list = getJson("http://127.0.0.1:" + port + "/stream/list");
            assertEquals(new JsonArray().add("main"), list.getJsonArray("streams"), list.encode());

            final JsonObject report = ViewerCheck.browse(new JsonObject().put("name", "tiers")
                .put("url", "http://127.0.0.1:" + port + "/?stream=main")
                .put("minFrames", 15)
                .put("screenshot", "viewer-tiers.png")
                .put("tiers", new JsonObject().put("topLabel", "720p").put("topWidth", 1280)
                    .put("pins", new JsonArray()
                        .add(new JsonObject().put("label", "360p").put("width", 640))
                        .add(new JsonObject().put("label", "180p").put("width", 320))
                        .add(new JsonObject().put("label", "auto").put("width", 1280)))
                    // Half the top tier's rate: 720p no longer fits, 360p does.
                    .put("throttle", new JsonObject().put("kbps", 1300).put("seconds", 25))));
            assertPageHealthy(report);

            final JsonObject first = report.getJsonObject("first");
            assertEquals("720p", first.getJsonObject("tier").getString("label"), "adaptive viewers start on the top tier: " + first.encode());
            assertEquals(1280, first.getInteger("width"), first.encode());
            assertEquals(720, first.getInteger("height"), first.encode());
            final JsonObject picker = report.getJsonObject("picker");
            assertTrue(picker.getBoolean("visible"), "three tiers: the picker shows: " + picker.encode());
            assertEquals(new JsonArray().add("auto").add("720p").add("360p").add("180p"), picker.getJsonArray("options"));
            assertTrue(picker.getString("shown").startsWith("720p 1280×720"), "the tier shown: " + picker.encode());

            final String[][] expected = {{"360p", "640", "360", "pinned"}, {"180p", "320", "180", "pinned"}, {"720p", "1280", "720", "join"}};
            final JsonArray pins = report.getJsonArray("pins");
            assertEquals(expected.length, pins.size());
            for (int i = 0; i < expected.length; i++) {
                final JsonObject pin = pins.getJsonObject(i);
                final JsonObject before = pin.getJsonObject("before");
                final JsonObject after = pin.getJsonObject("after");
                final String what = "pin " + pin.getString("label") + ": " + after.encode();
                assertEquals(expected[i][0], after.getJsonObject("tier").getString("label"), what);
                assertEquals(expected[i][3], after.getJsonObject("tier").getString("reason"), what);
                assertEquals(Integer.parseInt(expected[i][1]), after.getInteger("width"), "the picture has the tier's size: " + what);
                assertEquals(Integer.parseInt(expected[i][2]), after.getInteger("height"), what);
                assertEquals(after.getJsonObject("tier").getInteger("width"), after.getInteger("width"), "shown tier = decoded size: " + what);
                assertTrue(after.getInteger("decoded") >= before.getInteger("decoded") + 15, "frames keep being decoded: " + what);
                assertEquals(0, after.getInteger("decodeErrors"), "no decoder error at the size change: " + what);
                assertTrue(pin.getString("shown").startsWith(expected[i][0] + " " + expected[i][1] + "×" + expected[i][2]),
                    "the page shows the tier: " + pin.getString("shown"));
                assertTrue(pin.getString("overlay").contains("tier " + expected[i][0]), pin.getString("overlay"));
                final String tierParam = pin.getString("label").equals("auto") ? null : pin.getString("label");
                assertEquals(tierParam != null, pin.getString("url").contains("tier=" + tierParam), "the URL keeps the choice: " + pin.getString("url"));
            }

            final JsonObject throttle = report.getJsonObject("throttle");
            final JsonObject down = throttle.getJsonObject("down");
            assertEquals("lagging", down.getJsonObject("tier").getString("reason"), "a narrow link moves the page down: " + down.encode());
            assertTrue(down.getJsonObject("tier").getInteger("index") > 0, down.encode());
            final JsonObject after = throttle.getJsonObject("after");
            assertEquals(after.getJsonObject("tier").getInteger("width"), after.getInteger("width"), "the lower tier's pictures are shown: " + after.encode());
            assertTrue(after.getInteger("decoded") >= down.getInteger("decoded") + 15, "and decoded: " + after.encode());
            assertEquals(0, after.getInteger("decodeErrors"), after.encode());
            assertTrue(E2eKit.metric(getText("http://127.0.0.1:" + port + "/metrics"), "sdr_ws_tier_switches_total", "direction=down") >= 1,
                "the server counted the switch down");
            assertTrue(report.getJsonObject("last").getInteger("reconfigures") >= 4, "the decoder was reconfigured at each size change: "
                + report.getJsonObject("last").getInteger("reconfigures"));
            assertEquals(0, report.getJsonObject("last").getInteger("decodeErrors"));
            assertEquals(0, report.getJsonObject("last").getInteger("malformed"));
            assertTrue(writer.isAlive(), "the ring writer ran throughout");
        } finally {
            try (var paths = Files.walk(shm)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One libx264 run, three outputs of the same frames: per tier, its access units in order. */
    private List<List<byte[]>> encode(final String ffmpeg) throws Exception {
        final List<String> command = new ArrayList<>(List.of(ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=" + FPS,
            "-filter_complex", "[0:v]split=2[t0][a];[a]split=2[b][c];[b]scale=640:360[t1];[c]scale=320:180[t2]"));
        for (int i = 0; i < TIERS.length; i++) {
            // The same fixed GOP for every tier, no scene cuts, no B-frames: keyframes on the same pictures.
            // An AUD before every access unit marks where one picture ends.
            command.addAll(List.of("-map", "[t" + i + "]", "-frames:v", String.valueOf(FRAMES), "-c:v", "libx264",
                "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-b:v", TIERS[i][4] + "k",
                "-x264-params", "keyint=" + GOP + ":min-keyint=" + GOP + ":scenecut=0:bframes=0:aud=1:repeat-headers=1",
                "-f", "h264", dir.resolve("tier" + i + ".h264").toString()));
        }
        final E2eKit.Result result = E2eKit.run(command, Map.of(), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), "ffmpeg: " + result.output());
        final List<List<byte[]>> tiers = new ArrayList<>();
        for (int i = 0; i < TIERS.length; i++) {
            final List<byte[]> units = accessUnits(Files.readAllBytes(dir.resolve("tier" + i + ".h264")));
            assertEquals(FRAMES, units.size(), "access units of tier " + TIERS[i][0]);
            tiers.add(units);
        }
        for (int f = 0; f < FRAMES; f++) {
            final boolean key = isIdr(tiers.get(0).get(f));
            for (final List<byte[]> tier : tiers) {
                assertEquals(key, isIdr(tier.get(f)), "keyframes aligned at picture " + f);
            }
            assertEquals(f % GOP == 0, key, "a keyframe every " + GOP + " pictures, at " + f);
        }
        return tiers;
    }

    /** Splits Annex B at each access unit delimiter (00 00 00 01 09). */
    static List<byte[]> accessUnits(final byte[] stream) {
        final List<Integer> starts = new ArrayList<>();
        for (int i = 0; i + 4 < stream.length; i++) {
            if (stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 0 && stream[i + 3] == 1 && (stream[i + 4] & 0x1f) == 9) {
                starts.add(i);
            }
        }
        final List<byte[]> units = new ArrayList<>();
        for (int k = 0; k < starts.size(); k++) {
            final int end = k + 1 < starts.size() ? starts.get(k + 1) : stream.length;
            units.add(java.util.Arrays.copyOfRange(stream, starts.get(k), end));
        }
        return units;
    }

    /** Whether the unit holds an IDR slice (NAL type 5 after a 3-byte start code). */
    static boolean isIdr(final byte[] unit) {
        for (int i = 0; i + 3 < unit.length; i++) {
            if (unit[i] == 0 && unit[i + 1] == 0 && unit[i + 2] == 1) {
                final int type = unit[i + 3] & 0x1f;
                if (type == 5) {
                    return true;
                }
                if (type == 1) {
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * One v2 ring per tier, written in step at {@link #FPS}: picture n of the loop goes to every ring
     * with the same frame_seq and frame_id, keyframe flag on its IDRs, as a simulcast encoder writes.
     */
    private static final class TierWriter implements AutoCloseable {
        private final List<RingWriter> rings = new ArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        TierWriter(final Path dir, final List<List<byte[]>> units) {
            int largest = 0;
            for (final List<byte[]> tier : units) {
                for (final byte[] unit : tier) {
                    largest = Math.max(largest, unit.length);
                }
            }
            final int slotSize = ((64 + largest + 4095) / 4096) * 4096;
            for (final String[] t : TIERS) {
                rings.add(RingWriter.createV2(dir.resolve(t[0].replace('~', '-')), 64, slotSize));
            }
            final List<List<UnsafeBuffer>> buffers = new ArrayList<>();
            for (final List<byte[]> tier : units) {
                final List<UnsafeBuffer> list = new ArrayList<>();
                for (final byte[] unit : tier) {
                    list.add(new UnsafeBuffer(ByteBuffer.allocateDirect(unit.length).put(unit).flip()));
                }
                buffers.add(list);
            }
            thread = new Thread(() -> {
                final long start = System.nanoTime();
                for (long n = 0; running; n++) {
                    final long due = start + n * 1_000_000_000L / FPS;
                    for (long wait = due - System.nanoTime(); wait > 0 && running; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    final int picture = (int) (n % FRAMES);
                    final boolean key = picture % GOP == 0;
                    for (int i = 0; i < rings.size(); i++) {
                        final UnsafeBuffer unit = buffers.get(i).get(picture);
                        rings.get(i).write(n + 1, key ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0, FrameHeaderDescriptor.CODEC_H264,
                            unit, 0, unit.capacity());
                    }
                }
            }, "tier-ring-writer");
            thread.setDaemon(true);
            thread.start();
        }

        boolean isAlive() {
            return thread.isAlive();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
            rings.forEach(RingWriter::close);
        }
    }
}
