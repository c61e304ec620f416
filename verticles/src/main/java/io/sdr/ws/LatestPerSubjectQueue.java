package io.sdr.ws;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Messages waiting for their turn, at most one per subject: a newer message replaces the waiting
 * one of its subject (and moves to the back: order follows the latest update), and beyond
 * {@code maxSubjects} the subject updated longest ago is dropped. Both are counted. Pure logic,
 * confined to one thread.
 */
public final class LatestPerSubjectQueue<T> {
    private final int maxSubjects;
    private final LinkedHashMap<String, T> pending = new LinkedHashMap<>();
    private long superseded;
    private long overflowed;

    public LatestPerSubjectQueue(final int maxSubjects) {
        if (maxSubjects < 1) {
            throw new IllegalArgumentException("maxSubjects must be positive: maxSubjects=" + maxSubjects);
        }
        this.maxSubjects = maxSubjects;
    }

    public void offer(final String subject, final T message) {
        if (pending.remove(subject) != null) {
            superseded++;
        }
        pending.put(subject, message);
        if (pending.size() > maxSubjects) {
            final Iterator<T> eldest = pending.values().iterator();
            eldest.next();
            eldest.remove();
            overflowed++;
        }
    }

    /** The waiting message updated longest ago, removed; null when none waits. */
    public T poll() {
        final Iterator<T> it = pending.values().iterator();
        if (!it.hasNext()) {
            return null;
        }
        final T next = it.next();
        it.remove();
        return next;
    }

    public boolean isEmpty() {
        return pending.isEmpty();
    }

    public int size() {
        return pending.size();
    }

    /** Waiting messages replaced by a newer one of their subject. */
    public long superseded() {
        return superseded;
    }

    /** Waiting messages dropped because more than {@code maxSubjects} subjects waited. */
    public long overflowed() {
        return overflowed;
    }
}
