package io.sdr.config;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed plan's {@code SDR_*} environment variables, which override conf.json. Values are put
 * in as strings and validated by the sections' records like any other value; {@link #explain}
 * names the variable when one of its values is refused.
 *
 * <pre>
 *   SDR_SHM_PATH            streams.&lt;first&gt;.path
 *   SDR_SHM_SIZE            streams.&lt;first&gt;.size
 *   SDR_CRC_ENABLED         streams.*.crc
 *   SDR_NATS_URL            nats.url
 *   SDR_NATS_REQUIRED       nats.required
 *   SDR_VIDEO_ROLE          video.role (origin, edge, off)
 *   SDR_LISTEN_ADDR         websocket.listen
 *   SDR_BROADCAST_CAPACITY  websocket.maxQueuedFrames
 *   SDR_IDR_COALESCE_MS     poller.idrCoalesceMs
 *   SDR_IDR_TIMEOUT_MS      websocket.idrTimeoutMs
 *   SDR_TELEMETRY_SUBJECTS  nats.subjects
 *   SDR_TELEMETRY_MAX_SIZE  nats.maxMessageBytes
 *   SDR_BRIDGE_ADDR         bridge.listen (the bridge opens unless bridge.enabled is false)
 *   SDR_RECORDING_DIR       recording.dir (continuous MCAP recording)
 *   SDR_AUTH_ENABLED        websocket.auth.enabled
 *   SDR_AUTH_ALGORITHM      websocket.auth.algorithm (HS256, RS256)
 *   SDR_AUTH_SECRET_FILE    websocket.auth.secretFile (HS256)
 *   SDR_AUTH_SECRET         websocket.auth.secret (HS256; prefer the file: the environment leaks more easily)
 *   SDR_AUTH_PUBLIC_KEY_FILE websocket.auth.publicKeyFile (RS256)
 *   SDR_AUTH_ISSUER         websocket.auth.issuer
 *   SDR_AUTH_AUDIENCE       websocket.auth.audience (comma-separated)
 *   SDR_ALLOWED_ORIGINS     websocket.allowedOrigins (comma-separated)
 *   SDR_MAX_CLIENTS_PER_ADDRESS websocket.maxClientsPerAddress
 *   SDR_TRUSTED_PROXIES     websocket.trustedProxies (comma-separated CIDRs)
 *   SDR_ADMIN_ALLOW         websocket.admin.allow (comma-separated CIDRs)
 *   SDR_IDLE_TIMEOUT_MS     websocket.idleTimeoutMs
 *   SDR_TLS_CERT            websocket.tls.cert (PEM)
 *   SDR_TLS_KEY             websocket.tls.key (PEM)
 * </pre>
 */
public final class EnvOverrides {
    private final JsonObject config;
    private final Map<String, String> sources = new LinkedHashMap<>();

    private EnvOverrides(final JsonObject config) {
        this.config = config;
    }

    /** A copy of {@code config} with the variables present in {@code env} applied. */
    public static EnvOverrides apply(final JsonObject config, final Map<String, String> env) {
        final EnvOverrides result = new EnvOverrides(config == null ? new JsonObject() : config.copy());
        final JsonObject streams = result.section("streams");
        if (streams.isEmpty()) {
            streams.put("main", new JsonObject());
        }
        final String first = streams.fieldNames().iterator().next();
        result.set(env, "SDR_SHM_PATH", "streams." + first, "path");
        result.set(env, "SDR_SHM_SIZE", "streams." + first, "size");
        if (env.containsKey("SDR_CRC_ENABLED")) {
            for (final String name : streams.fieldNames()) {
                result.set(env, "SDR_CRC_ENABLED", "streams." + name, "crc");
            }
        }
        result.set(env, "SDR_NATS_URL", "nats", "url");
        result.set(env, "SDR_NATS_REQUIRED", "nats", "required");
        result.set(env, "SDR_VIDEO_ROLE", "video", "role");
        result.set(env, "SDR_LISTEN_ADDR", "websocket", "listen");
        result.set(env, "SDR_BROADCAST_CAPACITY", "websocket", "maxQueuedFrames");
        result.set(env, "SDR_IDR_COALESCE_MS", "poller", "idrCoalesceMs");
        result.set(env, "SDR_IDR_TIMEOUT_MS", "websocket", "idrTimeoutMs");
        result.set(env, "SDR_TELEMETRY_SUBJECTS", "nats", "subjects");
        result.set(env, "SDR_TELEMETRY_MAX_SIZE", "nats", "maxMessageBytes");
        result.set(env, "SDR_BRIDGE_ADDR", "bridge", "listen");
        result.set(env, "SDR_RECORDING_DIR", "recording", "dir");
        result.set(env, "SDR_AUTH_ENABLED", "websocket.auth", "enabled");
        result.set(env, "SDR_AUTH_ALGORITHM", "websocket.auth", "algorithm");
        result.set(env, "SDR_AUTH_SECRET_FILE", "websocket.auth", "secretFile");
        result.set(env, "SDR_AUTH_SECRET", "websocket.auth", "secret");
        result.set(env, "SDR_AUTH_PUBLIC_KEY_FILE", "websocket.auth", "publicKeyFile");
        result.set(env, "SDR_AUTH_ISSUER", "websocket.auth", "issuer");
        result.set(env, "SDR_AUTH_AUDIENCE", "websocket.auth", "audience");
        result.set(env, "SDR_ALLOWED_ORIGINS", "websocket", "allowedOrigins");
        result.set(env, "SDR_MAX_CLIENTS_PER_ADDRESS", "websocket", "maxClientsPerAddress");
        result.set(env, "SDR_TRUSTED_PROXIES", "websocket", "trustedProxies");
        result.set(env, "SDR_ADMIN_ALLOW", "websocket.admin", "allow");
        result.set(env, "SDR_IDLE_TIMEOUT_MS", "websocket", "idleTimeoutMs");
        result.set(env, "SDR_TLS_CERT", "websocket.tls", "cert");
        result.set(env, "SDR_TLS_KEY", "websocket.tls", "key");
        return result;
    }

    private void set(final Map<String, String> env, final String variable, final String path, final String key) {
        final String value = env.get(variable);
        if (value == null) {
            return;
        }
        JsonObject target = config;
        for (final String part : path.split("\\.")) {
            JsonObject next = target.getValue(part) instanceof JsonObject ? target.getJsonObject(part) : null;
            if (next == null) {
                next = new JsonObject();
                target.put(part, next);
            }
            target = next;
        }
        target.put(key, value);
        sources.put(path + "." + key, variable);
    }

    private JsonObject section(final String name) {
        if (!(config.getValue(name) instanceof JsonObject)) {
            config.put(name, new JsonObject());
        }
        return config.getJsonObject(name);
    }

    public JsonObject config() {
        return config;
    }

    /** The message of {@code e}, naming the environment variable when the refused key came from one. */
    public String explain(final ConfigException e) {
        final String message = e.getMessage();
        for (final Map.Entry<String, String> source : sources.entrySet()) {
            if (message.startsWith(source.getKey() + "=") || message.startsWith(source.getKey() + ":")) {
                return message + " (set by " + source.getValue() + ")";
            }
        }
        return message;
    }
}
