package io.sdr.ring;

import org.agrona.MutableDirectBuffer;

import java.lang.invoke.VarHandle;

import static io.sdr.ring.FrameHeaderDescriptor.*;
import static io.sdr.ring.RingV1Descriptor.*;

/**
 * Reads the single-slot v1 layout: always the latest committed frame. Gaps in frame_seq are
 * counted as lost frames and gate delivery until the next keyframe.
 */
final class V1LayoutReader extends LayoutReader {
    private long lastCommitSeq;
    private long lastFrameSeq;

    V1LayoutReader(final MappedRingFile file, final RingCounters counters, final FrameInfo frame,
                   final RingReader.Options options) {
        super(file, counters, frame, options);
    }

    @Override
    int version() {
        return 1;
    }

    @Override
    long writerPosition() {
        return lastCommitSeq;
    }

    /** The writer re-initialised the same file as v2: the caller must re-detect the layout. */
    @Override
    boolean layoutChanged() {
        return ring.getLongVolatile(SEQ_OFFSET) == RingV2Descriptor.MAGIC;
    }

    @Override
    PollOutcome poll(final MutableDirectBuffer dst, final int dstOffset) {
        final long seq1 = ring.getLongVolatile(SEQ_OFFSET);
        if (seq1 == 0 || seq1 == lastCommitSeq) {
            return count(PollOutcome.NO_NEW_FRAME);
        }
        final long writeLen = ring.getLongVolatile(WRITE_LEN_OFFSET);
        if (writeLen < LENGTH || writeLen > ringLength - DATA_OFFSET || writeLen > room(dst, dstOffset)) {
            return torn(seq1, writeLen) ? count(PollOutcome.TORN) : dropCommit(seq1, PollOutcome.BAD_LENGTH);
        }
        dst.putBytes(dstOffset, ring, DATA_OFFSET, (int) writeLen);
        // The copy's plain loads must complete before seq is read again.
        VarHandle.acquireFence();
        if (ring.getLongVolatile(SEQ_OFFSET) != seq1) {
            return count(PollOutcome.TORN);
        }
        final long size = Integer.toUnsignedLong(dst.getInt(dstOffset + SIZE_OFFSET));
        if (size != writeLen - LENGTH) {
            return torn(seq1, writeLen) ? count(PollOutcome.TORN) : dropCommit(seq1, PollOutcome.BAD_LENGTH);
        }
        if (!crcMatches(dst, dstOffset + LENGTH, (int) size, dst.getInt(dstOffset + CRC32_OFFSET))) {
            return dropCommit(seq1, PollOutcome.CRC_ERROR);
        }
        final long frameSeq = dst.getLong(dstOffset + FRAME_SEQ_OFFSET);
        if (frameSeq == 0) {
            // frame_seq starts at 1; 0 would pass the check below on every commit and be delivered
            // again and again (found by RingReaderFuzzTest).
            return dropCommit(seq1, PollOutcome.BAD_LAYOUT);
        }
        lastCommitSeq = seq1;
        if (frameSeq == lastFrameSeq) {
            // Already seen: the previous poll copied this frame ahead of its commit (the writer had
            // stored it and its write_len, not yet seq, so seq looked unchanged). Never deliver twice.
            return count(PollOutcome.NO_NEW_FRAME);
        }
        PollOutcome pending = null;
        if (lastFrameSeq != 0 && frameSeq != lastFrameSeq + 1) {
            if (Long.compareUnsigned(frameSeq, lastFrameSeq) <= 0 || frameSeq - lastFrameSeq - 1 < 0) {
                // frame_seq went back: the writer restarted; what we knew no longer applies. A jump of
                // 2^63 or more is no lap either (garbage: as a count of lost frames it went negative).
                awaitingKeyframe = true;
                pending = PollOutcome.RESYNC;
            } else {
                lost(frameSeq - lastFrameSeq - 1);
                pending = PollOutcome.LAPPED;
            }
        }
        lastFrameSeq = frameSeq;
        final int flags = dst.getShort(dstOffset + FLAGS_OFFSET) & 0xFFFF;
        if (pending != null) {
            counters.increment(pending);
        }
        if (mustSkip(flags)) {
            return count(PollOutcome.SKIPPED_AWAITING_KEYFRAME);
        }
        frame.load(dst, dstOffset, 0, 1);
        counters.addBytes(writeLen);
        return count(PollOutcome.FRAME);
    }

    /**
     * True when write_len or seq changed since they were read: the writer is storing the next frame
     * (a write_len stored byte by byte reads as a mix of two lengths). Read again on the next poll
     * instead of dropping a commit that may be fine.
     */
    private boolean torn(final long seq, final long writeLen) {
        VarHandle.acquireFence();
        return ring.getLongVolatile(WRITE_LEN_OFFSET) != writeLen || ring.getLongVolatile(SEQ_OFFSET) != seq;
    }

    /**
     * A committed frame that cannot be delivered: remember its commit so it is counted once, and
     * gate until a keyframe. The frame_seq gap seen at the next good frame counts it as lost.
     */
    private PollOutcome dropCommit(final long seq, final PollOutcome outcome) {
        lastCommitSeq = seq;
        awaitingKeyframe = true;
        return count(outcome);
    }
}
