package io.sdr.ring;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.zip.CRC32;

import static io.sdr.ring.FrameHeaderDescriptor.*;

/**
 * Writes frames into a ring file of either layout: for Java producers (the encoder) and tests.
 * One thread only.
 *
 * <p>The file is built under a temporary name and renamed over the path, so a reader still mapping
 * an older file never sees it shrink (no SIGBUS); it notices the new inode and re-maps.
 */
public final class RingWriter implements AutoCloseable {
    private static final SecureRandom EPOCHS = new SecureRandom();

    private final Path path;
    private final int version;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer ring;
    private final ByteBuffer crcView;
    private final CRC32 crc = new CRC32();
    private final int slotCount;
    private final int slotSize;
    private final long epoch;
    private final int maxPayloadLength;
    private long lastSeq;

    private RingWriter(final Path path, final int version, final MappedByteBuffer mapping, final int slotCount,
                       final int slotSize, final long epoch) {
        this.path = path;
        this.version = version;
        this.mapping = mapping;
        this.ring = new UnsafeBuffer(mapping);
        this.crcView = mapping.duplicate();
        this.slotCount = slotCount;
        this.slotSize = slotSize;
        this.epoch = epoch;
        this.maxPayloadLength = version == 2
            ? slotSize - RingV2Descriptor.SLOT_OVERHEAD
            : mapping.capacity() - RingV1Descriptor.DATA_OFFSET - LENGTH;
    }

    /** A v1 ring of {@code fileLength} bytes (the seed's {@code SDR_SHM_SIZE}). */
    public static RingWriter createV1(final Path path, final int fileLength) {
        if (fileLength < RingV1Descriptor.MIN_FILE_LENGTH) {
            throw new IllegalArgumentException("v1 ring too small: fileLength=" + fileLength
                + ", minimum=" + RingV1Descriptor.MIN_FILE_LENGTH);
        }
        return new RingWriter(path, 1, createMapped(path, fileLength, buffer -> { }), 0, 0, 0);
    }

    /** A v2 ring with a new random epoch. */
    public static RingWriter createV2(final Path path, final int slotCount, final int slotSize) {
        final String problem = RingV2Descriptor.checkGeometry(slotCount, slotSize);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        final long length = RingV2Descriptor.fileLength(slotCount, slotSize);
        if (length > MappedRingFile.MAX_LENGTH) {
            throw new IllegalArgumentException("v2 ring too large to map: slot_count=" + slotCount
                + ", slot_size=" + slotSize + ", bytes=" + length);
        }
        long epoch;
        do {
            epoch = EPOCHS.nextLong();
        } while (epoch == 0);
        final long newEpoch = epoch;
        final MappedByteBuffer mapping = createMapped(path, (int) length, buffer -> {
            buffer.putLong(RingV2Descriptor.MAGIC_OFFSET, RingV2Descriptor.MAGIC);
            buffer.putInt(RingV2Descriptor.VERSION_OFFSET, RingV2Descriptor.VERSION);
            buffer.putInt(RingV2Descriptor.SLOT_COUNT_OFFSET, slotCount);
            buffer.putInt(RingV2Descriptor.SLOT_SIZE_OFFSET, slotSize);
            buffer.putLong(RingV2Descriptor.CREATED_NS_OFFSET, System.nanoTime());
            buffer.putLongRelease(RingV2Descriptor.EPOCH_OFFSET, newEpoch);
        });
        return new RingWriter(path, 2, mapping, slotCount, slotSize, newEpoch);
    }

    private interface Initialiser {
        void init(UnsafeBuffer buffer);
    }

    private static MappedByteBuffer createMapped(final Path path, final int length, final Initialiser initialiser) {
        try {
            final Path parent = path.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            final Path temp = Files.createTempFile(parent, path.getFileName().toString(), ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(new byte[1]), length - 1); // sparse, zero-filled
                final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
                initialiser.init(new UnsafeBuffer(mapping));
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return mapping;
            } catch (final IOException | RuntimeException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create ring: path=" + path, e);
        }
    }

