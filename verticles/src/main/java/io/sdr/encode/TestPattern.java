package io.sdr.encode;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A moving test picture: scrolling diagonal luma ramp and colour bars, a bouncing box, and a
 * caption with the frame number and the UTC wall-clock time of capture ({@code #000123
 * 12:34:56.789Z}) drawn with a 5x7 bitmap font, so a viewer sees motion and reads end-to-end
 * latency against a clock. Allocation-free per frame apart from the caption string.
 */
public final class TestPattern {
    /** 5x7 glyphs, one int per row, bit 4 = leftmost pixel. */
    private static final String GLYPHS = "0123456789:.#Z ";
    private static final int[][] FONT = {
        {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110},
        {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},
        {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111},
        {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110},
        {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010},
        {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110},
        {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110},
        {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000},
        {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110},
        {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100},
        {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000},
        {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100},
        {0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010},
        {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111},
        {0, 0, 0, 0, 0, 0, 0},
    };
    /** Pixels the box moves per frame. */
    public static final int BOX_STEP_PX = 8;
    public static final int GLYPH_WIDTH = 5;
    public static final int GLYPH_HEIGHT = 7;
    /** Caption characters: "#" + 6+ digit frame number + " HH:MM:SS.mmmZ". */
    static final int CAPTION_CHARS = 21;
    static final byte LUMA_BLACK = 16;
    static final byte LUMA_WHITE = (byte) 235;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    /** Colour bars as (Cb, Cr): white, yellow, cyan, green, magenta, red, blue, black. */
    private static final int[][] BARS = {
        {128, 128}, {16, 146}, {166, 16}, {54, 34}, {202, 222}, {90, 240}, {240, 110}, {128, 128},
    };

    private final int width;
    private final int height;
    private final int chromaWidth;
    private final byte[] ramp;
    private final byte[] barsU;
    private final byte[] barsV;
    private final int scale;
    private final int margin;
    private final int box;

