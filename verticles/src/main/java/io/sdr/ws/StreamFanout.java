package io.sdr.ws;

import io.netty.buffer.ByteBuf;
import io.sdr.bus.Frame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One group's fan-out of one stream: the GOP cache and the viewers watching the stream. Every
 * viewer gets the same bytes: the frame's prebuilt WebSocket frame, written to all viewers of the
 * group and then flushed once per viewer (how uWebSockets corks its pub/sub writes). What differs
 * per viewer is only its {@link ClientSession} and how far its connection has got.
 * No Vert.x types; confined to the group's event loop.
 */
final class StreamFanout {
    private static final System.Logger LOG = System.getLogger(StreamFanout.class.getName());
    /** Local damping only; the poller coalesces to one request per interval across all groups. */
    private static final long KEYFRAME_WANT_INTERVAL_NS = 50_000_000L;
    /** Frames whose commit time a stats message can carry: more than a second even at 120 fps. */
    private static final int RECENT_FRAMES = 256;
    /** A commit time further than this from now is from another clock: use the publish time. */
    private static final long COMMIT_CLOCK_SANITY_NS = 60_000_000_000L;
    /**
     * Auto lag: this many frame intervals, within these bounds. The floor is for keyframes: one is
     * several times a P-frame, and on a link only a little faster than the stream it takes several
     * frame intervals to leave (88 KB on 10 Mbit/s: 70 ms) while the frames behind it wait; that
     * viewer keeps up on average and must not be sent to keyframe-wait at every keyframe.
     */
    static final int LAG_INTERVALS = 2;
    static final long MIN_AUTO_LAG_NS = 100_000_000L;
    static final long MAX_AUTO_LAG_NS = 1_000_000_000L;

    private final String stream;
    private final WebSocketConfig config;
    private final FanoutMetrics metrics;
    private final KeyframeWants keyframes;
    private final GopCache<Frame> gop;
    private final List<WsClient> clients = new ArrayList<>();
    private final long idrTimeoutNs;
    private final long maxFrameAgeNs;
    private final long fixedLagNs;
    private final long joinGraceNs;
    private final FrameInterval interval = new FrameInterval();
    private long lastKeyframeWantNs = System.nanoTime() - KEYFRAME_WANT_INTERVAL_NS;
    private final RecentCommits recent = new RecentCommits(RECENT_FRAMES);
    private final long[] drainSeqs = new long[RECENT_FRAMES];
    private final long[] drainTimes = new long[RECENT_FRAMES];
    private boolean commitClock;

    // Tiers (simulcast): this fan-out's place on its stream's ladder, the viewers that move here at
    // its next keyframe they can take, its measured bitrate. Without renditions: a ladder of one.
    private TierLadder ladder;
    private int tierIndex;
    private final List<WsClient> arriving = new ArrayList<>();
    private final ByteRate rate = new ByteRate();
    private long keyframesSeen;
    /** When the last frame arrived (System.nanoTime); 0 before the first. */
    private long lastFrameNs;
    /** A tier without a frame for this long is no target for a switch. */
    static final long LIVE_NS = 1_000_000_000L;
    /** Keyframes of the tier being left that a switching viewer skips before the switch is given up. */
    static final int MAX_SWITCH_SKIPS = 3;

