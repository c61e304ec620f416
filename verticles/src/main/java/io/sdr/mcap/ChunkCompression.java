package io.sdr.mcap;

import com.github.luben.zstd.Zstd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * How a Chunk's records are compressed: zstd (zstd-jni, a Zstandard frame), lz4 (lz4-java, the LZ4
 * frame format the MCAP registry names) or none. H.264 hardly compresses; telemetry JSON does, and
 * zstd at level 1 costs little, so it is the default.
 */
public enum ChunkCompression {
    NONE(McapDescriptor.COMPRESSION_NONE),
    ZSTD(McapDescriptor.COMPRESSION_ZSTD),
    LZ4(McapDescriptor.COMPRESSION_LZ4);

    /** zstd's fastest regular level: video is incompressible, so a higher level only burns CPU. */
    static final int ZSTD_LEVEL = 1;
    private static final int LZ4_BLOCK = 64 * 1024;

    private final String mcapName;

    ChunkCompression(final String mcapName) {
        this.mcapName = mcapName;
    }

    /** The Chunk record's {@code compression} string. */
    public String mcapName() {
        return mcapName;
    }

    /** The configuration name: {@code none}, {@code zstd}, {@code lz4}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** By configuration name; null when unknown. */
    public static ChunkCompression named(final String name) {
        for (final ChunkCompression c : values()) {
            if (c.configName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /**
     * The compressed form of {@code src}'s readable bytes: {@code src} itself for {@link #NONE},
     * else {@code scratch}, cleared and filled. Both are direct buffers (the chunk and its compressed
     * form are megabytes: on the heap each clip would cost G1 humongous allocations, and their
     * collections paused every viewer's event loop).
     */
    ByteBuf compress(final ByteBuf src, final ByteBuf scratch) {
        final int length = src.readableBytes();
        switch (this) {
            case NONE:
                return src;
            case ZSTD: {
                scratch.clear().ensureWritable((int) Zstd.compressBound(length));
                final long n = Zstd.compressDirectByteBuffer(scratch.nioBuffer(0, scratch.capacity()), 0, scratch.capacity(),
                    src.nioBuffer(), 0, length, ZSTD_LEVEL);
                if (Zstd.isError(n)) {
                    throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
                }
                return scratch.writerIndex((int) n);
            }
            case LZ4: {
                scratch.clear();
                // 64 KB blocks: lz4-java's frame stream holds one block (and its compressed form) on
                // the heap, so small blocks keep it off G1's humongous path too.
                final byte[] piece = new byte[LZ4_BLOCK];
                try (LZ4FrameOutputStream lz4 = new LZ4FrameOutputStream(new ByteBufOutputStream(scratch),
                    LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB)) {
                    for (int at = src.readerIndex(), end = src.writerIndex(); at < end; ) {
                        final int n = Math.min(piece.length, end - at);
                        src.getBytes(at, piece, 0, n);
                        lz4.write(piece, 0, n);
                        at += n;
                    }
                } catch (final IOException e) {
                    throw new UncheckedIOException("lz4 compression failed", e);
                }
                return scratch;
            }
            default:
                throw new IllegalStateException("unknown compression " + this);
        }
    }
}
