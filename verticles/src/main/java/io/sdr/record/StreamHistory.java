package io.sdr.record;

import io.sdr.bus.Frame;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The last {@code historyNs} of one stream's video, from a keyframe on: the frames themselves (one
 * reference each on their pooled memory), never copies. Whole GOPs leave from the front: the oldest
 * goes once the rest still spans the history (so a clip of the full history is always there), or at
 * once while the bytes are over the cap.
 *
 * <p>Appended to by the recording verticle's thread, read by clip requests on any thread: every
 * method holds this object's lock, briefly (a snapshot takes one reference per frame, no copy).
 */
public final class StreamHistory {
    /** Frames taken for a clip, each with a reference of its own: release them with {@link #release}. */
    public record Snapshot(String stream, List<Frame> frames, long spanNs) {
        public void release() {
            frames.forEach(Frame::release);
        }
    }

    private final String stream;
    private final long historyNs;
    private final long capBytes;

    // ---- guarded by this ----------------------------------------------------------------------
    private final ArrayDeque<Frame> frames = new ArrayDeque<>();
    /** The keyframes among {@link #frames}, oldest first; the first is always frames' first. */
    private final ArrayDeque<Frame> keyframes = new ArrayDeque<>();
    private long bytes;
    private long trimmedGops;

    public StreamHistory(final String stream, final long historyNs, final long capBytes) {
        this.stream = stream;
        this.historyNs = historyNs;
        this.capBytes = capBytes;
    }

    /** When a frame happened: its commit time (CLOCK_MONOTONIC), or its publish time on rings without one. */
    public static long timeNs(final Frame frame) {
        return frame.commitNs() != 0 ? frame.commitNs() : frame.publishNs();
    }

    /** Keeps {@code frame} (taking a reference) unless it cannot start or continue the history. */
    public synchronized void append(final Frame frame) {
        if (!frames.isEmpty() && (frame.codec() != frames.peekLast().codec() || timeNs(frame) < timeNs(frames.peekLast()))) {
            clear(); // another encoder, or a clock that went back: a clip must not mix them
        }
        if (frames.isEmpty() && !frame.isKeyframe()) {
            return;
        }
        frames.addLast(frame.retain());
        bytes += frame.wireLength();
        if (frame.isKeyframe()) {
            keyframes.addLast(frame);
        }
        while (bytes > capBytes && !frames.isEmpty()) {
            dropFirstGop();
        }
        while (keyframes.size() > 1 && timeNs(frames.peekLast()) - timeNs(second()) >= historyNs) {
            dropFirstGop();
        }
    }

    private Frame second() {
        final Iterator<Frame> it = keyframes.iterator();
        it.next();
        return it.next();
    }

    private void dropFirstGop() {
        keyframes.pollFirst();
        final Frame next = keyframes.peekFirst();
        while (!frames.isEmpty() && frames.peekFirst() != next) {
            final Frame f = frames.pollFirst();
            bytes -= f.wireLength();
            f.release();
        }
        trimmedGops++;
    }

    /**
     * The frames of the last {@code seconds}, from the newest keyframe at or before that point (the
     * oldest keyframe when the history is shorter), each retained; null when the history is empty.
     */
    public synchronized Snapshot snapshot(final double seconds) {
        if (frames.isEmpty()) {
            return null;
        }
        final long end = timeNs(frames.peekLast());
        final long target = end - (long) (seconds * 1e9);
        Frame start = keyframes.peekFirst();
        for (final Frame k : keyframes) {
            if (timeNs(k) <= target) {
                start = k;
            } else {
                break;
            }
        }
        final List<Frame> taken = new ArrayList<>();
        boolean in = false;
        for (final Frame f : frames) {
            in |= f == start;
            if (in) {
                taken.add(f.retain());
            }
        }
        return new Snapshot(stream, taken, end - timeNs(start));
    }

    /** Span from the oldest to the newest frame held, in ns (0 when empty). */
    public synchronized long spanNs() {
        return frames.isEmpty() ? 0 : timeNs(frames.peekLast()) - timeNs(frames.peekFirst());
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized int frameCount() {
        return frames.size();
    }

    /** The codec of the frames held, or -1 when empty. */
    public synchronized int codec() {
        return frames.isEmpty() ? -1 : frames.peekLast().codec();
    }

    public synchronized long trimmedGops() {
        return trimmedGops;
    }

    /** Gives back every reference (undeploy, or a discontinuity). */
    public synchronized void clear() {
        frames.forEach(Frame::release);
        frames.clear();
        keyframes.clear();
        bytes = 0;
    }

    public String stream() {
        return stream;
    }
}
