package io.sdr.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Vert.x WebSocket client of /stream/ws keeping every telemetry and video message it gets, in
 * arrival order; other message types (0x03 control) are counted and ignored. Thread-safe.
 */
public final class WireViewer {
    /** A Vert.x WebSocket client for viewers: 16 MiB messages, a 10 s connect timeout, and {@code receiveBufferBytes} (0: the OS default). */
    public static WebSocketClient wsClient(final Vertx vertx, final int receiveBufferBytes) {
        final WebSocketClientOptions options = new WebSocketClientOptions()
            .setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20).setConnectTimeout(10_000);
        if (receiveBufferBytes > 0) {
            options.setReceiveBufferSize(receiveBufferBytes);
        }
        return vertx.createWebSocketClient(options);
    }

    public final String name;
    public final WebSocket socket;
    private final List<WireMessages.TelemetryMessage> telemetry = new ArrayList<>();
    private final List<WireMessages.VideoMessage> video = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private int other;
    public final CompletableFuture<Void> closed = new CompletableFuture<>();

    private WireViewer(final String name, final WebSocket socket) {
        this.name = name;
        this.socket = socket;
        socket.binaryMessageHandler(this::onBinary);
        socket.textMessageHandler(text -> { });
        socket.closeHandler(v -> closed.complete(null));
    }

    public static WireViewer connect(final WebSocketClient client, final int port, final String name) {
        return connect(client, port, "/stream/ws", name);
    }

    public static WireViewer connect(final WebSocketClient client, final int port, final String uri, final String name) {
        return open(client, port, uri, name, socket -> new WireViewer(name, socket));
    }

    /**
     * Connects to {@code ws://127.0.0.1:port/uri} and hands the socket to {@code wrap} on the event
     * loop that completed the handshake, so the handlers {@code wrap} sets see every message; what
     * {@code wrap} made is returned. For a kit's own viewer class (one that checks more than this
     * one). Vert.x can lose a handshake when messages follow the 101 at once (netty/netty#2173): it
     * reports "Connection closed (while handshake in process)" though the server's bytes are right;
     * such an attempt is retried twice, anything else fails the test (a token in {@code uri} is not printed).
     */
    public static <T> T open(final WebSocketClient client, final int port, final String uri, final String name,
                             final java.util.function.Function<WebSocket, T> wrap) {
        for (int attempt = 1; ; attempt++) {
            final CompletableFuture<T> viewer = new CompletableFuture<>();
            client.connect(port, "127.0.0.1", uri).onComplete(r -> {
                if (r.succeeded()) {
                    viewer.complete(wrap.apply(r.result()));
                } else {
                    viewer.completeExceptionally(r.cause());
                }
            });
            try {
                return viewer.get(Await.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final Exception e) {
                if (attempt < 3 && isHandshakeRace(e)) {
                    System.out.println(name + ": client lost the handshake (attempt " + attempt + "), retrying: " + e);
                    continue;
                }
                throw new AssertionError(name + ": cannot connect to ws://127.0.0.1:" + port
                    + uri.replaceAll("token=[^&]*", "token=...") + ": " + e, e);
            }
        }
    }

    /** True for the client-side handshake race described at {@link #open}; {@code error} may be an ExecutionException. */
    public static boolean isHandshakeRace(final Throwable error) {
        final Throwable cause = error instanceof java.util.concurrent.ExecutionException ? error.getCause() : error;
        return cause instanceof io.netty.handler.codec.http.websocketx.WebSocketHandshakeException
            || (cause != null && "Connection closed".equals(cause.getMessage()));
    }

    private void onBinary(final Buffer buffer) {
        final long now = System.nanoTime();
        final int type = buffer.length() == 0 ? -1 : buffer.getByte(0);
        if (type == 0x02) {
            final WireMessages.TelemetryMessage m = WireMessages.decodeTelemetry(buffer.getBytes(), now);
            synchronized (this) {
                if (m == null) {
                    problems.add("malformed telemetry message: length=" + buffer.length());
                } else {
                    telemetry.add(m);
                }
            }
        } else if (type == 0x01 && buffer.length() >= 1 + WireMessages.HEADER_LENGTH) {
            final long seq = buffer.getLongLE(9);
            final int size = buffer.getIntLE(17);
            final boolean keyframe = (buffer.getShortLE(21) & 1) != 0;
            synchronized (this) {
                if (size != buffer.length() - 1 - WireMessages.HEADER_LENGTH) {
                    problems.add("video size field " + size + " != payload " + (buffer.length() - 1 - WireMessages.HEADER_LENGTH));
                }
                video.add(new WireMessages.VideoMessage(seq, keyframe, buffer.length(), now));
            }
        } else if (type == 0x01 || type == -1) {
            synchronized (this) {
                problems.add("malformed message: length=" + buffer.length());
            }
        } else {
            synchronized (this) {
                other++;
            }
        }
    }

    /** Sends {@code {"subscribe": [patterns]}}. */
    public void subscribe(final String... patterns) {
        sendText(new JsonObject().put("subscribe", new JsonArray(List.of((Object[]) patterns))).encode());
    }

    public void sendText(final String text) {
        Await.await(socket.writeTextMessage(text));
    }

    public synchronized List<WireMessages.TelemetryMessage> telemetry() {
        return new ArrayList<>(telemetry);
    }

    public synchronized int telemetryCount() {
        return telemetry.size();
    }

    public synchronized List<WireMessages.VideoMessage> video() {
        return new ArrayList<>(video);
    }

    public synchronized long lastSeq() {
        return video.isEmpty() ? 0 : video.get(video.size() - 1).frameSeq();
    }

    public synchronized List<String> problems() {
        return new ArrayList<>(problems);
    }

    /** The first telemetry message matching {@code p}, or null. */
    public synchronized WireMessages.TelemetryMessage first(final Predicate<WireMessages.TelemetryMessage> p) {
        for (final WireMessages.TelemetryMessage m : telemetry) {
            if (p.test(m)) {
                return m;
            }
        }
        return null;
    }

    public WireMessages.TelemetryMessage await(final String what, final Predicate<WireMessages.TelemetryMessage> p) {
        Await.eventually(name + " received " + what + " (has " + telemetryCount() + " telemetry messages)", () -> first(p) != null);
        return first(p);
    }

    public void awaitTelemetry(final int count) {
        Await.eventually(name + " received " + count + " telemetry messages (has " + telemetryCount() + ")",
            () -> telemetryCount() >= count);
    }

    public void awaitSeq(final long frameSeq) {
        Await.eventually(name + " received frame_seq " + frameSeq + " (last " + lastSeq() + ")", () -> lastSeq() >= frameSeq);
    }

}
