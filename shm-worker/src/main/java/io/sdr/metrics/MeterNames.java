package io.sdr.metrics;

/**
 * The names of the meters that something reads back besides the Prometheus scrape ({@code bus
 * stats} through {@code StatsReport}, tests): one owner, used where the meter is registered and
 * where it is read. Prometheus shows them with underscores ({@code sdr.ws.frames.sent} ->
 * {@code sdr_ws_frames_sent_total}); docs/WIRE.md lists them all.
 */
public final class MeterNames {
    /** Timer: ring commit (v2 commit_ns) to event-bus publish, per stream. */
    public static final String RING_COMMIT_TO_PUBLISH = "sdr.ring.commit.to.publish";
    /** Counter: keyframe requests reaching the poller's coalescer, per stream. */
    public static final String KEYFRAME_REQUESTS = "sdr.keyframe.requests";
    /** Counter: of those, the ones folded into a request already sent in the interval. */
    public static final String KEYFRAME_REQUESTS_COALESCED = "sdr.keyframe.requests.coalesced";
    /** Timer: encoding one picture, per stream. */
    public static final String ENCODER_ENCODE = "sdr.encoder.encode";
    /** Timer: picture capture to its access unit committed in the ring. */
    public static final String ENCODER_CAPTURE_TO_RING = "sdr.encoder.capture.to.ring";
    /** Counter: video frames written to viewers, per stream. */
    public static final String WS_FRAMES_SENT = "sdr.ws.frames.sent";
    /** Counter: video frames not sent to a viewer, by {@code reason}. */
    public static final String WS_FRAMES_DROPPED = "sdr.ws.frames.dropped";
    /** Counter: viewers closed by the server, by {@code reason}. */
    public static final String WS_CLOSED = "sdr.ws.closed";
    /** Timer: event-bus publish to written to the sockets of every viewer of a group. */
    public static final String WS_PUBLISH_TO_WRITTEN = "sdr.ws.publish.to.written";
    /** Timer: ring commit (v2) to written to the sockets of every viewer of a group. */
    public static final String WS_COMMIT_TO_WRITTEN = "sdr.ws.commit.to.written";

    private MeterNames() {
    }
}
