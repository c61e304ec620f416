package io.sdr.ring;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * A read-only mapping of the ring file plus the identity (inode and size) it was mapped at.
 *
 * <p>A writer that re-creates the file gives it a new inode; one that truncates it in place makes
 * any access past the new end raise SIGBUS. {@link #hasChanged()} compares identity so the reader
 * re-maps before trusting the mapping, and {@link #hasShrunk()} (one fstat, no allocation) lets it
 * check the size before every access. A SIGBUS is not a reliable safety net: in JIT-compiled code
 * the JVM raises the resulting {@link InternalError} asynchronously, at some later point in the
 * caller, not where the fault happened, so the reader cannot catch it.
 */
final class MappedRingFile implements AutoCloseable {
    /** Mappings are limited to one {@link MappedByteBuffer}; no sane ring comes near this. */
    static final long MAX_LENGTH = Integer.MAX_VALUE;

    private final Path path;
    private final Object fileKey;
    private final long length;
    private final RandomAccessFile file;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer buffer;

    private MappedRingFile(final Path path, final Object fileKey, final long length, final RandomAccessFile file,
                           final MappedByteBuffer mapping) {
        this.path = path;
        this.fileKey = fileKey;
        this.length = length;
        this.file = file;
        this.mapping = mapping;
        this.buffer = new UnsafeBuffer(mapping);
    }

    /**
     * Maps the file if it exists and is at least {@code minLength} bytes, else returns null.
     *
     * @throws IOException when the file exists but cannot be read or mapped.
     */
    static MappedRingFile openIfReady(final Path path, final long minLength) throws IOException {
        final BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (final NoSuchFileException e) {
            return null;
        }
        if (!attributes.isRegularFile()) {
            throw new IOException("ring path is not a regular file: path=" + path);
        }
        final RandomAccessFile file;
        try {
            file = new RandomAccessFile(path.toFile(), "r");
        } catch (final FileNotFoundException e) {
            if (Files.notExists(path)) {
                return null; // deleted since the stat
            }
            throw e;
        }
        try {
            // Size again from the open file: it may have changed since the stat.
            final long length = Math.min(file.length(), MAX_LENGTH);
            if (length < minLength) {
                file.close();
                return null;
            }
            final MappedByteBuffer mapping = file.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, length);
            // Kept open (one descriptor per mapping) so hasShrunk() is a single fstat.
            return new MappedRingFile(path, attributes.fileKey(), length, file, mapping);
        } catch (final IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * True when the file is now shorter than the mapping (truncated in place), so touching the
     * mapping could raise SIGBUS; also true when the size cannot be read. One fstat, no
     * allocation, and unlike {@code FileChannel.size()} not affected by thread interrupts.
     */
    boolean hasShrunk() {
        try {
            return file.length() < length;
        } catch (final IOException e) {
            return true;
        }
    }

    /** True when the path now names another file (re-created) or the file's size changed. */
    boolean hasChanged() {
        try {
            final BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return !Objects.equals(attributes.fileKey(), fileKey) || Math.min(attributes.size(), MAX_LENGTH) != length;
        } catch (final IOException e) {
            return true;
        }
    }

    Path path() {
        return path;
    }

    UnsafeBuffer buffer() {
        return buffer;
    }

    long length() {
        return length;
    }

    @Override
    public void close() {
        buffer.wrap(new byte[0]);
        IoUtil.unmap(mapping);
        try {
            file.close();
        } catch (final IOException ignored) {
            // read-only descriptor: nothing to flush
        }
    }
}
