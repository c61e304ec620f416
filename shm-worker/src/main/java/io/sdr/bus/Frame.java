package io.sdr.bus;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;

/**
 * One encoded access unit on the event bus, already laid out as the WebSocket video message:
 *
 * <pre>
 *   0      1                         33
 *   +------+-------------------------+------------------------------+
 *   | 0x01 | frame header (32 bytes) | payload (size bytes)         |
 *   +------+-------------------------+------------------------------+
 * </pre>
 *
 * Immutable and shared by reference by every local consumer ({@link FrameCodec}); the message
 * memory is one direct buffer written as-is to every client socket. The memory belongs to the
 * garbage collector (a {@link ByteBuffer#allocateDirect} region), so a frame that sits in a GOP
 * cache or a slow socket's queue needs no reference counting and cannot leak.
 */
public final class Frame {
    public static final byte TYPE_VIDEO = 0x01;
    /** Bytes before the frame header in {@link #message()}. */
    public static final int MESSAGE_HEADER_OFFSET = 1;

    private final String stream;
    private final long frameSeq;
    private final long frameId;
    private final int flags;
    private final int codec;
    private final long commitNs;
    private final long publishNs;
    private final Buffer message;

    public Frame(final String stream, final long frameSeq, final long frameId, final int flags, final int codec,
                 final long commitNs, final long publishNs, final Buffer message) {
        this.stream = stream;
        this.frameSeq = frameSeq;
        this.frameId = frameId;
        this.flags = flags;
        this.codec = codec;
        this.commitNs = commitNs;
        this.publishNs = publishNs;
        this.message = message;
    }

    /** A zeroed direct buffer of {@code length} bytes, GC-managed, for building a message in place. */
    public static ByteBuffer allocateMessage(final int length) {
        return ByteBuffer.allocateDirect(length);
    }

    /** Wraps a message built in {@code memory} (position 0 to limit) without copying it. */
    public static Buffer wrapMessage(final ByteBuffer memory) {
        final ByteBuf byteBuf = Unpooled.wrappedBuffer(memory);
        return BufferInternal.buffer(byteBuf);
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

    /** The complete WebSocket message; shared, never modify it. */
    public Buffer message() {
        return message;
    }

    public int messageLength() {
        return message.length();
    }

    public int payloadSize() {
        return message.length() - MESSAGE_HEADER_OFFSET - io.sdr.ring.FrameHeaderDescriptor.LENGTH;
    }

    @Override
    public String toString() {
        return "Frame{stream=" + stream + ", frameSeq=" + frameSeq + ", keyframe=" + isKeyframe() + ", codec=" + codec
            + ", bytes=" + message.length() + '}';
    }
}
