package io.sdr.encode;

import static org.bytedeco.ffmpeg.global.avutil.*;

/**
 * Layout of a raw (unencoded) frame in a ring slot (docs/RING-RAW.md): the frame header's
 * {@code codec} names the pixel format (the range RING.md reserves from 16), and the payload
 * starts with a 16-byte raw header carrying the dimensions, followed by the pixels, tightly
 * packed (rows without padding, planes one after another).
 *
 * <pre>
 *   0        4        8        12       16
 *   +--------+--------+--------+--------+------------------------------
 *   | magic  | width  | height | reserved| pixels (pixelBytes(codec, width, height))
 *   | "RAW1" | u32    | u32    | u32 = 0 |
 *   +--------+--------+--------+--------+------------------------------
 * </pre>
 *
 * All little-endian. The payload length must be exactly {@code 16 + pixelBytes}.
 */
public final class RawFrameDescriptor {
    public static final int MAGIC_OFFSET = 0;
    public static final int WIDTH_OFFSET = 4;
    public static final int HEIGHT_OFFSET = 8;
    public static final int RESERVED_OFFSET = 12;
    public static final int HEADER_LENGTH = 16;
    /** "RAW1" read as a little-endian u32. */
    public static final int MAGIC = 0x31574152;
    public static final int MAX_DIMENSION = 16384;

    public static final int CODEC_RGB24 = 16;
    public static final int CODEC_BGR24 = 17;
    public static final int CODEC_RGBA = 18;
    public static final int CODEC_BGRA = 19;
    public static final int CODEC_I420 = 20;
    public static final int CODEC_NV12 = 21;
    public static final int CODEC_GRAY8 = 22;

    private static final String[] NAMES = {"rgb24", "bgr24", "rgba", "bgra", "i420", "nv12", "gray8"};

    private RawFrameDescriptor() {
    }

    /** The FFmpeg pixel format of a raw codec id, or -1 when the id is not a known raw format. */
    public static int pixelFormat(final int codec) {
        switch (codec) {
            case CODEC_RGB24: return AV_PIX_FMT_RGB24;
            case CODEC_BGR24: return AV_PIX_FMT_BGR24;
            case CODEC_RGBA: return AV_PIX_FMT_RGBA;
            case CODEC_BGRA: return AV_PIX_FMT_BGRA;
            case CODEC_I420: return AV_PIX_FMT_YUV420P;
            case CODEC_NV12: return AV_PIX_FMT_NV12;
            case CODEC_GRAY8: return AV_PIX_FMT_GRAY8;
            default: return -1;
        }
    }

    /** "rgb24", "i420", ... or "unknown-N". */
    public static String formatName(final int codec) {
        return codec >= CODEC_RGB24 && codec <= CODEC_GRAY8 ? NAMES[codec - CODEC_RGB24] : "unknown-" + codec;
    }

    /** Pixel bytes of a tightly packed frame; -1 for an unknown format or dimensions out of range. */
    public static long pixelBytes(final int codec, final int width, final int height) {
        if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
            return -1;
        }
        final long pixels = (long) width * height;
        final long chroma = (long) ((width + 1) / 2) * ((height + 1) / 2);
        switch (codec) {
            case CODEC_RGB24:
            case CODEC_BGR24:
                return 3 * pixels;
            case CODEC_RGBA:
            case CODEC_BGRA:
                return 4 * pixels;
            case CODEC_I420:
            case CODEC_NV12:
                return pixels + 2 * chroma;
            case CODEC_GRAY8:
                return pixels;
            default:
                return -1;
        }
    }
}
