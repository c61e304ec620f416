package io.sdr.ring;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import static io.sdr.ring.FrameHeaderDescriptor.*;

/**
 * One fuzz input played against a real ring file and a real {@link RingReader}: the first bytes
 * choose the start (a {@link RingWriter} ring of either layout, a v2 superblock with fuzzed fields,
 * raw bytes, or no file), the rest a sequence of steps (frames written, a field or bytes
 * overwritten, the writer restarted, the file truncated in place, grown, deleted or replaced),
 * each followed by polls. Every poll is checked by {@link RingReaderInvariants}. Structure-aware on
 * purpose: raw bytes alone rarely get past the magic and the geometry checks.
 *
 * <p>The file is changed only between polls, from this thread, as a writer process would between
 * two of the reader's loads; the torture tests (tests module) cover true concurrency.
 */
final class RingFuzzScenario {
    /** Keeps an execution well under a millisecond of file I/O. */
    static final int MAX_FILE_LENGTH = 1 << 17;
    private static final int MAX_STEPS = 48;
    /** Room for the largest ring plus a wrap offset, shared by every execution (no allocation each). */
    private static final int DST_BACKING = MAX_FILE_LENGTH + 4096;
    private static final ByteBuffer DIRECT_BACKING = ByteBuffer.allocateDirect(DST_BACKING);
    private static final byte[] ARRAY_BACKING = new byte[DST_BACKING];
    private static final UnsafeBuffer PAYLOAD = new UnsafeBuffer(new byte[MAX_FILE_LENGTH]);

    private final Path dir;
    private final Path path;
    private final FuzzedDataProvider data;
    private final StringBuilder story = new StringBuilder();
    private RingWriter writer;
    private RingReaderInvariants invariants;

    RingFuzzScenario(final Path dir, final FuzzedDataProvider data) {
        this.dir = dir;
        this.path = dir.resolve("frames");
        this.data = data;
    }

    void run() throws IOException {
        clearDirectory();
        final RingReader.Options options = RingReader.Options.DEFAULTS
            .withCrc(data.consumeBoolean())
            .withKeyframeGating(data.consumeBoolean())
            // 0: every change noticed at once; or never re-checked (a stale mapping must stay safe too).
            // Both deterministic, so that a kept input replays the same way.
            .withFileCheckIntervalNs(data.consumeBoolean() ? 0 : Long.MAX_VALUE / 4);
        final int capacity = data.consumeInt(0, MAX_FILE_LENGTH + 1024);
        final int wrapOffset = data.consumeInt(0, 63);
        final UnsafeBuffer dst = data.consumeBoolean()
            ? new UnsafeBuffer(DIRECT_BACKING, wrapOffset, capacity)
            : new UnsafeBuffer(ARRAY_BACKING, wrapOffset, capacity);
        final int dstOffset = data.consumeInt(0, capacity);
        story.append(options).append(", dst capacity=").append(capacity).append(" offset=").append(dstOffset)
            .append(dst.byteArray() != null ? " array" : " direct").append('\n');
        // Each read of the clock is 2.5 ms after the previous one: a value that looks torn is
        // believed on its third consecutive poll, so fuzzing reaches both sides of that decision.
        final long[] nowNs = {0};
        try (RingReader reader = new RingReader(path, options, () -> nowNs[0] += 2_500_000L)) {
            invariants = new RingReaderInvariants(reader, dst, dstOffset, story);
            start();
            final int steps = data.consumeInt(1, MAX_STEPS);
            for (int i = 0; i < steps && data.remainingBytes() > 0; i++) {
                step();
                final int polls = data.consumeInt(0, 3);
                for (int p = 0; p < polls; p++) {
                    invariants.poll();
                }
            }
            for (int p = 0; p < 4; p++) {
                invariants.poll();
            }
        } finally {
            closeWriter();
        }
    }

    private void start() throws IOException {
        switch (data.consumeInt(0, 4)) {
            case 0:
                startWriter(1);
                break;
            case 1:
                startWriter(2);
                break;
            case 2:
                replaceFile(fuzzedV2File());
                break;
            case 3:
                replaceFile(data.consumeBytes(data.consumeInt(0, 4096)));
                break;
            default:
                story.append("no file\n");
        }
    }

    private void step() throws IOException {
        switch (data.consumeInt(0, 11)) {
            case 0:
            case 1:
            case 2:
                writeFrames(data.consumeInt(1, 4));
                break;
            case 3:
            case 4:
                overwriteField();
                break;
            case 5:
                overwriteBytes();
                break;
            case 6:
                startWriter(data.consumeBoolean() ? 2 : 1);
                break;
            case 7:
                truncateInPlace();
                break;
            case 8:
                growInPlace();
                break;
            case 9:
                closeWriter();
                Files.deleteIfExists(path);
                story.append("delete\n");
                break;
            case 10:
                replaceFile(fuzzedV2File());
                break;
            default:
                replaceFile(data.consumeBytes(data.consumeInt(0, 4096)));
        }
    }

