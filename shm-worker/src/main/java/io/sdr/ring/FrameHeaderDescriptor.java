package io.sdr.ring;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Layout of the 32-byte frame header that precedes every payload, in both ring layouts and in
 * the WebSocket video message (after its type byte).
 *
 * <pre>
 *   0                   8                   16        20    22    24        28        32
 *   +-------------------+-------------------+---------+-----+-----+---------+---------+
 *   | frame_id    u64   | frame_seq   u64   | size u32|flags|codec| crc32   | reserved|
 *   |                   |                   |         | u16 | u16 | i32     | u32     |
 *   +-------------------+-------------------+---------+-----+-----+---------+---------+
 * </pre>
 *
 * All fields little-endian (Python {@code struct} format {@code <QQIHHiI}). {@code crc32} is the
 * zlib/IEEE CRC-32 of the payload stored as a signed 32-bit int: the same 32 bits as the unsigned
 * value, so Java reads it with {@code getInt} and compares bit patterns.
 */
public final class FrameHeaderDescriptor {
    public static final int FRAME_ID_OFFSET = 0;
    public static final int FRAME_SEQ_OFFSET = 8;
    public static final int SIZE_OFFSET = 16;
    public static final int FLAGS_OFFSET = 20;
    public static final int CODEC_OFFSET = 22;
    public static final int CRC32_OFFSET = 24;
    public static final int RESERVED_OFFSET = 28;

    /** Bytes in a frame header. */
    public static final int LENGTH = 32;

    /** The frame is an IDR access unit carrying SPS/PPS in band: decoding may start here. */
    public static final int FLAG_KEYFRAME = 0x0001;
    /** Reserved by the contract; never set by our writers. */
    public static final int FLAG_WRAP_MARKER = 0x0002;

    public static final int CODEC_H264 = 1;
    public static final int CODEC_HEVC = 2;
    /** Codec ids from here on are reserved for raw pixel formats. */
    public static final int CODEC_RAW_FIRST = 16;

    private FrameHeaderDescriptor() {
    }

    /**
     * Writes a header at {@code offset}: the one place that lays the fields out (the ring writers,
     * and tests that build frames by hand). {@code reserved} is written 0.
     */
    public static void write(final MutableDirectBuffer buffer, final int offset, final long frameId, final long frameSeq,
                             final int size, final int flags, final int codec, final int crc32) {
        buffer.putLong(offset + FRAME_ID_OFFSET, frameId, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + FRAME_SEQ_OFFSET, frameSeq, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + SIZE_OFFSET, size, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(offset + FLAGS_OFFSET, (short) flags, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(offset + CODEC_OFFSET, (short) codec, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + CRC32_OFFSET, crc32, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + RESERVED_OFFSET, 0, ByteOrder.LITTLE_ENDIAN);
    }

    public static String codecName(final int codec) {
        switch (codec) {
            case CODEC_H264:
                return "h264";
            case CODEC_HEVC:
                return "hevc";
            default:
                return codec >= CODEC_RAW_FIRST ? "raw-" + codec : "unknown-" + codec;
        }
    }
}
