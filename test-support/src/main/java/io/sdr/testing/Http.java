package io.sdr.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Plain HTTP to a server on 127.0.0.1, as curl or a probe would ask it. */
public final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {
    }

    public record Result(int status, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }
    }

    /** {@code GET http://127.0.0.1:port/path}; a transport error fails the test. */
    public static Result get(final int port, final String path) {
        try {
            final HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new Result(r.statusCode(), r.body());
        } catch (final IOException e) {
            throw new AssertionError("GET " + path + " on port " + port + " failed: " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Waits until {@code server} answers /health on {@code port} (any status); fails when it exits first. */
    public static void awaitServing(final ChildProcess server, final int port) {
        Await.eventually(() -> server.name + " answers /health on port " + port + "; output so far:\n" + server.tail(), () -> {
            if (!server.isAlive()) {
                throw new AssertionError(server.name + " exited with " + server.process.exitValue() + ":\n" + server.tail());
            }
            try {
                CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                return true;
            } catch (final IOException e) {
                return false;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    /**
     * One Prometheus sample of {@code text} (the /metrics page), matched by name and the given
     * {@code label=value} pairs (other labels ignored), summed over the matching series; NaN when none matches.
     */
    public static double metric(final String text, final String name, final String... labels) {
        double sum = Double.NaN;
        final Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE).matcher(text);
        outer:
        while (m.find()) {
            final String labelText = m.group(1) == null ? "" : m.group(1);
            for (final String label : labels) {
                final int eq = label.indexOf('=');
                if (!labelText.contains(label.substring(0, eq) + "=\"" + label.substring(eq + 1) + "\"")) {
                    continue outer;
                }
            }
            final double value = Double.parseDouble(m.group(2));
            sum = Double.isNaN(sum) ? value : sum + value;
        }
        return sum;
    }

    /** {@link #metric(String, String, String...)} of the server's /metrics on {@code port}. */
    public static double metric(final int port, final String name, final String... labels) {
        return metric(get(port, "/metrics").body(), name, labels);
    }
}
