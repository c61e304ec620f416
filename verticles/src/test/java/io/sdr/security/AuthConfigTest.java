package io.sdr.security;

import io.sdr.cli.TokenCommand;
import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.sdr.config.EnvOverrides;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** websocket.auth validation, the SDR_AUTH_* overrides, and the token command against the verifier. */
class AuthConfigTest {
    @TempDir
    Path dir;

    private static AuthConfig auth(final JsonObject section) {
        return AuthConfig.from(new ConfigReader("websocket", new JsonObject().put("auth", section)));
    }

    private static String failure(final JsonObject section) {
        return assertThrows(ConfigException.class, () -> auth(section)).getMessage();
    }

    @Test
    void shouldBeOffByDefaultAndNeedNoKeyThen() {
        assertFalse(AuthConfig.from(new ConfigReader("websocket", new JsonObject())).enabled());
        assertFalse(auth(new JsonObject().put("secretFile", "/nonexistent")).enabled());
    }

    @Test
    void shouldNameTheKeyAndNeverTheSecretWhenRefusing() throws Exception {
        assertTrue(failure(new JsonObject().put("enabled", true)).startsWith("websocket.auth.secretFile: required"));
        assertTrue(failure(new JsonObject().put("enabled", true).put("secretFile", dir.resolve("none").toString()))
            .contains("cannot read the file"));
        final Path shortSecret = Files.writeString(dir.resolve("short"), "hunter2-hunter2\n");
        final String tooShort = failure(new JsonObject().put("enabled", true).put("secretFile", shortSecret.toString()));
        assertTrue(tooShort.contains("15 bytes, at least 32"), tooShort);
        assertFalse(tooShort.contains("hunter2"), "the secret never appears in a message");
        assertTrue(failure(new JsonObject().put("enabled", true).put("algorithm", "RS256")).startsWith("websocket.auth.publicKeyFile: required"));
        final Path notAKey = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertTrue(failure(new JsonObject().put("enabled", true).put("algorithm", "RS256").put("publicKeyFile", notAKey.toString()))
            .contains("not a PEM public key"));
        assertTrue(failure(new JsonObject().put("enabled", true).put("algorithm", "none")).startsWith("websocket.auth.algorithm=\"none\""));
        assertTrue(failure(new JsonObject().put("enabld", true)).startsWith("websocket.auth.enabld: unknown setting"));
    }

    @Test
    void shouldTakeTheSecretFileFromTheEnvironment() throws Exception {
        final Path secret = Files.writeString(dir.resolve("secret"), "0123456789abcdef0123456789abcdef\n");
        final EnvOverrides env = EnvOverrides.apply(new JsonObject(), Map.of("SDR_AUTH_ENABLED", "true",
            "SDR_AUTH_SECRET_FILE", secret.toString(), "SDR_ALLOWED_ORIGINS", "https://a.example,https://b.example",
            "SDR_MAX_CLIENTS_PER_ADDRESS", "8", "SDR_TRUSTED_PROXIES", "172.16.0.0/12"));
        final JsonObject websocket = env.config().getJsonObject("websocket");
        final SecurityConfig rules = SecurityConfig.from(new ConfigReader("websocket", websocket));
        assertTrue(rules.auth().enabled());
        assertEquals("0123456789abcdef0123456789abcdef", rules.auth().secret());
        assertEquals(8, rules.maxClientsPerAddress());
        assertTrue(rules.allowedOrigins().allows("https://b.example", "x"));
        assertTrue(rules.trustedProxies().contains("172.20.0.5"));
        final EnvOverrides missing = EnvOverrides.apply(new JsonObject(), Map.of("SDR_AUTH_ENABLED", "true",
            "SDR_AUTH_SECRET_FILE", dir.resolve("absent").toString()));
        final ConfigException e = assertThrows(ConfigException.class, () -> SecurityConfig.from(
            new ConfigReader("websocket", missing.config().getJsonObject("websocket"))));
        assertTrue(missing.explain(e).endsWith("(set by SDR_AUTH_SECRET_FILE)"), missing.explain(e));
    }

    @Test
    void shouldMintTokensTheVerifierAcceptsWithTheirGrants() throws Exception {
        final Path secret = dir.resolve("secret");
        final String[] out = run("--new-secret");
        Files.writeString(secret, out[0]);
        assertTrue(out[0].trim().length() >= 43, "256 bits, base64url");
        final String token = run("--secret-file", secret.toString(), "--stream", "main", "--subject", "telemetry.r1.>",
            "--no-keyframe", "--ttl", "10m", "--sub", "display-1")[0].trim();
        final Vertx vertx = Vertx.vertx();
        try {
            final AuthConfig config = auth(new JsonObject().put("enabled", true).put("secretFile", secret.toString()));
            final TokenVerifier.Verified verified = new TokenVerifier(vertx, config).verify(token)
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals("display-1", verified.subject());
            assertTrue(verified.grants().allowsStream("main"));
            assertFalse(verified.grants().allowsStream("aux"));
            assertFalse(verified.grants().keyframe());
            assertEquals("[telemetry.r1.>]", String.valueOf(verified.grants().subjects()));
            final long ttl = verified.expiresAtEpochS() - System.currentTimeMillis() / 1000;
            assertTrue(ttl > 500 && ttl <= 600, "ttl=" + ttl);
        } finally {
            vertx.close();
        }
        assertEquals(2, TokenCommand.run("--secret-file", secret.toString(), "--ttl", "forever"));
        assertEquals(2, TokenCommand.run("--secret-file", secret.toString(), "--subject", "a..b"));
        assertEquals(1, TokenCommand.run("--secret-file", dir.resolve("absent").toString()));
    }

    /** Runs the token command; returns {stdout, stderr}. */
    private static String[] run(final String... args) {
        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        final ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, TokenCommand.run(args), () -> "token " + List.of(args) + ": " + e);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    }
}
