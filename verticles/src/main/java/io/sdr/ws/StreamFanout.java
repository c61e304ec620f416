package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Frame;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One group's fan-out of one stream: the GOP cache and the clients watching the stream. Every
 * client gets the same message memory; what differs per client is only its {@link ClientSession}
 * and how far its socket has got ({@link WsClient}).
 * Confined to the group's event loop.
 */
final class StreamFanout {
    private static final System.Logger LOG = System.getLogger(StreamFanout.class.getName());
    /** Application close code (4000-4999) for a client that waited too long for a keyframe. */
    static final short CLOSE_IDR_TIMEOUT = 4001;

    private final Vertx vertx;
    private final String stream;
    private final WebSocketConfig config;
    private final FanoutMetrics metrics;
    private final GopCache<Frame> gop;
    private final List<WsClient> clients = new ArrayList<>();
    private final long idrTimeoutNs;
    private final long maxFrameAgeNs;
    private long lastKeyframeWantNs = System.nanoTime() - KEYFRAME_WANT_INTERVAL_NS;
    /** Local damping only; the poller coalesces to one request per interval across all groups. */
    private static final long KEYFRAME_WANT_INTERVAL_NS = 50_000_000L;
    /** Frames whose commit time a stats message can carry: more than a second even at 120 fps. */
    private static final int RECENT_FRAMES = 256;
    /** A commit time further than this from now is from another clock: use the publish time. */
    private static final long COMMIT_CLOCK_SANITY_NS = 60_000_000_000L;
    private final RecentCommits recent = new RecentCommits(RECENT_FRAMES);
    private final long[] drainSeqs = new long[RECENT_FRAMES];
    private final long[] drainTimes = new long[RECENT_FRAMES];
    private boolean commitClock;

    StreamFanout(final Vertx vertx, final String stream, final WebSocketConfig config, final FanoutMetrics metrics) {
        this.vertx = vertx;
        this.stream = stream;
        this.config = config;
        this.metrics = metrics;
        this.gop = new GopCache<>(config.gopCacheBytes());
        this.idrTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.idrTimeoutMs());
        this.maxFrameAgeNs = TimeUnit.MILLISECONDS.toNanos(config.maxFrameAgeMs());
    }

    void onFrame(final Frame frame) {
        if (config.gopCacheBytes() > 0) {
            gop.add(frame, frame.frameSeq(), frame.isKeyframe(), frame.messageLength());
        }
        final long now = System.nanoTime();
        commitClock = frame.commitNs() != 0 && Math.abs(now - frame.commitNs()) < COMMIT_CLOCK_SANITY_NS;
        recent.add(frame.frameSeq(), commitClock ? frame.commitNs() : frame.publishNs());
        if (maxFrameAgeNs > 0 && now - frame.publishNs() > maxFrameAgeNs) {
            skipTooOld(now);
            return;
        }
        final boolean keyframe = frame.isKeyframe();
        final int bytes = frame.messageLength();
        boolean wantKeyframe = false;
        for (int i = clients.size() - 1; i >= 0; i--) {
            final WsClient client = clients.get(i);
            switch (client.session.offer(keyframe, bytes, now)) {
                case SEND:
                    client.sendVideo(frame);
                    break;
                case DROP_LAGGING:
                    // This frame and every one still waiting for the socket: all stale now.
                    metrics.droppedLagging.increment(1 + client.dropQueuedVideo());
                    wantKeyframe |= client.keyframeRequests;
                    break;
                case DROP_AWAITING_KEYFRAME:
                    metrics.droppedAwaiting.increment();
                    wantKeyframe |= client.keyframeRequests;
                    break;
                case CLOSE_IDR_TIMEOUT:
                    metrics.closedIdrTimeout.increment();
                    client.socket.close(CLOSE_IDR_TIMEOUT, "idr timeout: no keyframe within " + config.idrTimeoutMs() + " ms");
                    break;
                default:
                    break;
            }
        }
        if (wantKeyframe) {
            requestKeyframe("client_waiting");
        }
    }

    /**
     * The frame waited too long between the poller and this group's event loop (the loop was starved
     * of CPU and frames piled up in its task queue, which has no bound of its own). Writing it out
     * would only make every client's picture older: skip it for all, and let them resync at the next
     * keyframe, so the backlog drains at the cost of the skipped frames, not of latency.
     */
    private void skipTooOld(final long now) {
        metrics.framesTooOld.increment();
        boolean wantKeyframe = false;
        for (int i = clients.size() - 1; i >= 0; i--) {
            final WsClient client = clients.get(i);
            if (client.session.frameSkipped(now)) {
                metrics.droppedAwaiting.increment();
                wantKeyframe |= client.keyframeRequests;
            }
        }
        if (wantKeyframe) {
            requestKeyframe("frames_too_old");
        }
    }

    /** Adds a client: it starts from the cached GOP when one is held, else waits for a requested keyframe. */
    void join(final WsClient client) {
        clients.add(client);
        final List<Frame> cached = gop.snapshot();
        if (cached.isEmpty()) {
            metrics.joinsWaiting.increment();
            if (client.keyframeRequests) {
                requestKeyframe("join");
            }
            return;
        }
        metrics.joinsFromCache.increment();
        long bytes = 0;
        for (final Frame frame : cached) {
            bytes += frame.messageLength();
        }
        client.session.joinBurst(bytes, cached.size());
        for (final Frame frame : cached) {
            client.sendVideo(frame);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "client joined from GOP cache: stream=" + stream + ", frames=" + cached.size());
    }

    void leave(final WsClient client) {
        clients.remove(client);
        client.close();
    }

    /** A session for a new client of this stream. */
    ClientSession newSession() {
        return new ClientSession(config.clientBudgetBytes(), config.maxQueuedFrames(), idrTimeoutNs, System.nanoTime());
    }

    /**
     * Sends one 0x03 stats message (the commit times of the frames since the previous call) to
     * every client of this stream that asked for it.
     */
    void sendStats(final TelemetryMetrics counters) {
        final long nowNs = System.nanoTime();
        final double nowEpochMs = ControlMessages.epochMs(java.time.Instant.now());
        final int count = recent.drain(drainSeqs, drainTimes);
        io.vertx.core.buffer.Buffer message = null;
        for (final WsClient client : clients) {
            if (!client.statsWanted) {
                continue;
            }
            if (message == null) {
                message = ControlMessages.stats(stream, commitClock ? "commit" : "publish", nowNs, nowEpochMs,
                    drainSeqs, drainTimes, count);
            }
            (client.sendControl(message) ? counters.controlSent : counters.controlDropped).increment();
        }
    }

    FanoutMetrics metrics() {
        return metrics;
    }

    /** A client asked for a keyframe ({"keyframe": true}); damped like the others. */
    void clientRequestsKeyframe() {
        requestKeyframe("client");
    }

    private void requestKeyframe(final String reason) {
        final long now = System.nanoTime();
        if (now - lastKeyframeWantNs < KEYFRAME_WANT_INTERVAL_NS) {
            return;
        }
        lastKeyframeWantNs = now;
        vertx.eventBus().publish(Addresses.keyframeWanted(stream), new JsonObject().put("stream", stream).put("reason", reason));
    }

    int clientCount() {
        return clients.size();
    }
}
