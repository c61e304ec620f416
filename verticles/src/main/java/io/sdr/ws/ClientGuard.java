package io.sdr.ws;

import io.sdr.security.Grants;
import io.sdr.security.TokenBucket;

/**
 * The per-connection rules around one {@link WsClient}: what its token grants, its message-rate
 * bucket, the traffic seen by the idle check, its token-expiry timer and the address slot it holds.
 * Confined to the group's event loop.
 */
final class ClientGuard {
    final WsClient client;
    final StreamFanout fanout;
    final Grants grants;
    /** null: no message-rate limit. */
    final TokenBucket bucket;
    /** The client address whose slot this connection holds; null when no per-address limit applies. */
    final String addressSlot;
    long expiryTimer = -1;
    /** Outbound traffic not counted by {@link #client}: a Foxglove connection's video lanes. */
    java.util.function.LongSupplier laneFrames = () -> 0;
    /** Set once the server started closing the connection for a rule: counted once, closed once. */
    boolean closing;
    private long inbound;
    private long lastTraffic = -1;
    private long lastTrafficNs;

    ClientGuard(final WsClient client, final StreamFanout fanout, final Grants grants, final TokenBucket bucket,
                final String addressSlot, final long nowNs) {
        this.client = client;
        this.fanout = fanout;
        this.grants = grants;
        this.bucket = bucket;
        this.addressSlot = addressSlot;
        this.lastTrafficNs = nowNs;
    }

    /** A frame arrived from the client; false when it breaks the message-rate limit. */
    boolean onInbound(final long nowNs) {
        inbound++;
        return bucket == null || bucket.tryTake(nowNs);
    }

    /** Whether nothing went either way for {@code idleNs}: frames from the client, video, telemetry or control to it. */
    boolean idle(final long nowNs, final long idleNs) {
        final long traffic = inbound + client.session.sentFrames() + laneFrames.getAsLong() + client.activity;
        if (traffic != lastTraffic) {
            lastTraffic = traffic;
            lastTrafficNs = nowNs;
            return false;
        }
        return nowNs - lastTrafficNs >= idleNs;
    }
}
