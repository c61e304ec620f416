package io.sdr.ws;

/**
 * Every WebSocket close code the server sends, in one place (docs/WIRE.md lists them for clients).
 *
 * <pre>
 *   code  meaning                                         sent by
 *   1001  going away: no traffic for idleTimeoutMs         ClientConnections (idle check)
 *   1008  policy violation: over the message-rate limit    ClientConnections
 *   1009  message too big: over maxClientMessageBytes      ClientConnections
 *   4001  no keyframe within idrTimeoutMs after a resync   StreamFanout
 *   4401  the token expired (after HTTP 401)               ClientConnections (expiry timer)
 * </pre>
 * 1001, 1008 and 1009 are RFC 6455's; 4000-4999 are the application's own range.
 */
final class CloseCodes {
    static final short GOING_AWAY = 1001;
    static final short POLICY_VIOLATION = 1008;
    static final short MESSAGE_TOO_BIG = 1009;
    static final short IDR_TIMEOUT = 4001;
    static final short TOKEN_EXPIRED = 4401;

    private CloseCodes() {
    }
}
