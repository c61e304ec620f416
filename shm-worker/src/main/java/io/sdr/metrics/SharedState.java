package io.sdr.metrics;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The one registry through which the verticles of a Vert.x instance share live state with each
 * other and with {@code /health} and {@code bus stats}: the poller's stream figures, the encoder's,
 * NATS links, fan-out groups, the server's client counts, the video link, the meter registry.
 *
 * <p>Each kind of state is a typed {@link Kind} owned by its class ({@code StreamStats.KIND}, ...),
 * so a reader asks for {@code StreamStats} and gets one, and no module spells another module's map
 * name. Underneath, each kind is one Vert.x local map (the state must be {@link Shareable}: it is
 * reached from several event loops and worker threads, so its fields are atomics or volatiles).
 */
public final class SharedState {
    private SharedState() {
    }

    /** A kind of shared state: its map and how a missing entry is made. */
    public static final class Kind<T extends Shareable> {
        private final String map;
        private final Function<String, T> create;

        private Kind(final String map, final Function<String, T> create) {
            this.map = map;
            this.create = create;
        }

        private LocalMap<String, T> on(final Vertx vertx) {
            return vertx.sharedData().getLocalMap(map);
        }

        /** The entry {@code id}, made by the kind's factory the first time anyone asks. */
        public T of(final Vertx vertx, final String id) {
            final LocalMap<String, T> entries = on(vertx);
            final T existing = entries.get(id);
            if (existing != null) {
                return existing;
            }
            final T fresh = create.apply(id);
            final T raced = entries.putIfAbsent(id, fresh);
            return raced != null ? raced : fresh;
        }

        /** Adds {@code value} under {@code id} unless one is there; whether it was added. */
        public boolean add(final Vertx vertx, final String id, final T value) {
            return on(vertx).putIfAbsent(id, value) == null;
        }

        /** Removes {@code value} if it still is the entry {@code id}. */
        public void remove(final Vertx vertx, final String id, final T value) {
            on(vertx).remove(id, value);
        }

        /** Every entry of this kind now (a copy). */
        public List<T> all(final Vertx vertx) {
            return new ArrayList<>(on(vertx).values());
        }
    }

    /**
     * A kind whose entries {@code create} makes from their id. {@code map} names it once, here in
     * the owning class's declaration.
     */
    public static <T extends Shareable> Kind<T> kind(final String map, final Function<String, T> create) {
        return new Kind<>(map, create);
    }
}
