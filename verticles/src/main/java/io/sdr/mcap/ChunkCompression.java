package io.sdr.mcap;

import com.github.luben.zstd.Zstd;
import net.jpountz.lz4.LZ4FrameOutputStream;

import java.io.ByteArrayOutputStream;
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

    /** The compressed form of {@code src[0, length)}; {@link #NONE} returns {@code src} itself. */
    byte[] compress(final byte[] src, final int length, final int[] compressedLength) {
        switch (this) {
            case NONE:
                compressedLength[0] = length;
                return src;
            case ZSTD: {
                final byte[] out = new byte[(int) Zstd.compressBound(length)];
                final long n = Zstd.compressByteArray(out, 0, out.length, src, 0, length, ZSTD_LEVEL);
                if (Zstd.isError(n)) {
                    throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
                }
                compressedLength[0] = (int) n;
                return out;
            }
            case LZ4: {
                final ByteArrayOutputStream out = new ByteArrayOutputStream(length / 2 + 64);
                try (LZ4FrameOutputStream lz4 = new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_4MB)) {
                    lz4.write(src, 0, length);
                } catch (final IOException e) {
                    throw new UncheckedIOException("lz4 compression failed", e);
                }
                compressedLength[0] = out.size();
                return out.toByteArray();
            }
            default:
                throw new IllegalStateException("unknown compression " + this);
        }
    }
}
