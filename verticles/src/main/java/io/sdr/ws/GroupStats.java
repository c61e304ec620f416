package io.sdr.ws;

import io.sdr.metrics.SharedState;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client group's own share of the fan-out figures (the Micrometer meters sum every group), for
 * the CLI's {@code bus stats}. Written by the group's event loop, read by any thread.
 */
public final class GroupStats implements Shareable {
    private static final SharedState.Kind<GroupStats> KIND = SharedState.kind("sdr.groups", GroupStats::new);

    private final String id;
    final AtomicInteger clients = new AtomicInteger();
    final LongAdder framesSent = new LongAdder();
    final LongAdder droppedLagging = new LongAdder();
    final LongAdder droppedAwaiting = new LongAdder();
    final LongAdder closedIdrTimeout = new LongAdder();

    private GroupStats(final String id) {
        this.id = id;
    }

    /** A new group's figures under the first free id ({@code group-1}, {@code group-2}, ...). */
    static GroupStats register(final Vertx vertx) {
        for (int n = 1; ; n++) {
            final GroupStats fresh = new GroupStats("group-" + n);
            if (KIND.add(vertx, fresh.id, fresh)) {
                return fresh;
            }
        }
    }

    void unregister(final Vertx vertx) {
        KIND.remove(vertx, id, this);
    }

    /** Every deployed group of this Vert.x instance, by id. */
    public static List<GroupStats> all(final Vertx vertx) {
        final List<GroupStats> groups = KIND.all(vertx);
        groups.sort(Comparator.comparingInt((GroupStats g) -> g.id.length()).thenComparing(g -> g.id));
        return groups;
    }

    public String id() {
        return id;
    }

    /** {@code {group, clients, frames_sent, dropped: {lagging, awaiting_keyframe}, closed_idr_timeout}}. */
    public JsonObject toJson() {
        return new JsonObject()
            .put("group", id)
            .put("clients", clients.get())
            .put("frames_sent", framesSent.sum())
            .put("dropped", new JsonObject()
                .put(ClientSession.DropReason.LAGGING.tag, droppedLagging.sum())
                .put(ClientSession.DropReason.AWAITING_KEYFRAME.tag, droppedAwaiting.sum()))
            .put("closed_idr_timeout", closedIdrTimeout.sum());
    }
}
