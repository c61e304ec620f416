package io.sdr.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads one conf.json section into typed values, failing with a message that names the full key,
 * the value and what is allowed ({@code "websocket.maxClients=-1: must be an integer in [1, 100000]"}).
 * Unknown keys fail too, so a typo is not silently ignored.
 */
public final class ConfigReader {
    private static final System.Logger LOG = System.getLogger(ConfigReader.class.getName());
    private final String section;
    private final JsonObject json;

    public ConfigReader(final String section, final JsonObject json) {
        this.section = section;
        this.json = json == null ? new JsonObject() : json;
    }

    /**
     * A setting that was renamed: its old name still works (read as the new one, with a warning),
     * so a conf written for an earlier release starts; both at once is an error.
     */
    public void renamed(final String oldName, final String newName) {
        if (!json.containsKey(oldName)) {
            return;
        }
        if (json.containsKey(newName)) {
            throw new ConfigException(key(oldName) + " and " + key(newName) + " are the same setting: keep " + key(newName));
        }
        LOG.log(System.Logger.Level.WARNING, key(oldName) + " is now called " + key(newName) + "; please rename it");
        json.put(newName, json.remove(oldName));
    }

    public String key(final String name) {
        return section.isEmpty() ? name : section + "." + name;
    }

    public JsonObject json() {
        return json;
    }

    /** Fails when the section holds a key not in {@code allowed}. */
    public void allowOnly(final String... allowed) {
        final Set<String> names = Set.of(allowed);
        for (final String name : json.fieldNames()) {
            if (!names.contains(name)) {
                throw new ConfigException(key(name) + ": unknown setting; allowed: " + String.join(", ", sortedCopy(allowed)));
            }
        }
    }

    public long longValue(final String name, final long defaultValue, final long min, final long max) {
        final Object raw = json.getValue(name);
        if (raw == null) {
            return defaultValue;
        }
        final long value;
        if (raw instanceof Number && !(raw instanceof Double || raw instanceof Float)) {
            value = ((Number) raw).longValue();
        } else if (raw instanceof String) {
            try {
                value = Long.parseLong(((String) raw).trim());
            } catch (final NumberFormatException e) {
                throw rangeError(name, raw, min, max);
            }
        } else {
            throw rangeError(name, raw, min, max);
        }
        if (value < min || value > max) {
            throw rangeError(name, raw, min, max);
        }
        return value;
    }

    public int intValue(final String name, final int defaultValue, final int min, final int max) {
        return (int) longValue(name, defaultValue, min, max);
    }

    private ConfigException rangeError(final String name, final Object raw, final long min, final long max) {
        return new ConfigException(key(name) + "=" + quote(raw) + ": must be an integer in [" + min + ", " + max + "]");
    }

    public boolean booleanValue(final String name, final boolean defaultValue) {
        final Object raw = json.getValue(name);
        if (raw == null) {
            return defaultValue;
        }
        if (raw instanceof Boolean) {
            return (Boolean) raw;
        }
        if (raw instanceof String) {
            switch (((String) raw).trim().toLowerCase(Locale.ROOT)) {
                case "true": case "1": case "yes": case "on":
                    return true;
                case "false": case "0": case "no": case "off":
                    return false;
                default:
                    break;
            }
        }
        throw new ConfigException(key(name) + "=" + quote(raw) + ": must be true or false (or 1/0)");
    }

    public String stringValue(final String name, final String defaultValue) {
        final Object raw = json.getValue(name);
        if (raw == null) {
            return defaultValue;
        }
        if (!(raw instanceof String) || ((String) raw).isBlank()) {
            throw new ConfigException(key(name) + "=" + quote(raw) + ": must be a non-empty string");
        }
        return (String) raw;
    }

    /** A listen address: the host (an IPv6 address without its brackets), the port, and the value as written. */
    public record Listen(String host, int port, String text) {
    }

    /** {@code HOST:PORT} ({@code [v6]:PORT} too) with PORT in [{@code minPort}, 65535]. */
    public Listen listen(final String name, final String defaultValue, final int minPort) {
        final String text = stringValue(name, defaultValue);
        final int colon = text.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (final NumberFormatException ignored) {
                port = -1;
            }
        }
        if (port < minPort || port > 65535) {
            throw new ConfigException(key(name) + "=\"" + text + "\": must be HOST:PORT with PORT in [" + minPort + ", 65535]");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Listen(host, port, text);
    }

    public String oneOf(final String name, final String defaultValue, final String... allowed) {
        final String value = stringValue(name, defaultValue);
        if (!Arrays.asList(allowed).contains(value)) {
            throw new ConfigException(key(name) + "=" + quote(value) + ": must be one of " + String.join(", ", allowed));
        }
        return value;
    }

    /** A list of non-empty strings; a single string is taken as a comma-separated list. */
    public List<String> stringList(final String name, final List<String> defaultValue) {
        final Object raw = json.getValue(name);
        if (raw == null) {
            return defaultValue;
        }
        final List<String> values = new ArrayList<>();
        if (raw instanceof String) {
            for (final String part : ((String) raw).split(",")) {
                if (!part.isBlank()) {
                    values.add(part.trim());
                }
            }
        } else if (raw instanceof JsonArray) {
            for (final Object item : (JsonArray) raw) {
                if (!(item instanceof String) || ((String) item).isBlank()) {
                    throw new ConfigException(key(name) + "=" + quote(raw) + ": must be a list of non-empty strings");
                }
                values.add(((String) item).trim());
            }
        } else {
            throw new ConfigException(key(name) + "=" + quote(raw) + ": must be a list of non-empty strings");
        }
        if (values.isEmpty()) {
            throw new ConfigException(key(name) + "=" + quote(raw) + ": must not be empty");
        }
        return List.copyOf(values);
    }

    public ConfigReader child(final String name) {
        final Object raw = json.getValue(name);
        if (raw != null && !(raw instanceof JsonObject)) {
            throw new ConfigException(key(name) + "=" + quote(raw) + ": must be an object");
        }
        return new ConfigReader(key(name), (JsonObject) raw);
    }

    private static String quote(final Object raw) {
        return raw instanceof String ? "\"" + raw + "\"" : String.valueOf(raw);
    }

    private static List<String> sortedCopy(final String[] values) {
        final List<String> list = new ArrayList<>(Arrays.asList(values));
        list.sort(null);
        return list;
    }
}
