package io.sdr.foxglove;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.time.MonotonicClock;

import java.io.IOException;

/**
 * Telemetry as Foxglove MessageData on a subject's {@code json} channel: a 13-byte head per client
 * (its subscription id) and the NATS payload itself, shared, as the message body.
 *
 * <p>Foxglove has no encoding for opaque bytes, so only payloads that are one JSON value go to
 * Foxglove clients; a subject's channel is advertised with its first JSON payload, and binary or
 * plain-text payloads are not sent to them (counted by the caller). Whether a payload is JSON is
 * decided once per message for all the group's clients. Confined to one event loop.
 */
public final class TelemetryMessages {
    private static final JsonFactory JSON = new JsonFactory();

    private Telemetry memoMessage;
    private boolean memoJson;
    private long memoTimestampNs;

    /** Whether the message's payload is exactly one JSON value (what a {@code json} channel may carry). */
    public boolean isJson(final Telemetry message) {
        memo(message);
        return memoJson;
    }

    /** The message body (without the WebSocket header) for one client; one reference, consumed by the write. */
    public ByteBuf message(final Telemetry message, final int subscriptionId) {
        memo(message);
        final ByteBuf head = Frame.ALLOCATOR.directBuffer(FoxgloveProtocol.MESSAGE_DATA_HEADER_BYTES);
        FoxgloveProtocol.writeMessageDataHeader(head, subscriptionId, memoTimestampNs);
        final int payload = message.payloadSize();
        final CompositeByteBuf composite = Frame.ALLOCATOR.compositeDirectBuffer(2);
        composite.addComponents(true, head, message.messageBytes().slice(message.messageLength() - payload, payload));
        return composite;
    }

    /** Bytes of the message body for one client. */
    public static int messageLength(final Telemetry message) {
        return FoxgloveProtocol.MESSAGE_DATA_HEADER_BYTES + message.payloadSize();
    }

    private void memo(final Telemetry message) {
        if (message == memoMessage) {
            return;
        }
        memoMessage = message;
        memoJson = isJson(message.payload());
        memoTimestampNs = Math.max(0, MonotonicClock.toEpochNs(message.receivedNs()));
    }

    /** True when {@code bytes} hold exactly one JSON value (UTF-8), whitespace around it allowed. */
    public static boolean isJson(final byte[] bytes) {
        try (JsonParser parser = JSON.createParser(bytes)) {
            if (parser.nextToken() == null) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (final IOException e) {
            return false;
        }
    }

}
