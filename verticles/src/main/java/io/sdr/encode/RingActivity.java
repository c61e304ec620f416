package io.sdr.encode;

import io.sdr.ring.RingV2Descriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * Tells whether another process is writing a ring file, so the encoder never takes a ring from a
 * live simulator: writers create the ring under a temporary name and rename it over the path, so
 * an encoder starting second would silently orphan the simulator's file (and the simulator would
 * go on writing into it unseen). A ring is live when its identity (inode, v2 epoch) or its writer
 * position (v2 {@code head}, v1 commit {@code seq}) changes within a short window.
 */
final class RingActivity {
    private static final int PROBE_BYTES = RingV2Descriptor.HEAD_OFFSET + 8;

    private RingActivity() {
    }

    /** A ring file's identity and writer position at one moment. */
    record Mark(Object fileKey, long magic, long epoch, long position) {
    }

    /** The mark of {@code path}, or null when there is no readable ring file. */
    static Mark mark(final Path path) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            final Object fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            final ByteBuffer head = ByteBuffer.allocate(PROBE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (head.hasRemaining() && channel.read(head, head.position()) > 0) {
                // positional reads until the probe is full or the file ends
            }
            if (head.position() < 16) {
                return null;
            }
            final long magic = head.getLong(0);
            if (magic == RingV2Descriptor.MAGIC && head.position() == PROBE_BYTES) {
                return new Mark(fileKey, magic, head.getLong(RingV2Descriptor.EPOCH_OFFSET), head.getLong(RingV2Descriptor.HEAD_OFFSET));
            }
            return new Mark(fileKey, 0, 0, magic); // v1: the commit seq is the first u64
        } catch (final NoSuchFileException e) {
            return null;
        } catch (final IOException e) {
            return null;
        }
    }

    /**
     * Watches {@code path} for {@code windowNs}: a description of the other writer when the ring
     * changed meanwhile, null when it is absent or idle.
     */
    static String otherWriter(final Path path, final long windowNs) {
        return otherWriter(java.util.List.of(path), windowNs);
    }

    /** Like {@link #otherWriter(Path, long)} for several rings (a stream's tiers), watched in one window. */
    static String otherWriter(final java.util.List<Path> paths, final long windowNs) {
        final java.util.List<Mark> before = new java.util.ArrayList<>();
        boolean any = false;
        for (final Path path : paths) {
            final Mark mark = mark(path);
            before.add(mark);
            any |= mark != null;
        }
        if (!any) {
            return null;
        }
        LockSupport.parkNanos(windowNs);
        for (int i = 0; i < paths.size(); i++) {
            final Mark was = before.get(i);
            final Mark after = was == null ? null : mark(paths.get(i));
            if (after != null && !Objects.equals(was, after)) {
                return "ring " + paths.get(i) + " is being written by another writer (" + (Objects.equals(was.fileKey(), after.fileKey())
                    ? "position " + was.position() + " -> " + after.position() : "file re-created") + " within "
                    + windowNs / 1_000_000 + " ms)";
            }
        }
        return null;
    }

    /** Who holds the ring path now, compared with the file the encoder created. */
    enum Ownership { OURS, MISSING, OTHER }

    static Ownership ownership(final Path path, final Object ours) {
        try {
            return Objects.equals(Files.readAttributes(path, BasicFileAttributes.class).fileKey(), ours)
                ? Ownership.OURS : Ownership.OTHER;
        } catch (final NoSuchFileException e) {
            return Ownership.MISSING;
        } catch (final IOException e) {
            return Ownership.OURS; // cannot tell: keep going
        }
    }

    static Object fileKey(final Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (final IOException e) {
            return null;
        }
    }
}
