package io.sdr.bus;

/** Every event-bus address the system uses. No address literal appears anywhere else. */
public final class Addresses {
    /** {@link Frame}s of one stream, published by its ring poller. */
    public static String frames(final String stream) {
        return "frames." + stream;
    }

    /** Clients of a stream need a keyframe (sent by WebSocket groups; the poller coalesces). */
    public static String keyframeWanted(final String stream) {
        return "keyframe.wanted." + stream;
    }

    /** Coalesced keyframe (IDR) requests for a stream's encoder: at most one per coalescing interval. */
    public static String keyframeRequest(final String stream) {
        return "keyframe.request." + stream;
    }

    /** {@link Telemetry} relayed from NATS, pre-encoded as WebSocket messages. */
    public static final String TELEMETRY = "telemetry";

    private Addresses() {
    }
}