    StreamFanout(final String stream, final WebSocketConfig config, final FanoutMetrics metrics, final KeyframeWants keyframes) {
        this.stream = stream;
        this.config = config;
        this.metrics = metrics;
        this.keyframes = keyframes;
        this.gop = new GopCache<>(config.gopCacheBytes(), Frame::release);
        this.idrTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.idrTimeoutMs());
        this.maxFrameAgeNs = TimeUnit.MILLISECONDS.toNanos(config.maxFrameAgeMs());
        this.fixedLagNs = TimeUnit.MILLISECONDS.toNanos(config.maxLagMs());
        this.joinGraceNs = TimeUnit.MILLISECONDS.toNanos(config.joinBurstGraceMs());
    }

    /** A frame from the poller; the caller keeps its reference (this takes what it keeps). */
    void onFrame(final Frame frame) {
        final long now = System.nanoTime();
        interval.arrived(now);
        lastFrameNs = now;
        rate.add(now, frame.messageLength());
        if (frame.isKeyframe()) {
            keyframesSeen++;
        }
        if (config.gopCacheBytes() > 0) {
            gop.add(frame.retain(), frame.frameSeq(), frame.isKeyframe(), frame.messageLength());
        }
        commitClock = frame.commitNs() != 0 && Math.abs(now - frame.commitNs()) < COMMIT_CLOCK_SANITY_NS;
        recent.add(frame.frameSeq(), commitClock ? frame.commitNs() : frame.publishNs());
        if (maxFrameAgeNs > 0 && now - frame.publishNs() > maxFrameAgeNs) {
            skipTooOld(now);
            return;
        }
        final boolean keyframe = frame.isKeyframe();
        final long lag = lagNs();
        final long deadline = now + lag;
        if (keyframe && !arriving.isEmpty()) {
            admit(frame, now);
        }
        boolean wantKeyframe = false;
        int sent = 0;
        for (int i = clients.size() - 1; i >= 0; i--) {
            final WsClient client = clients.get(i);
            client.refreshUnsent();
            final AdaptiveTier tier = client.tier;
            if (tier != null) {
                tier.connection(now, client.deliveredBytes(), client.sink.unsentBytes());
                if (keyframe && tier.target() != AdaptiveTier.NONE && skipForSwitch(client, now)) {
                    metrics.droppedAwaiting.increment();
                    continue;
                }
            }
            final boolean behind = client.session.queuedFrames() > 0;
            final long oldestWait = behind ? Math.max(0, now - (client.session.oldestVideoDeadlineNs() - lag)) : 0;
            final boolean waiting = client.session.state() == ClientSession.State.AWAITING_KEYFRAME;
            switch (client.session.offer(keyframe, client.wireCost(frame), now, deadline)) {
                case SEND:
                    client.sendVideo(frame, behind);
                    sent++;
                    if (waiting) {
                        client.framing.resynced();
                    }
                    if (tier != null && tier.offered(now, oldestWait, lag)) {
                        ladder.fanout(tier.target()).arrive(client);
                    }
                    break;
                case DROP_LAGGING:
                    // This frame and every one held for the viewer: all stale now.
                    metrics.droppedLagging.increment(1 + client.dropHeld());
                    wantKeyframe |= client.mayRequestKeyframes;
                    client.framing.awaitingKeyframe();
                    if (tier != null && tier.lagged(now) != AdaptiveTier.NONE) {
                        ladder.fanout(tier.target()).arrive(client);
                    }
                    break;
                case DROP_AWAITING_KEYFRAME:
                    metrics.droppedAwaiting.increment();
                    wantKeyframe |= client.mayRequestKeyframes;
                    break;
                case CLOSE_IDR_TIMEOUT:
                    metrics.closedIdrTimeout.increment();
                    client.sink.close(CloseCodes.IDR_TIMEOUT, "idr timeout: no keyframe within " + config.idrTimeoutMs() + " ms");
                    break;
                default:
                    break;
            }
        }
        // Written to every viewer first, flushed after: each viewer's bytes leave in one syscall,
        // and no viewer's write waits behind another's flush.
        for (int i = clients.size() - 1; i >= 0; i--) {
            clients.get(i).flush();
        }
        if (sent > 0) {
            final long written = System.nanoTime();
            metrics.framesSent.increment(sent);
            metrics.bytesSent.increment((double) sent * frame.messageLength());
            metrics.publishToWritten.record(written - frame.publishNs(), TimeUnit.NANOSECONDS);
            if (commitClock) {
                metrics.commitToWritten.record(Math.max(0, written - frame.commitNs()), TimeUnit.NANOSECONDS);
            }
        }
        if (wantKeyframe) {
            requestKeyframe("client_waiting");
        }
    }

    /**
     * A keyframe of this tier reached a viewer that is moving to another: it skips it (and this
     * tier's frames after it) for the target's keyframe of the same picture, which comes within
     * milliseconds when the tiers' keyframes are aligned. When the target showed no keyframe since
     * the previous skip, or after {@link #MAX_SWITCH_SKIPS}, the switch is given up and the viewer
     * takes this keyframe. Returns whether the frame was skipped.
     */
    private boolean skipForSwitch(final WsClient client, final long now) {
        final StreamFanout target = ladder.fanout(client.tier.target());
        if (client.switchSkips > 0 && (target.keyframesSeen == client.targetKeyframes || client.switchSkips >= MAX_SWITCH_SKIPS)) {
            target.notArriving(client);
            client.tier.cancel(now);
            client.switchSkips = 0;
            return false;
        }
        client.switchSkips++;
        client.targetKeyframes = target.keyframesSeen;
        client.session.frameSkipped(now);
        return true;
    }

    /**
     * A keyframe: the viewers moving to this tier whose connection is drained take it (and every
     * frame after it) from here on; the others wait for the next one. Frame numbers must keep
     * rising for a viewer, so a keyframe older than what it was last shown does not do (aligned
     * tiers carry the same {@code frame_seq} for the same picture).
     */
    private void admit(final Frame frame, final long now) {
        for (int i = arriving.size() - 1; i >= 0; i--) {
            final WsClient client = arriving.get(i);
            if (client.sink.isClosed() || client.tier == null || client.tier.target() != tierIndex) {
                arriving.remove(i);
                continue;
            }
            client.refreshUnsent();
            // Down (it lagged): only onto a drained connection, as any resync. Up (a probe of a
            // viewer that keeps up): at once, the session judges the keyframe like any frame.
            final boolean probe = client.tier.targetIsProbe();
            if (frame.frameSeq() <= client.lastSeq || (!probe && client.session.queuedFrames() > 0)) {
                continue;
            }
            arriving.remove(i);
            final StreamFanout from = client.fanout;
            from.clients.remove(client);
            client.fanout = this;
            client.switchSkips = 0;
            if (probe) {
                client.session.resume();
            } else {
                client.session.frameSkipped(now);
            }
            final int previous = from.tierIndex;
            client.tier.switched(now);
            clients.add(client);
            (tierIndex > previous ? metrics.tierDown : metrics.tierUp).increment();
            client.tierChanged(ladder, frame.frameSeq());
        }
    }

    /** {@code client} moves here at this tier's next keyframe it can take. */
    void arrive(final WsClient client) {
        if (!arriving.contains(client)) {
            arriving.add(client);
        }
    }

    void notArriving(final WsClient client) {
        arriving.remove(client);
    }

    void onLadder(final TierLadder ladder, final int index) {
        this.ladder = ladder;
        this.tierIndex = index;
    }

    TierLadder ladder() {
        return ladder;
    }

    /** Whether a frame arrived within {@link #LIVE_NS}. */
    boolean live(final long nowNs) {
        return lastFrameNs != 0 && nowNs - lastFrameNs < LIVE_NS;
    }

    /** This tier's measured bitrate in wire bytes per second (0 until a second was seen). */
    long bytesPerSecond() {
        return rate.perSecond(System.nanoTime());
    }

    /** How long a frame may wait for a viewer's connection before the viewer counts as lagging. */
    long lagNs() {
        if (fixedLagNs > 0) {
            return fixedLagNs;
        }
        return Math.max(MIN_AUTO_LAG_NS, Math.min(MAX_AUTO_LAG_NS, LAG_INTERVALS * interval.ns()));
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
            final boolean streaming = client.session.state() == ClientSession.State.STREAMING;
            if (client.session.frameSkipped(now)) {
                metrics.droppedAwaiting.increment();
                wantKeyframe |= client.mayRequestKeyframes;
                if (streaming) {
                    client.framing.awaitingKeyframe();
                }
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
            if (client.mayRequestKeyframes) {
                requestKeyframe("join");
            }
            return;
        }
        metrics.joinsFromCache.increment();
        final long[] costs = new long[cached.size()];
        for (int i = 0; i < costs.length; i++) {
            costs[i] = client.wireCost(cached.get(i));
        }
        client.refreshUnsent();
        client.session.joinBurst(costs, costs.length, System.nanoTime() + lagNs() + joinGraceNs);
        // A viewer of a stream with tiers may be on a link far narrower than this tier: its cached
        // GOP waits in our queue (one frame in the connection at a time), where a lag drops it and
        // moves it down, not in the socket's, which would show it all, seconds old (a 25 % link
        // took 3.9 s for a 720p GOP; TierFatJarTest). Others take it at once.
        final boolean queued = client.tier != null;
        for (final Frame frame : cached) {
            client.sendVideo(frame, queued);
        }
        client.flush();
        metrics.framesSent.increment(cached.size());
        LOG.log(System.Logger.Level.DEBUG, () -> "client joined from GOP cache: stream=" + stream + ", frames=" + cached.size());
    }

    void leave(final WsClient client) {
        clients.remove(client);
        if (ladder != null) {
            ladder.forget(client);
        }
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
        ByteBuf message = null;
        try {
            for (final WsClient client : clients) {
                if (!client.statsWanted) {
                    continue;
                }
                if (message == null) {
                    message = ControlMessages.stats(stream, commitClock ? "commit" : "publish", nowNs, nowEpochMs,
                        drainSeqs, drainTimes, count);
                }
                (client.sendControl(message.retainedDuplicate()) ? counters.controlSent : counters.controlDropped).increment();
            }
        } finally {
            if (message != null) {
                message.release();
            }
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
        keyframes.want(reason);
    }

    /** The group stops: the cached frames go back to the pool. */
    void close() {
        gop.clear();
    }
}
