package io.sdr.e2e;

import java.util.Comparator;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.sdr.testing.Closer;
import io.sdr.testing.ChildProcess;
import io.sdr.mcap.McapDescriptor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.sdr.e2e.E2eKit.NatsPublisher;
import static io.sdr.e2e.E2eKit.Result;
import static io.sdr.testing.Await.eventually;
import static io.sdr.e2e.E2eKit.fatJar;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.e2e.E2eKit.getText;
import static io.sdr.e2e.E2eKit.mcapCheck;
import static io.sdr.e2e.E2eKit.metric;
import static io.sdr.testing.RepoPaths.repoRoot;
import static io.sdr.e2e.E2eKit.requireTool;
import static io.sdr.e2e.E2eKit.run;
import static io.sdr.e2e.E2eKit.startNats;
import static io.sdr.e2e.E2eKit.startServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clips and continuous recording of the fat jar as a user runs it: the Python simulator writes raw
 * pictures into a ring in /dev/shm, the server encodes them (libx264), relays telemetry from a real
 * nats-server, and keeps the history. Every file is read by the MCAP project's own reader
 * ({@code tests/e2e/mcap-check.mjs}: {@code @mcap/core} indexed and streaming, the video decoded
 * with the schema the file advertises by protobufjs, the telemetry by JSON.parse) and the video by
 * ffprobe, from its first frame. A kill -9 mid-segment leaves a file that streams up to its last chunk.
 */
@Timeout(240)
class ClipEndToEndTest {
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(90);
    private static final int HISTORY_SECONDS = 6;
    private static final String SUBJECT = "telemetry.robot1.pose";

    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    /** ffprobe's count of decoded frames and the first frame's key flag; fails on any decoder message. */
    private static int[] ffprobe(final Path h264) throws Exception {
        final Path out = h264.resolveSibling(h264.getFileName() + ".probe.json");
        final Result result = run(List.of(requireTool("ffprobe", "ffmpeg"), "-v", "error", "-f", "h264", "-count_frames",
            "-show_entries", "stream=codec_name,nb_read_frames:frame=key_frame", "-of", "json", "-o", out.toString(),
            h264.toString()), Map.of(), TOOL_TIMEOUT);
        assertEquals(0, result.exitCode(), "ffprobe " + h264 + ":\n" + result.output());
        assertEquals("", result.output().strip(), "ffprobe decodes without a complaint from the first frame on");
        final JsonObject probe = new JsonObject(Files.readString(out));
        final JsonObject stream = probe.getJsonArray("streams").getJsonObject(0);
        assertEquals("h264", stream.getString("codec_name"));
        return new int[] {Integer.parseInt(stream.getString("nb_read_frames")),
            probe.getJsonArray("frames").getJsonObject(0).getInteger("key_frame")};
    }

    /** What every complete clip or segment must show: both reads agree, every message decodes, video from a keyframe. */
    private static JsonObject assertReadable(final String what, final Path file, final String compression) throws Exception {
        final Path h264 = file.resolveSibling(file.getFileName() + ".h264");
        final JsonObject facts = mcapCheck(file, "--h264", h264.toString());
        final JsonObject streaming = facts.getJsonObject("streaming");
        final JsonObject indexed = facts.getJsonObject("indexed");
        assertNull(indexed.getString("error"), what + ": indexed read: " + indexed.getString("error"));
        assertNull(streaming.getString("error"), what + ": streaming read: " + streaming.getString("error"));
        assertTrue(streaming.getBoolean("done"), what + ": the streaming reader reached the footer: " + streaming);
        assertEquals(new JsonArray(), indexed.getJsonArray("undecodable"), what);
        assertEquals(new JsonArray(), streaming.getJsonArray("undecodable"), what);
        final int messages = indexed.getInteger("messages");
        assertEquals(messages, streaming.getInteger("messages"), what + ": both readers see every message");
        assertEquals(String.valueOf(messages), indexed.getJsonObject("statistics").getString("messageCount"), what);
        assertTrue(indexed.getBoolean("ordered"), what + ": the indexed reader returns log-time order");
        assertTrue(indexed.getBoolean("videoTimestampsMatchLogTime"), what);
        assertEquals(new JsonArray().add(compression), indexed.getJsonArray("compression"), what);
        assertTrue(indexed.getJsonArray("schemas").contains(new JsonObject().put("id", 1)
            .put("name", "foxglove.CompressedVideo").put("encoding", "protobuf")), what + ": " + indexed.getJsonArray("schemas"));
        final JsonObject first = indexed.getJsonObject("firstVideo");
        assertEquals("h264", first.getString("format"), what);
        assertEquals("main", first.getString("frameId"), what);
        final JsonArray nal = first.getJsonArray("nalTypes");
        assertTrue(nal.contains(7) && nal.contains(8) && nal.contains(5), what + ": the first video message is SPS, PPS, IDR: " + nal);
        // Log times are wall-clock nanoseconds of the commits: within a minute of now.
        final long endNs = Long.parseLong(indexed.getJsonObject("statistics").getString("messageEndTime"));
        assertTrue(Math.abs(endNs - System.currentTimeMillis() * 1_000_000L) < 60_000_000_000L, what + ": log time " + endNs);
        final int[] probe = ffprobe(h264);
        assertEquals(indexed.getInteger("video").intValue(), probe[0], what + ": ffprobe decodes every video message");
        assertEquals(1, probe[1], what + ": ffprobe's first frame is a keyframe");
        return indexed;
    }

