package io.sdr.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

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
}
