package io.sdr.bus;

/** Every event-bus address the system uses. No address literal appears anywhere else. */
public final class Addresses {
    /** {@link Frame}s of one stream, published by its ring poller. */
    public static String frames(final String stream) {
        return "frames." + stream;
    }

    /**
     * Viewers of a stream need a keyframe: the first of the two addresses of the keyframe path, the
     * one every wanting side publishes to. The path, all of it:
     * <pre>
     *  a viewer joins, lags behind, resyncs or asks ({"keyframe": true}, if its token allows)
     *     | StreamFanout: at most one per 50 ms per WebSocket group (damping inside one group)
     *     |                        an edge's viewers: NATS sdr.edge.keyframe.S -> VideoLinkVerticle
     *     v                        |
     *  keyframe.wanted.S  &lt;--------+        many senders (every group; edges through the origin's link)
     *     | RingPollerVerticle (on an edge: VideoLinkVerticle -> EdgeFeed -> NATS, 250 ms)
     *     | KeyframeCoalescer: at most one per poller.idrCoalesceMs (500 ms) for ALL groups together
     *     v
     *  keyframe.request.S                 one request per interval
     *     +-> EncoderVerticle of S: forces an IDR
     *     +-> NatsBridgeVerticle: NATS sdr.control.keyframe.S, for an external encoder (docs/NATS.md)
     * </pre>
     * Two dampers because they guard different things: the group's keeps one event loop from
     * flooding the bus when a hundred viewers lag at once; the poller's is what the encoder sees.
     */
    public static String keyframeWanted(final String stream) {
        return "keyframe.wanted." + stream;
    }

    /** The coalesced keyframe (IDR) requests of a stream, for its encoder: see {@link #keyframeWanted}. */
    public static String keyframeRequest(final String stream) {
        return "keyframe.request." + stream;
    }

    /** {@link Telemetry} relayed from NATS, pre-encoded as WebSocket messages. */
    public static final String TELEMETRY = "telemetry";

    // ---- inspection over the TCP event-bus bridge (JSON only; see io.sdr.busbridge) ---------------

    private static final String FRAMES_PREFIX = "frames.";
    private static final String INSPECT_PREFIX = "inspect.";
    private static final String INSPECT_PAYLOAD_PREFIX = "inspect.payload.";

    /** One JSON summary per frame of {@code stream} (no payload), published only while someone listens. */
    public static String inspectFrames(final String stream) {
        return INSPECT_PREFIX + frames(stream);
    }

    /** Like {@link #inspectFrames} plus the first bytes of each payload (base64, capped by the server). */
    public static String inspectFramePayloads(final String stream) {
        return INSPECT_PAYLOAD_PREFIX + frames(stream);
    }

    /** One JSON summary per telemetry message (subject, size, text when printable). */
    public static final String INSPECT_TELEMETRY = INSPECT_PREFIX + TELEMETRY;

    /** Like {@link #INSPECT_TELEMETRY} plus the first payload bytes (base64, capped by the server). */
    public static final String INSPECT_TELEMETRY_PAYLOADS = INSPECT_PAYLOAD_PREFIX + TELEMETRY;

    /** Request/reply: the addresses in use with handler counts and message rates. */
    public static final String INSPECT_LIST = INSPECT_PREFIX + "list";

    /** Request/reply: per-stream and per-client-group figures. */
    public static final String INSPECT_STATS = INSPECT_PREFIX + "stats";

    /**
     * True for the addresses whose messages are Java objects with a local codec ({@link Frame},
     * {@link Telemetry}): they must never be bridged, in either direction.
     */
    public static boolean carriesLocalObjects(final String address) {
        return address.startsWith(FRAMES_PREFIX) || address.equals(TELEMETRY);
    }

    /**
     * The inspection address that summarises a local-object address ({@code frames.S} ->
     * {@code inspect.frames.S}, {@code telemetry} -> {@code inspect.telemetry}), or null for any other address.
     */
    public static String inspectionOf(final String address, final boolean payloads) {
        if (!carriesLocalObjects(address)) {
            return null;
        }
        return (payloads ? INSPECT_PAYLOAD_PREFIX : INSPECT_PREFIX) + address;
    }

    /** The local-object address an inspection address summarises, or null when it is not one. */
    public static String inspectedBy(final String inspectAddress) {
        final String source;
        if (inspectAddress.startsWith(INSPECT_PAYLOAD_PREFIX)) {
            source = inspectAddress.substring(INSPECT_PAYLOAD_PREFIX.length());
        } else if (inspectAddress.startsWith(INSPECT_PREFIX)) {
            source = inspectAddress.substring(INSPECT_PREFIX.length());
        } else {
            return null;
        }
        return carriesLocalObjects(source) ? source : null;
    }

    /** True when {@code inspectAddress} is a payload-carrying inspection address. */
    public static boolean isPayloadInspection(final String inspectAddress) {
        return inspectAddress.startsWith(INSPECT_PAYLOAD_PREFIX) && inspectedBy(inspectAddress) != null;
    }

    private Addresses() {
    }
}
