package io.sdr.ring;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * What the v1 and v2 readers share: the mapping, the keyframe gate, CRC checking and counters.
 * One thread only.
 */
abstract class LayoutReader {
    final UnsafeBuffer ring;
    final long ringLength;
    final RingCounters counters;
    final FrameInfo frame;
    private final boolean crcEnabled;
    private final boolean keyframeGating;
    private final CRC32 crc = new CRC32();
    private ByteBuffer crcSource;
    private ByteBuffer crcView;

    /** True until the next keyframe: after start, a resync, or any lost frame. */
    boolean awaitingKeyframe = true;

    LayoutReader(final MappedRingFile file, final RingCounters counters, final FrameInfo frame,
                 final RingReader.Options options) {
        this.ring = file.buffer();
        this.ringLength = file.length();
        this.counters = counters;
        this.frame = frame;
        this.crcEnabled = options.crcEnabled();
        this.keyframeGating = options.keyframeGating();
    }

    abstract PollOutcome poll(MutableDirectBuffer dst, int dstOffset);

    /** 1 or 2. */
    abstract int version();

    /** The newest committed frame_seq the writer published (v1: commit seq, v2: head). */
    abstract long writerPosition();

    /** The writer re-initialised the same file in another layout: the caller must re-detect it. */
    abstract boolean layoutChanged();

    final boolean mustSkip(final int flags) {
        if (!keyframeGating) {
            return false;
        }
        if ((flags & FrameHeaderDescriptor.FLAG_KEYFRAME) != 0) {
            awaitingKeyframe = false;
            return false;
        }
        return awaitingKeyframe;
    }

    /** A frame was lost: decoding cannot continue until the next keyframe. */
    final void lost(final long frames) {
        counters.addFramesLost(frames);
        awaitingKeyframe = true;
    }

    /** Counts and returns an outcome, so call sites read {@code return count(X)}. */
    final PollOutcome count(final PollOutcome outcome) {
        counters.increment(outcome);
        return outcome;
    }

    final boolean crcMatches(final MutableDirectBuffer dst, final int payloadOffset, final int size, final int expected) {
        if (!crcEnabled) {
            return true;
        }
        crc.reset();
        final ByteBuffer backing = dst.byteBuffer();
        if (backing != null) {
            if (backing != crcSource) {
                crcSource = backing;
                crcView = backing.duplicate();
            }
            final int start = dst.wrapAdjustment() + payloadOffset;
            crcView.limit(start + size).position(start);
            crc.update(crcView);
        } else if (dst.byteArray() != null) {
            crc.update(dst.byteArray(), dst.wrapAdjustment() + payloadOffset, size);
        } else {
            throw new IllegalArgumentException("CRC checking needs a destination backed by a ByteBuffer or an array");
        }
        return (int) crc.getValue() == expected;
    }

    /** Room in the caller's buffer for header plus payload. */
    static long room(final MutableDirectBuffer dst, final int dstOffset) {
        return (long) dst.capacity() - dstOffset;
    }
}