    /** Writes a frame with {@code frame_id = frame_seq}; returns its frame_seq. */
    public long write(final DirectBuffer payload, final int offset, final int length, final int codec, final boolean keyframe) {
        return write(lastSeq + 1, keyframe ? FLAG_KEYFRAME : 0, codec, payload, offset, length);
    }

    /**
     * Writes and commits one frame; returns its frame_seq (1, 2, ...).
     *
     * @throws IllegalArgumentException when the payload does not fit ({@link #maxPayloadLength()}).
     */
    public long write(final long frameId, final int flags, final int codec, final DirectBuffer payload,
                      final int offset, final int length) {
        return writeAt(lastSeq + 1, frameId, flags, codec, payload, offset, length);
    }

    /**
     * Writes and commits one frame as {@code frameSeq}, which must be above the last one written.
     * Skipping numbers is a gap readers count as lost frames: the renditions of one stream (quality
     * tiers, each its own ring) carry the same frame_seq for the same picture, so a tier that could
     * not write a picture leaves its number out instead of shifting every later one.
     *
     * @throws IllegalArgumentException when the payload does not fit or {@code frameSeq} does not go forward.
     */
    public long writeAt(final long frameSeq, final long frameId, final int flags, final int codec,
                        final DirectBuffer payload, final int offset, final int length) {
        if (length < 0 || length > maxPayloadLength) {
            throw new IllegalArgumentException("payload does not fit the ring: length=" + length
                + ", maxPayloadLength=" + maxPayloadLength);
        }
        if (frameSeq <= lastSeq) {
            throw new IllegalArgumentException("frame_seq must go forward: frameSeq=" + frameSeq + ", last=" + lastSeq);
        }
        final long f = frameSeq;
        if (version == 2) {
            writeV2(f, frameId, flags, codec, payload, offset, length);
        } else {
            writeV1(f, frameId, flags, codec, payload, offset, length);
        }
        lastSeq = f;
        return f;
    }

    private void writeV2(final long f, final long frameId, final int flags, final int codec, final DirectBuffer payload,
                         final int offset, final int length) {
        final int slot = RingV2Descriptor.slotOffset(f, slotCount, slotSize);
        ring.putLongRelease(slot + RingV2Descriptor.SLOT_SEQ_OFFSET, 2 * f - 1);
        // Readers must never see this frame's bytes without first seeing the slot marked busy.
        VarHandle.storeStoreFence();
        final int headerOffset = slot + RingV2Descriptor.SLOT_HEADER_OFFSET;
        ring.putBytes(headerOffset + LENGTH, payload, offset, length);
        putHeader(headerOffset, frameId, f, flags, codec, length);
        ring.putLong(slot + RingV2Descriptor.SLOT_COMMIT_NS_OFFSET, System.nanoTime());
        ring.putLongRelease(slot + RingV2Descriptor.SLOT_SEQ_OFFSET, 2 * f);
        ring.putLongRelease(RingV2Descriptor.HEAD_OFFSET, f);
    }

    private void writeV1(final long f, final long frameId, final int flags, final int codec, final DirectBuffer payload,
                         final int offset, final int length) {
        final int headerOffset = RingV1Descriptor.DATA_OFFSET;
        ring.putBytes(headerOffset + LENGTH, payload, offset, length);
        putHeader(headerOffset, frameId, f, flags, codec, length);
        ring.putLong(RingV1Descriptor.WRITE_LEN_OFFSET, LENGTH + length);
        ring.putLongRelease(RingV1Descriptor.SEQ_OFFSET, f);
    }

    private void putHeader(final int headerOffset, final long frameId, final long frameSeq, final int flags,
                           final int codec, final int length) {
        final int payloadOffset = headerOffset + LENGTH;
        crc.reset();
        crcView.limit(payloadOffset + length).position(payloadOffset);
        crc.update(crcView);
        FrameHeaderDescriptor.write(ring, headerOffset, frameId, frameSeq, length, flags, codec, (int) crc.getValue());
    }

    /** The largest payload one frame may carry. */
    public int maxPayloadLength() {
        return maxPayloadLength;
    }

    /** frame_seq of the last frame written, 0 before the first. */
    public long lastFrameSeq() {
        return lastSeq;
    }

    public int version() {
        return version;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        IoUtil.unmap(mapping);
    }
}
