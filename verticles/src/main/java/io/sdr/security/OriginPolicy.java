package io.sdr.security;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which browser pages may open a WebSocket ({@code websocket.allowedOrigins}). Browsers send the
 * page's origin with every WebSocket upgrade and, unlike for fetch, do not enforce CORS on the
 * answer: without this check any web page a viewer visits could watch the cameras with the
 * viewer's network position (cross-site WebSocket hijacking).
 *
 * <ul>
 *   <li>{@code "same-origin"} (the default): the origin's host[:port] equals the request's Host
 *       header (Caddy passes Host through, so this holds behind it too, HTTPS included);</li>
 *   <li>{@code "https://viewer.example.com"}: that origin exactly (scheme, host, port);</li>
 *   <li>{@code "*"}: any page;</li>
 *   <li>{@code "null"}: pages with an opaque origin (file://, sandboxed frames).</li>
 * </ul>
 * Requests without an Origin header (curl, the Java and Python clients) are not from a browser
 * page and always pass: the token, not the origin, is what authenticates them.
 */
public final class OriginPolicy {
    public static final String SAME_ORIGIN = "same-origin";

    private final boolean any;
    private final boolean sameOrigin;
    private final List<String> origins;

    private OriginPolicy(final boolean any, final boolean sameOrigin, final List<String> origins) {
        this.any = any;
        this.sameOrigin = sameOrigin;
        this.origins = List.copyOf(origins);
    }

    public static OriginPolicy read(final ConfigReader c, final String name) {
        boolean any = false;
        boolean same = false;
        final List<String> origins = new ArrayList<>();
        for (final String value : c.stringList(name, List.of(SAME_ORIGIN))) {
            if (value.equals("*")) {
                any = true;
            } else if (value.equals(SAME_ORIGIN)) {
                same = true;
            } else if (value.equals("null")) {
                origins.add("null");
            } else {
                origins.add(normalise(c.key(name), value));
            }
        }
        return new OriginPolicy(any, same, origins);
    }

    private static String normalise(final String key, final String value) {
        final URI uri;
        try {
            uri = new URI(value);
        } catch (final URISyntaxException e) {
            throw originError(key, value);
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
            || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
            || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw originError(key, value);
        }
        final int port = uri.getPort();
        final boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    private static ConfigException originError(final String key, final String value) {
        return new ConfigException(key + ": \"" + value + "\" is not an origin; allowed: \"same-origin\", \"*\", \"null\" "
            + "or SCHEME://HOST[:PORT] with SCHEME http or https and no path (e.g. https://sdr.example.com)");
    }

    /**
     * @param origin the request's Origin header, or null
     * @param host   the request's Host header, or null
     */
    public boolean allows(final String origin, final String host) {
        if (origin == null || any) {
            return true;
        }
        final String trimmed = origin.trim();
        if (trimmed.equals("null")) {
            return origins.contains("null");
        }
        final String normalised;
        try {
            normalised = normalise("Origin", trimmed);
        } catch (final ConfigException e) {
            return false;
        }
        if (origins.contains(normalised)) {
            return true;
        }
        return sameOrigin && host != null && authority(normalised).equals(hostWithoutDefaultPort(normalised, host));
    }

    private static String authority(final String origin) {
        return origin.substring(origin.indexOf("://") + 3);
    }

    private static String hostWithoutDefaultPort(final String origin, final String host) {
        final String h = host.trim().toLowerCase(Locale.ROOT);
        if (origin.startsWith("https://") && h.endsWith(":443")) {
            return h.substring(0, h.length() - 4);
        }
        if (origin.startsWith("http://") && h.endsWith(":80")) {
            return h.substring(0, h.length() - 3);
        }
        return h;
    }

    @Override
    public String toString() {
        final List<String> all = new ArrayList<>();
        if (any) {
            all.add("*");
        }
        if (sameOrigin) {
            all.add(SAME_ORIGIN);
        }
        all.addAll(origins);
        return all.toString();
    }
}
