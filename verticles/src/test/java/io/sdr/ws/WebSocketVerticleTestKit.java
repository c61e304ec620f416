package io.sdr.ws;

import io.sdr.testing.InProcessServer;
import io.sdr.testing.PacedFeeder;
import io.sdr.testing.WireViewer;
import io.sdr.MainVerticle;
import io.sdr.ring.RingWriter;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.await;
import static io.sdr.testing.Await.PATIENCE;

/**
 * Shared pieces of the in-process server tests: a test configuration, a paced ring writer on its
 * own thread, a WebSocket viewer that decodes and checks every video message, blocking HTTP probes
 * of /health and /metrics, and bounded waits. Every wait is bounded by {@link #PATIENCE}; nothing
 * asserts on how long something took.
 */
public final class WebSocketVerticleTestKit {
    public static final int HEADER_LENGTH = 32;
    public static final int CODEC_H264 = 1;
    public static final int CODEC_HEVC = 2;
    public static final int FLAG_KEYFRAME = 1;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private WebSocketVerticleTestKit() {
    }

    // ---- configuration and deployment -------------------------------------------------------

    /**
     * The conf.json of a test server on 127.0.0.1:{@code port} reading {@code ring}: one client group,
     * budgets so large that no client lags and no IDR timeout fires unless a test lowers them. No
     * NATS bridge (telemetry tests enable it against their own nats-server).
     */
    public static JsonObject conf(final Path ring, final int port) {
        return InProcessServer.conf(ring, port).put("nats", new JsonObject().put("enabled", false));
    }

