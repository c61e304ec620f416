package io.sdr.ws;

import io.sdr.health.HealthHandler;
import io.sdr.metrics.SharedState;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/** State every client group of one Vert.x instance shares: the connection count and the start time. */
public final class ServerState implements Shareable, HealthHandler.Viewers {
    private static final SharedState.Kind<ServerState> KIND = SharedState.kind("sdr.server", id -> new ServerState());

    private final AtomicInteger clients = new AtomicInteger();
    private final ConcurrentMap<String, AtomicInteger> clientsByStream = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Integer> clientsByAddress = new ConcurrentHashMap<>();
    private final long startNs = System.nanoTime();

    public static ServerState of(final Vertx vertx) {
        return KIND.of(vertx, "state");
    }

    /** Takes a connection slot; false when {@code max} are taken. */
    private boolean tryAcquireClient(final int max) {
        while (true) {
            final int current = clients.get();
            if (current >= max) {
                return false;
            }
            if (clients.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    private void releaseClient() {
        clients.decrementAndGet();
    }

    /** Takes one of {@code max} connection slots of a client address (all groups together); false when all are taken. */
    private boolean tryAcquireAddress(final String address, final int max) {
        final boolean[] taken = new boolean[1];
        clientsByAddress.compute(address, (a, count) -> {
            final int current = count == null ? 0 : count;
            taken[0] = current < max;
            return taken[0] ? Integer.valueOf(current + 1) : count;
        });
        return taken[0];
    }

    /** Gives back a slot of {@link #tryAcquireAddress}; the entry goes when its count reaches zero. */
    private void releaseAddress(final String address) {
        clientsByAddress.computeIfPresent(address, (a, count) -> count <= 1 ? null : count - 1);
    }

    @Override
    public int clientsOf(final String stream) {
        return counterOf(stream).get();
    }

    /** Live clients of one stream, across groups; the counter is created on first use. Read-only to callers: {@link Slot} counts. */
    AtomicInteger counterOf(final String stream) {
        return clientsByStream.computeIfAbsent(stream, s -> new AtomicInteger());
    }

    /**
     * Takes a connection slot for a viewer of {@code stream}: one of {@code maxClients} and, with
     * {@code address} non-null, one of that address's {@code perAddress}. Null with the refusal in
     * {@code refused[0]} when none is free. The slot is the one owner of this viewer's counts.
     */
    public Slot acquire(final String stream, final int maxClients, final String address, final int perAddress,
                        final String[] refused) {
        if (!tryAcquireClient(maxClients)) {
            refused[0] = "max_clients";
            return null;
        }
        if (address != null && !tryAcquireAddress(address, perAddress)) {
            releaseClient();
            refused[0] = "max_per_address";
            return null;
        }
        return new Slot(stream, address);
    }

    /**
     * One viewer's share of the counts: the connection slot (and its address's) from
     * {@link #acquire}, then, once its WebSocket is open, the stream's and its group's client
     * counts. {@link #release} gives back all of it exactly once, whatever happened in between.
     */
    public final class Slot {
        private final String stream;
        private final String address;
        private AtomicInteger group;
        private boolean released;

        private Slot(final String stream, final String address) {
            this.stream = stream;
            this.address = address;
        }

        /** The WebSocket is open: it now counts for its stream and for {@code groupClients}. */
        public void opened(final AtomicInteger groupClients) {
            if (released || group != null) {
                return;
            }
            group = groupClients;
            counterOf(stream).incrementAndGet();
            group.incrementAndGet();
        }

        public void release() {
            if (released) {
                return;
            }
            released = true;
            if (group != null) {
                counterOf(stream).decrementAndGet();
                group.decrementAndGet();
            }
            releaseClient();
            if (address != null) {
                releaseAddress(address);
            }
        }

        public String address() {
            return address;
        }
    }

    @Override
    public int clients() {
        return clients.get();
    }

    @Override
    public long startNs() {
        return startNs;
    }
}
