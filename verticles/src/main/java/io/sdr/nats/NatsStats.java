package io.sdr.nats;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.concurrent.atomic.AtomicLong;

/** A NATS connection's state and counters (and the bridge's telemetry counters), for /health and /metrics. Thread-safe. */
public final class NatsStats implements Shareable {
    private static final String MAP = "sdr.nats";

    public final AtomicLong relayed = new AtomicLong();
    public final AtomicLong droppedTooLarge = new AtomicLong();
    public final AtomicLong droppedBadSubject = new AtomicLong();
    public final AtomicLong slowConsumers = new AtomicLong();
    public final AtomicLong discarded = new AtomicLong();
    public final AtomicLong reconnects = new AtomicLong();
    public final AtomicLong keyframeRequestsSent = new AtomicLong();
    private volatile boolean enabled;
    private volatile boolean required;
    private volatile boolean connected;
    private volatile String server = "";
    private volatile String lastError;

    /** The telemetry bridge's connection. */
    public static NatsStats of(final Vertx vertx) {
        return of(vertx, "telemetry");
    }

    /**
     * The connection named {@code link}: "telemetry" (the bridge) or "video" (frames between an
     * origin and its edges, {@code io.sdr.edge}); the telemetry counters stay 0 on the video link.
     */
    public static NatsStats of(final Vertx vertx, final String link) {
        final LocalMap<String, NatsStats> map = vertx.sharedData().getLocalMap(MAP);
        final NatsStats fresh = new NatsStats();
        final NatsStats existing = map.putIfAbsent(link, fresh);
        return existing != null ? existing : fresh;
    }

    void enabled(final String server, final boolean required) {
        this.enabled = true;
        this.required = required;
        this.server = server;
    }

    void connected(final boolean connected, final String server) {
        this.connected = connected;
        if (server != null) {
            this.server = server;
        }
    }

    void error(final String error) {
        this.lastError = error;
    }

    public boolean isEnabled() {
        return enabled;
    }

    /** Whether /health turns degraded while NATS is away (nats.required). */
    public boolean isRequired() {
        return required;
    }

    public boolean isConnected() {
        return connected;
    }

    public String server() {
        return server;
    }

    public String lastError() {
        return lastError;
    }
}
