package io.sdr.ring;

import org.agrona.MutableDirectBuffer;

import java.lang.invoke.VarHandle;

import static io.sdr.ring.FrameHeaderDescriptor.*;
import static io.sdr.ring.RingV2Descriptor.*;

/**
 * Reads the slotted v2 layout in frame order. On start and after every resync it begins at the
 * newest keyframe still in the ring, so a decoder can start at once; a reader that falls less
 * than {@code slot_count} frames behind loses nothing.
 */
final class V2LayoutReader extends LayoutReader {
    private long epoch;
    private int slotCount;
    private int slotSize;
    private boolean synced;
    /**
     * The next frame_seq to deliver. Kept across a lap, as a floor: a resync never starts at or
     * before a frame already delivered or dropped in this epoch; 0 after a new epoch or head going back.
     */
    private long nextSeq;
    private long lastHead;
    /** A non-zero epoch was seen: any later change is a restart, even by way of epoch 0. */
    private boolean hadEpoch;

    V2LayoutReader(final MappedRingFile file, final RingCounters counters, final FrameInfo frame,
                   final RingReader.Options options) {
        super(file, counters, frame, options);
    }

    @Override
    int version() {
        return 2;
    }

    @Override
    long writerPosition() {
        return lastHead;
    }

    int slotCount() {
        return slotCount;
    }

    int slotSize() {
        return slotSize;
    }

    /** The magic is gone: the writer re-initialised the file as something else. */
    boolean layoutChanged() {
        return ring.getLongVolatile(MAGIC_OFFSET) != MAGIC;
    }

    @Override
    PollOutcome poll(final MutableDirectBuffer dst, final int dstOffset) {
        final long currentEpoch = ring.getLongVolatile(EPOCH_OFFSET);
        if (currentEpoch != epoch) {
            final PollOutcome outcome = adoptEpoch(currentEpoch);
            if (outcome != null) {
                return outcome;
            }
        }
        if (slotCount == 0) {
            return count(PollOutcome.NOT_READY);
        }
        final long head = ring.getLongVolatile(HEAD_OFFSET);
        if (head < 0 || head < nextSeq - 1) {
            // u64 head beyond 2^63, or going back without a new epoch: no correct writer does this.
            // Checked while not synced too: after a lap to a bogus head, the newest keyframe below a
            // head that went back was delivered a second time (found by RingReaderFuzzTest).
            nextSeq = 0;
            return resync(PollOutcome.BAD_LAYOUT);
        }
        lastHead = head;
        if (head == 0) {
            return count(PollOutcome.NO_NEW_FRAME);
        }
        if (!synced) {
            startAtNewestKeyframe(head);
        }
        if (nextSeq > head) {
            return count(PollOutcome.NO_NEW_FRAME);
        }
        if (head - nextSeq >= slotCount) {
            lost(head - slotCount + 1 - nextSeq);
            return resync(PollOutcome.LAPPED);
        }
        return readSlot(nextSeq, dst, dstOffset);
    }

    private PollOutcome readSlot(final long f, final MutableDirectBuffer dst, final int dstOffset) {
        final int slot = slotOffset(f, slotCount, slotSize);
        final long committed = 2 * f;
        final long seq1 = ring.getLongVolatile(slot + SLOT_SEQ_OFFSET);
        if (seq1 != committed) {
            return slotNotCommitted(seq1, committed);
        }
        final int headerOffset = slot + SLOT_HEADER_OFFSET;
        final long size = Integer.toUnsignedLong(ring.getInt(headerOffset + SIZE_OFFSET));
        final int flags = ring.getShort(headerOffset + FLAGS_OFFSET) & 0xFFFF;
        if (size > slotSize - SLOT_OVERHEAD || LENGTH + size > room(dst, dstOffset)) {
            return stillCommitted(slot, committed) ? skip(PollOutcome.BAD_LENGTH, 1) : overwritten();
        }
        if (mustSkip(flags)) {
            // Only the flags were read; the check below proves they belonged to frame f.
            return stillCommitted(slot, committed) ? skip(PollOutcome.SKIPPED_AWAITING_KEYFRAME, 0) : overwritten();
        }
        final long commitNs = ring.getLong(slot + SLOT_COMMIT_NS_OFFSET);
        dst.putBytes(dstOffset, ring, headerOffset, LENGTH + (int) size);
        if (!stillCommitted(slot, committed)) {
            return overwritten();
        }
        if (dst.getLong(dstOffset + FRAME_SEQ_OFFSET) != f) {
            // The slot says frame f, its header says otherwise: delivered, it would take frame_seq
            // backwards without a resync (the CRC covers the payload only).
            return skip(PollOutcome.BAD_LAYOUT, 1);
        }
        if (!crcMatches(dst, dstOffset + LENGTH, (int) size, dst.getInt(dstOffset + CRC32_OFFSET))) {
            return skip(PollOutcome.CRC_ERROR, 1);
        }
        nextSeq = f + 1;
        frame.load(dst, dstOffset, commitNs, 2);
        counters.addBytes(LENGTH + size);
        return count(PollOutcome.FRAME);
    }

