package io.sdr.ws;

import io.sdr.bus.Telemetry;

import java.util.ArrayList;
import java.util.List;

/**
 * One group's telemetry: the latest value of each subject (for joiners) and every client of the
 * group, whatever stream it watches. Confined to the group's event loop.
 */
final class TelemetryFanout {
    private final LatestValueCache<Telemetry> latest;
    private final List<WsClient> clients = new ArrayList<>();

    TelemetryFanout(final int cacheSubjects, final long cacheBytes) {
        this.latest = new LatestValueCache<>(cacheSubjects, cacheBytes);
    }

    void onTelemetry(final Telemetry message) {
        latest.put(message.subject(), message, message.messageLength());
        for (int i = 0; i < clients.size(); i++) {
            final WsClient client = clients.get(i);
            if (client.wants(message.subject())) {
                client.offerTelemetry(message);
            }
        }
    }

    /** Adds a client and sends it the latest value of every subject it wants. */
    void join(final WsClient client) {
        clients.add(client);
        sendLatest(client);
    }

    /** The client chose other subjects: it gets their latest values at once. */
    void resubscribed(final WsClient client) {
        sendLatest(client);
    }

    private void sendLatest(final WsClient client) {
        for (final Telemetry message : latest.matching(client::wants)) {
            client.offerTelemetry(message);
        }
    }

    void leave(final WsClient client) {
        clients.remove(client);
    }
}
