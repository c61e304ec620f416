package io.sdr.config;

/** A configuration value that cannot be used; the message names the key, the value and what is allowed. */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(final String message) {
        super(message);
    }
}
