package io.sdr.ws;

import io.sdr.bus.Addresses;
import io.sdr.bus.Frame;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One group's fan-out of one stream: the GOP cache and the clients watching the stream. Every
 * client gets the same message memory; what differs per client is only its {@link ClientSession}.
 * Confined to the group's event loop.
 */
final class StreamFanout {
    private static final System.Logger LOG = System.getLogger(StreamFanout.class.getName());
    /** Application close code (4000-4999) for a client that waited too long for a keyframe. */
    static final short CLOSE_IDR_TIMEOUT = 4001;

    private final Vertx vertx;
    private final String stream;
    private final WebSocketConfig config;
    private final FanoutMetrics metrics;
    private final GopCache<Frame> gop;
    private final List<Client> clients = new ArrayList<>();
    private final long idrTimeoutNs;
    private long lastKeyframeWantNs = System.nanoTime() - KEYFRAME_WANT_INTERVAL_NS;
    /** Local damping only; the poller coalesces to one request per interval across all groups. */
    private static final long KEYFRAME_WANT_INTERVAL_NS = 50_000_000L;

    private final class Client {
        final ServerWebSocket socket;
        final ClientSession session;

        Client(final ServerWebSocket socket, final ClientSession session) {
            this.socket = socket;
            this.session = session;
        }
    }

    StreamFanout(final Vertx vertx, final String stream, final WebSocketConfig config, final FanoutMetrics metrics) {
        this.vertx = vertx;
        this.stream = stream;
        this.config = config;
        this.metrics = metrics;
        this.gop = new GopCache<>(config.gopCacheBytes());
        this.idrTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.idrTimeoutMs());
    }

    void onFrame(final Frame frame) {
        if (config.gopCacheBytes() > 0) {
            gop.add(frame, frame.frameSeq(), frame.isKeyframe(), frame.messageLength());
        }
        final long now = System.nanoTime();
        final boolean keyframe = frame.isKeyframe();
        final int bytes = frame.messageLength();
        boolean wantKeyframe = false;
        for (int i = clients.size() - 1; i >= 0; i--) {
            final Client client = clients.get(i);
            switch (client.session.offer(keyframe, bytes, now)) {
                case SEND:
                    send(client, frame);
                    break;
                case DROP_LAGGING:
                    metrics.droppedLagging.increment();
                    wantKeyframe = true;
                    break;
                case DROP_AWAITING_KEYFRAME:
                    metrics.droppedAwaiting.increment();
                    wantKeyframe = true;
                    break;
                case CLOSE_IDR_TIMEOUT:
                    metrics.closedIdrTimeout.increment();
                    client.socket.close(CLOSE_IDR_TIMEOUT, "idr timeout: no keyframe within " + config.idrTimeoutMs() + " ms");
                    break;
                default:
                    break;
            }
        }
        if (wantKeyframe) {
            requestKeyframe("client_waiting");
        }
    }

    private void send(final Client client, final Frame frame) {
        final int bytes = frame.messageLength();
        client.socket.writeBinaryMessage(frame.message()).onComplete(result -> {
            client.session.written(bytes);
            if (result.succeeded()) {
                final long now = System.nanoTime();
                metrics.framesSent.increment();
                metrics.bytesSent.increment(bytes);
                metrics.publishToWritten.record(now - frame.publishNs(), TimeUnit.NANOSECONDS);
                if (frame.commitNs() != 0) {
                    metrics.commitToWritten.record(Math.max(0, now - frame.commitNs()), TimeUnit.NANOSECONDS);
                }
            }
        });
    }

    /** Adds a client: it starts from the cached GOP when one is held, else waits for a requested keyframe. */
    void join(final ServerWebSocket socket) {
        final Client client = new Client(socket, new ClientSession(config.clientBudgetBytes(), config.maxQueuedFrames(),
            idrTimeoutNs, System.nanoTime()));
        clients.add(client);
        final List<Frame> cached = gop.snapshot();
        if (cached.isEmpty()) {
            metrics.joinsWaiting.increment();
            requestKeyframe("join");
            return;
        }
        metrics.joinsFromCache.increment();
        long bytes = 0;
        for (final Frame frame : cached) {
            bytes += frame.messageLength();
        }
        client.session.joinBurst(bytes, cached.size());
        for (final Frame frame : cached) {
            final int length = frame.messageLength();
            socket.writeBinaryMessage(frame.message()).onComplete(result -> client.session.written(length));
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "client joined from GOP cache: stream=" + stream + ", frames=" + cached.size());
    }

    void leave(final ServerWebSocket socket) {
        for (int i = 0; i < clients.size(); i++) {
            if (clients.get(i).socket == socket) {
                clients.get(i).session.close();
                clients.remove(i);
                return;
            }
        }
    }

    private void requestKeyframe(final String reason) {
        final long now = System.nanoTime();
        if (now - lastKeyframeWantNs < KEYFRAME_WANT_INTERVAL_NS) {
            return;
        }
        lastKeyframeWantNs = now;
        vertx.eventBus().publish(Addresses.keyframeWanted(stream), new JsonObject().put("stream", stream).put("reason", reason));
    }

    int clientCount() {
        return clients.size();
    }
}