    @Test
    void shouldSaveClipsAndSegmentsThatTheMcapReaderProtobufAndFfprobeAccept() throws Exception {
        final Path shm = Files.createDirectories(Paths.get("/dev/shm", "sdr-clip-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
        // Tracked first, so removed last, once the writer and the server are gone.
        closer.track(() -> {
            try (Stream<Path> files = Files.walk(shm)) {
                for (final Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        });
        final Path segments = dir.resolve("segments");
        final int natsPort = freePort();
        final int port = freePort();
        closer.track(startNats(natsPort));
        final ChildProcess simulator = closer.track(ChildProcess.start("raw-writer", List.of("python3", "-m", "sdr_ring", "write-raw",
            "--path", shm.resolve("raw").toString(), "--width", "320", "--height", "240", "--format", "i420", "--fps", "30"),
            Map.of("PYTHONPATH", repoRoot().resolve("shm-worker/python").toString())));
        simulator.awaitOutput("ready ");
        final JsonObject conf = new JsonObject()
            .put("streams", new JsonObject().put("main", new JsonObject().put("path", shm.resolve("frames").toString())))
            .put("websocket", new JsonObject().put("listen", "127.0.0.1:" + port).put("instances", 1))
            .put("encoder", new JsonObject().put("source", "ring").put("sourcePath", shm.resolve("raw").toString())
                .put("width", 320).put("height", 240).put("fps", 30).put("gop", 30).put("bitrateKbps", 3000)
                .put("candidates", new JsonArray().add("libx264")))
            .put("nats", new JsonObject().put("url", "nats://127.0.0.1:" + natsPort).put("subjects", new JsonArray().add("telemetry.>")))
            .put("bridge", new JsonObject().put("enabled", false))
            .put("recording", new JsonObject().put("historySeconds", HISTORY_SECONDS).put("dir", segments.toString())
                .put("segmentSeconds", 2).put("segmentBytes", 1 << 20).put("maxDiskBytes", 2 << 20).put("chunkMs", 200));
        // A segment of an earlier run, nearly maxDiskBytes alone: the first to go. Whatever else is in
        // the directory is not ours and stays.
        Files.createDirectories(segments);
        final Path earlier = Files.write(segments.resolve("sdr-20200101T000000.000Z.mcap"), new byte[(2 << 20) - (200 << 10)]);
        final Path foreign = Files.write(segments.resolve("notes.mcap.bak"), new byte[3 << 20]);
        final Path confFile = Files.writeString(dir.resolve("conf.json"), conf.encodePrettily());
        final ChildProcess server = closer.track(startServer("clip-server", port, Map.of(), "-conf", confFile.toString()));

        // The robot's telemetry at 50 Hz, numbered, for the whole test.
        final AtomicLong published = new AtomicLong();
        final NatsPublisher nats = closer.track(new NatsPublisher(natsPort));
        final Thread telemetry = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    final long n = published.incrementAndGet();
                    nats.publish(SUBJECT, ("{\"seq\":" + n + ",\"x\":" + (n * 0.01) + "}").getBytes(StandardCharsets.UTF_8));
                    nats.flush();
                    Thread.sleep(20);
                }
            } catch (final InterruptedException | IOException e) {
                // stopped
            }
        }, "telemetry");
        telemetry.setDaemon(true);
        telemetry.start();
        closer.track(telemetry::interrupt);

        final String base = "http://127.0.0.1:" + port;
        eventually(() -> "the history spans 4 s; server:\n" + server.tail(), () ->
            metric(getText(base + "/metrics"), "sdr_record_history_seconds", "stream=main") >= 4.0);

        // The CLI, as a user runs it.
        final Path cliClip = dir.resolve("cli.mcap");
        final Result cli = run(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
            fatJar().toString(), "clip", "--url", base, "--stream", "main", "--seconds", "3", "-o", cliClip.toString()),
            Map.of(), TOOL_TIMEOUT);
        assertEquals(0, cli.exitCode(), cli.output());
        assertTrue(cli.output().contains("saved " + cliClip), cli.output());
        final JsonObject cliFacts = assertReadable("CLI clip", cliClip, "zstd");
        assertTrue(cliFacts.getInteger("video") >= 3 * 30 * 9 / 10, "about 3 s of 30 fps video: " + cliFacts.getInteger("video"));
        // Every telemetry message of the clip's window, none missing in between.
        final JsonArray seq = cliFacts.getJsonObject("telemetrySeq").getJsonArray(SUBJECT);
        assertTrue(seq != null && seq.getLong(2) > 10, "the robot's telemetry is in the clip: " + cliFacts.getJsonObject("telemetrySeq")
            + ", published " + published.get());
        assertEquals(seq.getLong(1) - seq.getLong(0) + 1, seq.getLong(2), "no telemetry message missing: " + seq);
        final long startNs = Long.parseLong(cliFacts.getJsonObject("statistics").getString("messageStartTime"));
        final long endNs = Long.parseLong(cliFacts.getJsonObject("statistics").getString("messageEndTime"));
        assertTrue(endNs - startNs >= 2_900_000_000L, "the clip reaches back to a keyframe at least 3 s old: " + (endNs - startNs));
        final JsonArray channels = cliFacts.getJsonArray("channels");
        assertTrue(channels.stream().anyMatch(c -> ((JsonObject) c).getString("topic").equals("/video/main")
            && ((JsonObject) c).getString("messageEncoding").equals("protobuf") && ((JsonObject) c).getInteger("schemaId") == 1
            && "main".equals(((JsonObject) c).getJsonObject("metadata").getString("stream"))), channels.encode());
        assertTrue(channels.stream().anyMatch(c -> ((JsonObject) c).getString("topic").equals(SUBJECT)
            && ((JsonObject) c).getString("messageEncoding").equals("json") && ((JsonObject) c).getInteger("schemaId") == 0),
            channels.encode());

