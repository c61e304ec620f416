package io.sdr.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

import java.nio.charset.StandardCharsets;

/**
 * Event-bus codec for {@link Frame}: local delivery hands every consumer the same instance (no
 * copy per consumer, unlike the default Buffer codec) with one reference of its own: Vert.x calls
 * {@link #transform} once per local consumer, synchronously inside {@code publish} (no delivery
 * interceptors are installed), so the publisher may release its own reference as soon as
 * {@code publish} returns; each consumer releases its reference after its handler
 * ({@link FrameConsumers}). The wire form is used only across a cluster.
 *
 * <pre>
 * wire: | stream len u16 | stream UTF-8 | frame_seq u64 | frame_id u64 | flags u16 | codec u16 |
 *       | commit_ns u64 | publish_ns u64 | message len u32 | message bytes |      (big-endian, Vert.x Buffer)
 * </pre>
 */
public final class FrameCodec implements MessageCodec<Frame, Frame> {
    public static final String NAME = "sdr-frame";

    /** Registers the codec as the default for {@link Frame} once per Vert.x instance. */
    public static void register(final Vertx vertx) {
        DefaultCodecs.registerOnce(vertx, Frame.class, new FrameCodec());
    }

    @Override
    public void encodeToWire(final Buffer buffer, final Frame frame) {
        final byte[] stream = frame.stream().getBytes(StandardCharsets.UTF_8);
        buffer.appendUnsignedShort(stream.length).appendBytes(stream)
            .appendLong(frame.frameSeq()).appendLong(frame.frameId())
            .appendUnsignedShort(frame.flags()).appendUnsignedShort(frame.codec())
            .appendLong(frame.commitNs()).appendLong(frame.publishNs())
            .appendInt(frame.messageLength()).appendBuffer(frame.message());
    }

    @Override
    public Frame decodeFromWire(final int start, final Buffer buffer) {
        int pos = start;
        final int streamLength = buffer.getUnsignedShort(pos);
        pos += 2;
        final String stream = buffer.getString(pos, pos + streamLength, "UTF-8");
        pos += streamLength;
        final long frameSeq = buffer.getLong(pos);
        final long frameId = buffer.getLong(pos + 8);
        final int flags = buffer.getUnsignedShort(pos + 16);
        final int codec = buffer.getUnsignedShort(pos + 18);
        final long commitNs = buffer.getLong(pos + 20);
        final long publishNs = buffer.getLong(pos + 28);
        final int length = buffer.getInt(pos + 36);
        pos += 40;
        return Frame.copyOf(stream, frameSeq, frameId, flags, codec, commitNs, publishNs, buffer.slice(pos, pos + length));
    }

    @Override
    public Frame transform(final Frame frame) {
        return frame.retain();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
