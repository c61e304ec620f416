package io.sdr.edge;

import io.micrometer.core.instrument.Timer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.sdr.bus.CommitClock;
import io.sdr.bus.Frame;
import io.sdr.poller.FramePublisher;
import io.sdr.poller.KeyframeCoalescer;
import io.sdr.poller.StreamStats;
import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.PollOutcome;
import io.sdr.ring.RingCounters;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The edge's side: one NATS subscription per stream (not per viewer), each message rebuilt as the
 * same pooled {@link Frame} a ring poller would publish, so the edge's WebSocket groups, GOP cache
 * and backpressure work exactly as on the origin.
 *
 * <p>A stream starts waiting for a keyframe and asks the origin for one at once, so a new edge's
 * first viewer gets a picture without waiting a GOP. A frame_seq gap (the NATS client or server
 * dropped frames for this edge, the origin restarted, the edge was stopped) makes the stream wait
 * for a keyframe again, dropping the frames in between (counted as {@code skipped_awaiting_keyframe}
 * and {@code frames_lost}): viewers see a pause, never a broken picture. Keyframe requests go
 * upstream coalesced, at most one per stream per {@code keyframeCoalesceMs}.
 *
 * <p>Messages are handled on the NATS dispatcher's one thread: every stream's state is confined
 * to it, except the coalescer, which the event loops also use. No Vert.x types.
 */
public final class EdgeFeed {
    private final VideoLinkConfig config;
    private final FramePublisher publisher;
    private final Supplier<Connection> connection;
    private final Map<String, StreamFeed> feeds = new LinkedHashMap<>();

    /** What one stream's feed counts and remembers. */
    public static final class StreamFeed {
        final String stream;
        final RingCounters counters = new RingCounters();
        final KeyframeCoalescer keyframes;
        final StreamStats stats;
        final Timer commitToPublish;
        long lastSeq = -1;
        boolean awaitingKeyframe = true;
        long malformed;

        StreamFeed(final String stream, final long coalesceNs, final StreamStats stats, final Timer commitToPublish) {
            this.stream = stream;
            this.keyframes = new KeyframeCoalescer(coalesceNs);
            this.stats = stats;
            this.commitToPublish = commitToPublish;
        }

        public RingCounters counters() {
            return counters;
        }

        public KeyframeCoalescer keyframes() {
            return keyframes;
        }
    }

    /**
     * @param stats           per stream, for /health ({@link StreamStats#of}); its counters become this feed's
     * @param commitToPublish per stream, commit at the origin to publish here (needs synchronised clocks across hosts)
     * @param connection      the video connection when it is up right now, else null
     */
    public EdgeFeed(final VideoLinkConfig config, final FramePublisher publisher, final Supplier<Connection> connection,
                    final Map<String, StreamStats> stats, final Map<String, Timer> commitToPublish) {
        this.config = config;
        this.publisher = publisher;
        this.connection = connection;
        for (final String stream : config.streams()) {
            final StreamFeed feed = new StreamFeed(stream, TimeUnit.MILLISECONDS.toNanos(config.keyframeCoalesceMs()),
                stats.get(stream), commitToPublish.get(stream));
            feed.stats.attach("nats:" + config.framesSubject(stream), feed.counters);
            feeds.put(stream, feed);
        }
    }

    public StreamFeed feed(final String stream) {
        return feeds.get(stream);
    }

    public List<StreamFeed> feeds() {
        return List.copyOf(feeds.values());
    }

    /** Subscribes once per stream on {@code conn} (jnats keeps the subscriptions across reconnects). */
    public void subscribe(final Connection conn) {
        final Dispatcher dispatcher = conn.createDispatcher(this::onMessage);
        // Bounded in bytes, not messages: a keyframe weighs a hundred P-frames.
        dispatcher.setPendingLimits(-1, config.pendingBytes());
        for (final StreamFeed feed : feeds.values()) {
            dispatcher.subscribe(config.framesSubject(feed.stream));
        }
        for (final StreamFeed feed : feeds.values()) {
            requestKeyframe(feed, "edge_empty");
        }
    }

