package io.sdr.ring;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.zip.CRC32;

import static io.sdr.ring.FrameHeaderDescriptor.*;

/**
 * What every {@link RingReader#poll} must uphold, whatever the file holds: it returns (no exception,
 * no fault escaping, bounded time); a delivered frame fits the caller's buffer and the largest file
 * the reader could have mapped, {@link RingReader#frame()} describes the bytes copied, the CRC matches
 * when checking is on, a gated reader starts on a keyframe, and frame_seq only moves forward until
 * the reader counts a resync (a new writer or a new mapping; damage in the file, a head going
 * back included, is no excuse). While only {@link RingWriter} has written the file, also: no damage
 * is reported, payloads are the ones written, and every gap is counted.
 */
final class RingReaderInvariants {
    /** Far above any legitimate poll of a ring this small; catches loops and scans sized by garbage. */
    private static final long MAX_POLL_NS = 2_000_000_000L;
    /** Totals over all executions of this JVM, printed after fuzzing. */
    static final Map<PollOutcome, Long> OUTCOMES = new EnumMap<>(PollOutcome.class);

    private final RingReader reader;
    private final UnsafeBuffer dst;
    private final int dstOffset;
    private final StringBuilder story;
    private final CRC32 crc = new CRC32();
    private long maxFileLength;
    private int maxWrittenFrameLength;
    private boolean tampered;
    private boolean delivered;
    private long lastFrameSeq;
    private long lastResyncMark;
    private long lastGapMark;

    RingReaderInvariants(final RingReader reader, final UnsafeBuffer dst, final int dstOffset, final StringBuilder story) {
        this.reader = reader;
        this.dst = dst;
        this.dstOffset = dstOffset;
        this.story = story;
    }

    /** The ring file has had this length (a frame can never be longer). */
    void fileLength(final long length) {
        maxFileLength = Math.max(maxFileLength, length);
    }

    /** {@link RingWriter} wrote a frame of this many bytes, header included. */
    void written(final int frameLength) {
        maxWrittenFrameLength = Math.max(maxWrittenFrameLength, frameLength);
    }

    /** From now on the file may hold bytes no correct writer produces. */
    void tampered() {
        tampered = true;
    }

    PollOutcome poll() {
        final boolean awaitingKeyframe = reader.isAwaitingKeyframe();
        final long startNs = System.nanoTime();
        final PollOutcome outcome = reader.poll(dst, dstOffset);
        final long tookNs = System.nanoTime() - startNs;
        story.append("poll -> ").append(outcome).append('\n');
        OUTCOMES.merge(outcome, 1L, Long::sum);
        check(outcome != null, "poll returned null");
        check(tookNs < MAX_POLL_NS, "poll took " + tookNs + " ns");
        check(reader.layoutVersion() >= 0 && reader.layoutVersion() <= 2, "layoutVersion=" + reader.layoutVersion());
        if (!tampered) {
            check(outcome != PollOutcome.TORN && outcome != PollOutcome.CRC_ERROR && outcome != PollOutcome.BAD_LAYOUT
                && outcome != PollOutcome.FAULT && outcome != PollOutcome.WRITER_REWOUND,
                "damage reported for a ring only RingWriter wrote: " + outcome);
            check(outcome != PollOutcome.BAD_LENGTH || maxWrittenFrameLength > room(),
                "BAD_LENGTH although every frame written fits: maxWrittenFrameLength=" + maxWrittenFrameLength);
        }
        if (outcome == PollOutcome.FRAME) {
            checkFrame(awaitingKeyframe);
        }
        return outcome;
    }

    private void checkFrame(final boolean awaitingKeyframe) {
        final FrameInfo frame = reader.frame();
        final int size = frame.size();
        check(size >= 0, "negative size: " + frame);
        check(frame.length() <= room(), "frame larger than the room given: " + frame + ", room=" + room());
        check(frame.length() <= maxFileLength, "frame larger than any file mapped: " + frame + ", maxFileLength=" + maxFileLength);
        check(frame.layoutVersion() == reader.layoutVersion(), "frame layout v" + frame.layoutVersion()
            + " but reader maps v" + reader.layoutVersion());
        check(dst.getLong(dstOffset + FRAME_ID_OFFSET) == frame.frameId()
            && dst.getLong(dstOffset + FRAME_SEQ_OFFSET) == frame.frameSeq()
            && dst.getInt(dstOffset + SIZE_OFFSET) == size
            && (dst.getShort(dstOffset + FLAGS_OFFSET) & 0xFFFF) == frame.flags()
            && (dst.getShort(dstOffset + CODEC_OFFSET) & 0xFFFF) == frame.codec()
            && dst.getInt(dstOffset + CRC32_OFFSET) == frame.crc32(), "frame() does not describe the bytes copied: " + frame);
        if (reader.options().crcEnabled()) {
            check(crcOf(dstOffset + LENGTH, size) == frame.crc32(), "CRC mismatch delivered with CRC checking on: " + frame);
        }
        if (reader.options().keyframeGating() && awaitingKeyframe) {
            check(frame.isKeyframe(), "gated reader delivered a non-keyframe first: " + frame);
        }
        final RingCounters counters = reader.counters();
        // Only a new writer (RESYNC: new epoch, v1 frame_seq restarting), a new mapping or a fault
        // lets frame_seq go back or repeat. Not BAD_LAYOUT or WRITER_REWOUND: within an epoch a v2
        // reader never delivers a frame_seq at or below one it already delivered, whatever head says.
        final long resyncMark = counters.get(PollOutcome.RESYNC) + counters.get(PollOutcome.FAULT) + counters.remaps();
        final long gapMark = counters.framesLost() + counters.get(PollOutcome.SKIPPED_AWAITING_KEYFRAME);
        if (delivered && resyncMark == lastResyncMark) {
            check(Long.compareUnsigned(frame.frameSeq(), lastFrameSeq) > 0, "frame_seq " + frame.frameSeq()
                + " after " + lastFrameSeq + " without a resync");
            if (!tampered) {
                check(frame.frameSeq() == lastFrameSeq + 1 || gapMark != lastGapMark, "frame_seq " + frame.frameSeq()
                    + " after " + lastFrameSeq + " but no loss counted");
            }
        }
        if (!tampered) {
            check(RingTestSupport.patternMatches(dst, dstOffset + LENGTH, frame.frameSeq(), size),
                "payload is not the one written: " + frame);
        }
        delivered = true;
        lastFrameSeq = frame.frameSeq();
        lastResyncMark = resyncMark;
        lastGapMark = gapMark;
    }

    private int crcOf(final int offset, final int length) {
        crc.reset();
        if (dst.byteArray() != null) {
            crc.update(dst.byteArray(), dst.wrapAdjustment() + offset, length);
        } else {
            final ByteBuffer view = dst.byteBuffer().duplicate();
            view.limit(dst.wrapAdjustment() + offset + length).position(dst.wrapAdjustment() + offset);
            crc.update(view);
        }
        return (int) crc.getValue();
    }

    private long room() {
        return (long) dst.capacity() - dstOffset;
    }

    private void check(final boolean condition, final String problem) {
        if (!condition) {
            throw new AssertionError(problem + "\ncounters: " + reader.counters() + "\nscenario:\n" + story);
        }
    }
}
