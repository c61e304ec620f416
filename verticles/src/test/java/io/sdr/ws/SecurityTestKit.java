package io.sdr.ws;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.ws.WebSocketVerticleTestKit.conf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Tokens, refused upgrades and header-carrying HTTP probes for the access-rule tests. */
final class SecurityTestKit {
    /** 40 bytes: above the 32-byte minimum. */
    static final String SECRET = "test-secret-0123456789-abcdefghijklmnopq";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private SecurityTestKit() {
    }

    /** The test conf with HS256 authentication on ({@link #SECRET}, no leeway). */
    static JsonObject authConf(final Path ring, final int port) {
        final JsonObject conf = conf(ring, port);
        conf.getJsonObject("websocket").put("auth", new JsonObject().put("enabled", true).put("secret", SECRET)
            .put("leewaySeconds", 0));
        return conf;
    }

    static JsonObject grants(final List<String> streams, final List<String> subjects, final boolean keyframe) {
        return new JsonObject().put("streams", new JsonArray(streams)).put("subjects", new JsonArray(subjects))
            .put("keyframe", keyframe);
    }

    /** A token signed with {@code key} ({@code algorithm} HS256: the secret; RS256: a PEM private key). */
    static String mint(final Vertx vertx, final String algorithm, final String key, final JsonObject sdr,
                       final Long expEpochS) {
        final JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(key)));
        final JsonObject claims = new JsonObject().put("sub", "test-viewer");
        if (sdr != null) {
            claims.put("sdr", sdr);
        }
        if (expEpochS != null) {
            claims.put("exp", expEpochS);
        }
        return jwt.generateToken(claims, new JWTOptions().setAlgorithm(algorithm));
    }

    /** An HS256 token with {@link #SECRET} granting {@code sdr}, valid for an hour. */
    static String token(final Vertx vertx, final JsonObject sdr) {
        return mint(vertx, "HS256", SECRET, sdr, System.currentTimeMillis() / 1000 + 3600);
    }

    static WebSocketConnectOptions ws(final int port, final String uri) {
        return new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
    }

    /** Connects expecting a refusal of the upgrade; returns it (status, headers, body). */
    static UpgradeRejectedException refused(final WebSocketClient client, final WebSocketConnectOptions options) {
        try {
            final WebSocketVerticleTestKit.Viewer viewer = WebSocketVerticleTestKit.Viewer.connect(client, options, "refused");
            viewer.socket.close();
            return fail("the upgrade of " + options.getURI() + " was accepted");
        } catch (final WebSocketVerticleTestKit.ConnectFailed e) {
            assertTrue(e.getCause() instanceof UpgradeRejectedException, "expected a refused upgrade, got " + e.getCause());
            return (UpgradeRejectedException) e.getCause();
        }
    }

    static String body(final UpgradeRejectedException e) {
        return e.getBody() == null ? "" : e.getBody().toString(StandardCharsets.UTF_8);
    }

    /** The JSON of a 0x03 control message, or null when {@code message} is not one. */
    static JsonObject control(final Buffer message) {
        return message.getByte(0) == 0x03 ? new JsonObject(message.getString(1, message.length(), "UTF-8")) : null;
    }

    /** The subject of a 0x02 telemetry message, or null ([0x02][u16 LE subject length][subject]...). */
    static String telemetrySubject(final Buffer message) {
        if (message.getByte(0) != 0x02) {
            return null;
        }
        final int length = message.getUnsignedShortLE(1);
        return message.getString(3, 3 + length, "UTF-8");
    }

    static WebSocketVerticleTestKit.HttpResult get(final int port, final String path, final String... headers) {
        try {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(PATIENCE).GET();
            for (int i = 0; i < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            final HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new WebSocketVerticleTestKit.HttpResult(response.statusCode(), response.body());
        } catch (final IOException e) {
            throw new AssertionError("GET " + path + " failed: " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
