package io.sdr.encode;

import java.util.concurrent.locks.LockSupport;

/**
 * The built-in source: a {@link TestPattern} frame every 1/fps seconds. When the encoder falls
 * behind, frames are skipped rather than produced in a burst, so the picture stays live.
 */
public final class TestPatternSource implements FrameSource {
    private final TestPattern pattern;
    private final long intervalNs;
    private final int fps;
    // Confined to the encoding thread.
    private long dueNs;
    private long frameNumber;

    public TestPatternSource(final int width, final int height, final int fps) {
        this.pattern = new TestPattern(width, height);
        this.fps = fps;
        this.intervalNs = 1_000_000_000L / fps;
        this.dueNs = System.nanoTime();
    }

    @Override
    public boolean next(final Picture picture, final long maxWaitNs) {
        long now = System.nanoTime();
        final long wait = dueNs - now;
        if (wait > 0) {
            LockSupport.parkNanos(Math.min(wait, maxWaitNs));
            now = System.nanoTime();
            if (dueNs - now > 0) {
                return false;
            }
        }
        frameNumber++;
        pattern.draw(picture, frameNumber, System.currentTimeMillis());
        picture.stamp(frameNumber, now);
        dueNs += intervalNs;
        if (now - dueNs > intervalNs) {
            dueNs = now + intervalNs; // behind by more than a frame: skip, do not burst
        }
        return true;
    }

    @Override
    public String describe() {
        return "test pattern " + fps + " fps";
    }

    @Override
    public void close() {
    }
}