    public TestPattern(final int width, final int height) {
        this.width = width;
        this.height = height;
        this.chromaWidth = width / 2;
        this.ramp = new byte[width + 256];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = (byte) (16 + (i & 0xFF) * 219 / 255);
        }
        // Two periods, so any scroll offset in [0, chromaWidth) has a full row after it.
        barsU = new byte[2 * chromaWidth];
        barsV = new byte[2 * chromaWidth];
        for (int x = 0; x < barsU.length; x++) {
            final int[] bar = BARS[(x % chromaWidth) * BARS.length / chromaWidth];
            barsU[x] = (byte) bar[0];
            barsV[x] = (byte) bar[1];
        }
        final int byWidth = (width - 4) / (CAPTION_CHARS * (GLYPH_WIDTH + 1));
        final int byHeight = (height - 4) / (GLYPH_HEIGHT + 2) / 2;
        this.scale = Math.max(1, Math.min(4, Math.min(byWidth, byHeight)));
        this.margin = 2 * scale;
        this.box = Math.max(2, (height / 6) & ~1);
    }

    /** Pixels per font pixel. */
    public int scale() {
        return scale;
    }

    /** Top-left corner of the caption's first glyph. */
    public int captionX() {
        return margin + scale;
    }

    public int captionY() {
        return margin + scale;
    }

    /** The caption drawn for a frame: {@code #000123 12:34:56.789Z}. */
    public static String caption(final long frameNumber, final long wallClockMs) {
        final StringBuilder text = new StringBuilder(CAPTION_CHARS + 4).append('#');
        final String digits = Long.toString(frameNumber);
        for (int i = digits.length(); i < 6; i++) {
            text.append('0');
        }
        return text.append(digits).append(' ').append(CLOCK.format(Instant.ofEpochMilli(wallClockMs))).toString();
    }

    public void draw(final Picture picture, final long frameNumber, final long wallClockMs) {
        if (picture.width() != width || picture.height() != height) {
            throw new IllegalArgumentException("picture size differs: picture=" + picture.width() + "x" + picture.height()
                + ", pattern=" + width + "x" + height);
        }
        final ByteBuffer y = picture.y();
        final int shift = (int) ((frameNumber * 4) & 0xFF);
        for (int row = 0; row < height; row++) {
            y.put(row * width, ramp, (row + shift) & 0xFF, width);
        }
        final int chromaHeight = picture.chromaHeight();
        final int scroll = (int) (frameNumber % chromaWidth);
        for (int row = 0; row < chromaHeight; row++) {
            picture.u().put(row * chromaWidth, barsU, scroll, chromaWidth);
            picture.v().put(row * chromaWidth, barsV, scroll, chromaWidth);
        }
        drawBox(picture, frameNumber);
        drawCaption(picture, caption(frameNumber, wallClockMs));
    }

    private void drawBox(final Picture picture, final long frameNumber) {
        fill(picture, boxX(frameNumber), boxTop(), box, box, LUMA_WHITE, (byte) 90, (byte) 240);
    }

    /** Left edge of the bouncing box in frame {@code frameNumber}: it moves {@link #BOX_STEP_PX} a frame, wall to wall. */
    public int boxX(final long frameNumber) {
        final int travel = Math.max(1, width - box);
        final long step = (frameNumber * BOX_STEP_PX) % (2L * travel);
        return (int) (step < travel ? step : 2L * travel - step) & ~1;
    }

    /** +1 while the box moves right in frame {@code frameNumber}, -1 while it moves left. */
    public int boxDirection(final long frameNumber) {
        final int travel = Math.max(1, width - box);
        return (frameNumber * BOX_STEP_PX) % (2L * travel) < travel ? 1 : -1;
    }

    /** Top edge of the box (it stays at mid height). */
    public int boxTop() {
        return ((height - box) / 2) & ~1;
    }

    /** Side of the square box in pixels. */
    public int boxSize() {
        return box;
    }

    private void drawCaption(final Picture picture, final String text) {
        final int cell = (GLYPH_WIDTH + 1) * scale;
        final int boxWidth = Math.min(width, text.length() * cell + 2 * margin) & ~1;
        final int boxHeight = Math.min(height, GLYPH_HEIGHT * scale + 2 * margin + 2 * scale) & ~1;
        fill(picture, 0, 0, boxWidth, boxHeight, LUMA_BLACK, (byte) 128, (byte) 128);
        final ByteBuffer y = picture.y();
        for (int i = 0; i < text.length(); i++) {
            final int glyph = GLYPHS.indexOf(text.charAt(i));
            final int[] rows = FONT[glyph < 0 ? GLYPHS.length() - 1 : glyph];
            final int left = captionX() + i * cell;
            for (int gy = 0; gy < GLYPH_HEIGHT; gy++) {
                for (int gx = 0; gx < GLYPH_WIDTH; gx++) {
                    if ((rows[gy] & (1 << (GLYPH_WIDTH - 1 - gx))) == 0) {
                        continue;
                    }
                    for (int sy = 0; sy < scale; sy++) {
                        final int py = captionY() + gy * scale + sy;
                        final int px = left + gx * scale;
                        if (py >= height || px + scale > width) {
                            continue;
                        }
                        for (int sx = 0; sx < scale; sx++) {
                            y.put(py * width + px + sx, LUMA_WHITE);
                        }
                    }
                }
            }
        }
    }

    /** Fills a rectangle (even x, y, w, h) with one colour. */
    private void fill(final Picture picture, final int x, final int top, final int w, final int h,
                      final byte luma, final byte cb, final byte cr) {
        final int right = Math.min(width, x + w);
        final int bottom = Math.min(height, top + h);
        for (int row = top; row < bottom; row++) {
            for (int col = x; col < right; col++) {
                picture.y().put(row * width + col, luma);
            }
        }
        for (int row = top / 2; row < bottom / 2; row++) {
            for (int col = x / 2; col < right / 2; col++) {
                picture.u().put(row * chromaWidth + col, cb);
                picture.v().put(row * chromaWidth + col, cr);
            }
        }
    }

    /** Whether the font pixel ({@code gx}, {@code gy}) of {@code c} is set (for tests reading the caption back). */
    static boolean glyphPixel(final char c, final int gx, final int gy) {
        final int glyph = GLYPHS.indexOf(c);
        final int[] rows = FONT[glyph < 0 ? GLYPHS.length() - 1 : glyph];
        return (rows[gy] & (1 << (GLYPH_WIDTH - 1 - gx))) != 0;
    }
}