        // The endpoint, lz4 and uncompressed chunks.
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (final String compression : List.of("lz4", "none")) {
            final Path file = dir.resolve("http-" + compression + ".mcap");
            final HttpResponse<Path> response = http.send(HttpRequest.newBuilder(URI.create(base + "/record/clip?stream=main&seconds=2&compression="
                + compression)).timeout(TOOL_TIMEOUT).build(), HttpResponse.BodyHandlers.ofFile(file));
            assertEquals(200, response.statusCode(), Files.readString(file, StandardCharsets.ISO_8859_1));
            assertTrue(response.headers().firstValue("Content-Disposition").orElse("").matches("attachment; filename=\"main-\\d{8}T\\d{6}Z\\.mcap\""),
                response.headers().map().toString());
            assertReadable("GET /record/clip compression=" + compression, file, compression.equals("none") ? "" : compression);
        }

        // Bad requests: the CLI passes the server's reason on and exits 1.
        final Result tooLong = run(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
            fatJar().toString(), "clip", "--url", base, "--seconds", "600", "-o", dir.resolve("never.mcap").toString()),
            Map.of(), TOOL_TIMEOUT);
        assertEquals(1, tooLong.exitCode(), tooLong.output());
        assertTrue(tooLong.output().contains("answered 400: seconds=600.0: must be in (0, " + HISTORY_SECONDS + "]"), tooLong.output());
        assertFalse(Files.exists(dir.resolve("never.mcap")) || Files.exists(dir.resolve("never.mcap.part")), "nothing saved");
        final Result unknown = run(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
            fatJar().toString(), "clip", "--url", base, "--stream", "rear", "-o", dir.resolve("never.mcap").toString(),
            "--seconds", "1"), Map.of(), TOOL_TIMEOUT);
        assertEquals(1, unknown.exitCode(), unknown.output());
        assertTrue(unknown.output().contains("answered 400: unknown stream: stream=rear, streams=[main]"), unknown.output());

        // Continuous recording: segments rotate and the oldest go once ours hold 2 MiB.
        eventually(() -> "a segment was deleted to stay within maxDiskBytes; segments: " + list(segments), () ->
            metric(getText(base + "/metrics"), "sdr_record_segments_deleted_total") >= 1);
        assertFalse(Files.exists(earlier), "the oldest segment went first");
        assertTrue(Files.exists(foreign), "a file not named like a segment is never deleted");
        eventually(() -> "two segments of this run; segments: " + list(segments), () -> list(segments).size() >= 2);
        final List<Path> closed = list(segments);
        assertTrue(closed.size() >= 2, "a closed segment and the open one: " + closed);
        final Path complete = closed.get(closed.size() - 2);
        final JsonObject segment = assertReadable("closed segment " + complete.getFileName(), complete, "zstd");
        assertTrue(segment.getInteger("telemetry") > 0, "segments hold the telemetry too");
        long bytes = 0;
        for (final Path p : closed) {
            bytes += Files.size(p);
        }
        assertTrue(bytes <= (2L << 20) + (1L << 20), "disk use stays near maxDiskBytes: " + bytes + " in " + closed);

        // kill -9 while a segment is open: it reads, streaming, up to its last complete chunk. Killed
        // once the open segment holds a complete Chunk on disk (chunkMs=200 after it opened) and is
        // young enough (named by its opening time) not to be closed first: segmentSeconds=2.
        final Path[] open = new Path[1];
        eventually(() -> "the open segment holds a complete chunk on disk; segments: " + list(segments), () -> {
            final List<Path> now = list(segments);
            open[0] = now.isEmpty() ? null : now.get(now.size() - 1);
            return open[0] != null && ageMs(open[0]) < 1200 && hasCompleteChunk(open[0]);
        });
        server.kill();
        final List<Path> after = list(segments);
        final Path cut = after.get(after.size() - 1);
        assertEquals(open[0], cut, "killed in the segment seen open");
        final JsonObject crashed = mcapCheck(cut, "--streaming-only").getJsonObject("streaming");
        assertNull(crashed.getString("error"), "the cut file has no damaged record: " + crashed);
        assertFalse(crashed.getBoolean("done"), "no footer: the server was killed: " + crashed);
        assertEquals(new JsonArray(), crashed.getJsonArray("undecodable"));
        assertTrue(crashed.getInteger("video") > 0, "the complete chunks before the kill are there: " + crashed);
        final JsonArray nal = crashed.getJsonObject("firstVideo").getJsonArray("nalTypes");
        assertTrue(nal.contains(7) && nal.contains(5), "a segment starts at a keyframe: " + nal);
    }

    /** Milliseconds since the segment was opened, by its name (sdr-yyyyMMdd'T'HHmmss.SSS'Z'.mcap). */
    private static long ageMs(final Path segment) {
        final String name = segment.getFileName().toString();
        final Instant opened = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSSX").parse(
            name.substring("sdr-".length(), name.length() - ".mcap".length()), Instant::from);
        return System.currentTimeMillis() - opened.toEpochMilli();
    }

    /**
     * Whether the file as it is on disk holds a complete Chunk record: the records after the 8-byte
     * magic are walked by their opcode (1 byte) and content length (u64 little-endian).
     */
    private static boolean hasCompleteChunk(final Path file) {
        final byte[] f;
        try {
            f = Files.readAllBytes(file);
        } catch (final IOException e) {
            return false; // deleted by the disk bound meanwhile
        }
        final ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        for (long p = McapDescriptor.MAGIC.length; p + McapDescriptor.RECORD_PREFIX <= f.length;
             p += McapDescriptor.RECORD_PREFIX + b.getLong((int) p + 1)) {
            if (f[(int) p] == McapDescriptor.OP_CHUNK && p + McapDescriptor.RECORD_PREFIX + b.getLong((int) p + 1) <= f.length) {
                return true;
            }
        }
        return false;
    }

    private static List<Path> list(final Path segments) {
        try (Stream<Path> files = Files.list(segments)) {
            return files.filter(p -> p.getFileName().toString().matches("sdr-.*\\.mcap")).sorted().toList();
        } catch (final IOException e) {
            return List.of();
        }
    }
}
