package io.sdr.bus;

import io.netty.buffer.ByteBuf;

/**
 * The header of an unmasked, final, binary WebSocket frame (RFC 6455 section 5.2), which is what a
 * server sends: the same bytes for every viewer, so a video message is framed once, where it is
 * built, and written as-is to every socket.
 *
 * <pre>
 *   byte 0      byte 1       then, by payload length n:
 *   +--------+  +---------+
 *   |1000 0010| |0 len7   |  n &lt;= 125:     len7 = n                     (2 bytes in all)
 *   +--------+  +---------+  n &lt;= 65535:   len7 = 126, n as u16 BE      (4 bytes)
 *    FIN, opcode  mask bit 0  otherwise:    len7 = 127, n as u64 BE      (10 bytes)
 *    2 (binary)
 * </pre>
 *
 * Written by hand: Netty's WebSocket08FrameEncoder builds the same header, but per write and per
 * channel, which is the cost this class exists to avoid.
 */
public final class WebSocketFraming {
    /** FIN set, no extension bits, opcode 0x2 (binary). */
    private static final int FIN_BINARY = 0x82;

    private WebSocketFraming() {
    }

    /** Header bytes in front of a binary message of {@code payloadLength} bytes. */
    public static int binaryHeaderLength(final int payloadLength) {
        if (payloadLength < 0) {
            throw new IllegalArgumentException("negative payload length " + payloadLength);
        }
        return payloadLength <= 125 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** Writes the header of a final binary frame of {@code payloadLength} bytes at the writer index. */
    public static void writeBinaryHeader(final ByteBuf out, final int payloadLength) {
        out.writeByte(FIN_BINARY);
        if (payloadLength <= 125) {
            out.writeByte(payloadLength);
        } else if (payloadLength <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(payloadLength);
        } else {
            out.writeByte(127);
            out.writeLong(payloadLength);
        }
    }
}
