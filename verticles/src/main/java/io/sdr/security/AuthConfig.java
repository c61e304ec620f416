package io.sdr.security;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * Settings of token authentication ({@code websocket.auth}), validated; the key material is read
 * here, so a missing or unreadable key fails the deployment before any port opens.
 *
 * @param enabled        false: every client may watch every stream (the local demo)
 * @param algorithm      HS256 (shared secret) or RS256 (the server holds only the public key)
 * @param secret         the HS256 secret (from {@code secretFile}, or {@code secret} / {@code SDR_AUTH_SECRET}); null for RS256
 * @param publicKeyPem   the RS256 public key, PEM ({@code publicKeyFile}); null for HS256
 * @param issuer         when set, tokens must carry this {@code iss}
 * @param audience       when not empty, tokens must carry one of these in {@code aud}
 * @param leewaySeconds  clock skew tolerated on {@code exp}, {@code nbf} and {@code iat}
 * @param closeOnExpiry  close a connection when its token expires (4401), instead of only refusing the next one
 */
public record AuthConfig(boolean enabled, String algorithm, String secret, String publicKeyPem, String issuer,
                         List<String> audience, int leewaySeconds, boolean closeOnExpiry) {
    public static final String SECTION = "auth";
    /** 256 bits: HS256's own strength; shorter secrets can be brute-forced from one token. */
    public static final int MIN_SECRET_BYTES = 32;

    public static final AuthConfig DISABLED = new AuthConfig(false, "HS256", null, null, null, List.of(), 30, true);

    public static AuthConfig from(final ConfigReader parent) {
        final ConfigReader c = parent.child(SECTION);
        c.allowOnly("enabled", "algorithm", "secret", "secretFile", "publicKeyFile", "issuer", "audience",
            "leewaySeconds", "closeOnExpiry");
        final boolean enabled = c.booleanValue("enabled", false);
        final String algorithm = c.oneOf("algorithm", "HS256", "HS256", "RS256");
        final String issuer = c.json().getValue("issuer") == null ? null : c.stringValue("issuer", null);
        final List<String> audience = c.stringList("audience", List.of());
        final int leeway = c.intValue("leewaySeconds", 30, 0, 3600);
        final boolean closeOnExpiry = c.booleanValue("closeOnExpiry", true);
        if (!enabled) {
            return new AuthConfig(false, algorithm, null, null, issuer, audience, leeway, closeOnExpiry);
        }
        if (algorithm.equals("HS256")) {
            if (c.json().getValue("publicKeyFile") != null) {
                throw new ConfigException(c.key("publicKeyFile") + ": only for algorithm RS256; algorithm=HS256 uses secretFile");
            }
            return new AuthConfig(true, algorithm, secret(c), null, issuer, audience, leeway, closeOnExpiry);
        }
        if (c.json().getValue("secret") != null || c.json().getValue("secretFile") != null) {
            throw new ConfigException(c.key("secretFile") + ": only for algorithm HS256; algorithm=RS256 uses publicKeyFile");
        }
        if (c.json().getValue("publicKeyFile") == null) {
            throw new ConfigException(c.key("publicKeyFile") + ": required with algorithm=RS256 (a PEM \"PUBLIC KEY\" file; "
                + "SDR_AUTH_PUBLIC_KEY_FILE)");
        }
        final String path = c.stringValue("publicKeyFile", null);
        final String pem = read(c.key("publicKeyFile"), path);
        checkPublicKey(c.key("publicKeyFile"), path, pem);
        return new AuthConfig(true, algorithm, null, pem, issuer, audience, leeway, closeOnExpiry);
    }

    private static String secret(final ConfigReader c) {
        final boolean inline = c.json().getValue("secret") != null;
        final boolean file = c.json().getValue("secretFile") != null;
        if (inline && file) {
            throw new ConfigException(c.key("secret") + ": set either secret or secretFile, not both");
        }
        if (!inline && !file) {
            throw new ConfigException(c.key("secretFile") + ": required with auth.enabled=true and algorithm=HS256 "
                + "(a file holding at least " + MIN_SECRET_BYTES + " bytes; SDR_AUTH_SECRET_FILE; "
                + "make one with: java -jar sdr-transport.jar token --new-secret > FILE)");
        }
        final String secret;
        final String where;
        if (inline) {
            final Object raw = c.json().getValue("secret");
            if (!(raw instanceof String)) {
                throw new ConfigException(c.key("secret") + ": must be a string (value not shown)");
            }
            secret = ((String) raw).trim();
            where = c.key("secret");
        } else {
            final String path = c.stringValue("secretFile", null);
            secret = read(c.key("secretFile"), path).trim();
            where = c.key("secretFile") + "=\"" + path + "\"";
        }
        // Never the value in a message: it ends up in logs.
        if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
            throw new ConfigException(where + ": the secret is " + secret.getBytes(StandardCharsets.UTF_8).length
                + " bytes, at least " + MIN_SECRET_BYTES + " are required (java -jar sdr-transport.jar token --new-secret)");
        }
        return secret;
    }

    private static String read(final String key, final String path) {
        try {
            return Files.readString(Path.of(path), StandardCharsets.UTF_8);
        } catch (final IOException | RuntimeException e) {
            throw new ConfigException(key + "=\"" + path + "\": cannot read the file: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }

    /** Fails unless {@code pem} holds an RSA public key (X.509 SubjectPublicKeyInfo, "BEGIN PUBLIC KEY"). */
    static void checkPublicKey(final String key, final String path, final String pem) {
        final String begin = "-----BEGIN PUBLIC KEY-----";
        final String end = "-----END PUBLIC KEY-----";
        final int from = pem.indexOf(begin);
        final int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new ConfigException(key + "=\"" + path + "\": not a PEM public key (expected " + begin
                + "; a private key belongs to the token command only)");
        }
        try {
            final byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
            KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (final Exception e) {
            throw new ConfigException(key + "=\"" + path + "\": not an RSA public key: " + e.getMessage());
        }
    }
}
