package io.sdr.ring;

import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Polls a ring file of either layout and copies each deliverable frame (32-byte header, then
 * payload) into a buffer the caller owns. One thread only; no allocation per frame.
 *
 * <p>The layout is detected from the first 8 bytes (the v2 magic, or v1) and re-detected whenever
 * the file is re-created, resized or re-initialised. Nothing a writer (or an attacker able to
 * write the file) puts in it makes {@link #poll} throw: every outcome is a {@link PollOutcome},
 * counted in {@link #counters()}.
 */
public final class RingReader implements AutoCloseable {
    /** Reader settings. {@code fileCheckIntervalNs} bounds how long a re-created file goes unnoticed. */
    public record Options(boolean crcEnabled, boolean keyframeGating, long fileCheckIntervalNs) {
        public static final Options DEFAULTS = new Options(true, true, 20_000_000L);

        public Options {
            if (fileCheckIntervalNs < 0) {
                throw new IllegalArgumentException("fileCheckIntervalNs must be >= 0: fileCheckIntervalNs=" + fileCheckIntervalNs);
            }
        }

        public Options withCrc(final boolean enabled) {
            return new Options(enabled, keyframeGating, fileCheckIntervalNs);
        }

        public Options withKeyframeGating(final boolean enabled) {
            return new Options(crcEnabled, enabled, fileCheckIntervalNs);
        }

        public Options withFileCheckIntervalNs(final long intervalNs) {
            return new Options(crcEnabled, keyframeGating, intervalNs);
        }
    }

    private final Path path;
    private final Options options;
    private final LongSupplier clock;
    private final RingCounters counters = new RingCounters();
    private final FrameInfo frame = new FrameInfo();
    private MappedRingFile file;
    private LayoutReader layout;
    private long nextFileCheckNs;
    private String lastError;

    public RingReader(final Path path) {
        this(path, Options.DEFAULTS);
    }

    public RingReader(final Path path, final Options options) {
        this(path, options, System::nanoTime);
    }

    /**
     * {@code clock} (ns) times how long a value that looks torn stays so before the v2 reader
     * believes it; tests and the fuzz scenario pass a clock they move themselves.
     */
    RingReader(final Path path, final Options options, final LongSupplier clock) {
        this.path = Objects.requireNonNull(path, "path");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Looks for the next deliverable frame and, on {@link PollOutcome#FRAME}, copies header and
     * payload to {@code dst} at {@code dstOffset}; {@link #frame()} then describes it. A frame
     * larger than the room left in {@code dst} is dropped as {@link PollOutcome#BAD_LENGTH}.
     */
    public PollOutcome poll(final MutableDirectBuffer dst, final int dstOffset) {
        if (dstOffset < 0 || dstOffset > dst.capacity()) {
            throw new IllegalArgumentException("dstOffset out of range: dstOffset=" + dstOffset + ", capacity=" + dst.capacity());
        }
        try {
            if (!ensureMapped()) {
                return count(PollOutcome.NOT_READY);
            }
            if (file.hasShrunk()) {
                // Truncated in place: any access past the new end would raise SIGBUS, which the JVM
                // reports asynchronously (outside this method) from compiled code. Never touch it.
                lastError = "fault: ring file shrank under the mapping: path=" + path + ", mappedLength=" + file.length();
                unmap();
                return count(PollOutcome.FAULT);
            }
            if (layout.layoutChanged()) {
                unmap();
                return count(PollOutcome.RESYNC);
            }
            final PollOutcome outcome = layout.poll(dst, dstOffset);
            if (outcome == PollOutcome.NO_NEW_FRAME || outcome == PollOutcome.BAD_LAYOUT
                || outcome == PollOutcome.NOT_READY || outcome == PollOutcome.TORN) {
                // NOT_READY too: a v2 file with epoch 0 or a rejected geometry stays NOT_READY until
                // it is replaced, which only this check notices. TORN: a value that looks torn in a
                // file already replaced would otherwise hide the replacement while it is re-read.
                maybeCheckFile();
            }
            return outcome;
        } catch (final InternalError e) {
            // SIGBUS: the file shrank under the mapping during this poll (a race the size check above
            // cannot close). Caught here only when the fault is reported synchronously (interpreted
            // code); from compiled code the JVM raises it later, in the caller. Drop it and map again.
            lastError = "fault reading ring: " + e.getMessage();
            unmap();
            return count(PollOutcome.FAULT);
        }
    }

    private boolean ensureMapped() {
        if (layout != null) {
            return true;
        }
        final long now = System.nanoTime();
        if (now - nextFileCheckNs < 0) {
            return false;
        }
        nextFileCheckNs = now + options.fileCheckIntervalNs();
        try {
            file = MappedRingFile.openIfReady(path, RingV1Descriptor.MIN_FILE_LENGTH);
        } catch (final IOException e) {
            lastError = "cannot map ring: path=" + path + ", error=" + e;
            return false;
        }
        if (file == null) {
            return false;
        }
        final boolean v2 = file.buffer().getLongVolatile(0) == RingV2Descriptor.MAGIC;
        if (v2 && file.length() < RingV2Descriptor.SUPERBLOCK_LENGTH) {
            // A v2 file cut short is no v1 ring either: mapped as v1 it would re-detect v2 at once and
            // re-map on every poll. Not ready until it is replaced (checked every fileCheckIntervalNs).
            lastError = "v2 ring shorter than its superblock: path=" + path + ", length=" + file.length();
            file.close();
            file = null;
            return false;
        }
        counters.incrementRemaps();
        layout = v2 ? new V2LayoutReader(file, counters, frame, options, clock)
            : new V1LayoutReader(file, counters, frame, options);
        lastError = null;
        return true;
    }

    private void maybeCheckFile() {
        final long now = System.nanoTime();
        if (now - nextFileCheckNs < 0) {
            return;
        }
        nextFileCheckNs = now + options.fileCheckIntervalNs();
        if (file.hasChanged()) {
            unmap();
            counters.increment(PollOutcome.RESYNC);
        }
    }

    private void unmap() {
        layout = null;
        if (file != null) {
            file.close();
            file = null;
        }
        nextFileCheckNs = System.nanoTime();
    }

    private PollOutcome count(final PollOutcome outcome) {
        counters.increment(outcome);
        return outcome;
    }

    /** The frame last delivered; valid after {@link PollOutcome#FRAME} until the next poll. */
    public FrameInfo frame() {
        return frame;
    }

    public RingCounters counters() {
        return counters;
    }

    /** True while the reader will deliver only a keyframe next (after start, a resync or a loss). */
    public boolean isAwaitingKeyframe() {
        return layout == null || layout.awaitingKeyframe;
    }

    /** 0 while no file is mapped, else 1 or 2. */
    public int layoutVersion() {
        return layout == null ? 0 : layout.version();
    }

    /** The newest frame position the writer published, as last seen (v1 commit seq, v2 head). */
    public long writerPosition() {
        return layout == null ? 0 : layout.writerPosition();
    }

    /** Why the ring is not mapped, or null. */
    public String lastError() {
        return lastError;
    }

    public Path path() {
        return path;
    }

    public Options options() {
        return options;
    }

    @Override
    public void close() {
        unmap();
    }
}
