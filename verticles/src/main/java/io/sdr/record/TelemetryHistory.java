package io.sdr.record;

import io.sdr.bus.Telemetry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The telemetry of the last {@code keepNs} (every subject together), bounded in bytes, as the
 * {@link Telemetry} objects themselves (their memory is shared with every viewer, never copied).
 * Only JSON payloads are kept: a clip's telemetry channels are {@code json}; other payloads are
 * counted in {@link #notJson()}. Appended by one thread, read by clip requests: locked, briefly.
 */
public final class TelemetryHistory {
    /** One kept message: its receive time (CLOCK_MONOTONIC) and the message. */
    public record Entry(long timeNs, Telemetry telemetry) {
    }

    private final long keepNs;
    private final long capBytes;

    // ---- guarded by this ----------------------------------------------------------------------
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long bytes;
    private long notJson;

    public TelemetryHistory(final long keepNs, final long capBytes) {
        this.keepNs = keepNs;
        this.capBytes = capBytes;
    }

    /** Whether the payload is one JSON value (what a {@code json} MCAP channel promises). */
    public static boolean isJson(final Telemetry telemetry) {
        final Buffer message = telemetry.message();
        if (telemetry.payloadSize() == 0) {
            return false;
        }
        try {
            Json.decodeValue(message.slice(message.length() - telemetry.payloadSize(), message.length()));
            return true;
        } catch (final DecodeException e) {
            return false;
        }
    }

    public void append(final Telemetry telemetry) {
        final boolean json = isJson(telemetry); // parsed outside the lock
        synchronized (this) {
            if (!json) {
                notJson++;
                return;
            }
            entries.addLast(new Entry(telemetry.receivedNs(), telemetry));
            bytes += telemetry.messageLength();
            final long oldest = telemetry.receivedNs() - keepNs;
            while (!entries.isEmpty() && (bytes > capBytes || entries.peekFirst().timeNs() < oldest)) {
                bytes -= entries.pollFirst().telemetry().messageLength();
            }
        }
    }

    /** The messages received in {@code [fromNs, toNs]}, oldest first. */
    public synchronized List<Entry> between(final long fromNs, final long toNs) {
        final List<Entry> out = new ArrayList<>();
        for (final Entry e : entries) {
            if (e.timeNs() >= fromNs && e.timeNs() <= toNs) {
                out.add(e);
            }
        }
        return out;
    }

    public synchronized long bytes() {
        return bytes;
    }

    public synchronized long notJson() {
        return notJson;
    }
}
