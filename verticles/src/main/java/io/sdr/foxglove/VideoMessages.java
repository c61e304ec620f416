package io.sdr.foxglove;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.sdr.bus.Frame;
import io.sdr.bus.WebSocketFraming;
import io.sdr.time.MonotonicClock;

/**
 * One stream's frames as Foxglove MessageData, one complete WebSocket frame per client, without
 * copying the access unit: what differs per client (the subscription id) is in a small head of its
 * own, the video bytes are a retained slice of the frame's shared memory.
 *
 * <pre>
 *   per client (pooled direct, ~50 bytes)                            shared (the frame's wire())
 *   +-----------+------+--------+--------------+-------------------+ +-------------------------+
 *   | WS header | 0x01 | sub id | timestamp ns | CompressedVideo   | | Annex B access unit     |
 *   | 2/4/10    |      | u32 LE | u64 LE       | prefix (no data)  | | (payloadSize bytes)     |
 *   +-----------+------+--------+--------------+-------------------+ +-------------------------+
 *   |<- head ---------------------------------------------------->| |<- retainedSlice ------->|
 * </pre>
 *
 * Both parts are direct memory, so the composite goes to the socket as one gathering write (a
 * heap part would make the transport copy the whole message). The timestamp and prefix are the
 * same for every client of a frame and are computed once per frame. Confined to one event loop.
 */
public final class VideoMessages {
    private final String stream;
    /** The frame whose prefix is memoised (identity only: never dereferenced). */
    private Frame memoFrame;
    private byte[] memoPrefix;
    private long memoTimestampNs;

    public VideoMessages(final String stream) {
        this.stream = stream;
    }

    /** Bytes of {@code frame}'s message on the wire, WebSocket header included (0 when its codec has no CompressedVideo format). */
    public int wireLength(final Frame frame) {
        if (!memo(frame)) {
            return 0;
        }
        final int message = messageLength(frame);
        return WebSocketFraming.binaryHeaderLength(message) + message;
    }

    /**
     * The frame as one client's WebSocket frame: one reference that the write consumes (it holds
     * one reference of the frame's memory until then). Null when the frame's codec has no
     * CompressedVideo format.
     */
    public ByteBuf wire(final Frame frame, final int subscriptionId) {
        if (!memo(frame)) {
            return null;
        }
        final int message = messageLength(frame);
        final int headLength = WebSocketFraming.binaryHeaderLength(message) + FoxgloveProtocol.MESSAGE_DATA_HEADER_BYTES + memoPrefix.length;
        final ByteBuf head = Frame.ALLOCATOR.directBuffer(headLength, headLength);
        WebSocketFraming.writeBinaryHeader(head, message);
        FoxgloveProtocol.writeMessageDataHeader(head, subscriptionId, memoTimestampNs);
        head.writeBytes(memoPrefix);
        final int payload = frame.payloadSize();
        final CompositeByteBuf composite = Frame.ALLOCATOR.compositeDirectBuffer(2);
        composite.addComponents(true, head, frame.wire().retainedSlice(frame.wireLength() - payload, payload));
        return composite;
    }

    private int messageLength(final Frame frame) {
        return FoxgloveProtocol.MESSAGE_DATA_HEADER_BYTES + memoPrefix.length + frame.payloadSize();
    }

    private boolean memo(final Frame frame) {
        if (frame == memoFrame) {
            return memoPrefix != null;
        }
        memoFrame = frame;
        final String format = CompressedVideo.format(frame.codec());
        if (format == null) {
            memoPrefix = null;
            return false;
        }
        memoTimestampNs = Math.max(0, MonotonicClock.toEpochNs(frame.commitNs(), frame.publishNs()));
        memoPrefix = CompressedVideo.prefix(memoTimestampNs, stream, format, frame.payloadSize());
        return true;
    }
}
