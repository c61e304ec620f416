package io.sdr.poller;

import io.sdr.ring.RingCounters;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.ArrayList;
import java.util.List;

/**
 * What a stream's source last saw, for /health and the CLI: the ring poller, or on an edge the NATS
 * feed ({@code io.sdr.edge.EdgeFeed}). Written by that one thread only (volatile stores), read by
 * any thread. One per stream per Vert.x instance, found by name.
 */
public final class StreamStats implements Shareable {
    private static final String MAP = "sdr.streams";

    private final String stream;
    private volatile String path = "";
    private volatile RingCounters counters = new RingCounters();
    private volatile long lastFrameSeq;
    private volatile long lastPublishNs;
    private volatile long writerPosition;
    private volatile int layoutVersion;
    private volatile String lastError;

    private StreamStats(final String stream) {
        this.stream = stream;
    }

    public static StreamStats of(final Vertx vertx, final String stream) {
        final LocalMap<String, StreamStats> map = vertx.sharedData().getLocalMap(MAP);
        final StreamStats fresh = new StreamStats(stream);
        final StreamStats existing = map.putIfAbsent(stream, fresh);
        return existing != null ? existing : fresh;
    }

    public static List<StreamStats> all(final Vertx vertx) {
        final LocalMap<String, StreamStats> map = vertx.sharedData().getLocalMap(MAP);
        return new ArrayList<>(map.values());
    }

    /** @param path where the frames come from: the ring file, or {@code nats:SUBJECT} on an edge */
    public void attach(final String path, final RingCounters counters) {
        this.path = path;
        this.counters = counters;
    }

    public void published(final long frameSeq, final long publishNs) {
        lastFrameSeq = frameSeq;
        lastPublishNs = publishNs;
    }

    void observed(final long writerPosition, final int layoutVersion, final String lastError) {
        this.writerPosition = writerPosition;
        this.layoutVersion = layoutVersion;
        this.lastError = lastError;
    }

    public String stream() {
        return stream;
    }

    public String path() {
        return path;
    }

    public RingCounters counters() {
        return counters;
    }

    /** frame_seq of the last frame published, 0 before the first. */
    public long lastFrameSeq() {
        return lastFrameSeq;
    }

    /** Milliseconds since the last frame was published, or -1 before the first. */
    public long lastFrameAgeMs(final long nowNs) {
        final long last = lastPublishNs;
        return last == 0 ? -1 : Math.max(0, (nowNs - last) / 1_000_000);
    }

    public long writerPosition() {
        return writerPosition;
    }

    public int layoutVersion() {
        return layoutVersion;
    }

    public String lastError() {
        return lastError;
    }
}
