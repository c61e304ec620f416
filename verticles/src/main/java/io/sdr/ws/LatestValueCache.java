package io.sdr.ws;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The latest telemetry message of each subject, so a joining client sees every value at once
 * instead of waiting for the next update. Bounded in subjects and bytes; the least recently
 * updated subjects go first. Confined to one event loop.
 */
public final class LatestValueCache<T> {
    private final int maxSubjects;
    private final long maxBytes;
    private final LinkedHashMap<String, Entry<T>> entries = new LinkedHashMap<>();
    private long bytes;

    private static final class Entry<T> {
        final T message;
        final int bytes;

        Entry(final T message, final int bytes) {
            this.message = message;
            this.bytes = bytes;
        }
    }

    public LatestValueCache(final int maxSubjects, final long maxBytes) {
        this.maxSubjects = maxSubjects;
        this.maxBytes = maxBytes;
    }

    public void put(final String subject, final T message, final int messageBytes) {
        final Entry<T> old = entries.remove(subject);
        if (old != null) {
            bytes -= old.bytes;
        }
        if (maxSubjects == 0 || messageBytes > maxBytes) {
            return;
        }
        entries.put(subject, new Entry<>(message, messageBytes));
        bytes += messageBytes;
        final Iterator<Entry<T>> eldest = entries.values().iterator();
        while (entries.size() > maxSubjects || bytes > maxBytes) {
            bytes -= eldest.next().bytes;
            eldest.remove();
        }
    }

    /** The cached messages whose subject passes {@code filter}, oldest update first. */
    public List<T> matching(final Predicate<String> filter) {
        final List<T> out = new ArrayList<>();
        for (final Map.Entry<String, Entry<T>> e : entries.entrySet()) {
            if (filter.test(e.getKey())) {
                out.add(e.getValue().message);
            }
        }
        return out;
    }

    public int size() {
        return entries.size();
    }

    public long bytes() {
        return bytes;
    }
}
