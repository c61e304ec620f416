package io.sdr.ws;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The current group of pictures of one stream: its latest keyframe and every frame after it, so a
 * viewer who joins gets a decodable picture at once instead of waiting up to a GOP. Bounded in
 * bytes: past the bound the cache is empty until the next keyframe (joiners then ask for one).
 * Confined to one event loop; holds references only, the frames' memory is shared.
 */
public final class GopCache<T> {
    private final long maxBytes;
    private final ArrayDeque<T> frames = new ArrayDeque<>();
    private long bytes;
    private long lastSeq;
    private boolean valid;

    public GopCache(final long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public void add(final T frame, final long frameSeq, final boolean keyframe, final int frameBytes) {
        if (keyframe) {
            clear();
            valid = true;
        } else if (!valid || frameSeq != lastSeq + 1) {
            // A gap: what follows is not decodable from the cached keyframe.
            clear();
            return;
        }
        if (bytes + frameBytes > maxBytes) {
            clear();
            return;
        }
        frames.addLast(frame);
        bytes += frameBytes;
        lastSeq = frameSeq;
    }

    private void clear() {
        frames.clear();
        bytes = 0;
        valid = false;
    }

    /** The frames to send a joiner, keyframe first; empty when no decodable GOP is held. */
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
