package io.sdr.ring;

/**
 * What one {@link RingReader#poll} did. Expected pressure and damage are values, not exceptions:
 * the poller counts them and carries on.
 */
public enum PollOutcome {
    /** A frame was copied into the caller's buffer; {@link RingReader#frame()} describes it. */
    FRAME,
    /** The writer has committed nothing new since the last poll. */
    NO_NEW_FRAME,
    /** No usable ring: the file is missing, too small, or its layout is not initialised yet. */
    NOT_READY,
    /** The frame changed while it was copied (v1 commit moved); retried on the next poll. */
    TORN,
    /** The payload does not match the header's CRC-32; the frame was dropped. */
    CRC_ERROR,
    /** A length field is out of range (or larger than the caller's buffer); the frame was dropped. */
    BAD_LENGTH,
    /** Frames were lost: the writer lapped the reader or frame_seq jumped. Waiting for a keyframe. */
    LAPPED,
    /** The writer restarted (new epoch, new file, sequence went back): state forgotten. */
    RESYNC,
    /** A valid frame that cannot be decoded yet because the reader waits for a keyframe. */
    SKIPPED_AWAITING_KEYFRAME,
    /** The superblock, a slot or a header holds values no correct writer produces (e.g. frame_seq 0); the layout is re-read. */
    BAD_LAYOUT,
    /** Reading the mapping faulted (the file shrank under it: SIGBUS); the file is re-mapped. */
    FAULT;

    private static final PollOutcome[] VALUES = values();

    static PollOutcome of(final int ordinal) {
        return VALUES[ordinal];
    }

    static int count() {
        return VALUES.length;
    }
}
