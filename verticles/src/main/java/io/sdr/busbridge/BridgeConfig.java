package io.sdr.busbridge;

import io.sdr.bus.Addresses;
import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * Settings of the TCP event-bus bridge and its inspection addresses, validated.
 *
 * <p>A rule is a string (a regular expression matched against the whole address) or an object
 * {@code {"address": "..."}} / {@code {"addressRegex": "..."}}. No rule may match an address that
 * carries local Java objects ({@code frames.<stream>}, {@code telemetry}): those have no JSON form,
 * and a JSON message published there would reach consumers expecting a {@code Frame}.
 *
 * @param enabled          false (or no {@code bridge} section at all) opens no port
 * @param listenHost       interface to bind; loopback by default: the bridge has no authentication
 * @param listenPort       TCP port ({@code SDR_BRIDGE_ADDR}); the CLI's default is 7000
 * @param inbound          addresses clients may send/publish to
 * @param outbound         addresses clients may register for (tail)
 * @param streams          the configured streams (filled in by the main verticle)
 * @param payloadMaxBytes  payload bytes shipped per message on {@code inspect.payload.*}; 0 refuses those addresses
 * @param textMaxChars     characters of telemetry text shown in summaries; longer text is cut (0: never text)
 */
public record BridgeConfig(boolean enabled, String listenHost, int listenPort, List<AddressRule> inbound,
                           List<AddressRule> outbound, List<String> streams, int payloadMaxBytes, int textMaxChars) {

    public static final String SECTION = "bridge";
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7000;

    /** Requests for the inspector and keyframe requests (coalesced by the poller). */
    static final List<String> DEFAULT_INBOUND = List.of("inspect\\.(list|stats)", "keyframe\\.wanted\\..+");
    /** Inspection summaries and the keyframe traffic (JSON). */
    static final List<String> DEFAULT_OUTBOUND = List.of("inspect\\..+", "keyframe\\.(wanted|request)\\..+");

    public static BridgeConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        c.allowOnly("enabled", "listen", "inbound", "outbound", "streams", "payloadMaxBytes", "textMaxChars", "allowRemote");
        final ConfigReader.Listen listen = c.listen("listen", DEFAULT_HOST + ":" + DEFAULT_PORT, 1);
        final String host = listen.host();
        final int port = listen.port();
        final List<String> streams = c.stringList("streams", List.of("main"));
        // The bridge has no authentication: a listen address others can reach must be asked for.
        if (c.booleanValue("enabled", true) && !loopback(host) && !c.booleanValue("allowRemote", false)) {
            throw new ConfigException(c.key("listen") + "=\"" + listen.text() + "\": not a loopback address; the event-bus bridge has "
                + "no authentication, so set bridge.allowRemote=true to listen there anyway (e.g. a private backplane network)");
        }
        return new BridgeConfig(
            c.booleanValue("enabled", true),
            host,
            port,
            rules(c, "inbound", DEFAULT_INBOUND, streams),
            rules(c, "outbound", DEFAULT_OUTBOUND, streams),
            streams,
            c.intValue("payloadMaxBytes", 4096, 0, 16 << 20),
            c.intValue("textMaxChars", 1024, 0, 1 << 20));
    }

    private static List<AddressRule> rules(final ConfigReader c, final String name, final List<String> defaults,
                                           final List<String> streams) {
        final Object raw = c.json().getValue(name);
        final List<Object> entries = new ArrayList<>();
        if (raw == null) {
            entries.addAll(defaults);
        } else if (raw instanceof JsonArray) {
            ((JsonArray) raw).forEach(entries::add);
        } else {
            throw new ConfigException(c.key(name) + "=" + raw + ": must be a list of rules "
                + "(a regular expression string, {\"address\": ...} or {\"addressRegex\": ...})");
        }
        final List<AddressRule> rules = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            final String key = c.key(name) + "[" + i + "]";
            final AddressRule rule = rule(key, entries.get(i));
            for (final String local : localObjectAddresses(streams)) {
                if (rule.matches(local)) {
                    throw new ConfigException(key + "=\"" + rule + "\": matches " + local + ", which carries local Java objects "
                        + "that cannot cross the bridge; allowed: addresses other than frames.<stream> and telemetry "
                        + "(tail " + Addresses.inspectionOf(local, false) + " instead)");
                }
            }
            rules.add(rule);
        }
        return List.copyOf(rules);
    }

    private static AddressRule rule(final String key, final Object entry) {
        final String regex;
        if (entry instanceof String) {
            regex = (String) entry;
        } else if (entry instanceof JsonObject) {
            final ConfigReader r = new ConfigReader(key, (JsonObject) entry);
            r.allowOnly("address", "addressRegex");
            if (r.json().size() != 1) {
                throw new ConfigException(key + "=" + entry + ": must hold exactly one of address, addressRegex");
            }
            if (r.json().containsKey("address")) {
                return AddressRule.exact(r.stringValue("address", null));
            }
            regex = r.stringValue("addressRegex", null);
        } else {
            throw new ConfigException(key + "=" + entry + ": must be a regular expression string, "
                + "{\"address\": ...} or {\"addressRegex\": ...}");
        }
        if (regex.isBlank()) {
            throw new ConfigException(key + "=\"" + regex + "\": must be a non-empty regular expression");
        }
        try {
            return AddressRule.regex(regex);
        } catch (final PatternSyntaxException e) {
            throw new ConfigException(key + "=\"" + regex + "\": not a valid regular expression: " + e.getDescription());
        }
    }

    private static List<String> localObjectAddresses(final List<String> streams) {
        final List<String> addresses = new ArrayList<>();
        for (final String stream : streams) {
            addresses.add(Addresses.frames(stream));
        }
        addresses.add(Addresses.TELEMETRY);
        return addresses;
    }

    public boolean inboundPermits(final String address) {
        return inbound.stream().anyMatch(r -> r.matches(address));
    }

    public boolean outboundPermits(final String address) {
        return outbound.stream().anyMatch(r -> r.matches(address));
    }

    public boolean isLoopback() {
        return loopback(listenHost);
    }

    private static boolean loopback(final String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }
}
