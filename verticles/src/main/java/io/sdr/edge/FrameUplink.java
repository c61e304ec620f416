package io.sdr.edge;

import io.nats.client.Connection;
import io.sdr.bus.Frame;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The origin's side: every frame of every stream also goes out on NATS ({@link VideoMessages}),
 * from a thread of its own ({@code sdr-video-uplink}), never from an event loop: the NATS client
 * copies and may wait for its socket.
 *
 * <p>Between the frames' consumer and that thread sits a small bounded queue that discards rather
 * than blocks: when NATS is slower than the stream, the newest frames are dropped and counted,
 * the local viewers see nothing of it, and the edges see a frame_seq gap and wait for a keyframe
 * (the edges' own backpressure is nats-server's: it cuts a subscriber that does not read). The
 * queue holds references to the pooled frames, not copies. No Vert.x types.
 */
public final class FrameUplink implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FrameUplink.class.getName());

    public enum Outcome { PUBLISHED, QUEUE_FULL, NOT_CONNECTED, TOO_LARGE }

    private final VideoLinkConfig config;
    private final Supplier<Connection> connection;
    private final ArrayBlockingQueue<Frame> queue;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong[] outcomes = new AtomicLong[Outcome.values().length];
    private final AtomicBoolean tooLargeLogged = new AtomicBoolean();
    private final Thread thread;
    private volatile boolean stopped;

    /** @param connection the video connection when it is up right now, else null */
    public FrameUplink(final VideoLinkConfig config, final Supplier<Connection> connection) {
        this.config = config;
        this.connection = connection;
        this.queue = new ArrayBlockingQueue<>(config.queueFrames());
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = new AtomicLong();
        }
        this.thread = new Thread(this::run, "sdr-video-uplink");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues {@code frame} (taking a reference) or drops it when the queue is full. Never blocks. */
    public void offer(final Frame frame) {
        if (stopped) {
            return;
        }
        final int bytes = frame.messageLength();
        if (queuedBytes.addAndGet(bytes) > config.queueBytes() && queuedBytes.get() != bytes) {
            queuedBytes.addAndGet(-bytes);
            count(Outcome.QUEUE_FULL);
            return;
        }
        frame.retain();
        if (!queue.offer(frame)) {
            queuedBytes.addAndGet(-bytes);
            frame.release();
            count(Outcome.QUEUE_FULL);
        }
    }

    private void run() {
        while (!stopped) {
            final Frame frame;
            try {
                frame = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                break;
            }
            if (frame != null) {
                try {
                    publish(frame);
                } catch (final RuntimeException e) {
                    // The connection closed between the check and the publish: the frame is lost like any other.
                    count(Outcome.NOT_CONNECTED);
                } finally {
                    queuedBytes.addAndGet(-frame.messageLength());
                    frame.release();
                }
            }
        }
        drain();
    }

    private void publish(final Frame frame) {
        final Connection conn = connection.get();
        if (conn == null) {
            count(Outcome.NOT_CONNECTED);
            return;
        }
        // The headers take a few hundred bytes at most: leave them room under max_payload.
        if (frame.messageLength() + 512L > conn.getMaxPayload()) {
            count(Outcome.TOO_LARGE);
            if (tooLargeLogged.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.WARNING, "frame too large for NATS: stream=" + frame.stream() + " frame_seq="
                    + frame.frameSeq() + " is " + frame.messageLength() + " bytes, the server's max_payload is "
                    + conn.getMaxPayload() + " bytes; such frames do not reach the edges (counted in"
                    + " sdr_video_uplink_frames_total{outcome=\"too_large\"}, logged once): raise max_payload in nats.conf");
            }
            return;
        }
        conn.publish(config.framesSubject(frame.stream()), VideoMessages.headers(frame), VideoMessages.body(frame));
        count(Outcome.PUBLISHED);
    }

    private void count(final Outcome outcome) {
        outcomes[outcome.ordinal()].incrementAndGet();
    }

    public long frames(final Outcome outcome) {
        return outcomes[outcome.ordinal()].get();
    }

    public long queuedBytes() {
        return Math.max(0, queuedBytes.get());
    }

    private void drain() {
        Frame frame;
        while ((frame = queue.poll()) != null) {
            queuedBytes.addAndGet(-frame.messageLength());
            frame.release();
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
    }
}
