package io.sdr.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The server's WebSocket messages (docs/WIRE.md), built and parsed independently of the server code,
 * so a test reads what a browser would:
 *
 * <pre>
 *   0x01 video       [0x01][frame header, 32 bytes, as in RING.md][payload]
 *                          frame header offsets (in the header): 8 frame_seq u64 LE,
 *                          16 payload size u32 LE, 20 flags u16 LE (bit 0 keyframe)
 *   0x02 telemetry   [0x02][subject length u16 LE][subject, UTF-8][payload]
 * </pre>
 */
public final class WireMessages {
    /** The ring's frame header, which follows the 0x01 type byte of a video message. */
    public static final int HEADER_LENGTH = 32;

    private WireMessages() {
    }

    /** {@code [0x02][u16 LE subject length][subject][payload]}. */
    public static byte[] telemetryMessage(final byte[] subject, final byte[] payload) {
        return ByteBuffer.allocate(3 + subject.length + payload.length).order(ByteOrder.LITTLE_ENDIAN)
            .put((byte) 0x02).putShort((short) subject.length).put(subject).put(payload).array();
    }

    /** One telemetry message as a client received it. */
    public record TelemetryMessage(String subject, byte[] payload, byte[] raw, long receivedNs) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** Decodes a 0x02 message; null when malformed (length fields inconsistent). */
    public static TelemetryMessage decodeTelemetry(final byte[] m, final long receivedNs) {
        if (m.length < 3 || m[0] != 0x02) {
            return null;
        }
        final int subjectLength = (m[1] & 0xFF) | (m[2] & 0xFF) << 8;
        if (subjectLength == 0 || 3 + subjectLength > m.length) {
            return null;
        }
        return new TelemetryMessage(new String(m, 3, subjectLength, StandardCharsets.UTF_8),
            Arrays.copyOfRange(m, 3 + subjectLength, m.length), m, receivedNs);
    }

    /** One video message as a client received it (header only). */
    public record VideoMessage(long frameSeq, boolean keyframe, int length, long receivedNs) {
    }

}