    void onMessage(final Message message) {
        final String subject = message.getSubject();
        final StreamFeed feed = feeds.get(subject.substring(config.subjectPrefix().length() + 1));
        if (feed == null) {
            return;
        }
        final long now = System.nanoTime();
        final byte[] body = message.getData();
        final ByteBuffer header = body == null ? null : ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        if (body == null || body.length < FrameHeaderDescriptor.LENGTH
            || Integer.toUnsignedLong(header.getInt(FrameHeaderDescriptor.SIZE_OFFSET)) != body.length - FrameHeaderDescriptor.LENGTH) {
            // Not a frame of ours (a stray publisher on the subject): nothing reaches a viewer.
            feed.malformed++;
            feed.counters.increment(PollOutcome.BAD_LENGTH);
            return;
        }
        final long seq = header.getLong(FrameHeaderDescriptor.FRAME_SEQ_OFFSET);
        final int flags = Short.toUnsignedInt(header.getShort(FrameHeaderDescriptor.FLAGS_OFFSET));
        final boolean keyframe = (flags & FrameHeaderDescriptor.FLAG_KEYFRAME) != 0;
        if (feed.lastSeq >= 0 && seq != feed.lastSeq + 1) {
            if (seq > feed.lastSeq) {
                feed.counters.addFramesLost(seq - feed.lastSeq - 1);
            } else {
                // Backwards: the origin's writer restarted. Its first frames start a new stream.
                feed.counters.increment(PollOutcome.RESYNC);
            }
            feed.awaitingKeyframe = true;
        }
        feed.lastSeq = seq;
        if (feed.awaitingKeyframe) {
            if (!keyframe) {
                feed.counters.increment(PollOutcome.SKIPPED_AWAITING_KEYFRAME);
                requestKeyframe(feed, "edge_gap");
                return;
            }
            feed.awaitingKeyframe = false;
        }
        final long commitNs = CommitClock.toMonoNs(VideoMessages.commitUnixNs(message.getHeaders()));
        final Frame frame = Frame.allocate(feed.stream, seq, header.getLong(FrameHeaderDescriptor.FRAME_ID_OFFSET), flags,
            Short.toUnsignedInt(header.getShort(FrameHeaderDescriptor.CODEC_OFFSET)), commitNs, now,
            Frame.MESSAGE_HEADER_OFFSET + body.length);
        try {
            final ByteBuffer memory = frame.messageMemory();
            memory.put(Frame.TYPE_VIDEO).put(body);
            if (commitNs != 0 && feed.commitToPublish != null) {
                feed.commitToPublish.record(Math.max(0, now - commitNs), TimeUnit.NANOSECONDS);
            }
            publisher.publish(frame);
        } finally {
            frame.release();
        }
        feed.counters.increment(PollOutcome.FRAME);
        feed.counters.addBytes(body.length);
        feed.stats.published(seq, now);
    }

    /** The edge's viewers need a keyframe of {@code stream} (from its WebSocket groups, any thread). */
    public void keyframeWanted(final String stream, final String reason) {
        final StreamFeed feed = feeds.get(stream);
        if (feed != null) {
            requestKeyframe(feed, reason);
        }
    }

    private void requestKeyframe(final StreamFeed feed, final String reason) {
        final Connection conn = connection.get();
        if (conn == null || !feed.keyframes.tryRequest(System.nanoTime())) {
            return;
        }
        try {
            conn.publish(config.keyframeSubject(feed.stream),
                ("{\"stream\":\"" + feed.stream + "\",\"reason\":\"" + reason + "\"}").getBytes(StandardCharsets.UTF_8));
        } catch (final RuntimeException e) {
            // Closed meanwhile: the request after the reconnection asks again.
        }
    }
}