    private void startWriter(final int version) throws IOException {
        closeWriter();
        if (version == 1) {
            final int length = data.consumeInt(RingV1Descriptor.MIN_FILE_LENGTH, 16_384);
            writer = RingWriter.createV1(path, length);
            story.append("v1 writer length=").append(length).append('\n');
        } else {
            final int slotCount = 1 << data.consumeInt(1, 5);
            final int slotSize = RingV2Descriptor.SLOT_ALIGNMENT * data.consumeInt(2, 32);
            writer = RingWriter.createV2(path, slotCount, slotSize);
            story.append("v2 writer slot_count=").append(slotCount).append(" slot_size=").append(slotSize).append('\n');
        }
        invariants.fileLength(Files.size(path));
    }

    private void writeFrames(final int frames) {
        if (writer == null) {
            return;
        }
        for (int i = 0; i < frames; i++) {
            final long frameSeq = writer.lastFrameSeq() + 1;
            final int size = data.consumeInt(0, writer.maxPayloadLength());
            for (int b = 0; b < size; b++) {
                PAYLOAD.putByte(b, (byte) (frameSeq * 31 + b));
            }
            final boolean keyframe = data.consumeBoolean();
            writer.write(PAYLOAD, 0, size, data.consumeInt(0, 3), keyframe);
            invariants.written(LENGTH + size);
            story.append("write seq=").append(frameSeq).append(" size=").append(size).append(keyframe ? " key\n" : "\n");
        }
    }

    /** A field a reader trusts, at a layout-aware offset, set to a boundary or fuzzed value. */
    private void overwriteField() throws IOException {
        final long length = fileLength();
        if (length < RingV1Descriptor.MIN_FILE_LENGTH) {
            return;
        }
        final ByteBuffer superblock = read(0, (int) Math.min(length, RingV2Descriptor.SUPERBLOCK_LENGTH));
        final boolean v2 = superblock.capacity() >= 8 && superblock.getLong(0) == RingV2Descriptor.MAGIC;
        final int headerOffset;
        final int[][] fields; // {offset, width}
        if (v2) {
            final long slotCount = superblock.capacity() >= 16 ? Integer.toUnsignedLong(superblock.getInt(RingV2Descriptor.SLOT_COUNT_OFFSET)) : 0;
            final long slotSize = superblock.capacity() >= 20 ? Integer.toUnsignedLong(superblock.getInt(RingV2Descriptor.SLOT_SIZE_OFFSET)) : 0;
            final long slot = RingV2Descriptor.checkGeometry(slotCount, slotSize) == null
                ? RingV2Descriptor.SUPERBLOCK_LENGTH + data.consumeLong(0, slotCount - 1) * slotSize
                : RingV2Descriptor.SUPERBLOCK_LENGTH;
            if (slot > Integer.MAX_VALUE - 256) {
                return;
            }
            headerOffset = (int) slot + RingV2Descriptor.SLOT_HEADER_OFFSET;
            fields = new int[][] {
                {RingV2Descriptor.MAGIC_OFFSET, 8}, {RingV2Descriptor.VERSION_OFFSET, 4},
                {RingV2Descriptor.SLOT_COUNT_OFFSET, 4}, {RingV2Descriptor.SLOT_SIZE_OFFSET, 4},
                {RingV2Descriptor.EPOCH_OFFSET, 8}, {RingV2Descriptor.HEAD_OFFSET, 8}, {RingV2Descriptor.HEAD_OFFSET, 8},
                {(int) slot + RingV2Descriptor.SLOT_SEQ_OFFSET, 8}, {(int) slot + RingV2Descriptor.SLOT_SEQ_OFFSET, 8},
                {(int) slot + RingV2Descriptor.SLOT_COMMIT_NS_OFFSET, 8},
                {headerOffset + FRAME_SEQ_OFFSET, 8}, {headerOffset + SIZE_OFFSET, 4}, {headerOffset + SIZE_OFFSET, 4},
                {headerOffset + FLAGS_OFFSET, 2}, {headerOffset + CRC32_OFFSET, 4},
            };
        } else {
            headerOffset = RingV1Descriptor.DATA_OFFSET;
            fields = new int[][] {
                {RingV1Descriptor.SEQ_OFFSET, 8}, {RingV1Descriptor.SEQ_OFFSET, 8},
                {RingV1Descriptor.WRITE_LEN_OFFSET, 8}, {RingV1Descriptor.WRITE_LEN_OFFSET, 8},
                {headerOffset + FRAME_SEQ_OFFSET, 8}, {headerOffset + SIZE_OFFSET, 4},
                {headerOffset + FLAGS_OFFSET, 2}, {headerOffset + CRC32_OFFSET, 4},
            };
        }
        final int[] field = fields[data.consumeInt(0, fields.length - 1)];
        if (field[0] + field[1] > length) {
            return;
        }
        final ByteBuffer current = read(field[0], field[1]);
        final long old = field[1] == 8 ? current.getLong(0) : field[1] == 4 ? current.getInt(0) : current.getShort(0);
        final long value = boundaryOrFuzzed(old, field[1]);
        final ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
        write(field[0], bytes.array(), field[1]);
        invariants.tampered();
        story.append("field @").append(field[0]).append('/').append(field[1]).append(' ').append(old).append(" -> ")
            .append(value).append('\n');
    }

