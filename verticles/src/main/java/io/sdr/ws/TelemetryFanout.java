package io.sdr.ws;

import io.sdr.bus.Telemetry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One group's telemetry: the latest value of each subject (for joiners) and every client of the
 * group, whatever stream it watches. Confined to the group's event loop.
 *
 * <p>While the group keeps up, each message is fanned out as it arrives. Once messages reach it
 * more than {@link #BEHIND_NS} after the bridge received them (NATS delivers faster than this
 * event loop can write to its clients), they wait in a latest-per-subject queue, bounded in
 * subjects, and are fanned out {@link #SLICE} per event-loop turn until the queue is empty. So an
 * overload costs bounded memory and delay instead of an ever longer event-bus queue, video frames
 * get their turn between two slices, and a subject's waiting message is replaced by a newer one
 * (counted as {@code sdr_ws_telemetry_dropped_total{reason="group_superseded"|"group_overflow"}}).
 */
final class TelemetryFanout {
    /** Messages fanned out per event-loop turn while catching up. */
    static final int SLICE = 64;
    /** A message older than this on arrival means the group is behind. */
    static final long BEHIND_NS = 10_000_000L;
    /** Larger ages are not this JVM's clock (a clustered event bus): no conclusion. */
    private static final long CLOCK_SANITY_NS = 60_000_000_000L;

    private final Executor nextTurn;
    private final LatestValueCache<Telemetry> latest;
    private final LatestPerSubjectQueue<Telemetry> behind;
    private final TelemetryMetrics metrics;
    private final List<WsClient> clients = new ArrayList<>();
    private boolean drainScheduled;

    /**
     * @param nextTurn runs a task on this group's event loop after what is queued there now
     */
    TelemetryFanout(final Executor nextTurn, final int cacheSubjects, final long cacheBytes, final int pendingSubjects,
                    final TelemetryMetrics metrics) {
        this.nextTurn = nextTurn;
        this.latest = new LatestValueCache<>(cacheSubjects, cacheBytes);
        this.behind = new LatestPerSubjectQueue<>(pendingSubjects);
        this.metrics = metrics;
    }

    void onTelemetry(final Telemetry message) {
        final long ageNs = System.nanoTime() - message.receivedNs();
        if (behind.isEmpty() && (ageNs < BEHIND_NS || ageNs > CLOCK_SANITY_NS)) {
            fanOut(message);
            return;
        }
        final long superseded = behind.superseded();
        final long overflowed = behind.overflowed();
        behind.offer(message.subject(), message);
        if (behind.superseded() != superseded) {
            metrics.groupSuperseded.increment();
        }
        if (behind.overflowed() != overflowed) {
            metrics.groupOverflowed.increment();
        }
        if (!drainScheduled) {
            drainScheduled = true;
            nextTurn.execute(this::drain);
        }
    }

    private void drain() {
        for (int i = 0; i < SLICE; i++) {
            final Telemetry message = behind.poll();
            if (message == null) {
                break;
            }
            fanOut(message);
        }
        if (behind.isEmpty()) {
            drainScheduled = false;
        } else {
            nextTurn.execute(this::drain);
        }
    }

    private void fanOut(final Telemetry message) {
        // The cache holds what clients were offered: a joiner gets a waiting message once, from the queue.
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

    /** The latest value of each subject in {@code subjects} that the client wants (a Foxglove subscribe to one subject). */
    void sendLatest(final WsClient client, final java.util.function.Predicate<String> subjects) {
        for (final Telemetry message : latest.matching(subject -> subjects.test(subject) && client.wants(subject))) {
            client.offerTelemetry(message);
        }
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
