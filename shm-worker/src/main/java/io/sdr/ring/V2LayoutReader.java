package io.sdr.ring;

import org.agrona.MutableDirectBuffer;

import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;

import static io.sdr.ring.FrameHeaderDescriptor.*;
import static io.sdr.ring.RingV2Descriptor.*;

/**
 * Reads the slotted v2 layout in frame order. On start and after every resync it begins at the
 * newest keyframe still in the ring, so a decoder can start at once; a reader that falls less
 * than {@code slot_count} frames behind loses nothing.
 *
 * <p>Within one epoch no frame_seq at or below one already delivered (or dropped) is ever
 * delivered again: {@link #nextSeq} only moves forward until the epoch changes. A writer whose
 * u64 stores tear (stored byte by byte, or as two 4-byte halves) can make a single load of
 * {@code head} or of a slot's {@code seq} return half-old, half-new bits: a head behind what was
 * already delivered, or ahead of what is committed. Such a value is read again on the next polls
 * ({@link PollOutcome#TORN}); only one that stays wrong on {@link #CONFIRM_POLLS} consecutive polls
 * spread over at least {@link #CONFIRM_NS} is believed.
 */
final class V2LayoutReader extends LayoutReader {
    private static final System.Logger LOG = System.getLogger(V2LayoutReader.class.getName());

    /**
     * How long a value that looks torn must keep looking wrong before the reader believes it.
     * A torn read lasts as long as the writer takes between the first and the last byte of one
     * store: nanoseconds, or while the writer is descheduled in the middle of it (a time slice of
     * a few ms on a busy host). 5 ms is above that and below one frame interval at 60 fps
     * (16.7 ms); three polls so that one reader stall between two polls does not confirm on its
     * own. Erring either way is safe: a torn value taken for real costs a counted resync at a
     * keyframe, never a frame delivered twice.
     */
    static final int CONFIRM_POLLS = 3;
    static final long CONFIRM_NS = 5_000_000L;

    private final LongSupplier clock;
    private final String path;
    private long epoch;
    private int slotCount;
    private int slotSize;
    private boolean synced;
    /**
     * The next frame_seq to deliver, and the floor of every resync: never lowered within an epoch,
     * so no frame at or below one already delivered or dropped is delivered again. 0 only until
     * the epoch's first sync.
     */
    private long nextSeq;
    private long lastHead;
    /** A non-zero epoch was seen: any later change is a restart, even by way of epoch 0. */
    private boolean hadEpoch;
    /** Head stayed behind long enough to be believed; polls answer NO_NEW_FRAME until it is back. */
    private boolean rewound;
    private boolean rewindLogged;
    // Consecutive polls that saw a value looking torn (see mayBeTorn).
    private long polls;
    private long suspectLastPoll = Long.MIN_VALUE;
    private int suspectPolls;
    private long suspectSinceNs;

    V2LayoutReader(final MappedRingFile file, final RingCounters counters, final FrameInfo frame,
                   final RingReader.Options options, final LongSupplier clock) {
        super(file, counters, frame, options);
        this.clock = clock;
        this.path = String.valueOf(file.path());
    }

    @Override
    int version() {
        return 2;
    }

    @Override
    long writerPosition() {
        return lastHead;
    }

    /** The magic is gone: the writer re-initialised the file as something else. */
    @Override
    boolean layoutChanged() {
        return ring.getLongVolatile(MAGIC_OFFSET) != MAGIC;
    }

