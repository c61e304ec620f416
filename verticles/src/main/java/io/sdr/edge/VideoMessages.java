package io.sdr.edge;

import io.nats.client.impl.Headers;
import io.sdr.bus.CommitClock;
import io.sdr.bus.Frame;
import io.sdr.ring.FrameHeaderDescriptor;

/**
 * One frame as a NATS message between an origin and its edges: the one owner of its layout.
 *
 * <pre>
 *   subject  &lt;video.subjectPrefix&gt;.&lt;stream&gt;            (sdr.video.main)
 *   headers  Sdr-Frame-Seq: 1234                     the frame header's frame_seq
 *            Sdr-Keyframe: 1                         1 for an IDR with SPS/PPS in band, else 0
 *            Sdr-Codec: h264                         FrameHeaderDescriptor.codecName
 *            Sdr-Commit-Unix-Ns: 1765000000123456789 the writer's commit as wall-clock time; 0 unknown
 *   body     +-------------------------+------------------------------+
 *            | frame header (32 bytes) | payload (size bytes)         |
 *            +-------------------------+------------------------------+
 * </pre>
 *
 * The body is the WebSocket video message without its 0x01 type byte, byte for byte, so an edge
 * rebuilds exactly what the origin's viewers receive. The headers repeat what the frame header
 * says, for tools that route or watch without parsing (the {@code nats} CLI shows them); the edge
 * believes the body. The commit time travels as wall-clock time because the ring's clock
 * (CLOCK_MONOTONIC) means nothing on another host ({@link CommitClock}).
 */
public final class VideoMessages {
    public static final String FRAME_SEQ = "Sdr-Frame-Seq";
    public static final String KEYFRAME = "Sdr-Keyframe";
    public static final String CODEC = "Sdr-Codec";
    public static final String COMMIT_UNIX_NS = "Sdr-Commit-Unix-Ns";

    private VideoMessages() {
    }

    public static Headers headers(final Frame frame) {
        return new Headers()
            .put(FRAME_SEQ, Long.toString(frame.frameSeq()))
            .put(KEYFRAME, frame.isKeyframe() ? "1" : "0")
            .put(CODEC, FrameHeaderDescriptor.codecName(frame.codec()))
            .put(COMMIT_UNIX_NS, Long.toString(CommitClock.toWallNs(frame.commitNs())));
    }

    /** The body: a copy of the frame header and payload (the NATS client takes a byte array). */
    public static byte[] body(final Frame frame) {
        final byte[] body = new byte[frame.messageLength() - Frame.MESSAGE_HEADER_OFFSET];
        frame.wire().getBytes(frame.wireLength() - body.length, body);
        return body;
    }

    /** The commit time a message carries, as wall-clock nanoseconds; 0 when absent or unreadable. */
    public static long commitUnixNs(final Headers headers) {
        final String value = headers == null ? null : headers.getFirst(COMMIT_UNIX_NS);
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(value.trim()));
        } catch (final NumberFormatException e) {
            return 0;
        }
    }
}
