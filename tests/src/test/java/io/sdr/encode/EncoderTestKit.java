package io.sdr.encode;

import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import io.sdr.testing.Await;
import io.sdr.testing.ChildProcess;

/**
 * Shared pieces of the encoder's end-to-end tests: the repository, child processes stopped by PID,
 * HTTP probes, an independent Annex-B NAL scanner and {@link io.sdr.testing.FfProbe} as the judge of
 * decodability. Every wait is bounded by {@link #PATIENCE}; nothing asserts how long anything took.
 */
final class EncoderTestKit {
    static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private EncoderTestKit() {
    }


    static boolean pythonAvailable() {
        return ChildProcess.pythonRingAvailable();
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
}
