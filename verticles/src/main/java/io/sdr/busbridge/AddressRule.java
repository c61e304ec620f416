package io.sdr.busbridge;

import io.vertx.ext.bridge.PermittedOptions;

import java.util.regex.Pattern;

/**
 * One permitted-address rule of the TCP event-bus bridge: an exact address or a regular expression
 * that must match the whole address (as the bridge itself matches it).
 */
public record AddressRule(String address, Pattern regex) {

    public static AddressRule exact(final String address) {
        return new AddressRule(address, null);
    }

    public static AddressRule regex(final String regex) {
        return new AddressRule(null, Pattern.compile(regex));
    }

    public boolean matches(final String candidate) {
        return address != null ? address.equals(candidate) : regex.matcher(candidate).matches();
    }

    PermittedOptions toPermittedOptions() {
        return address != null ? new PermittedOptions().setAddress(address) : new PermittedOptions().setAddressRegex(regex.pattern());
    }

    @Override
    public String toString() {
        return address != null ? address : "/" + regex.pattern() + "/";
    }
}
