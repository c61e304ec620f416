package io.sdr.encode;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** swscale conversion of raw frames (docs/RING-RAW.md) into the encoder's I420 picture, and refusal of bad ones. */
class RawFrameConverterTest {
    @BeforeAll
    static void loadFfmpeg() {
        Ffmpeg.load();
    }

    /** A raw payload: header (magic, width, height, reserved) then {@code pixels}. */
    private static ByteBuffer payload(final int magic, final int width, final int height, final int reserved, final byte[] pixels) {
        final ByteBuffer b = ByteBuffer.allocateDirect(RawFrameDescriptor.HEADER_LENGTH + pixels.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(magic).putInt(width).putInt(height).putInt(reserved).put(pixels);
        return b.clear();
    }

    private static RawFrameConverter.Outcome convert(final Picture picture, final int codec, final ByteBuffer payload) {
        try (RawFrameConverter converter = new RawFrameConverter(picture)) {
            return converter.convert(new UnsafeBuffer(payload), payload, 0, payload.capacity(), codec);
        }
    }

    @Test
    void shouldConvertRgb24ToBt601LimitedRangeYuv() {
        final byte[] red = new byte[64 * 48 * 3];
        for (int i = 0; i < red.length; i += 3) {
            red[i] = (byte) 255;
        }
        final Picture picture = new Picture(64, 48);
        assertEquals(RawFrameConverter.Outcome.CONVERTED,
            convert(picture, RawFrameDescriptor.CODEC_RGB24, payload(RawFrameDescriptor.MAGIC, 64, 48, 0, red)));
        assertNear(81, picture.y().get(64 * 20 + 20) & 0xFF, "Y of pure red");
        assertNear(90, picture.u().get(32 * 10 + 10) & 0xFF, "Cb of pure red");
        assertNear(240, picture.v().get(32 * 10 + 10) & 0xFF, "Cr of pure red");
    }

    @Test
    void shouldCopyI420OfTheSameSizeExactly() {
        final int w = 32;
        final int h = 16;
        final byte[] pixels = new byte[w * h * 3 / 2];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (16 + (i * 13) % 220);
        }
        final Picture picture = new Picture(w, h);
        assertEquals(RawFrameConverter.Outcome.CONVERTED,
            convert(picture, RawFrameDescriptor.CODEC_I420, payload(RawFrameDescriptor.MAGIC, w, h, 0, pixels)));
        for (int i = 0; i < w * h; i++) {
            assertEquals(pixels[i], picture.y().get(i), "Y " + i);
        }
        for (int i = 0; i < w * h / 4; i++) {
            assertEquals(pixels[w * h + i], picture.u().get(i), "U " + i);
            assertEquals(pixels[w * h + w * h / 4 + i], picture.v().get(i), "V " + i);
        }
    }

    @Test
    void shouldScaleAnyKnownFormatIncludingOddSizes() {
        final Picture picture = new Picture(64, 48);
        for (int codec = RawFrameDescriptor.CODEC_RGB24; codec <= RawFrameDescriptor.CODEC_GRAY8; codec++) {
            final long bytes = RawFrameDescriptor.pixelBytes(codec, 7, 5);
            assertTrue(bytes > 0);
            assertEquals(RawFrameConverter.Outcome.CONVERTED,
                convert(picture, codec, payload(RawFrameDescriptor.MAGIC, 7, 5, 0, new byte[(int) bytes])),
                RawFrameDescriptor.formatName(codec));
        }
    }

    @Test
    void shouldRefuseUnknownFormatsBadHeadersAndWrongSizes() {
        final Picture picture = new Picture(64, 48);
        final byte[] rgb = new byte[8 * 8 * 3];
        assertEquals(RawFrameConverter.Outcome.UNKNOWN_FORMAT, convert(picture, 99, payload(RawFrameDescriptor.MAGIC, 8, 8, 0, rgb)));
        assertEquals(RawFrameConverter.Outcome.UNKNOWN_FORMAT, convert(picture, 1, payload(RawFrameDescriptor.MAGIC, 8, 8, 0, rgb)));
        assertEquals(RawFrameConverter.Outcome.BAD_HEADER,
            convert(picture, RawFrameDescriptor.CODEC_RGB24, payload(0x30574152, 8, 8, 0, rgb)));
        assertEquals(RawFrameConverter.Outcome.BAD_HEADER,
            convert(picture, RawFrameDescriptor.CODEC_RGB24, payload(RawFrameDescriptor.MAGIC, 8, 8, 1, rgb)));
        assertEquals(RawFrameConverter.Outcome.BAD_HEADER,
            convert(picture, RawFrameDescriptor.CODEC_RGB24, payload(RawFrameDescriptor.MAGIC, 20_000, 8, 0, rgb)));
        assertEquals(RawFrameConverter.Outcome.BAD_HEADER,
            convert(picture, RawFrameDescriptor.CODEC_RGB24, payload(RawFrameDescriptor.MAGIC, -1, -1, 0, rgb)));
        assertEquals(RawFrameConverter.Outcome.BAD_SIZE,
            convert(picture, RawFrameDescriptor.CODEC_RGB24, payload(RawFrameDescriptor.MAGIC, 8, 9, 0, rgb)));
        assertEquals(RawFrameConverter.Outcome.BAD_SIZE,
            convert(picture, RawFrameDescriptor.CODEC_I420, payload(RawFrameDescriptor.MAGIC, 8, 8, 0, rgb)));
        final ByteBuffer tiny = ByteBuffer.allocateDirect(8);
        assertEquals(RawFrameConverter.Outcome.BAD_SIZE, convert(picture, RawFrameDescriptor.CODEC_RGB24, tiny));
    }

    private static void assertNear(final int expected, final int actual, final String what) {
        assertTrue(Math.abs(expected - actual) <= 2, what + ": expected about " + expected + ", got " + actual);
    }
}
