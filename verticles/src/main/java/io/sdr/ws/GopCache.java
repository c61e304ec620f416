package io.sdr.ws;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The current group of pictures of one stream: its latest keyframe and every frame after it, so a
 * viewer who joins gets a decodable picture at once instead of waiting up to a GOP. Bounded in
 * bytes: past the bound the cache is empty until the next keyframe (joiners then ask for one).
 * Confined to one event loop. Owns one reference of every frame it holds: {@link #add} takes the
 * caller's reference (and gives it back through {@code release} when it does not keep the frame),
 * and a frame leaves the cache only through {@code release}.
 */
public final class GopCache<T> {
    private final long maxBytes;
    private final ArrayDeque<T> frames = new ArrayDeque<>();
    private long bytes;
    private long lastSeq;
    private boolean valid;

    private final Consumer<T> release;

    public GopCache(final long maxBytes, final Consumer<T> release) {
        this.maxBytes = maxBytes;
        this.release = release;
    }

    public void add(final T frame, final long frameSeq, final boolean keyframe, final int frameBytes) {
        if (keyframe) {
            clear();
            valid = true;
        } else if (!valid || frameSeq != lastSeq + 1) {
            // A gap: what follows is not decodable from the cached keyframe.
            clear();
            release.accept(frame);
            return;
        }
        if (bytes + frameBytes > maxBytes) {
            clear();
            release.accept(frame);
            return;
        }
        frames.addLast(frame);
        bytes += frameBytes;
        lastSeq = frameSeq;
    }

    /** Gives back every frame held. */
    public void clear() {
        T frame;
        while ((frame = frames.pollFirst()) != null) {
            release.accept(frame);
        }
        bytes = 0;
        valid = false;
    }

    /** The frames to send a joiner, keyframe first; empty when no decodable GOP is held. Still the cache's: do not release. */
    public List<T> snapshot() {
        return valid ? new ArrayList<>(frames) : List.of();
    }

    public long bytes() {
        return bytes;
    }

    public int size() {
        return frames.size();
    }
}
