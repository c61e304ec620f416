package io.sdr.ring;

/**
 * The v2 layout: a power-of-two ring of fixed-size slots, each guarded by its own seqlock.
 *
 * <pre>
 * superblock (128 bytes)
 *   0          8          12           16          20         24          32            40      64
 *   +----------+----------+------------+-----------+----------+-----------+-------------+-------+
 *   | magic    | version  | slot_count | slot_size | flags    | epoch     | created_ns  | (0)   |
 *   | u64      | u32 = 2  | u32, 2^n   | u32, %64  | u32 = 0  | u64 != 0  | u64         |       |
 *   +----------+----------+------------+-----------+----------+-----------+-------------+-------+
 *   64         72                                                                             128
 *   +----------+----------------------------------------------------------------------------+
 *   | head u64 |  (0) - head has the cache line to itself                                   |
 *   +----------+----------------------------------------------------------------------------+
 *
 * slot i at 128 + i * slot_size; frame f lives in slot (f - 1) mod slot_count
 *   0          8            16          32                   64
 *   +----------+------------+-----------+--------------------+------------------------------+
 *   | seq u64  | commit_ns  | (0)       | frame header (32)  | payload (size bytes)         |
 *   |          | u64        |           |                    | at most slot_size - 64       |
 *   +----------+------------+-----------+--------------------+------------------------------+
 * </pre>
 *
 * {@code slot.seq} is {@code 2f - 1} while frame f is being written and {@code 2f} once it is
 * committed; the frame is published to readers by the release store of {@code head = f}, which
 * follows the release store of {@code slot.seq = 2f}. A reader trusts a copy only if it saw
 * {@code seq == 2f} both before and after copying.
 */
public final class RingV2Descriptor {
    /** "SDRRING2" as bytes, read as a little-endian u64. */
    public static final long MAGIC = 0x32474E4952524453L;
    public static final int VERSION = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int SLOT_COUNT_OFFSET = 12;
    public static final int SLOT_SIZE_OFFSET = 16;
    public static final int SUPERBLOCK_FLAGS_OFFSET = 20;
    public static final int EPOCH_OFFSET = 24;
    public static final int CREATED_NS_OFFSET = 32;
    public static final int HEAD_OFFSET = 64;
    public static final int SUPERBLOCK_LENGTH = 128;

    public static final int SLOT_SEQ_OFFSET = 0;
    public static final int SLOT_COMMIT_NS_OFFSET = 8;
    public static final int SLOT_HEADER_OFFSET = 32;
    public static final int SLOT_PAYLOAD_OFFSET = 64;
    /** Bytes of a slot taken by the slot header and the frame header. */
    public static final int SLOT_OVERHEAD = SLOT_PAYLOAD_OFFSET;
    public static final int SLOT_ALIGNMENT = 64;

    private RingV2Descriptor() {
    }

    /**
     * Offset of slot {@code (frameSeq - 1) mod slotCount}; slotCount must be a power of two and the
     * geometry must fit a mappable file ({@link #fileLength} <= Integer.MAX_VALUE).
     */
    public static int slotOffset(final long frameSeq, final int slotCount, final int slotSize) {
        return (int) (SUPERBLOCK_LENGTH + ((frameSeq - 1) & (slotCount - 1)) * (long) slotSize);
    }

    /** Bytes a ring file of this geometry needs. */
    public static long fileLength(final int slotCount, final int slotSize) {
        return SUPERBLOCK_LENGTH + (long) slotCount * slotSize;
    }

    /**
     * Why a geometry is not acceptable, or null when it is. Readers use it on untrusted
     * superblocks, writers on their configuration.
     */
    public static String checkGeometry(final long slotCount, final long slotSize) {
        if (slotCount < 2 || slotCount > (1 << 30) || Long.bitCount(slotCount) != 1) {
            return "slot_count must be a power of two >= 2: slot_count=" + slotCount;
        }
        if (slotSize < SLOT_OVERHEAD + SLOT_ALIGNMENT || slotSize > Integer.MAX_VALUE
            || slotSize % SLOT_ALIGNMENT != 0) {
            return "slot_size must be a multiple of 64 and >= 128: slot_size=" + slotSize;
        }
        return null;
    }
}
