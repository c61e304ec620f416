package io.sdr.encode;

import java.nio.ByteBuffer;

/**
 * One YUV 4:2:0 planar picture (I420, full 8-bit planes, no row padding) in direct memory that
 * sources draw or convert into and the encoder reads. Owned by the encoding thread; the encoder
 * copies it on submission, so a source may overwrite it for the next frame at once.
 */
public final class Picture {
    private final int width;
    private final int height;
    private final int chromaWidth;
    private final int chromaHeight;
    private final ByteBuffer y;
    private final ByteBuffer u;
    private final ByteBuffer v;
    /** Frame id to put in the ring header (the source's own id, e.g. the simulator's frame_id). */
    private long frameId;
    /** When the picture was captured (CLOCK_MONOTONIC ns; a raw frame's ring commit time). */
    private long captureNs;

    public Picture(final int width, final int height) {
        if (width < 2 || height < 2 || (width & 1) != 0 || (height & 1) != 0) {
            throw new IllegalArgumentException("picture size must be even and >= 2: width=" + width + ", height=" + height);
        }
        this.width = width;
        this.height = height;
        this.chromaWidth = width / 2;
        this.chromaHeight = height / 2;
        this.y = ByteBuffer.allocateDirect(width * height);
        this.u = ByteBuffer.allocateDirect(chromaWidth * chromaHeight);
        this.v = ByteBuffer.allocateDirect(chromaWidth * chromaHeight);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int chromaWidth() {
        return chromaWidth;
    }

    public int chromaHeight() {
        return chromaHeight;
    }

    /** Luma plane, stride {@link #width()}. */
    public ByteBuffer y() {
        return y;
    }

    /** Cb plane, stride {@link #chromaWidth()}. */
    public ByteBuffer u() {
        return u;
    }

    /** Cr plane, stride {@link #chromaWidth()}. */
    public ByteBuffer v() {
        return v;
    }

    public long frameId() {
        return frameId;
    }

    public long captureNs() {
        return captureNs;
    }

    public void stamp(final long newFrameId, final long newCaptureNs) {
        this.frameId = newFrameId;
        this.captureNs = newCaptureNs;
    }
}
