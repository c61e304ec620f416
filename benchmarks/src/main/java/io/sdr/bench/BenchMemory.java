package io.sdr.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Where the ring benchmarks' buffers and files live: aligned direct buffers, mappings, tmpfs. */
final class BenchMemory {
    static final int CACHE_LINE = 64;

    private BenchMemory() {
    }

    /**
     * A direct buffer starting on a 64-byte boundary. The frame header in a v2 slot starts 32 bytes
     * into a cache line; fixing the destination's alignment (instead of taking whatever malloc
     * returns) makes every fixture copy between identically aligned addresses, so reader and
     * baseline differ only in the work the reader does.
     */
    static ByteBuffer alignedDirect(final int length) {
        // alignedSlice trims both ends to the alignment, so leave room for both.
        final ByteBuffer raw = ByteBuffer.allocateDirect(length + 2 * CACHE_LINE);
        return raw.alignedSlice(CACHE_LINE).limit(length).slice();
    }

    static MappedByteBuffer map(final Path path, final FileChannel.MapMode mode) throws IOException {
        final StandardOpenOption[] options = mode == FileChannel.MapMode.READ_ONLY
            ? new StandardOpenOption[] {StandardOpenOption.READ}
            : new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        try (FileChannel channel = FileChannel.open(path, options)) {
            return channel.map(mode, 0, channel.size());
        }
    }

    /** A fresh directory in /dev/shm (tmpfs, like production) or, failing that, the temp dir. */
    static Path scratchDir() throws IOException {
        final String override = System.getProperty("sdr.bench.dir");
        if (override != null) {
            final Path base = Path.of(override);
            Files.createDirectories(base);
            return Files.createTempDirectory(base, "sdr-ring-bench");
        }
        final Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "sdr-ring-bench");
        }
        return Files.createTempDirectory("sdr-ring-bench");
    }
}