    /** Deploys {@link MainVerticle} with {@code conf}, waiting for the outcome. */
    public static String deploy(final Vertx vertx, final JsonObject conf) {
        return await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf)));
    }

    /**
     * Undeploys everything before the extension closes Vert.x: the server then closes its client
     * sockets itself, instead of racing the clients' own close handshakes during Vert.x shutdown
     * (which can sit out a 30 s close timeout).
     */
    public static void undeployAll(final Vertx vertx) {
        InProcessServer.undeployAll(vertx);
    }

    // ---- HTTP probes --------------------------------------------------------------------------

    public record HttpResult(int status, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }
    }

    public static HttpResult get(final int port, final String path) {
        try {
            final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return new HttpResult(response.statusCode(), response.body());
        } catch (final IOException e) {
            throw new AssertionError("GET " + path + " failed: " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public static JsonObject health(final int port) {
        return get(port, "/health").json();
    }

    /**
     * The value of one Prometheus sample, matched by name and the given {@code label=value} pairs
     * (others ignored), summed over matching series; NaN when none matches.
     */
    public static double metric(final String text, final String name, final String... labels) {
        return io.sdr.testing.Http.metric(text, name, labels);
    }

    public static double metric(final int port, final String name, final String... labels) {
        return metric(get(port, "/metrics").body(), name, labels);
    }

    // ---- frames -------------------------------------------------------------------------------

    /** Same pattern as shm-worker/python/sdr_ring: byte i of frame s is (s * 31 + i) mod 256. */
    public static byte[] pattern(final long frameSeq, final int size) {
        final byte[] bytes = new byte[size];
        final int start = (int) ((frameSeq * 31) & 0xFF);
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (start + i);
        }
        return bytes;
    }

    public static int crc32(final byte[] bytes, final int offset, final int length) {
        final CRC32 crc = new CRC32();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** The video message WIRE.md specifies, built independently of the server code. */
    public static byte[] expectedMessage(final long frameId, final long frameSeq, final int flags, final int codec,
                                         final byte[] payload) {
        final ByteBuffer b = ByteBuffer.allocate(1 + HEADER_LENGTH + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x01).putLong(frameId).putLong(frameSeq).putInt(payload.length).putShort((short) flags)
            .putShort((short) codec).putInt(crc32(payload, 0, payload.length)).putInt(0).put(payload);
        return b.array();
    }

    /** One decoded video message; {@code bytes} is kept only when the viewer was asked to. */
    public record VideoMessage(long frameId, long frameSeq, int size, int flags, int codec, boolean crcOk,
                               boolean patternOk, byte[] bytes) {
        public boolean keyframe() {
            return (flags & FLAG_KEYFRAME) != 0;
        }
    }

    /** Decodes a video message; null when it is not one (the caller records a problem). */
    public static VideoMessage decode(final byte[] m, final boolean keepBytes) {
        if (m.length < 1 + HEADER_LENGTH || m[0] != 0x01) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        final long frameId = b.getLong(1);
        final long frameSeq = b.getLong(9);
        final int size = b.getInt(17);
        final int flags = b.getShort(21) & 0xFFFF;
        final int codec = b.getShort(23) & 0xFFFF;
        final int crc = b.getInt(25);
        final int payloadLength = m.length - 1 - HEADER_LENGTH;
        final boolean crcOk = size == payloadLength && crc == crc32(m, 1 + HEADER_LENGTH, payloadLength);
        boolean patternOk = size == payloadLength;
        final int start = (int) ((frameSeq * 31) & 0xFF);
        for (int i = 0; patternOk && i < payloadLength; i++) {
            patternOk = m[1 + HEADER_LENGTH + i] == (byte) (start + i);
        }
        return new VideoMessage(frameId, frameSeq, size, flags, codec, crcOk, patternOk, keepBytes ? m : null);
    }

    /**
     * Checks what every viewer must see: the first frame is a keyframe, frame_seq never repeats or
     * goes back, and after any gap the next frame is a keyframe (a dropped client resyncs at one).
     * With {@code gapless}, no gap at all is allowed.
     */
    public static void assertDecodableSequence(final String who, final List<VideoMessage> frames, final boolean gapless) {
        assertTrue(!frames.isEmpty(), who + ": received no frame");
        assertTrue(frames.get(0).keyframe(), who + ": first frame is not a keyframe: frame_seq=" + frames.get(0).frameSeq());
        for (int i = 1; i < frames.size(); i++) {
            final long prev = frames.get(i - 1).frameSeq();
            final VideoMessage f = frames.get(i);
            assertTrue(f.frameSeq() > prev, who + ": frame_seq not increasing: " + prev + " then " + f.frameSeq());
            if (f.frameSeq() != prev + 1) {
                assertTrue(!gapless, who + ": gap " + prev + " -> " + f.frameSeq());
                assertTrue(f.keyframe(), who + ": after the gap " + prev + " -> " + f.frameSeq() + " the frame is not a keyframe");
            }
        }
    }

    /**
     * Waits until every viewer has frame_seq {@code target}, stops the feeder, then checks that each
     * got every frame from its first on, once and in order, with the pattern payload.
     */
    public static void stopWhenAllHave(final PacedFeeder feeder, final List<Viewer> viewers, final long target) {
        for (final Viewer viewer : viewers) {
            viewer.awaitSeq(target);
        }
        feeder.stop();
        for (final Viewer viewer : viewers) {
            viewer.assertHealthy(true);
            assertPatternPayloads(viewer.name, viewer.frames());
        }
    }

    /** Asserts the pattern payload and CRC of every frame. */
    public static void assertPatternPayloads(final String who, final List<VideoMessage> frames) {
        for (final VideoMessage f : frames) {
            assertTrue(f.crcOk(), who + ": bad size or CRC: frame_seq=" + f.frameSeq());
            assertTrue(f.patternOk(), who + ": payload differs from the pattern: frame_seq=" + f.frameSeq());
        }
    }

    // ---- the ring writer ----------------------------------------------------------------------

    /**
     * Writes pattern frames into a ring on its own thread, one every {@code intervalNs}: frame s is a
     * keyframe when s == 1 or (s - 1) mod gop == 0 (gop 0: only frame 1), codec H.264.
     */
    public static PacedFeeder feeder(final RingWriter writer, final int size, final int gop, final long intervalNs) {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[size]);
        return new PacedFeeder("test-ring-feeder", intervalNs, writer, () -> {
            final long s = writer.lastFrameSeq() + 1;
            payload.putBytes(0, pattern(s, size));
            final boolean keyframe = s == 1 || (gop > 0 && (s - 1) % gop == 0);
            writer.write(s, keyframe ? FLAG_KEYFRAME : 0, CODEC_H264, payload, 0, size);
            return s;
        });
    }

    // ---- WebSocket viewers --------------------------------------------------------------------

    public static WebSocketClient client(final Vertx vertx) {
        return client(vertx, 0);
    }

    /** A WebSocket client taking messages up to 16 MiB; {@code receiveBufferBytes} 0 = OS default. */
    public static WebSocketClient client(final Vertx vertx, final int receiveBufferBytes) {
        return WireViewer.wsClient(vertx, receiveBufferBytes);
    }

    /** A connected WebSocket client that decodes every message it gets. Thread-safe. */
    public static final class Viewer {
        public final String name;
        public final WebSocket socket;
        private final boolean keepBytes;
        private final List<VideoMessage> frames = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private final List<String> texts = new ArrayList<>();
        private int otherMessages;
        private final List<Buffer> others = new ArrayList<>();
        public final CompletableFuture<Void> closed = new CompletableFuture<>();

        private Viewer(final String name, final WebSocket socket, final boolean keepBytes) {
            this.name = name;
            this.socket = socket;
            this.keepBytes = keepBytes;
            socket.binaryMessageHandler(this::onBinary);
            // Text (replies to client requests) and other binary types (0x02 telemetry) are allowed
            // extensions of the wire format: kept apart, never mistaken for video.
            socket.textMessageHandler(this::onText);
            socket.closeHandler(v -> closed.complete(null));
        }

        public static Viewer connect(final WebSocketClient client, final int port, final String name) {
            return connect(client, port, "/stream/ws", name, false);
        }

        public static Viewer connect(final WebSocketClient client, final int port, final String uri, final String name,
                                     final boolean keepBytes) {
            return WireViewer.open(client, port, uri, name, socket -> new Viewer(name, socket, keepBytes));
        }

        private void onBinary(final Buffer buffer) {
            if (buffer.length() == 0) {
                problem("empty binary message");
                return;
            }
            if (buffer.getByte(0) != 0x01) {
                synchronized (this) {
                    otherMessages++;
                    others.add(buffer.copy());
                }
                return;
            }
            final VideoMessage frame = decode(buffer.getBytes(), keepBytes);
            synchronized (this) {
                if (frame == null) {
                    problems.add("malformed video message: length=" + buffer.length());
                } else {
                    frames.add(frame);
                }
            }
        }

        private synchronized void onText(final String text) {
            texts.add(text);
        }

        private synchronized void problem(final String problem) {
            problems.add(problem);
        }

        /** Text messages the server sent (e.g. replies to a client request). */
        public synchronized List<String> texts() {
            return new ArrayList<>(texts);
        }

        /** Binary messages of a type other than video (0x02 telemetry, 0x03 control), in arrival order. */
        public synchronized List<Buffer> others() {
            return new ArrayList<>(others);
        }

        /** Connects with full options (headers, subprotocols, TLS); no retry: a refusal fails at once. */
        public static Viewer connect(final WebSocketClient client, final io.vertx.core.http.WebSocketConnectOptions options,
                                     final String name) {
            final CompletableFuture<Viewer> viewer = new CompletableFuture<>();
            client.connect(options).onComplete(result -> {
                if (result.succeeded()) {
                    viewer.complete(new Viewer(name, result.result(), false));
                } else {
                    viewer.completeExceptionally(result.cause());
                }
            });
            try {
                return viewer.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final java.util.concurrent.ExecutionException e) {
                throw new ConnectFailed(name, e.getCause());
            } catch (final Exception e) {
                throw new AssertionError(name + ": cannot connect: " + e, e);
            }
        }

        /** Binary messages of a type other than video. */
        public synchronized int otherMessages() {
            return otherMessages;
        }

        public synchronized List<VideoMessage> frames() {
            return new ArrayList<>(frames);
        }

        public synchronized int count() {
            return frames.size();
        }

        public synchronized long lastSeq() {
            return frames.isEmpty() ? 0 : frames.get(frames.size() - 1).frameSeq();
        }

        public synchronized List<String> problems() {
            return new ArrayList<>(problems);
        }

        public void awaitFrames(final int count) {
            eventually(name + " received " + count + " frames (has " + count() + ")", () -> count() >= count);
        }

        public void awaitSeq(final long frameSeq) {
            eventually(name + " received frame_seq " + frameSeq + " (last " + lastSeq() + ")", () -> lastSeq() >= frameSeq);
        }

        public void awaitClosed() {
            try {
                closed.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final Exception e) {
                throw new AssertionError(name + ": not closed within " + PATIENCE + ": " + e, e);
            }
        }

        /** The close code the server sent; null while open or when the connection ended without a close frame. */
        public Integer closeCode() {
            try {
                final Short code = socket.closeStatusCode();
                return code == null ? null : (int) code;
            } catch (final NullPointerException noCloseFrame) {
                // Vert.x 5.0.10 unboxes a null status in closeStatusCode() when no close frame arrived.
                return null;
            }
        }

        /** The checks every viewer passes: no malformed message, decodable sequence, CRC and pattern. */
        public void assertHealthy(final boolean gapless) {
            assertEquals(List.of(), problems(), name + ": malformed messages");
            final List<VideoMessage> all = frames();
            assertDecodableSequence(name, all, gapless);
        }
    }

    /** A connection attempt that failed; {@link #getCause()} is e.g. an UpgradeRejectedException. */
    public static final class ConnectFailed extends RuntimeException {
        ConnectFailed(final String name, final Throwable cause) {
            super(name + ": connect failed: " + cause, cause);
        }
    }

    // ---- raw sockets --------------------------------------------------------------------------

    /** Sends a WebSocket upgrade request by hand; returns the socket positioned after the response head. */
    public static Socket rawUpgrade(final int port, final String uri, final StringBuilder statusLine) throws IOException {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout((int) PATIENCE.toMillis());
        final String key = Base64.getEncoder().encodeToString(new byte[16]);
        final OutputStream out = socket.getOutputStream();
        out.write(("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        final InputStream in = socket.getInputStream();
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int c = in.read();
            if (c < 0) {
                break;
            }
            head.append((char) c);
        }
        final int eol = head.indexOf("\r\n");
        statusLine.append(eol < 0 ? head : head.substring(0, eol));
        return socket;
    }
}
