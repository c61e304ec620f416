package io.sdr.security;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The access rules of the HTTP/WebSocket server, read from the {@code websocket} section next to
 * its other settings, validated.
 *
 * @param auth                 token authentication ({@code websocket.auth})
 * @param adminAllow           who may read /metrics and the detailed /health ({@code websocket.admin.allow}; loopback by default)
 * @param allowedOrigins       browser origins allowed to open a WebSocket ({@code websocket.allowedOrigins})
 * @param maxClientsPerAddress WebSocket connections per client address; 0: no limit
 * @param trustedProxies       peers whose X-Forwarded-For names the client (Caddy); empty: none
 * @param messagesPerSecond    client messages (frames) per second allowed on average; 0: no limit
 * @param messageBurst         client messages allowed at once above that rate
 * @param idleTimeoutMs        a WebSocket with no traffic either way for this long is closed (1001); 0: never
 * @param handshakeTimeoutMs   a connection that has not sent a complete request head within this is closed; 0: never
 * @param tlsCertPath          PEM certificate chain for HTTPS/WSS on the listen port; null: plain HTTP
 * @param tlsKeyPath           PEM private key of that certificate
 */
public record SecurityConfig(AuthConfig auth, Cidrs adminAllow, OriginPolicy allowedOrigins, int maxClientsPerAddress,
                             Cidrs trustedProxies, int messagesPerSecond, int messageBurst, long idleTimeoutMs,
                             long handshakeTimeoutMs, String tlsCertPath, String tlsKeyPath) {

    /** The keys of the websocket section this record reads. */
    public static final String[] KEYS = {"auth", "admin", "allowedOrigins", "maxClientsPerAddress", "trustedProxies",
        "clientMessagesPerSecond", "clientMessageBurst", "idleTimeoutMs", "handshakeTimeoutMs", "tls"};

    public static SecurityConfig from(final ConfigReader c) {
        final ConfigReader admin = c.child("admin");
        admin.allowOnly("allow");
        final ConfigReader tls = c.child("tls");
        tls.allowOnly("cert", "key");
        String cert = null;
        String key = null;
        if (!tls.json().isEmpty()) {
            cert = readable(tls, "cert");
            key = readable(tls, "key");
        }
        final int rate = c.intValue("clientMessagesPerSecond", 20, 0, 1_000_000);
        return new SecurityConfig(
            AuthConfig.from(c),
            Cidrs.read(admin, "allow", Cidrs.LOOPBACK),
            OriginPolicy.read(c, "allowedOrigins"),
            c.intValue("maxClientsPerAddress", 0, 0, 100_000),
            Cidrs.read(c, "trustedProxies", java.util.List.of()),
            rate,
            c.intValue("clientMessageBurst", Math.max(1, 2 * rate), 1, 1_000_000),
            c.longValue("idleTimeoutMs", 120_000, 0, 86_400_000),
            c.longValue("handshakeTimeoutMs", 10_000, 0, 3_600_000),
            cert,
            key);
    }

    private static String readable(final ConfigReader tls, final String name) {
        if (tls.json().getValue(name) == null) {
            throw new ConfigException(tls.key(name) + ": required when websocket.tls is set (a PEM file; SDR_TLS_CERT / SDR_TLS_KEY)");
        }
        final String path = tls.stringValue(name, null);
        if (!Files.isReadable(Path.of(path))) {
            throw new ConfigException(tls.key(name) + "=\"" + path + "\": no such readable file");
        }
        return path;
    }

    public boolean tls() {
        return tlsCertPath != null;
    }
}
