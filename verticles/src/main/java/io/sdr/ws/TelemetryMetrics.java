package io.sdr.ws;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Telemetry and client-message meters, shared by every group (same name and tags, same meter). */
final class TelemetryMetrics {
    final Counter sent;
    final Counter bytesSent;
    final Counter superseded;
    final Counter overflowed;
    final Counter groupSuperseded;
    final Counter groupOverflowed;
    final Counter subscribed;
    final Counter invalidMessages;
    final Counter binaryIgnored;
    final Counter statsRequests;
    final Counter pings;
    final Counter keyframeRequests;
    /** Requests the client's token does not grant (a subscribe outside its subjects, a keyframe request). */
    final Counter refusedRequests;
    final Counter controlSent;
    final Counter controlDropped;
    /** Foxglove clients: payloads that are not JSON (their channels are json), and requests this server does not support. */
    final Counter foxgloveNotJson;
    /** Foxglove clients: a new subject not advertised because every telemetry channel of the connection is subscribed. */
    final Counter foxgloveChannelsFull;
    final Counter unsupportedRequests;

    TelemetryMetrics(final MeterRegistry registry) {
        sent = Counter.builder("sdr.ws.telemetry.sent").description("Telemetry messages written to clients").register(registry);
        bytesSent = Counter.builder("sdr.ws.telemetry.bytes.sent").baseUnit("bytes").register(registry);
        superseded = dropped(registry, "superseded");
        overflowed = dropped(registry, "overflow");
        groupSuperseded = dropped(registry, "group_superseded");
        groupOverflowed = dropped(registry, "group_overflow");
        subscribed = messages(registry, "subscribe");
        invalidMessages = messages(registry, "invalid");
        binaryIgnored = messages(registry, "binary_ignored");
        statsRequests = messages(registry, "stats");
        pings = messages(registry, "ping");
        keyframeRequests = messages(registry, "keyframe");
        refusedRequests = messages(registry, "refused");
        foxgloveNotJson = dropped(registry, "foxglove_not_json");
        foxgloveChannelsFull = dropped(registry, "foxglove_channels_full");
        unsupportedRequests = messages(registry, "unsupported");
        controlSent = Counter.builder("sdr.ws.control.sent").description("0x03 stats and pong messages written to clients that asked")
            .register(registry);
        controlDropped = Counter.builder("sdr.ws.control.dropped")
            .description("0x03 messages not written because the client's socket queue was full").register(registry);
    }

    private static Counter dropped(final MeterRegistry registry, final String reason) {
        return Counter.builder("sdr.ws.telemetry.dropped")
            .description("Telemetry not sent to a lagging client (or group): replaced by a newer value, or too many subjects waiting")
            .tag("reason", reason).register(registry);
    }

    private static Counter messages(final MeterRegistry registry, final String result) {
        return Counter.builder("sdr.ws.client.messages").description("Messages received from clients, by outcome")
            .tag("result", result).register(registry);
    }
}
