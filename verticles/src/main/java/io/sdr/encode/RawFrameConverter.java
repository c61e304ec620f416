package io.sdr.encode;

import org.agrona.concurrent.UnsafeBuffer;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

import java.nio.ByteBuffer;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_image_fill_arrays;
import static org.bytedeco.ffmpeg.global.swscale.*;

/**
 * Validates a raw frame (docs/RING-RAW.md) and converts and scales it with swscale into the
 * encoder's I420 {@link Picture}. One thread only; the swscale context is cached per source
 * geometry.
 */
public final class RawFrameConverter implements AutoCloseable {
    /** What became of one raw frame. */
    public enum Outcome {
        CONVERTED,
        /** The codec id is not a raw format this build knows. */
        UNKNOWN_FORMAT,
        /** The raw header's magic, dimensions or reserved field is wrong. */
        BAD_HEADER,
        /** The payload length does not match the format and dimensions. */
        BAD_SIZE
    }

    private final Picture target;
    private final PointerPointer<BytePointer> targetPlanes;
    private final IntPointer targetStrides;
    private final PointerPointer<BytePointer> sourcePlanes = new PointerPointer<>(4);
    private final IntPointer sourceStrides = new IntPointer(4);
    private SwsContext context;
    private String lastProblem = "";

    public RawFrameConverter(final Picture target) {
        this.target = target;
        this.targetPlanes = new PointerPointer<>(new BytePointer(target.y()), new BytePointer(target.u()),
            new BytePointer(target.v()), null);
        this.targetStrides = new IntPointer(target.width(), target.chromaWidth(), target.chromaWidth(), 0);
    }

    /**
     * Converts the raw frame of {@code length} payload bytes at {@code offset} of {@code buffer}
     * (which must wrap the direct {@code memory}) into the target picture.
     */
    public Outcome convert(final UnsafeBuffer buffer, final ByteBuffer memory, final int offset, final int length,
                           final int codec) {
        final int format = RawFrameDescriptor.pixelFormat(codec);
        if (format < 0) {
            lastProblem = "unknown raw format: codec=" + codec;
            return Outcome.UNKNOWN_FORMAT;
        }
        if (length < RawFrameDescriptor.HEADER_LENGTH) {
            lastProblem = "raw frame shorter than its header: length=" + length;
            return Outcome.BAD_SIZE;
        }
        final int magic = buffer.getInt(offset + RawFrameDescriptor.MAGIC_OFFSET);
        final int width = buffer.getInt(offset + RawFrameDescriptor.WIDTH_OFFSET);
        final int height = buffer.getInt(offset + RawFrameDescriptor.HEIGHT_OFFSET);
        final long pixelBytes = RawFrameDescriptor.pixelBytes(codec, width, height);
        if (magic != RawFrameDescriptor.MAGIC || pixelBytes < 0 || buffer.getInt(offset + RawFrameDescriptor.RESERVED_OFFSET) != 0) {
            lastProblem = "bad raw header: magic=0x" + Integer.toHexString(magic) + ", width=" + Integer.toUnsignedString(width)
                + ", height=" + Integer.toUnsignedString(height);
            return Outcome.BAD_HEADER;
        }
        if (RawFrameDescriptor.HEADER_LENGTH + pixelBytes != length) {
            lastProblem = "raw frame size mismatch: format=" + RawFrameDescriptor.formatName(codec) + ", width=" + width
                + ", height=" + height + ", expected=" + (RawFrameDescriptor.HEADER_LENGTH + pixelBytes) + ", length=" + length;
            return Outcome.BAD_SIZE;
        }
        context = sws_getCachedContext(context, width, height, format, target.width(), target.height(),
            AV_PIX_FMT_YUV420P, SWS_BILINEAR, null, null, (DoublePointer) null);
        if (context == null) {
            lastProblem = "swscale cannot convert: format=" + RawFrameDescriptor.formatName(codec) + ", width=" + width
                + ", height=" + height;
            return Outcome.UNKNOWN_FORMAT;
        }
        final BytePointer pixels = new BytePointer(memory).position(offset + RawFrameDescriptor.HEADER_LENGTH);
        final int filled = av_image_fill_arrays(sourcePlanes, sourceStrides, pixels, format, width, height, 1);
        if (filled < 0 || filled != pixelBytes) {
            lastProblem = "av_image_fill_arrays: " + (filled < 0 ? Ffmpeg.error(filled) : "bytes=" + filled);
            return Outcome.BAD_SIZE;
        }
        sws_scale(context, sourcePlanes, sourceStrides, 0, height, targetPlanes, targetStrides);
        return Outcome.CONVERTED;
    }

    /** Why the last frame was refused. */
    public String lastProblem() {
        return lastProblem;
    }

    @Override
    public void close() {
        if (context != null) {
            sws_freeContext(context);
            context = null;
        }
    }
}
