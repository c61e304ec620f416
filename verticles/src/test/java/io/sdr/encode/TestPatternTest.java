package io.sdr.encode;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class TestPatternTest {
    @Test
    void shouldCaptionFrameNumberAndUtcTime() {
        final long ms = Instant.parse("2026-11-21T12:34:56.789Z").toEpochMilli();
        assertEquals("#000123 12:34:56.789Z", TestPattern.caption(123, ms));
        assertEquals("#1234567 12:34:56.789Z", TestPattern.caption(1_234_567, ms));
    }

    @Test
    void shouldDrawTheCaptionReadablyInTheLumaPlane() {
        final Picture picture = new Picture(640, 360);
        final TestPattern pattern = new TestPattern(640, 360);
        final long ms = Instant.parse("2026-11-21T01:02:03.456Z").toEpochMilli();
        pattern.draw(picture, 42, ms);
        final String caption = TestPattern.caption(42, ms);
        final int scale = pattern.scale();
        final int cell = (TestPattern.GLYPH_WIDTH + 1) * scale;
        // Read every glyph back from the picture: the centre of each font pixel is white or black.
        for (int i = 0; i < caption.length(); i++) {
            for (int gy = 0; gy < TestPattern.GLYPH_HEIGHT; gy++) {
                for (int gx = 0; gx < TestPattern.GLYPH_WIDTH; gx++) {
                    final int x = pattern.captionX() + i * cell + gx * scale + scale / 2;
                    final int y = pattern.captionY() + gy * scale + scale / 2;
                    final int luma = picture.y().get(y * 640 + x) & 0xFF;
                    assertEquals(TestPattern.glyphPixel(caption.charAt(i), gx, gy) ? 235 : 16, luma,
                        "glyph '" + caption.charAt(i) + "' pixel (" + gx + "," + gy + ")");
                }
            }
        }
    }

    @Test
    void shouldMoveBetweenFrames() {
        final Picture picture = new Picture(320, 180);
        final TestPattern pattern = new TestPattern(320, 180);
        pattern.draw(picture, 1, 0);
        final ByteBuffer first = copy(picture.y());
        pattern.draw(picture, 2, 0);
        final ByteBuffer second = copy(picture.y());
        // Below the caption the picture changes: the ramp scrolls and the box moves.
        first.position(320 * 100);
        second.position(320 * 100);
        assertNotEquals(first, second);
        pattern.draw(picture, 1, 0);
        first.position(0);
        assertEquals(first, copy(picture.y()), "deterministic for a frame number and time");
    }

    @Test
    void shouldFitTinyPictures() {
        final Picture picture = new Picture(16, 16);
        new TestPattern(16, 16).draw(picture, 999_999, System.currentTimeMillis());
    }

    private static ByteBuffer copy(final ByteBuffer plane) {
        final ByteBuffer copy = ByteBuffer.allocate(plane.capacity());
        copy.put(plane.duplicate().clear());
        return copy.flip();
    }
}