    private long boundaryOrFuzzed(final long old, final int width) {
        switch (data.consumeInt(0, 8)) {
            case 0:
                return 0;
            case 1:
                return old + 1;
            case 2:
                return old - 1;
            case 3:
                return -1;
            case 4:
                return width == 8 ? Long.MIN_VALUE : width == 4 ? Integer.MIN_VALUE : Short.MIN_VALUE;
            case 5:
                return old + data.consumeInt(-64, 64);
            case 6:
                return old ^ (1L << data.consumeInt(0, width * 8 - 1));
            case 7:
                return 2 * old;
            default:
                return data.consumeLong();
        }
    }

    private void overwriteBytes() throws IOException {
        final long length = fileLength();
        if (length < 0) {
            return;
        }
        final int offset = data.consumeInt(0, (int) Math.min(length, MAX_FILE_LENGTH - 64));
        final byte[] bytes = data.consumeBytes(data.consumeInt(1, 64));
        write(offset, bytes, bytes.length);
        invariants.tampered();
        story.append("bytes @").append(offset).append(" x").append(bytes.length).append('\n');
    }

    /** Shrinks the mapped file: any access past the new end would raise SIGBUS in the reader. */
    private void truncateInPlace() throws IOException {
        final long length = fileLength();
        if (length <= 0) {
            return;
        }
        // The writer maps the file too: its next store past the new end would fault this JVM.
        closeWriter();
        final long newLength = data.consumeLong(0, length - 1);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            channel.truncate(newLength);
        }
        invariants.tampered();
        story.append("truncate ").append(length).append(" -> ").append(newLength).append('\n');
    }

    private void growInPlace() throws IOException {
        final long length = fileLength();
        if (length < 0 || length >= MAX_FILE_LENGTH) {
            return;
        }
        final long newLength = data.consumeLong(length + 1, MAX_FILE_LENGTH);
        write(newLength - 1, new byte[1], 1);
        story.append("grow ").append(length).append(" -> ").append(newLength).append('\n');
    }

    /** A v2 superblock whose fields are each valid or fuzzed, then raw bytes: a geometry a reader may map. */
    private byte[] fuzzedV2File() {
        final int slotCount = data.consumeBoolean() ? 1 << data.consumeInt(0, 6) : data.consumeInt();
        final int slotSize = data.consumeBoolean() ? RingV2Descriptor.SLOT_ALIGNMENT * data.consumeInt(0, 33) : data.consumeInt();
        final int length = data.consumeInt(0, 8192);
        final ByteBuffer file = ByteBuffer.allocate(Math.max(length, RingV2Descriptor.SUPERBLOCK_LENGTH))
            .order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(RingV2Descriptor.MAGIC_OFFSET, RingV2Descriptor.MAGIC)
            .putInt(RingV2Descriptor.VERSION_OFFSET, data.consumeBoolean() ? RingV2Descriptor.VERSION : data.consumeInt())
            .putInt(RingV2Descriptor.SLOT_COUNT_OFFSET, slotCount)
            .putInt(RingV2Descriptor.SLOT_SIZE_OFFSET, slotSize)
            .putLong(RingV2Descriptor.EPOCH_OFFSET, data.consumeLong())
            .putLong(RingV2Descriptor.HEAD_OFFSET, data.consumeBoolean() ? data.consumeLong(0, 64) : data.consumeLong());
        final byte[] rest = data.consumeBytes(file.capacity() - RingV2Descriptor.SUPERBLOCK_LENGTH);
        file.position(RingV2Descriptor.SUPERBLOCK_LENGTH);
        file.put(rest);
        story.append("v2 superblock slot_count=").append(slotCount).append(" slot_size=").append(slotSize).append(' ');
        // A length below the superblock: the reader must not map it as v1 either.
        return java.util.Arrays.copyOf(file.array(), length);
    }

    /** A new inode with these bytes, renamed over the ring as a restarting writer does. */
    private void replaceFile(final byte[] bytes) throws IOException {
        closeWriter();
        final Path temp = dir.resolve("replacement.tmp");
        Files.write(temp, bytes);
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        invariants.fileLength(bytes.length);
        invariants.tampered();
        story.append("replace with ").append(bytes.length).append(" bytes\n");
    }

    private long fileLength() throws IOException {
        return Files.exists(path) ? Files.size(path) : -1;
    }

    private ByteBuffer read(final long offset, final int length) throws IOException {
        final ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.read(buffer, offset);
        }
        return buffer.clear();
    }

    private void write(final long offset, final byte[] bytes, final int length) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes, 0, length), offset);
        }
        invariants.fileLength(Files.size(path));
    }

    private void closeWriter() {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    private void clearDirectory() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(file -> {
                try {
                    Files.delete(file);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
