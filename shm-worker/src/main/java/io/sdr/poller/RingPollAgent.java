package io.sdr.poller;

import io.micrometer.core.instrument.Timer;
import io.sdr.bus.Frame;
import io.sdr.ring.FrameInfo;
import io.sdr.ring.PollOutcome;
import io.sdr.ring.RingReader;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The polling loop of one stream, run by an Agrona {@code AgentRunner} on a thread it owns: reads
 * the ring into a scratch buffer, builds each frame's complete WebSocket frame once in pooled
 * memory ({@link Frame#allocate}) and publishes it, releasing its own reference afterwards. No
 * Vert.x types: the frames go to a {@link FramePublisher}, keyframe requests to a {@link KeyframeRequester}.
 */
final class RingPollAgent implements Agent {
    private final PollerConfig config;
    private final RingReader reader;
    private final FramePublisher publisher;
    private final KeyframeRequester encoder;
    private final StreamStats stats;
    private final KeyframeCoalescer keyframes;
    private final Timer commitToPublish;

    // Confined to the polling thread.
    private final UnsafeBuffer scratch;
    private final UnsafeBuffer target = new UnsafeBuffer(0, 0);
    private long nextStatsNs;

    RingPollAgent(final PollerConfig config, final FramePublisher publisher, final KeyframeRequester encoder,
                  final StreamStats stats, final KeyframeCoalescer keyframes, final Timer commitToPublish) {
        this.config = config;
        this.reader = new RingReader(config.path(), RingReader.Options.DEFAULTS
            .withCrc(config.crcEnabled())
            .withFileCheckIntervalNs(TimeUnit.MILLISECONDS.toNanos(config.fileCheckIntervalMs())));
        this.publisher = publisher;
        this.encoder = encoder;
        this.stats = stats;
        this.keyframes = keyframes;
        this.commitToPublish = commitToPublish;
        this.scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(Frame.MESSAGE_HEADER_OFFSET + config.maxFrameBytes()));
        stats.attach(config.path().toString(), reader.counters());
    }

    @Override
    public int doWork() {
        final PollOutcome outcome = reader.poll(scratch, Frame.MESSAGE_HEADER_OFFSET);
        final long now = System.nanoTime();
        if (now - nextStatsNs >= 0) {
            stats.observed(reader.writerPosition(), reader.layoutVersion(), reader.lastError());
            nextStatsNs = now + 50_000_000L;
        }
        switch (outcome) {
            case FRAME:
                publish(now);
                return 1;
            case NO_NEW_FRAME:
            case NOT_READY:
            case BAD_LAYOUT:
            case TORN:
                // A torn read is read again at the next poll, as the idle strategy schedules it:
                // it is only believed after several polls spread over milliseconds anyway.
                return 0;
            case SKIPPED_AWAITING_KEYFRAME:
            case LAPPED:
            case CRC_ERROR:
            case BAD_LENGTH:
                // Frames are flowing but undecodable until the next IDR: ask the encoder for one.
                requestKeyframe(outcome.name().toLowerCase());
                return 1;
            default:
                return 1;
        }
    }

    private void publish(final long now) {
        final FrameInfo info = reader.frame();
        final int length = Frame.MESSAGE_HEADER_OFFSET + info.length();
        final Frame frame = Frame.allocate(config.stream(), info.frameSeq(), info.frameId(), info.flags(), info.codec(),
            info.commitNs(), now, length);
        try {
            target.wrap(frame.messageMemory());
            scratch.putByte(0, Frame.TYPE_VIDEO);
            target.putBytes(0, scratch, 0, length);
            target.wrap(0, 0);
            if (info.commitNs() != 0) {
                commitToPublish.record(Math.max(0, now - info.commitNs()), TimeUnit.NANOSECONDS);
            }
            publisher.publish(frame);
        } finally {
            frame.release();
        }
        stats.published(info.frameSeq(), now);
    }

    void requestKeyframe(final String reason) {
        if (keyframes.tryRequest(System.nanoTime())) {
            encoder.request(reason);
        }
    }

    RingReader reader() {
        return reader;
    }

    @Override
    public void onClose() {
        reader.close();
    }

    @Override
    public String roleName() {
        return "sdr-ring-poller-" + config.stream();
    }
}
