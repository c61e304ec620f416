package io.sdr.busbridge;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which bridge connections listen to which addresses. The bridge reports registrations and
 * unregistrations, not closed connections: the caller hooks each new connection's close and calls
 * {@link #removeAll}. Counts are per connection, so a connection registering an address twice is
 * one listener. Confined to the bridge's event loop.
 *
 * @param <C> the connection (compared by identity)
 */
final class Listeners<C> {
    private final Map<C, Set<String>> byConnection = new IdentityHashMap<>();
    private final Map<String, Integer> counts = new TreeMap<>();

    /** True when {@code connection} has not registered anything yet (its close is not hooked yet). */
    boolean isNew(final C connection) {
        return !byConnection.containsKey(connection);
    }

    /** Records a registration; returns the number of connections now listening to {@code address}. */
    int add(final C connection, final String address) {
        if (byConnection.computeIfAbsent(connection, c -> new LinkedHashSet<>()).add(address)) {
            counts.merge(address, 1, Integer::sum);
        }
        return count(address);
    }

    /** Records an unregistration; returns the number of connections still listening to {@code address}. */
    int remove(final C connection, final String address) {
        final Set<String> addresses = byConnection.get(connection);
        if (addresses != null && addresses.remove(address)) {
            decrement(address);
        }
        return count(address);
    }

    /** Forgets a closed connection; returns the addresses nobody listens to any more. */
    List<String> removeAll(final C connection) {
        final Set<String> addresses = byConnection.remove(connection);
        final List<String> idle = new ArrayList<>();
        if (addresses != null) {
            for (final String address : addresses) {
                if (decrement(address) == 0) {
                    idle.add(address);
                }
            }
        }
        return idle;
    }

    /** True when a connection listening to {@code address} satisfies {@code test}. */
    boolean anyListener(final String address, final java.util.function.Predicate<C> test) {
        for (final Map.Entry<C, Set<String>> entry : byConnection.entrySet()) {
            if (entry.getValue().contains(address) && test.test(entry.getKey())) {
                return true;
            }
        }
        return false;
    }

    int count(final String address) {
        return counts.getOrDefault(address, 0);
    }

    /** Listener count per address, sorted by address. */
    Map<String, Integer> snapshot() {
        return new TreeMap<>(counts);
    }

    /** Connections that listen to at least one address (or did and have not closed). */
    int connections() {
        return byConnection.size();
    }

    private int decrement(final String address) {
        final int left = counts.getOrDefault(address, 0) - 1;
        if (left <= 0) {
            counts.remove(address);
            return 0;
        }
        counts.put(address, left);
        return left;
    }
}
