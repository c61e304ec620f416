package io.sdr.bus;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One telemetry message relayed from NATS, already laid out as the WebSocket telemetry message:
 *
 * <pre>
 *   0      1                  3                   3 + n
 *   +------+------------------+-------------------+---------------------+
 *   | 0x02 | subject len u16  | subject (n bytes, | payload             |
 *   |      | little-endian    | UTF-8)            |                     |
 *   +------+------------------+-------------------+---------------------+
 * </pre>
 *
 * Built once per NATS message in one direct buffer and shared by reference with every client
 * (see {@link TelemetryCodec}).
 */
public final class Telemetry {
    public static final byte TYPE_TELEMETRY = 0x02;
    /** WIRE.md's bound on the subject. */
    public static final int MAX_SUBJECT_BYTES = 256;

    private final String subject;
    private final int payloadSize;
    private final long receivedNs;
    private final Buffer message;

    private Telemetry(final String subject, final int payloadSize, final long receivedNs, final Buffer message) {
        this.subject = subject;
        this.payloadSize = payloadSize;
        this.receivedNs = receivedNs;
        this.message = message;
    }

    /**
     * Encodes a message, or returns null when the subject is empty or longer than
     * {@link #MAX_SUBJECT_BYTES} in UTF-8.
     */
    public static Telemetry encode(final String subject, final byte[] payload, final long receivedNs) {
        final byte[] subjectBytes = subject.getBytes(StandardCharsets.UTF_8);
        if (subjectBytes.length == 0 || subjectBytes.length > MAX_SUBJECT_BYTES) {
            return null;
        }
        // GC-managed direct memory: small, and written to many sockets without a copy.
        final ByteBuffer memory = ByteBuffer.allocateDirect(3 + subjectBytes.length + payload.length);
        memory.order(ByteOrder.LITTLE_ENDIAN)
            .put(TYPE_TELEMETRY)
            .putShort((short) subjectBytes.length)
            .put(subjectBytes)
            .put(payload)
            .flip();
        return new Telemetry(subject, payload.length, receivedNs, BufferInternal.buffer(Unpooled.wrappedBuffer(memory)));
    }

    public String subject() {
        return subject;
    }

    public int payloadSize() {
        return payloadSize;
    }

    /** System.nanoTime() when the bridge received it from NATS. */
    public long receivedNs() {
        return receivedNs;
    }

    /** The complete WebSocket message; shared, never modify it. */
    public Buffer message() {
        return message;
    }

    /** The message as a new view for one socket write: the write may release it, the memory stays. */
    public ByteBuf messageBytes() {
        return Unpooled.unreleasableBuffer(((BufferInternal) message).getByteBuf());
    }

    public int messageLength() {
        return message.length();
    }

    /** The payload bytes (a copy), for inspection. */
    public byte[] payload() {
        return message.getBytes(message.length() - payloadSize, message.length());
    }

    @Override
    public String toString() {
        return "Telemetry{subject=" + subject + ", bytes=" + payloadSize + '}';
    }
}
