package io.sdr.security;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sdr.metrics.MeterNames;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every refused connection ({@code sdr_ws_refused_total{reason}}) and every connection the server
 * closed for a rule ({@code sdr_ws_closed_total{stream, reason}}, next to {@code idr_timeout}).
 * Registered up front, so a scrape shows the zeros too. Shared by every group (same meters).
 */
public final class SecurityMetrics {
    /** Why a connection was refused before (or instead of) the WebSocket upgrade. */
    public enum Refusal {
        UNAUTHORIZED("unauthorized"), FORBIDDEN("forbidden"), ORIGIN("origin"), MAX_CLIENTS("max_clients"),
        MAX_PER_ADDRESS("max_per_address"), HANDSHAKE_TIMEOUT("handshake_timeout");

        public final String tag;

        Refusal(final String tag) {
            this.tag = tag;
        }
    }

    /** Why the server closed an open WebSocket. */
    public enum Close {
        TOO_BIG("too_big"), RATE_LIMITED("rate_limited"), IDLE("idle"), TOKEN_EXPIRED("token_expired");

        public final String tag;

        Close(final String tag) {
            this.tag = tag;
        }
    }

    private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);
    private final Map<String, Map<Close, Counter>> closed = new HashMap<>();

    public SecurityMetrics(final MeterRegistry registry, final List<String> streams) {
        for (final Refusal reason : Refusal.values()) {
            refused.put(reason, Counter.builder("sdr.ws.refused").description("Connections refused, by rule")
                .tag("reason", reason.tag).register(registry));
        }
        for (final String stream : streams) {
            final Map<Close, Counter> byReason = new EnumMap<>(Close.class);
            for (final Close reason : Close.values()) {
                byReason.put(reason, Counter.builder(MeterNames.WS_CLOSED).description("Clients closed by the server")
                    .tag("stream", stream).tag("reason", reason.tag).register(registry));
            }
            closed.put(stream, byReason);
        }
    }

    public void refused(final Refusal reason) {
        refused.get(reason).increment();
    }

    public void closed(final String stream, final Close reason) {
        closed.get(stream).get(reason).increment();
    }
}
