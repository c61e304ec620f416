package io.sdr.bus;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ReferenceCounted;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;

/**
 * One encoded access unit, laid out once as the complete WebSocket frame every viewer receives:
 *
 * <pre>
 *   0            h      h+1                       h+33
 *   +------------+------+-------------------------+------------------------------+
 *   | WS header  | 0x01 | frame header (32 bytes) | payload (size bytes)         |
 *   +------------+------+-------------------------+------------------------------+
 *   |&lt;- wire() ------------------------------------------------------------------&gt;|
 *                |&lt;- message(): the WebSocket message, h = 2, 4 or 10 ------------&gt;|
 * </pre>
 *
 * The WebSocket header ({@link WebSocketFraming}) is the server's unmasked final binary header, the
 * same for every viewer, so the fan-out writes {@link #wire()} as-is to every socket.
 *
 * <p>The memory is pooled and reference counted (Netty's {@link PooledByteBufAllocator}), so a frame
 * costs no garbage collection and RSS stays at what is in use. Every holder owns one reference: the
 * poller while it publishes, each event-bus consumer ({@link FrameCodec} retains one per local
 * delivery, {@link FrameConsumers} releases it after the handler), the GOP cache while it keeps the
 * frame, each socket write until Netty has written it. The fields are immutable; the bytes must not
 * be modified once published.
 */
public final class Frame implements ReferenceCounted {
    public static final byte TYPE_VIDEO = 0x01;
    /** Bytes before the frame header in {@link #message()}. */
    public static final int MESSAGE_HEADER_OFFSET = 1;
    /** Where frame memory comes from: one pool for the poller, the codec and the tests. */
    public static final ByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;

    private final String stream;
    private final long frameSeq;
    private final long frameId;
    private final int flags;
    private final int codec;
    private final long commitNs;
    private final long publishNs;
    private final ByteBuf wire;
    private final int messageOffset;
    private final int messageLength;

    private Frame(final String stream, final long frameSeq, final long frameId, final int flags, final int codec,
                  final long commitNs, final long publishNs, final ByteBuf wire, final int messageLength) {
        this.stream = stream;
        this.frameSeq = frameSeq;
        this.frameId = frameId;
        this.flags = flags;
        this.codec = codec;
        this.commitNs = commitNs;
        this.publishNs = publishNs;
        this.wire = wire;
        this.messageOffset = WebSocketFraming.binaryHeaderLength(messageLength);
        this.messageLength = messageLength;
    }

    /**
     * A frame of {@code messageLength} message bytes with its WebSocket header written; the caller
     * fills the message through {@link #messageMemory()} before publishing it. One reference, the caller's.
     */
    public static Frame allocate(final String stream, final long frameSeq, final long frameId, final int flags,
                                 final int codec, final long commitNs, final long publishNs, final int messageLength) {
        final int total = WebSocketFraming.binaryHeaderLength(messageLength) + messageLength;
        final ByteBuf wire = ALLOCATOR.directBuffer(total, total);
        WebSocketFraming.writeBinaryHeader(wire, messageLength);
        wire.writerIndex(total);
        return new Frame(stream, frameSeq, frameId, flags, codec, commitNs, publishNs, wire, messageLength);
    }

    /** A frame holding a copy of {@code message} (the 0x01 type byte, the frame header and the payload). */
    public static Frame copyOf(final String stream, final long frameSeq, final long frameId, final int flags,
                               final int codec, final long commitNs, final long publishNs, final Buffer message) {
        final Frame frame = allocate(stream, frameSeq, frameId, flags, codec, commitNs, publishNs, message.length());
        frame.wire.setBytes(frame.messageOffset, ((BufferInternal) message).getByteBuf());
        return frame;
    }

    /** The message region as a writable NIO view (position 0, limit = message length), for filling it in place. */
    public ByteBuffer messageMemory() {
        return wire.nioBuffer(messageOffset, messageLength);
    }

    public String stream() {
        return stream;
    }

    public long frameSeq() {
        return frameSeq;
    }

    public long frameId() {
        return frameId;
    }

    public int flags() {
        return flags;
    }

    public boolean isKeyframe() {
        return (flags & io.sdr.ring.FrameHeaderDescriptor.FLAG_KEYFRAME) != 0;
    }

    public int codec() {
        return codec;
    }

    /** Writer's CLOCK_MONOTONIC commit time (v2 rings), or 0 when unknown. */
    public long commitNs() {
        return commitNs;
    }

    /** System.nanoTime() when the poller published the frame. */
    public long publishNs() {
        return publishNs;
    }

    /**
     * The WebSocket message (without the WebSocket header) as a Buffer view of the frame's memory:
     * valid only while the caller holds a reference; never modify it.
     */
    public Buffer message() {
        return BufferInternal.buffer(wire.slice(messageOffset, messageLength));
    }

    /**
     * The complete WebSocket frame. Shared: write a duplicate ({@code retainedDuplicate()}, one
     * reference that the write consumes), never move its indices.
     */
    public ByteBuf wire() {
        return wire;
    }

    public int messageLength() {
        return messageLength;
    }

    /** Bytes on the wire: the WebSocket header and the message. */
    public int wireLength() {
        return messageOffset + messageLength;
    }

    public int payloadSize() {
        return messageLength - MESSAGE_HEADER_OFFSET - io.sdr.ring.FrameHeaderDescriptor.LENGTH;
    }

    @Override
    public int refCnt() {
        return wire.refCnt();
    }

    @Override
    public Frame retain() {
        wire.retain();
        return this;
    }

    @Override
    public Frame retain(final int increment) {
        wire.retain(increment);
        return this;
    }

    @Override
    public Frame touch() {
        wire.touch();
        return this;
    }

    @Override
    public Frame touch(final Object hint) {
        wire.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return wire.release();
    }

    @Override
    public boolean release(final int decrement) {
        return wire.release(decrement);
    }

    @Override
    public String toString() {
        return "Frame{stream=" + stream + ", frameSeq=" + frameSeq + ", keyframe=" + isKeyframe() + ", codec=" + codec
            + ", bytes=" + messageLength + '}';
    }
}