    @Override
    PollOutcome poll(final MutableDirectBuffer dst, final int dstOffset) {
        polls++;
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
            // u64 head beyond 2^63, or behind a frame already delivered, without a new epoch.
            return headBehind(head);
        }
        rewound = false;
        lastHead = head;
        if (head == 0) {
            return count(PollOutcome.NO_NEW_FRAME);
        }
        if (!synced) {
            final PollOutcome outcome = startAtNewestKeyframe(head);
            if (outcome != null) {
                return outcome;
            }
        }
        if (nextSeq > head) {
            return count(PollOutcome.NO_NEW_FRAME);
        }
        if (head - nextSeq >= slotCount) {
            // Head says the slot was reused; the slot itself has the last word (head may be torn ahead).
            final long seq = slotSeq(nextSeq);
            if (seq > 2 * nextSeq) {
                return resync(PollOutcome.LAPPED);
            }
            if (seq < 2 * nextSeq) {
                return mayBeTorn() ? count(PollOutcome.TORN) : resync(PollOutcome.BAD_LAYOUT);
            }
        }
        return readSlot(nextSeq, dst, dstOffset);
    }

    /**
     * Head went back without a new epoch. A torn read of a head being stored byte by byte does
     * that for nanoseconds; a writer restarted in place without a new epoch (or garbage) does it
     * for good. Either way frames at or below {@link #nextSeq} are never delivered again.
     */
    private PollOutcome headBehind(final long head) {
        if (rewound) {
            return count(PollOutcome.NO_NEW_FRAME);
        }
        if (mayBeTorn()) {
            return count(PollOutcome.TORN);
        }
        rewound = true;
        // Once head is past the floor again, start at a keyframe: the frames there may come from
        // another encoder session than the ones delivered so far.
        synced = false;
        awaitingKeyframe = true;
        if (!rewindLogged) {
            rewindLogged = true;
            LOG.log(System.Logger.Level.WARNING, "ring head went back without a new epoch and stayed back: a broken"
                + " writer (restarted in place without a new epoch, or u64 stores that tear); frames up to the last"
                + " delivered are not delivered again, later rewinds are only counted (outcome writer_rewound): path="
                + path + ", epoch=" + Long.toHexString(epoch) + ", head=" + Long.toUnsignedString(head)
                + ", lastDelivered=" + (nextSeq - 1));
        }
        return count(PollOutcome.WRITER_REWOUND);
    }

    /**
     * True while a value that looks wrong may still be a torn read: it has not yet looked wrong
     * on {@link #CONFIRM_POLLS} consecutive polls spanning {@link #CONFIRM_NS}.
     */
    private boolean mayBeTorn() {
        final long now = clock.getAsLong();
        if (suspectLastPoll != polls - 1) {
            suspectPolls = 0;
            suspectSinceNs = now;
        }
        suspectLastPoll = polls;
        suspectPolls++;
        return suspectPolls < CONFIRM_POLLS || now - suspectSinceNs < CONFIRM_NS;
    }

    private long slotSeq(final long f) {
        return ring.getLongVolatile(slotOffset(f, slotCount, slotSize) + SLOT_SEQ_OFFSET);
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
        // head says frame f is committed but its slot says otherwise: head or seq read torn, a
        // broken writer, or garbage. Believed only once it stays so.
        return mayBeTorn() ? count(PollOutcome.TORN) : resync(PollOutcome.BAD_LAYOUT);
    }

    /** The writer reused the slot before or while we read it (the restart counts the loss). */
    private PollOutcome overwritten() {
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
     * Scans back from head for the newest committed keyframe still in the ring, no lower than
     * {@link #nextSeq}, and starts there; with none, starts after head and waits for the next
     * keyframe. Frames skipped over since the last one delivered are counted lost. Returns null
     * once synced, or the outcome of a poll that must look again.
     */
    private PollOutcome startAtNewestKeyframe(final long head) {
        final long floor = nextSeq;
        boolean badHead = false;
        if (head >= floor) {
            final long seq = slotSeq(head);
            if (seq != 2 * head) {
                // Head's own slot must hold it. Above: the writer lapped it since head was read.
                // Below: head read torn ahead of the writer, or a broken writer; believed (and waited
                // past) only once it stays so.
                if (seq > 2 * head || mayBeTorn()) {
                    return count(PollOutcome.TORN);
                }
                badHead = true;
            }
        }
        synced = true;
        awaitingKeyframe = true;
        long start = head + 1;
        final long oldest = Math.max(Math.max(1, head - slotCount + 1), floor);
        for (long f = head; f >= oldest; f--) {
            final int slot = slotOffset(f, slotCount, slotSize);
            final long committed = 2 * f;
            if (ring.getLongVolatile(slot + SLOT_SEQ_OFFSET) != committed) {
                break; // overwritten already: everything older is gone too.
            }
            final int flags = ring.getShort(slot + SLOT_HEADER_OFFSET + FLAGS_OFFSET) & 0xFFFF;
            if (!stillCommitted(slot, committed)) {
                break;
            }
            if ((flags & FLAG_KEYFRAME) != 0) {
                start = f;
                break;
            }
        }
        if (floor > 0 && start > floor) {
            lost(start - floor);
        }
        nextSeq = start;
        return badHead ? count(PollOutcome.BAD_LAYOUT) : null;
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
        rewound = false;
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
