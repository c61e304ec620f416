package io.sdr.security;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * A list of address ranges ({@code 10.0.0.0/8}, {@code fd7a:115c:a1e0::/48}, or a single address),
 * matched with Netty's {@link IpSubnetFilterRule}. Only IP literals: a host name would need DNS at
 * every check and could change under us.
 */
public final class Cidrs {
    public static final List<String> LOOPBACK = List.of("127.0.0.0/8", "::1/128");

    private final List<String> text;
    private final List<IpSubnetFilterRule> rules;

    private Cidrs(final List<String> text, final List<IpSubnetFilterRule> rules) {
        this.text = List.copyOf(text);
        this.rules = List.copyOf(rules);
    }

    public static Cidrs none() {
        return new Cidrs(List.of(), List.of());
    }

    /** Reads {@code name} of {@code c} (a list, or a comma-separated string; {@code []} allowed: nothing). */
    public static Cidrs read(final ConfigReader c, final String name, final List<String> defaultValue) {
        final Object raw = c.json().getValue(name);
        if (raw instanceof io.vertx.core.json.JsonArray && ((io.vertx.core.json.JsonArray) raw).isEmpty()) {
            return none();
        }
        if (raw instanceof String && ((String) raw).trim().isEmpty()) {
            return none();
        }
        final List<String> values = c.stringList(name, defaultValue);
        final List<IpSubnetFilterRule> rules = new ArrayList<>();
        for (final String value : values) {
            rules.add(parse(c.key(name), value));
        }
        return new Cidrs(values, rules);
    }

    public static Cidrs of(final List<String> values) {
        final List<IpSubnetFilterRule> rules = new ArrayList<>();
        for (final String value : values) {
            rules.add(parse("cidr", value));
        }
        return new Cidrs(values, rules);
    }

    private static IpSubnetFilterRule parse(final String key, final String value) {
        final int slash = value.indexOf('/');
        final String address = slash < 0 ? value : value.substring(0, slash);
        final boolean v4 = NetUtil.isValidIpV4Address(address);
        if (!v4 && !NetUtil.isValidIpV6Address(address)) {
            throw new ConfigException(key + ": \"" + value + "\" is not an IP address or ADDRESS/PREFIX range (e.g. 10.0.0.0/8, ::1/128)");
        }
        final int max = v4 ? 32 : 128;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(value.substring(slash + 1));
            } catch (final NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new ConfigException(key + ": \"" + value + "\": the prefix length must be in [0, " + max + "]");
            }
        }
        return new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT);
    }

    /** Whether {@code address} (an IP literal; IPv4-mapped IPv6 counts as IPv4) is in one of the ranges. */
    public boolean contains(final String address) {
        if (rules.isEmpty() || address == null) {
            return false;
        }
        final InetAddress inet = literal(address);
        if (inet == null) {
            return false;
        }
        final InetSocketAddress socket = new InetSocketAddress(inet, 0);
        for (final IpSubnetFilterRule rule : rules) {
            if (rule.matches(socket)) {
                return true;
            }
        }
        return false;
    }

    /** The address of an IP literal without any DNS look-up; null when it is not one. */
    static InetAddress literal(final String address) {
        String a = address.trim();
        if (a.startsWith("[") && a.endsWith("]")) {
            a = a.substring(1, a.length() - 1);
        }
        final int zone = a.indexOf('%');
        if (zone >= 0) {
            a = a.substring(0, zone);
        }
        if (!NetUtil.isValidIpV4Address(a) && !NetUtil.isValidIpV6Address(a)) {
            return null;
        }
        try {
            return InetAddress.getByName(a); // a literal: no look-up
        } catch (final UnknownHostException e) {
            return null;
        }
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public List<String> text() {
        return text;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
