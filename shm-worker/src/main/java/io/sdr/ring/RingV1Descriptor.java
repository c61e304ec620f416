package io.sdr.ring;

/**
 * The original single-slot layout of the seed plans (v1), byte-exact.
 *
 * <pre>
 *   0          8             16                                16 + write_len
 *   +----------+-------------+--------------------+------------+----------------
 *   | seq  u64 | write_len   | frame header (32)  | payload    |  unused
 *   |          | u64         |                    |            |
 *   +----------+-------------+--------------------+------------+----------------
 * </pre>
 *
 * A frame is committed by the store of {@code seq}, written last; {@code seq == 0} means nothing
 * was written yet. The writer never marks a write in progress, so a reader can hold a torn frame
 * with an unchanged {@code seq}: only the payload CRC catches that, which is why v1 readers keep
 * CRC checking on.
 */
public final class RingV1Descriptor {
    public static final int SEQ_OFFSET = 0;
    public static final int WRITE_LEN_OFFSET = 8;
    /** Where the frame header starts; the payload follows it. */
    public static final int DATA_OFFSET = 16;
    /** Smallest file that can hold one empty frame. */
    public static final int MIN_FILE_LENGTH = DATA_OFFSET + FrameHeaderDescriptor.LENGTH;

    private RingV1Descriptor() {
    }
}
