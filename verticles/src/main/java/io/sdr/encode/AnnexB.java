package io.sdr.encode;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Reads the NAL units of one Annex-B access unit (start codes {@code 00 00 01} or
 * {@code 00 00 00 01}) and keeps the stream joinable: it remembers the latest parameter sets
 * (H.264 SPS/PPS, HEVC VPS/SPS/PPS) and, should an encoder emit a keyframe without them,
 * prepends them, because browsers (WebCodecs) decode only from an IDR with its parameter sets
 * in band. One thread only; allocation-free once the parameter sets are cached.
 */
public final class AnnexB {
    public static final int H264_IDR = 5;
    public static final int H264_SPS = 7;
    public static final int H264_PPS = 8;
    public static final int HEVC_IRAP_FIRST = 16;
    public static final int HEVC_IRAP_LAST = 23;
    public static final int HEVC_VPS = 32;
    public static final int HEVC_SPS = 33;
    public static final int HEVC_PPS = 34;
    private static final int MAX_NALS = 256;
    private static final int MAX_PARAMETER_SET = 4096;

    private final boolean hevc;
    // Per access unit, confined to the encoding thread.
    private final int[] nalOffsets = new int[MAX_NALS];
    private final int[] nalLengths = new int[MAX_NALS];
    private final int[] nalTypes = new int[MAX_NALS];
    private int nalCount;
    // Latest parameter sets with their 4-byte start codes, by slot (VPS, SPS, PPS).
    private final byte[][] parameterSets = new byte[3][];

    public AnnexB(final boolean hevc) {
        this.hevc = hevc;
    }

    /** NAL unit type of the NAL whose header byte is {@code header}. */
    public static int nalType(final int header, final boolean hevc) {
        return hevc ? (header >> 1) & 0x3F : header & 0x1F;
    }

    /**
     * Splits {@code [offset, offset + length)} into NAL units; returns how many (at most 256; NAL
     * units past that bound are not looked at).
     */
    public int parse(final DirectBuffer buffer, final int offset, final int length) {
        nalCount = 0;
        final int end = offset + length;
        int i = offset;
        int start = -1;
        while (i + 3 <= end) {
            if (buffer.getByte(i) == 0 && buffer.getByte(i + 1) == 0 && buffer.getByte(i + 2) == 1) {
                if (start >= 0) {
                    close(start, trimZeros(buffer, start, i));
                }
                i += 3;
                if (i < end) {
                    if (nalCount == MAX_NALS) {
                        return nalCount;
                    }
                    start = i;
                    nalOffsets[nalCount] = i;
                    nalTypes[nalCount] = nalType(buffer.getByte(i) & 0xFF, hevc);
                    nalCount++;
                }
                continue;
            }
            i++;
        }
        if (start >= 0) {
            close(start, end);
        }
        return nalCount;
    }

    private void close(final int start, final int endExclusive) {
        nalLengths[nalCount - 1] = endExclusive - start;
    }

    /** The zeros before a start code belong to it (4-byte start codes, trailing_zero_8bits). */
    private static int trimZeros(final DirectBuffer buffer, final int start, final int startCode) {
        int end = startCode;
        while (end > start && buffer.getByte(end - 1) == 0) {
            end--;
        }
        return end;
    }

    public int nalType(final int index) {
        return nalTypes[index];
    }

    /** True when the parsed access unit holds an IDR (H.264) or IRAP (HEVC) picture. */
    public boolean hasKeyframePicture() {
        for (int i = 0; i < nalCount; i++) {
            final int type = nalTypes[i];
            if (hevc ? type >= HEVC_IRAP_FIRST && type <= HEVC_IRAP_LAST : type == H264_IDR) {
                return true;
            }
        }
        return false;
    }

    private int parameterSlot(final int type) {
        if (hevc) {
            return type == HEVC_VPS ? 0 : type == HEVC_SPS ? 1 : type == HEVC_PPS ? 2 : -1;
        }
        return type == H264_SPS ? 1 : type == H264_PPS ? 2 : -1;
    }

    /** True when the parsed access unit carries every parameter set the codec needs. */
    public boolean hasParameterSets() {
        boolean vps = !hevc;
        boolean sps = false;
        boolean pps = false;
        for (int i = 0; i < nalCount; i++) {
            final int slot = parameterSlot(nalTypes[i]);
            vps |= slot == 0;
            sps |= slot == 1;
            pps |= slot == 2;
        }
        return vps && sps && pps;
    }

    /** Remembers the parameter sets of the parsed access unit. */
    public void rememberParameterSets(final DirectBuffer buffer) {
        for (int i = 0; i < nalCount; i++) {
            final int slot = parameterSlot(nalTypes[i]);
            if (slot >= 0 && nalLengths[i] <= MAX_PARAMETER_SET && !same(parameterSets[slot], buffer, nalOffsets[i], nalLengths[i])) {
                final byte[] copy = new byte[4 + nalLengths[i]];
                copy[3] = 1;
                buffer.getBytes(nalOffsets[i], copy, 4, nalLengths[i]);
                parameterSets[slot] = copy;
            }
        }
    }

    /** Whether {@code known} (start code + NAL) holds the NAL at {@code offset} already. */
    private static boolean same(final byte[] known, final DirectBuffer buffer, final int offset, final int length) {
        if (known == null || known.length != 4 + length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (known[4 + i] != buffer.getByte(offset + i)) {
                return false;
            }
        }
        return true;
    }

    /** True when parameter sets for every slot the codec needs have been seen. */
    public boolean hasRememberedParameterSets() {
        return (!hevc || parameterSets[0] != null) && parameterSets[1] != null && parameterSets[2] != null;
    }

    /** Bytes {@link #prependParameterSets} adds. */
    public int parameterSetsLength() {
        int length = 0;
        for (final byte[] set : parameterSets) {
            length += set == null ? 0 : set.length;
        }
        return length;
    }

    /** Writes the remembered parameter sets at {@code offset}; returns the bytes written. */
    public int prependParameterSets(final MutableDirectBuffer target, final int offset) {
        int at = offset;
        for (final byte[] set : parameterSets) {
            if (set != null) {
                target.putBytes(at, set);
                at += set.length;
            }
        }
        return at - offset;
    }
}
