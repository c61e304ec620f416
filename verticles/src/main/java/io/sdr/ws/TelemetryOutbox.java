package io.sdr.ws;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One client's telemetry path, beside (not behind) its video: telemetry has its own small byte
 * budget in the socket, so a client whose video is backlogged still gets telemetry promptly, and
 * a telemetry flood cannot take more than that budget from video. What does not fit waits here,
 * latest value per subject (an older value of a subject is useless once a newer one exists),
 * bounded in subjects. Confined to the client's event loop.
 */
public final class TelemetryOutbox<T> {
    private final long budgetBytes;
    private final int maxPendingSubjects;
    private final LinkedHashMap<String, Pending<T>> pending = new LinkedHashMap<>();
    private long inFlightBytes;
    private long superseded;
    private long overflowed;

    private static final class Pending<T> {
        final T message;
        final int bytes;

        Pending(final T message, final int bytes) {
            this.message = message;
            this.bytes = bytes;
        }
    }

    public TelemetryOutbox(final long budgetBytes, final int maxPendingSubjects) {
        this.budgetBytes = budgetBytes;
        this.maxPendingSubjects = maxPendingSubjects;
    }

    /** True when the message should be written now; otherwise it is held (latest per subject). */
    public boolean offer(final String subject, final int bytes, final T message) {
        if (pending.isEmpty() && fits(bytes)) {
            inFlightBytes += bytes;
            return true;
        }
        // Re-insert so the subject moves to the back: order follows the latest update.
        if (pending.remove(subject) != null) {
            superseded++;
        }
        pending.put(subject, new Pending<>(message, bytes));
        if (pending.size() > maxPendingSubjects) {
            final Iterator<Map.Entry<String, Pending<T>>> eldest = pending.entrySet().iterator();
            eldest.next();
            eldest.remove();
            overflowed++;
        }
        return false;
    }

    /** A telemetry write finished; hands the held messages that now fit to {@code writer}. */
    public void written(final int bytes, final Consumer<T> writer) {
        inFlightBytes -= bytes;
        // A fresh iterator per message: the writer may complete synchronously and re-enter here.
        while (!pending.isEmpty()) {
            final Iterator<Pending<T>> it = pending.values().iterator();
            final Pending<T> next = it.next();
            if (!fits(next.bytes)) {
                return;
            }
            it.remove();
            inFlightBytes += next.bytes;
            writer.accept(next.message);
        }
    }

    private boolean fits(final int bytes) {
        return inFlightBytes == 0 || inFlightBytes + bytes <= budgetBytes;
    }

    public int pendingSubjects() {
        return pending.size();
    }

    /** Held values replaced by a newer value of the same subject before they could be sent. */
    public long superseded() {
        return superseded;
    }

    /** Held values dropped because too many subjects were waiting. */
    public long overflowed() {
        return overflowed;
    }
}
