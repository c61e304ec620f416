package io.sdr.ring;

import org.agrona.DirectBuffer;

import static io.sdr.ring.FrameHeaderDescriptor.*;

/**
 * The header fields of the frame last delivered by a reader. Mutable and reused for every frame
 * (no allocation per frame); copy what you keep.
 */
public final class FrameInfo {
    private long frameId;
    private long frameSeq;
    private int size;
    private int flags;
    private int codec;
    private int crc32;
    private long commitNs;
    private int layoutVersion;

    void load(final DirectBuffer header, final int offset, final long commitNs, final int layoutVersion) {
        frameId = header.getLong(offset + FRAME_ID_OFFSET);
        frameSeq = header.getLong(offset + FRAME_SEQ_OFFSET);
        size = header.getInt(offset + SIZE_OFFSET);
        flags = header.getShort(offset + FLAGS_OFFSET) & 0xFFFF;
        codec = header.getShort(offset + CODEC_OFFSET) & 0xFFFF;
        crc32 = header.getInt(offset + CRC32_OFFSET);
        this.commitNs = commitNs;
        this.layoutVersion = layoutVersion;
    }

    public long frameId() {
        return frameId;
    }

    public long frameSeq() {
        return frameSeq;
    }

    /** Payload length in bytes (the header's u32 {@code size}, already validated). */
    public int size() {
        return size;
    }

    public int flags() {
        return flags;
    }

    public boolean isKeyframe() {
        return (flags & FLAG_KEYFRAME) != 0;
    }

    public int codec() {
        return codec;
    }

    /** The CRC-32 bit pattern as stored (signed int; {@code Integer.toUnsignedLong} for the value). */
    public int crc32() {
        return crc32;
    }

    /** CLOCK_MONOTONIC ns when the writer committed the frame (v2), or 0 when the layout has none (v1). */
    public long commitNs() {
        return commitNs;
    }

    /** 1 or 2. */
    public int layoutVersion() {
        return layoutVersion;
    }

    /** Header plus payload bytes, as copied into the caller's buffer. */
    public int length() {
        return LENGTH + size;
    }

    @Override
    public String toString() {
        return "FrameInfo{frameId=" + frameId + ", frameSeq=" + frameSeq + ", size=" + size + ", flags=" + flags
            + ", codec=" + codec + ", crc32=" + Integer.toUnsignedString(crc32) + ", commitNs=" + commitNs
            + ", layout=v" + layoutVersion + '}';
    }
}
