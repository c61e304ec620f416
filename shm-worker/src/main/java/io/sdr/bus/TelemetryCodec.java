package io.sdr.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Event-bus codec for {@link Telemetry}: local consumers share the instance; across a cluster the
 * wire form is {@code | received_ns u64 | message len u32 | message bytes |}.
 */
public final class TelemetryCodec implements MessageCodec<Telemetry, Telemetry> {
    public static final String NAME = "sdr-telemetry";

    public static void register(final Vertx vertx) {
        DefaultCodecs.registerOnce(vertx, Telemetry.class, new TelemetryCodec());
    }

    @Override
    public void encodeToWire(final Buffer buffer, final Telemetry telemetry) {
        buffer.appendLong(telemetry.receivedNs()).appendInt(telemetry.messageLength()).appendBuffer(telemetry.message());
    }

    @Override
    public Telemetry decodeFromWire(final int start, final Buffer buffer) {
        final long receivedNs = buffer.getLong(start);
        final int length = buffer.getInt(start + 8);
        final Buffer message = buffer.getBuffer(start + 12, start + 12 + length);
        final int subjectLength = message.getUnsignedShortLE(1);
        final String subject = message.getString(3, 3 + subjectLength, "UTF-8");
        return Telemetry.encode(subject, message.getBytes(3 + subjectLength, length), receivedNs);
    }

    @Override
    public Telemetry transform(final Telemetry telemetry) {
        return telemetry;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
