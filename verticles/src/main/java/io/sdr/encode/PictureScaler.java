package io.sdr.encode;

import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.swscale.*;

/**
 * Scales the encoder's I420 {@link Picture} down to a quality tier's size with swscale, so every
 * tier encodes the very same picture (same frame id, same capture time). One per tier, one thread
 * only; the planes of both pictures are bound once.
 */
final class PictureScaler implements AutoCloseable {
    private final Picture source;
    private final Picture target;
    private final PointerPointer<BytePointer> sourcePlanes;
    private final IntPointer sourceStrides;
    private final PointerPointer<BytePointer> targetPlanes;
    private final IntPointer targetStrides;
    private SwsContext context;

    PictureScaler(final Picture source, final Picture target) {
        Ffmpeg.load();
        this.source = source;
        this.target = target;
        this.sourcePlanes = planes(source);
        this.sourceStrides = new IntPointer(source.width(), source.chromaWidth(), source.chromaWidth(), 0);
        this.targetPlanes = planes(target);
        this.targetStrides = new IntPointer(target.width(), target.chromaWidth(), target.chromaWidth(), 0);
        // Bilinear, as the raw-frame converter: a 2x or 4x reduction needs no wider filter to look
        // right at these bitrates, and it keeps the scaling cost well below the encode's.
        this.context = sws_getContext(source.width(), source.height(), AV_PIX_FMT_YUV420P, target.width(), target.height(),
            AV_PIX_FMT_YUV420P, SWS_BILINEAR, null, null, (DoublePointer) null);
        if (context == null) {
            throw new EncoderException("swscale cannot scale " + source.width() + "x" + source.height() + " to "
                + target.width() + "x" + target.height());
        }
    }

    private static PointerPointer<BytePointer> planes(final Picture picture) {
        return new PointerPointer<>(new BytePointer(picture.y()), new BytePointer(picture.u()), new BytePointer(picture.v()), null);
    }

    /** The target now holds the source's picture at its size, with the source's frame id and capture time. */
    void scale() {
        if (context == null) {
            throw new EncoderException("scaler closed");
        }
        sws_scale(context, sourcePlanes, sourceStrides, 0, source.height(), targetPlanes, targetStrides);
        target.stamp(source.frameId(), source.captureNs());
    }

    @Override
    public void close() {
        if (context != null) {
            sws_freeContext(context);
            context = null;
        }
    }
}
