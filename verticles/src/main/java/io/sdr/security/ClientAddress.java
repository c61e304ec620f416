package io.sdr.security;

/**
 * Which address a request comes from, for the per-address limit and the admin allowlist. Behind a
 * reverse proxy every connection comes from the proxy, so the client is taken from
 * {@code X-Forwarded-For}, but only when the TCP peer is one of the configured trusted proxies:
 * anybody else could write any address there. The list is read from the right (the entry the
 * nearest proxy added) past the trusted proxies; the first other address is the client.
 */
public final class ClientAddress {
    private ClientAddress() {
    }

    /**
     * @param peer          the TCP peer's IP address
     * @param forwardedFor  the X-Forwarded-For header (all values joined by commas), or null
     * @param trusted       the proxies whose X-Forwarded-For is believed
     */
    public static String of(final String peer, final String forwardedFor, final Cidrs trusted) {
        if (forwardedFor == null || forwardedFor.isBlank() || !trusted.contains(peer)) {
            return peer;
        }
        final String[] hops = forwardedFor.split(",");
        String leftmost = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            final String hop = stripPort(hops[i].trim());
            if (Cidrs.literal(hop) == null) {
                // Garbage (or "unknown") in the chain: what is left of it cannot be believed.
                return leftmost;
            }
            if (!trusted.contains(hop)) {
                return hop;
            }
            leftmost = hop;
        }
        return leftmost;
    }

    /** "1.2.3.4:5678" -> "1.2.3.4", "[::1]:80" -> "::1"; IPv6 without brackets is kept whole. */
    static String stripPort(final String hop) {
        if (hop.startsWith("[")) {
            final int end = hop.indexOf(']');
            return end < 0 ? hop : hop.substring(1, end);
        }
        final int colon = hop.indexOf(':');
        return colon > 0 && colon == hop.lastIndexOf(':') ? hop.substring(0, colon) : hop;
    }
}
