package io.sdr.nats;

import io.nats.client.Connection;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * One NATS connection kept alive for as long as the server runs: the first connection is retried
 * on a thread of its own with a doubling pause until NATS is reachable; after it, jnats reconnects
 * by itself (same backoff) and keeps the subscriptions. An outage costs one log line, a reminder at
 * most once a minute and one line when NATS is back ({@link OutageLog}); the state and jnats'
 * slow-consumer and discard reports land in a {@link NatsStats}.
 *
 * <p>Used by the telemetry bridge and by the video link between an origin and its edges
 * ({@code io.sdr.edge}), each with a connection of its own: a video backlog never delays telemetry.
 */
public final class NatsLink implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NatsLink.class.getName());
    /** While NATS stays away, at most one log line per this interval. */
    private static final long OUTAGE_REPEAT_MS = 60_000;

    /** Called once, on the connecting thread, when the first connection is up: subscribe here. */
    @FunctionalInterface
    public interface OnConnect {
        /** @return what the connection is for, appended to the "NATS connected" line, or null */
        String connected(Connection connection);
    }

    private final NatsConfig config;
    private final String name;
    private final NatsStats stats;
    private final OnConnect onConnect;
    private final OutageLog outages;
    private final boolean reportsOutages;
    private final Options options;
    private volatile Connection connection;
    private volatile boolean stopped;
    private volatile String lastFailure;
    private Thread connector;

    /**
     * @param name   the connection's name on the NATS server ({@code sdr-transport}; the video link: {@code sdr-transport-origin}, {@code sdr-transport-edge})
     * @param paused what stops while NATS is away, for the log ("telemetry from NATS")
     * @param tune   further options for this connection (buffer limits, discard policy)
     * @param reportsOutages whether this link's outages and arrivals are logged at INFO/WARNING; a second
     *               connection to the same server (video beside telemetry) logs them at DEBUG, so a
     *               user whose NATS is away reads one line about it, not one per connection
     */
    public NatsLink(final NatsConfig config, final String name, final String paused, final NatsStats stats,
                    final UnaryOperator<Options.Builder> tune, final OnConnect onConnect, final boolean reportsOutages) {
        this.reportsOutages = reportsOutages;
        this.config = config;
        this.name = name;
        this.stats = stats;
        this.onConnect = onConnect;
        final String policy = "every " + OutageLog.seconds(config.reconnectWaitMs()) + ", doubling to "
            + OutageLog.seconds(config.reconnectMaxWaitMs());
        this.outages = new OutageLog(config.url(), paused, policy, OUTAGE_REPEAT_MS, System::currentTimeMillis);
        stats.enabled(config.url(), config.required());
        this.options = tune.apply(new Options.Builder()
            .servers(config.url().split(","))
            .connectionName(name)
            .maxReconnects(-1)
            .reconnectWait(Duration.ofMillis(config.reconnectWaitMs()))
            .reconnectDelayHandler(tries -> Duration.ofMillis(config.backoffMs(tries)))
            .connectionTimeout(Duration.ofSeconds(2))
            .pingInterval(Duration.ofSeconds(2))
            // Without it jnats turns each subject byte into a char (sign-extended): a UTF-8 subject
            // such as "telemetry.ré" would reach clients as mojibake, longer than it was sent.
            .supportUTF8Subjects()
            .errorListener(new CountingErrorListener())
            .connectionListener((conn, event) -> onConnectionEvent(conn, event)))
            .build();
    }

    /** Starts connecting; returns at once. Nothing is logged until NATS answers or the first attempt fails. */
    public void start() {
        connector = new Thread(this::connectUntilStopped, name + "-connect");
        connector.setDaemon(true);
        connector.start();
    }

    /** The connection once it was made (it may be reconnecting), else null. */
    public Connection connection() {
        return connection;
    }

    /** The connection when it is up right now, else null. */
    public Connection connected() {
        final Connection conn = connection;
        return conn != null && conn.getStatus() == Connection.Status.CONNECTED ? conn : null;
    }

    public NatsStats stats() {
        return stats;
    }

    private void connectUntilStopped() {
        long attempt = 0;
        while (!stopped) {
            Connection conn = null;
            try {
                attempt++;
                conn = Nats.connect(options);
                if (stopped) {
                    closeQuietly(conn);
                    return;
                }
                connection = conn;
                final String purpose = onConnect.connected(conn);
                lastFailure = null;
                stats.connected(true, conn.getConnectedUrl());
                final String line = outages.connected(conn.getConnectedUrl());
                info(line == null || purpose == null ? line : line + "; " + purpose);
                return;
            } catch (final java.io.IOException | RuntimeException e) {
                // A RuntimeException: the connection closed between connect and subscribe. Start
                // over, or jnats would keep a connection with no subscription alive for ever.
                if (conn != null) {
                    connection = null;
                    closeQuietly(conn);
                }
                final String reason = lastFailure != null ? lastFailure : String.valueOf(e.getMessage());
                stats.error("cannot connect: " + reason);
                warn(outages.failed(reason));
                try {
                    Thread.sleep(config.backoffMs(attempt));
                } catch (final InterruptedException interrupted) {
                    return;
                }
            } catch (final InterruptedException e) {
                return;
            }
        }
    }

    private void onConnectionEvent(final Connection conn, final io.nats.client.ConnectionListener.Events event) {
        switch (event) {
            case RECONNECTED:
                stats.reconnects.incrementAndGet();
                lastFailure = null;
                stats.connected(true, conn.getConnectedUrl());
                info(outages.connected(conn.getConnectedUrl()));
                break;
            case DISCONNECTED:
            case CLOSED:
                // jnats reports every failed reconnect attempt here: OutageLog keeps the log to one line.
                stats.connected(false, null);
                if (!stopped && outages.state() != OutageLog.State.NEVER_CONNECTED) {
                    warn(outages.failed(lastFailure != null ? lastFailure : "connection " + event.getEvent()));
                }
                break;
            default:
                break;
        }
    }

    private void info(final String line) {
        if (line != null) {
            LOG.log(reportsOutages ? System.Logger.Level.INFO : System.Logger.Level.DEBUG, line);
        }
    }

    private void warn(final String line) {
        if (line != null) {
            LOG.log(reportsOutages ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, line);
        }
    }

    /** jnats reports slow consumers and discarded messages here; they are counted, not swallowed. */
    private final class CountingErrorListener implements ErrorListener {
        private final AtomicLong logged = new AtomicLong();

        @Override
        public void slowConsumerDetected(final Connection conn, final Consumer consumer) {
            stats.slowConsumers.incrementAndGet();
        }

        @Override
        public void messageDiscarded(final Connection conn, final Message message) {
            stats.discarded.incrementAndGet();
        }

        @Override
        public void errorOccurred(final Connection conn, final String error) {
            stats.error(error);
            log(error);
        }

        @Override
        public void exceptionOccurred(final Connection conn, final Exception exception) {
            final String reason = String.valueOf(exception);
            stats.error(reason);
            if (!stats.isConnected() && !stopped) {
                // A failed (re)connection attempt, once per try while NATS is away: OutageLog decides.
                lastFailure = reason;
                warn(outages.failed(reason));
            } else if (exception instanceof java.io.IOException) {
                // The connection breaking: the DISCONNECTED event follows and logs it once, with this reason.
                lastFailure = reason;
            } else {
                log(reason);
            }
        }

        private void log(final String error) {
            if (logged.incrementAndGet() <= 20) {
                LOG.log(System.Logger.Level.WARNING, "NATS (" + name + "): " + error);
            }
        }
    }

    private static void closeQuietly(final Connection conn) {
        try {
            conn.close();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stopped = true;
        if (connector != null) {
            connector.interrupt();
        }
        final Connection conn = connection;
        if (conn != null) {
            closeQuietly(conn);
        }
    }
}
