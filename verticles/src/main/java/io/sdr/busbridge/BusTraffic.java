package io.sdr.busbridge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sdr.bus.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * The event-bus addresses in use, from Vert.x's own event-bus meters (vertx-micrometer-metrics with
 * the {@code address} label, as the launcher sets it up): handlers per address, messages received
 * per address and their rate over the last few seconds (from periodic samples). Internal reply
 * addresses are not metered by Vert.x and so not listed. Confined to the bridge's event loop.
 */
final class BusTraffic {
    static final long WINDOW_NS = 5_000_000_000L;
    private static final String HANDLERS = "eventbus.handlers";
    private static final String RECEIVED = "eventbus.received";

    private record Sample(long nanos, Map<String, Double> received) {
    }

    private final MeterRegistry registry;
    private final BridgeConfig config;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    BusTraffic(final MeterRegistry registry, final BridgeConfig config) {
        this.registry = registry;
        this.config = config;
    }

    /** Called about once a second: keeps samples back to one older than the window. */
    void sample(final long nowNs) {
        samples.addLast(new Sample(nowNs, received()));
        while (samples.size() > 2) {
            final Sample second = samples.stream().skip(1).findFirst().orElseThrow();
            if (nowNs - second.nanos < WINDOW_NS) {
                break;
            }
            samples.removeFirst();
        }
    }

    /** True when Vert.x's event-bus meters carry addresses (metrics on, address label on). */
    boolean metered() {
        for (final Meter meter : registry.getMeters()) {
            if (meter.getId().getName().endsWith(HANDLERS) && meter.getId().getTag("address") != null) {
                return true;
            }
        }
        return false;
    }

    private Map<String, Double> received() {
        return sumByAddress(RECEIVED);
    }

    private Map<String, Double> sumByAddress(final String suffix) {
        final Map<String, Double> byAddress = new TreeMap<>();
        for (final Meter meter : registry.getMeters()) {
            final String address = meter.getId().getTag("address");
            if (address == null || !meter.getId().getName().endsWith(suffix)) {
                continue;
            }
            final double value;
            if (meter instanceof Counter) {
                value = ((Counter) meter).count();
            } else if (meter instanceof Gauge) {
                value = ((Gauge) meter).value();
            } else {
                continue;
            }
            if (!Double.isNaN(value)) {
                byAddress.merge(address, value, Double::sum);
            }
        }
        return byAddress;
    }

    /**
     * {@code {metered, window_s, addresses: [{address, handlers, messages, rate, bridge, note}]}},
     * sorted by address; with {@code only} non-null just that address ({@code known} says whether it is in use).
     */
    JsonObject list(final long nowNs, final Map<String, Integer> bridgeListeners, final String only) {
        final Map<String, Double> handlers = sumByAddress(HANDLERS);
        final Map<String, Double> received = received();
        final Sample oldest = samples.peekFirst();
        final double windowS = oldest == null ? 0 : (nowNs - oldest.nanos) / 1e9;
        final Map<String, JsonObject> rows = new TreeMap<>();
        for (final String address : handlers.keySet()) {
            rows.put(address, row(address));
        }
        for (final String address : received.keySet()) {
            rows.put(address, row(address));
        }
        for (final String stream : config.streams()) {
            rows.put(Addresses.inspectFrames(stream), row(Addresses.inspectFrames(stream)));
            if (config.payloadMaxBytes() > 0) {
                rows.put(Addresses.inspectFramePayloads(stream), row(Addresses.inspectFramePayloads(stream)));
            }
        }
        rows.put(Addresses.INSPECT_TELEMETRY, row(Addresses.INSPECT_TELEMETRY));
        if (config.payloadMaxBytes() > 0) {
            rows.put(Addresses.INSPECT_TELEMETRY_PAYLOADS, row(Addresses.INSPECT_TELEMETRY_PAYLOADS));
        }
        final JsonArray list = new JsonArray();
        for (final Map.Entry<String, JsonObject> entry : rows.entrySet()) {
            final String address = entry.getKey();
            if (only != null && !only.equals(address)) {
                continue;
            }
            final double total = received.getOrDefault(address, 0.0);
            final double before = oldest == null ? 0 : oldest.received.getOrDefault(address, 0.0);
            final JsonObject row = entry.getValue()
                .put("handlers", handlers.getOrDefault(address, 0.0).longValue())
                .put("bridge_listeners", bridgeListeners.getOrDefault(address, 0))
                .put("messages", (long) total)
                .put("rate", windowS > 0 ? Math.round((total - before) / windowS * 10) / 10.0 : 0.0);
            list.add(row);
        }
        final JsonObject reply = new JsonObject()
            .put("metered", metered())
            .put("window_s", Math.round(windowS * 10) / 10.0)
            .put("addresses", list);
        if (only != null) {
            reply.put("address", only).put("known", !list.isEmpty());
        }
        return reply;
    }

    private JsonObject row(final String address) {
        final boolean in = config.inboundPermits(address);
        final boolean out = config.outboundPermits(address);
        final String bridge = Addresses.carriesLocalObjects(address) ? "local-only"
            : in && out ? "in+out" : in ? "in" : out ? "out" : "-";
        return new JsonObject().put("address", address).put("bridge", bridge).put("note", describe(address));
    }

    /** What flows on an address, for people reading {@code bus list}. */
    static String describe(final String address) {
        if (address.equals(Addresses.TELEMETRY)) {
            return "telemetry: NATS, demo (Java objects; tail " + Addresses.INSPECT_TELEMETRY + ")";
        }
        if (address.startsWith(Addresses.frames(""))) {
            return "video frames (Java objects; tail " + Addresses.inspectionOf(address, false) + ")";
        }
        if (Addresses.isPayloadInspection(address)) {
            return "summaries of " + Addresses.inspectedBy(address) + " with payload bytes (while tailed)";
        }
        if (Addresses.inspectedBy(address) != null) {
            return "summaries of " + Addresses.inspectedBy(address) + " (while tailed)";
        }
        if (address.equals(Addresses.INSPECT_LIST)) {
            return "request/reply: this list";
        }
        if (address.equals(Addresses.INSPECT_STATS)) {
            return "request/reply: stream and client-group figures";
        }
        if (address.startsWith(Addresses.keyframeWanted(""))) {
            return "keyframe wanted {stream, reason}; the poller coalesces";
        }
        if (address.startsWith(Addresses.keyframeRequest(""))) {
            return "coalesced IDR requests to the encoder";
        }
        return "";
    }
}
