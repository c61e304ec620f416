package io.sdr.encode;

import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;
import static io.sdr.testing.RepoPaths.repoRoot;
import io.sdr.testing.Await;

/**
 * Shared pieces of the encoder's end-to-end tests: the repository, child processes stopped by PID,
 * HTTP probes, an independent Annex-B NAL scanner and ffprobe (Debian's ffmpeg) as the judge of
 * decodability. Every wait is bounded by {@link #PATIENCE}; nothing asserts how long anything took.
 */
final class EncoderTestKit {
    static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private EncoderTestKit() {
    }

    static boolean commandWorks(final String... command) {
        try {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static boolean ffprobeAvailable() {
        return commandWorks("ffprobe", "-version");
    }

    static boolean pythonAvailable() {
        return Files.isRegularFile(repoRoot().resolve("shm-worker/python/sdr_ring/raw.py")) && commandWorks("python3", "--version");
    }

    static void eventually(final String what, final BooleanSupplier condition) {
        Await.eventually(PATIENCE, what, condition);
    }

    /** GET http://127.0.0.1:port/path; the body, or null when the server does not answer (yet). */
    static String get(final int port, final String path) {
        try {
            final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (final IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static JsonObject health(final int port) {
        final String body = get(port, "/health");
        return body == null ? new JsonObject() : new JsonObject(body);
    }

    /** NAL unit types of an H.264 Annex-B access unit, in order. */
    static List<Integer> nalTypes(final byte[] au) {
        final List<Integer> types = new ArrayList<>();
        for (int i = 0; i + 3 < au.length; i++) {
            if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1) {
                types.add(au[i + 3] & 0x1F);
                i += 3;
            }
        }
        return types;
    }

    static Path writeStream(final Path file, final List<byte[]> accessUnits) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] au : accessUnits) {
            out.write(au);
        }
        return Files.write(file, out.toByteArray());
    }

    /** What ffprobe decoded from a raw Annex-B file. */
    record Probe(String codec, int width, int height, int frames, List<Boolean> keyframes, String errors) {
    }

    static Probe ffprobe(final Path file) throws IOException, InterruptedException {
        final Path errors = Files.createTempFile("ffprobe", ".err");
        try {
            final Process p = new ProcessBuilder("ffprobe", "-v", "error", "-f", "h264", "-count_frames",
                "-show_entries", "stream=codec_name,width,height,nb_read_frames:frame=key_frame", "-of", "json", file.toString())
                .redirectError(errors.toFile()).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("ffprobe did not finish: " + file);
            }
            final JsonObject json = new JsonObject(out);
            final JsonObject stream = json.getJsonArray("streams").getJsonObject(0);
            final List<Boolean> keys = new ArrayList<>();
            json.getJsonArray("frames").forEach(f -> keys.add(((JsonObject) f).getInteger("key_frame") == 1));
            return new Probe(stream.getString("codec_name"), stream.getInteger("width"), stream.getInteger("height"),
                Integer.parseInt(stream.getString("nb_read_frames")), keys, Files.readString(errors).strip());
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** A child process with stdout/stderr in a file, stopped by PID (SIGTERM, then SIGKILL). */
    static final class Child implements AutoCloseable {
        final Process process;
        final Path output;

        private Child(final Process process, final Path output) {
            this.process = process;
            this.output = output;
        }

        static Child start(final List<String> command, final Path dir, final java.util.Map<String, String> env) throws IOException {
            final Path output = Files.createTempFile("encoder-child", ".log");
            final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(env);
            return new Child(builder.start(), output);
        }

        String output() {
            try {
                return Files.readString(output);
            } catch (final IOException e) {
                return "(unreadable: " + e + ")";
            }
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(15, TimeUnit.SECONDS);
                }
            }
            Files.deleteIfExists(output);
        }
    }
}
