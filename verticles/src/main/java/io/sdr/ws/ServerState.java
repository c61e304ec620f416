package io.sdr.ws;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/** State every client group of one Vert.x instance shares: the connection count and the start time. */
public final class ServerState implements Shareable {
    private static final String MAP = "sdr.server";

    private final AtomicInteger clients = new AtomicInteger();
    private final ConcurrentMap<String, AtomicInteger> clientsByStream = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Integer> clientsByAddress = new ConcurrentHashMap<>();
    private final long startNs = System.nanoTime();

    public static ServerState of(final Vertx vertx) {
        final LocalMap<String, ServerState> map = vertx.sharedData().getLocalMap(MAP);
        final ServerState fresh = new ServerState();
        final ServerState existing = map.putIfAbsent("state", fresh);
        return existing != null ? existing : fresh;
    }

    /** Takes a connection slot; false when {@code max} are taken. */
    public boolean tryAcquireClient(final int max) {
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

    public void releaseClient() {
        clients.decrementAndGet();
    }

    /** Takes one of {@code max} connection slots of a client address (all groups together); false when all are taken. */
    public boolean tryAcquireAddress(final String address, final int max) {
        final boolean[] taken = new boolean[1];
        clientsByAddress.compute(address, (a, count) -> {
            final int current = count == null ? 0 : count;
            taken[0] = current < max;
            return taken[0] ? Integer.valueOf(current + 1) : count;
        });
        return taken[0];
    }

    /** Gives back a slot of {@link #tryAcquireAddress}; the entry goes when its count reaches zero. */
    public void releaseAddress(final String address) {
        clientsByAddress.computeIfPresent(address, (a, count) -> count <= 1 ? null : count - 1);
    }

    public int clientsOfAddress(final String address) {
        return clientsByAddress.getOrDefault(address, 0);
    }

    /** Live clients of one stream, across groups; the counter is created on first use. */
    public AtomicInteger clientsOf(final String stream) {
        return clientsByStream.computeIfAbsent(stream, s -> new AtomicInteger());
    }

    public int clients() {
        return clients.get();
    }

    public long startNs() {
        return startNs;
    }
}