    private boolean stillCommitted(final int slot, final long committed) {
        // The plain loads of the copy must complete before seq is read again.
        VarHandle.acquireFence();
        return ring.getLongVolatile(slot + SLOT_SEQ_OFFSET) == committed;
    }

    private PollOutcome slotNotCommitted(final long seq, final long committed) {
        if (seq > committed) {
            return overwritten();
        }
        // head says frame f is committed but its slot says otherwise: a broken writer or garbage.
        return resync(PollOutcome.BAD_LAYOUT);
    }

    /** The writer reused the slot before or while we read it. */
    private PollOutcome overwritten() {
        lost(1);
        return resync(PollOutcome.LAPPED);
    }

    private PollOutcome skip(final PollOutcome outcome, final long lostFrames) {
        nextSeq++;
        if (lostFrames > 0) {
            lost(lostFrames);
        }
        return count(outcome);
    }

    private PollOutcome resync(final PollOutcome outcome) {
        synced = false;
        awaitingKeyframe = true;
        return count(outcome);
    }

    /**
     * Scans back from head for the newest committed keyframe still in the ring and starts there;
     * with none, starts after head and waits for the next keyframe.
     */
    private void startAtNewestKeyframe(final long head) {
        final long floor = nextSeq;
        synced = true;
        awaitingKeyframe = true;
        nextSeq = head + 1;
        final long oldest = Math.max(Math.max(1, head - slotCount + 1), floor);
        for (long f = head; f >= oldest; f--) {
            final int slot = slotOffset(f, slotCount, slotSize);
            final long committed = 2 * f;
            if (ring.getLongVolatile(slot + SLOT_SEQ_OFFSET) != committed) {
                return; // overwritten already: everything older is gone too.
            }
            final int flags = ring.getShort(slot + SLOT_HEADER_OFFSET + FLAGS_OFFSET) & 0xFFFF;
            if (!stillCommitted(slot, committed)) {
                return;
            }
            if ((flags & FLAG_KEYFRAME) != 0) {
                nextSeq = f;
                return;
            }
        }
    }

    /** Takes on a new writer's geometry; null when the first epoch seen is usable and polling can go on. */
    private PollOutcome adoptEpoch(final long currentEpoch) {
        // Not just epoch != 0: a writer re-initialising in place stores epoch 0 first, and a reader
        // polling in between would otherwise take the new epoch as its first (found by RingReaderFuzzTest).
        final boolean restart = hadEpoch;
        hadEpoch |= currentEpoch != 0;
        epoch = currentEpoch;
        slotCount = 0;
        synced = false;
        nextSeq = 0;
        awaitingKeyframe = true;
        if (currentEpoch == 0) {
            return count(PollOutcome.NOT_READY);
        }
        final int version = ring.getInt(VERSION_OFFSET);
        final long count = Integer.toUnsignedLong(ring.getInt(SLOT_COUNT_OFFSET));
        final long size = Integer.toUnsignedLong(ring.getInt(SLOT_SIZE_OFFSET));
        if (version != VERSION || checkGeometry(count, size) != null || fileLength((int) count, (int) size) > ringLength) {
            return count(PollOutcome.BAD_LAYOUT);
        }
        slotCount = (int) count;
        slotSize = (int) size;
        return restart ? count(PollOutcome.RESYNC) : null;
    }
}
