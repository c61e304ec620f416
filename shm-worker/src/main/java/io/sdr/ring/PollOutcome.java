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
    /**
     * The frame changed while it was copied (v1 commit moved), or a u64 field (v2 head or slot seq,
     * v1 write_len) looks torn: half-written by a writer that does not store it in one go. Read
     * again on the next poll.
     */
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
    FAULT,
    /**
     * v2 head went back without a new epoch and stayed back (not a torn read): the writer restarted
     * in place without a new epoch, or is broken. Counted once per episode; frames at or below the
     * last one delivered are never delivered again, and the reader resumes at a keyframe once head
     * is past it. Logged once per ring file.
     */
    WRITER_REWOUND;

    private static final PollOutcome[] VALUES = values();

    static PollOutcome of(final int ordinal) {
        return VALUES[ordinal];
    }

    static int count() {
        return VALUES.length;
    }
}
