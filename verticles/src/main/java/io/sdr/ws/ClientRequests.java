package io.sdr.ws;

import io.sdr.bus.SubjectPattern;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client's text requests do ({@link ClientRequest}), within what its token grants: a
 * subscribe narrowed to the granted subjects, a keyframe request only when allowed, stats and
 * pings as before. Confined to the group's event loop.
 */
final class ClientRequests {
    private static final System.Logger LOG = System.getLogger(ClientRequests.class.getName());

    private final TelemetryFanout telemetry;
    private final TelemetryMetrics metrics;

    ClientRequests(final TelemetryFanout telemetry, final TelemetryMetrics metrics) {
        this.telemetry = telemetry;
        this.metrics = metrics;
    }

    /**
     * {@code ?subscribe=P1,P2} (or the parameter repeated): the telemetry subjects a client wants
     * from the start, so that its join brings the latest values of those subjects only (a text
     * {@code {"subscribe": [...]}} can change them later); null when absent (everything).
     */
    static List<SubjectPattern> subscribeParam(final List<String> values) {
        if (values.isEmpty()) {
            return null;
        }
        final List<SubjectPattern> patterns = new ArrayList<>();
        for (final String value : values) {
            for (final String part : value.split(",", -1)) {
                final SubjectPattern pattern = SubjectPattern.parse(part.trim());
                if (pattern == null) {
                    throw new IllegalArgumentException("not a NATS subject pattern: \"" + part + "\"");
                }
                patterns.add(pattern);
            }
        }
        if (patterns.size() > ClientRequest.MAX_PATTERNS) {
            throw new IllegalArgumentException("too many subjects: count=" + patterns.size() + ", max=" + ClientRequest.MAX_PATTERNS);
        }
        return List.copyOf(patterns);
    }

    void onText(final ClientGuard guard, final String message) {
        final WsClient client = guard.client;
        final ClientRequest request = ClientRequest.parse(message);
        if (!request.isValid()) {
            metrics.invalidMessages.increment();
            LOG.log(System.Logger.Level.DEBUG, () -> "ignored client message: " + request.error());
            return;
        }
        switch (request.kind()) {
            case STATS:
                metrics.statsRequests.increment();
                client.statsWanted = request.stats();
                break;
            case TIERS:
                client.tierWanted = request.stats();
                if (client.tierWanted && client.tier != null) {
                    // Not written now (a join burst ahead of it): it goes with a later frame.
                    (client.tellTier(client.fanout.ladder(), -1) ? metrics.controlSent : metrics.controlDropped).increment();
                }
                break;
            case PING:
                metrics.pings.increment();
                final boolean sent = client.sendControl(ControlMessages.pong(request.ping(), ControlMessages.epochMs(Instant.now())));
                (sent ? metrics.controlSent : metrics.controlDropped).increment();
                break;
            case KEYFRAME:
                if (guard.grants.keyframe()) {
                    metrics.keyframeRequests.increment();
                    guard.fanout.clientRequestsKeyframe();
                } else {
                    metrics.refusedRequests.increment();
                    client.sendControl(ControlMessages.keyframeRefused("the token does not allow keyframe requests"));
                }
                break;
            default:
                subscribe(guard, request.subscribe());
                break;
        }
    }

    /** A {"subscribe": [...]}: narrowed to what the token grants, refused when it grants none of it. */
    private void subscribe(final ClientGuard guard, final List<SubjectPattern> requested) {
        final List<SubjectPattern> granted = guard.grants.narrow(requested);
        if (granted.isEmpty() && !requested.isEmpty() && guard.grants.subjects() != null) {
            metrics.refusedRequests.increment();
            guard.client.sendControl(ControlMessages.subscribeNotice("refused", requested,
                "the token grants none of these subjects; granted: " + guard.grants.subjects()));
            return;
        }
        metrics.subscribed.increment();
        guard.client.subscribe(granted);
        telemetry.resubscribed(guard.client);
        if (!granted.toString().equals(requested.toString())) {
            guard.client.sendControl(ControlMessages.subscribeNotice("narrowed", granted,
                "narrowed to the subjects the token grants: " + guard.grants.subjects()));
        }
    }
}
