package io.sdr.nats;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.sdr.MainVerticle;
import io.sdr.ring.RingWriter;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;
import io.sdr.testing.RepoPaths;
import static io.sdr.testing.Await.eventually;
import io.sdr.testing.Await;
import static io.sdr.testing.Await.await;
import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.testing.RepoPaths.repoRoot;

/**
 * Shared pieces of the telemetry tests and the relay benchmark: the server's configuration
 * in-process or as the fat jar, NATS publishers (jnats, and the raw protocol for byte-exact
 * subjects), a WebSocket client that decodes telemetry (0x02) and video (0x01) messages, a raw
 * rate-limited WebSocket reader, a paced ring writer, HTTP probes and bounded waits. Every wait is
 * bounded by {@link #PATIENCE}.
 */
public final class NatsTestKit {
    public static final int HEADER_LENGTH = 32;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private NatsTestKit() {
    }

    // ---- configuration and deployment -------------------------------------------------------

    /**
     * conf.json of a test server on 127.0.0.1:{@code wsPort}: one client group reading {@code ring}
     * (stream "main"), budgets so large that nothing lags unless a test lowers them, no encoder,
     * the NATS bridge on {@code natsUrl} relaying {@code telemetry.>}.
     */
    public static JsonObject conf(final Path ring, final int wsPort, final String natsUrl) {
        return new JsonObject()
            .put("streams", new JsonObject().put("main", new JsonObject().put("path", ring.toString()).put("crc", true)))
            .put("poller", new JsonObject().put("idleStrategy", "backoff").put("fileCheckIntervalMs", 5)
                .put("idrCoalesceMs", 500))
            .put("websocket", new JsonObject()
                .put("listen", "127.0.0.1:" + wsPort)
                .put("instances", 1)
                .put("maxClients", 100)
                .put("clientBudgetBytes", 64 << 20)
                .put("maxQueuedFrames", 100_000)
                .put("idrTimeoutMs", 3_600_000)
                .put("gopCacheBytes", 32 << 20)
                .put("sendBufferBytes", 256 * 1024)
                .put("maxClientMessageBytes", 65536)
                .put("staleFrameMs", 3_600_000))
            .put("nats", new JsonObject()
                .put("url", natsUrl)
                .put("subjects", new JsonArray().add("telemetry.>"))
                .put("maxMessageBytes", 65536)
                .put("reconnectWaitMs", 250));
    }

    public static String deploy(final Vertx vertx, final JsonObject conf) {
        return await(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf)));
    }

    /** Undeploys everything first, so the server closes its sockets before Vert.x shuts down. */
    public static void undeployAll(final Vertx vertx) {
        for (final String id : vertx.deploymentIDs()) {
            try {
                vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (final Exception e) {
                // undeployed with its parent already, or failed: closing Vert.x cleans up the rest
            }
        }
    }

    // ---- HTTP probes --------------------------------------------------------------------------

    public record HttpResult(int status, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }
    }

    public static HttpResult get(final int port, final String path) {
        try {
            final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new HttpResult(r.statusCode(), r.body());
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

    /** The NATS part of /health: "connected" or "disconnected". */
    public static String natsStatus(final int port) {
        final JsonObject nats = health(port).getJsonObject("nats");
        return nats == null ? null : nats.getString("status");
    }

    /** A Prometheus sample by name and {@code label=value} pairs, summed over matching series; NaN when none. */
    public static double metric(final String text, final String name, final String... labels) {
        double sum = Double.NaN;
        final Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE).matcher(text);
        outer:
        while (m.find()) {
            final String labelText = m.group(1) == null ? "" : m.group(1);
            for (final String label : labels) {
                final int eq = label.indexOf('=');
                if (!labelText.contains(label.substring(0, eq) + "=\"" + label.substring(eq + 1) + "\"")) {
                    continue outer;
                }
            }
            final double value = Double.parseDouble(m.group(2));
            sum = Double.isNaN(sum) ? value : sum + value;
        }
        return sum;
    }

    public static double metric(final int port, final String name, final String... labels) {
        return metric(get(port, "/metrics").body(), name, labels);
    }

    // ---- NATS publishers ----------------------------------------------------------------------

    /** A jnats connection (UTF-8 subjects on) that keeps reconnecting on its own. */
    public static Connection connect(final String url) {
        try {
            return Nats.connect(new Options.Builder().server(url).supportUTF8Subjects().maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).connectionTimeout(Duration.ofSeconds(5)).build());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot connect to " + url, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public static void flush(final Connection connection) {
        try {
            connection.flush(PATIENCE);
        } catch (final Exception e) {
            throw new AssertionError("NATS flush failed: " + e, e);
        }
    }

    public static void close(final Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Publishes with the bare NATS protocol ({@code PUB <subject> <n>}), so the subject's bytes on
     * the wire are exactly {@code subject}, independent of any client library; waits for the
     * server's PONG, i.e. until the server has processed the message.
     */
    public static void rawPublish(final int natsPort, final byte[] subject, final byte[] payload) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), natsPort), 5000);
            socket.setSoTimeout((int) PATIENCE.toMillis());
            final InputStream in = socket.getInputStream();
            final OutputStream out = socket.getOutputStream();
            readLine(in); // INFO
            final ByteBuffer b = ByteBuffer.allocate(subject.length + payload.length + 128);
            b.put("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPUB ".getBytes(StandardCharsets.US_ASCII))
                .put(subject).put((" " + payload.length + "\r\n").getBytes(StandardCharsets.US_ASCII))
                .put(payload).put("\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(b.array(), 0, b.position());
            out.flush();
            final String reply = readLine(in);
            if (!reply.equals("PONG")) {
                fail("NATS answered the raw PUB with: " + reply);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("raw publish to 127.0.0.1:" + natsPort, e);
        }
    }

    private static String readLine(final InputStream in) throws IOException {
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    // ---- the wire format (WIRE.md), built independently of the server code ------------------

    /** {@code [0x02][u16 LE subject length][subject][payload]}. */
    public static byte[] telemetryMessage(final byte[] subject, final byte[] payload) {
        return ByteBuffer.allocate(3 + subject.length + payload.length).order(ByteOrder.LITTLE_ENDIAN)
            .put((byte) 0x02).putShort((short) subject.length).put(subject).put(payload).array();
    }

    /** One telemetry message as a client received it. */
    public record TelemetryMessage(String subject, byte[] payload, byte[] raw, long receivedNs) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** Decodes a 0x02 message; null when malformed (length fields inconsistent). */
    public static TelemetryMessage decodeTelemetry(final byte[] m, final long receivedNs) {
        if (m.length < 3 || m[0] != 0x02) {
            return null;
        }
        final int subjectLength = (m[1] & 0xFF) | (m[2] & 0xFF) << 8;
        if (subjectLength == 0 || 3 + subjectLength > m.length) {
            return null;
        }
        return new TelemetryMessage(new String(m, 3, subjectLength, StandardCharsets.UTF_8),
            Arrays.copyOfRange(m, 3 + subjectLength, m.length), m, receivedNs);
    }

    /** One video message as a client received it (header only). */
    public record VideoMessage(long frameSeq, boolean keyframe, int length, long receivedNs) {
    }

    // ---- WebSocket client ---------------------------------------------------------------------

    public static WebSocketClient wsClient(final Vertx vertx, final int receiveBufferBytes) {
        final WebSocketClientOptions options = new WebSocketClientOptions()
            .setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20).setConnectTimeout(10_000);
        if (receiveBufferBytes > 0) {
            options.setReceiveBufferSize(receiveBufferBytes);
        }
        return vertx.createWebSocketClient(options);
    }

    /**
     * A Vert.x WebSocket client of /stream/ws keeping every telemetry and video message it gets, in
     * arrival order; other message types (0x03 control) are counted and ignored. Thread-safe.
     */
    public static final class Viewer {
        public final String name;
        public final WebSocket socket;
        private final List<TelemetryMessage> telemetry = new ArrayList<>();
        private final List<VideoMessage> video = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private int other;
        public final CompletableFuture<Void> closed = new CompletableFuture<>();

        private Viewer(final String name, final WebSocket socket) {
            this.name = name;
            this.socket = socket;
            socket.binaryMessageHandler(this::onBinary);
            socket.textMessageHandler(text -> { });
            socket.closeHandler(v -> closed.complete(null));
        }

        public static Viewer connect(final WebSocketClient client, final int port, final String name) {
            return connect(client, port, "/stream/ws", name);
        }

        public static Viewer connect(final WebSocketClient client, final int port, final String uri, final String name) {
            for (int attempt = 1; ; attempt++) {
                final CompletableFuture<Viewer> viewer = new CompletableFuture<>();
                client.connect(port, "127.0.0.1", uri).onComplete(r -> {
                    if (r.succeeded()) {
                        viewer.complete(new Viewer(name, r.result()));
                    } else {
                        viewer.completeExceptionally(r.cause());
                    }
                });
                try {
                    return viewer.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
                } catch (final Exception e) {
                    final Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                    // Vert.x can lose a handshake when messages follow the 101 at once (netty/netty#2173).
                    final boolean race = cause instanceof io.netty.handler.codec.http.websocketx.WebSocketHandshakeException
                        || (cause != null && "Connection closed".equals(cause.getMessage()));
                    if (attempt < 3 && race) {
                        continue;
                    }
                    throw new AssertionError(name + ": cannot connect to ws://127.0.0.1:" + port + uri + ": " + e, e);
                }
            }
        }

        private void onBinary(final Buffer buffer) {
            final long now = System.nanoTime();
            final int type = buffer.length() == 0 ? -1 : buffer.getByte(0);
            if (type == 0x02) {
                final TelemetryMessage m = decodeTelemetry(buffer.getBytes(), now);
                synchronized (this) {
                    if (m == null) {
                        problems.add("malformed telemetry message: length=" + buffer.length());
                    } else {
                        telemetry.add(m);
                    }
                }
            } else if (type == 0x01 && buffer.length() >= 1 + HEADER_LENGTH) {
                final long seq = buffer.getLongLE(9);
                final int size = buffer.getIntLE(17);
                final boolean keyframe = (buffer.getShortLE(21) & 1) != 0;
                synchronized (this) {
                    if (size != buffer.length() - 1 - HEADER_LENGTH) {
                        problems.add("video size field " + size + " != payload " + (buffer.length() - 1 - HEADER_LENGTH));
                    }
                    video.add(new VideoMessage(seq, keyframe, buffer.length(), now));
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

        public synchronized List<TelemetryMessage> telemetry() {
            return new ArrayList<>(telemetry);
        }

        public synchronized int telemetryCount() {
            return telemetry.size();
        }

        public synchronized List<VideoMessage> video() {
            return new ArrayList<>(video);
        }

        public synchronized long lastSeq() {
            return video.isEmpty() ? 0 : video.get(video.size() - 1).frameSeq();
        }

        public synchronized List<String> problems() {
            return new ArrayList<>(problems);
        }

        /** The first telemetry message matching {@code p}, or null. */
        public synchronized TelemetryMessage first(final Predicate<TelemetryMessage> p) {
            for (final TelemetryMessage m : telemetry) {
                if (p.test(m)) {
                    return m;
                }
            }
            return null;
        }

        public TelemetryMessage await(final String what, final Predicate<TelemetryMessage> p) {
            eventually(name + " received " + what + " (has " + telemetryCount() + " telemetry messages)", () -> first(p) != null);
            return first(p);
        }

        public void awaitTelemetry(final int count) {
            eventually(name + " received " + count + " telemetry messages (has " + telemetryCount() + ")",
                () -> telemetryCount() >= count);
        }

        public void awaitSeq(final long frameSeq) {
            eventually(name + " received frame_seq " + frameSeq + " (last " + lastSeq() + ")", () -> lastSeq() >= frameSeq);
        }

    }

    // ---- raw rate-limited WebSocket reader ----------------------------------------------------

    /**
     * A WebSocket client on a plain socket that reads at most {@code bytesPerSecond} (0: reads
     * nothing until {@link #setRate}), with a small receive buffer: the server sees a slow link.
     * Records each telemetry and video message with the stream offset (bytes read) at which it
     * ended, so a test can tell what was ahead of a message in the socket.
     */
    public static final class SlowReader implements AutoCloseable {
        /** One received message: type 1 (video, {@code seq}) or 2 (telemetry, {@code subject}/{@code payload}). */
        public record Event(int type, long seq, int length, String subject, byte[] payload, long endOffset, long receivedNs) {
        }

        private final Socket socket;
        private final Thread thread;
        private final List<Event> events = new ArrayList<>();
        /** (time, bytes read) after every read: how far the reader had got at any moment. */
        private long[] sampleNs = new long[1024];
        private long[] sampleBytes = new long[1024];
        private int samples;
        private volatile long bytesPerSecond;
        private volatile long bytesRead;
        private volatile boolean stop;
        private volatile Throwable failure;

        public SlowReader(final int port, final String uri, final int receiveBufferBytes, final long bytesPerSecond)
            throws IOException {
            this.bytesPerSecond = bytesPerSecond;
            socket = new Socket();
            socket.setReceiveBufferSize(receiveBufferBytes);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            socket.setSoTimeout(200);
            final String key = Base64.getEncoder().encodeToString(new byte[16]);
            socket.getOutputStream().write(("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            final StringBuilder head = new StringBuilder();
            final long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (!head.toString().endsWith("\r\n\r\n")) {
                final int c;
                try {
                    c = in.read();
                } catch (final java.net.SocketTimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    continue;
                }
                if (c < 0) {
                    throw new IOException("closed during the handshake: " + head);
                }
                head.append((char) c);
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) {
                throw new IOException("handshake refused: " + head);
            }
            thread = new Thread(this::run, "slow-ws-reader");
            thread.setDaemon(true);
            thread.start();
        }

        public void setRate(final long bytesPerSecond) {
            this.bytesPerSecond = bytesPerSecond;
        }

        /** Bytes read from the socket so far (after the handshake). */
        public long bytesRead() {
            return bytesRead;
        }

        /** Bytes read from the socket up to {@code nanoTime}. */
        public synchronized long bytesReadAt(final long nanoTime) {
            int lo = 0;
            int hi = samples - 1;
            long at = 0;
            while (lo <= hi) {
                final int mid = (lo + hi) >>> 1;
                if (sampleNs[mid] <= nanoTime) {
                    at = sampleBytes[mid];
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return at;
        }

        private synchronized void sample(final long nanoTime, final long bytes) {
            if (samples == sampleNs.length) {
                sampleNs = Arrays.copyOf(sampleNs, samples * 2);
                sampleBytes = Arrays.copyOf(sampleBytes, samples * 2);
            }
            sampleNs[samples] = nanoTime;
            sampleBytes[samples++] = bytes;
        }

        private void run() {
            final byte[] chunk = new byte[16 * 1024];
            byte[] pending = new byte[1 << 20];
            int pendingLength = 0;
            long budgetStartNs = System.nanoTime();
            long budgetBytes = 0;
            long lastRate = -1;
            try {
                final InputStream in = socket.getInputStream();
                while (!stop) {
                    final long rate = bytesPerSecond;
                    if (rate != lastRate) {
                        lastRate = rate;
                        budgetStartNs = System.nanoTime();
                        budgetBytes = 0;
                    }
                    if (rate <= 0) {
                        LockSupport.parkNanos(10_000_000L);
                        continue;
                    }
                    final long allowedAtNs = budgetStartNs + budgetBytes * 1_000_000_000L / rate;
                    final long wait = allowedAtNs - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                        continue;
                    }
                    final int n;
                    try {
                        n = in.read(chunk, 0, (int) Math.min(chunk.length, Math.max(1024, rate / 50)));
                    } catch (final java.net.SocketTimeoutException e) {
                        continue;
                    }
                    if (n < 0) {
                        return;
                    }
                    budgetBytes += n;
                    if (pendingLength + n > pending.length) {
                        pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + n));
                    }
                    System.arraycopy(chunk, 0, pending, pendingLength, n);
                    pendingLength += n;
                    bytesRead += n;
                    sample(System.nanoTime(), bytesRead);
                    final int consumed = parse(pending, pendingLength, bytesRead - pendingLength);
                    System.arraycopy(pending, consumed, pending, 0, pendingLength - consumed);
                    pendingLength -= consumed;
                }
            } catch (final Throwable t) {
                if (!stop) {
                    failure = t;
                }
            }
        }

        /** Parses complete server frames (unmasked, unfragmented) from {@code b}; returns bytes consumed. */
        private int parse(final byte[] b, final int length, final long baseOffset) {
            int pos = 0;
            while (length - pos >= 2) {
                final int opcode = b[pos] & 0x0F;
                long payloadLength = b[pos + 1] & 0x7F;
                int headerLength = 2;
                if (payloadLength == 126) {
                    if (length - pos < 4) {
                        break;
                    }
                    payloadLength = (b[pos + 2] & 0xFFL) << 8 | (b[pos + 3] & 0xFFL);
                    headerLength = 4;
                } else if (payloadLength == 127) {
                    if (length - pos < 10) {
                        break;
                    }
                    payloadLength = ByteBuffer.wrap(b, pos + 2, 8).getLong();
                    headerLength = 10;
                }
                if (length - pos < headerLength + payloadLength) {
                    break;
                }
                final int start = pos + headerLength;
                final int end = (int) (start + payloadLength);
                final long now = System.nanoTime();
                if (opcode == 2 && payloadLength > 0 && b[start] == 0x02) {
                    final TelemetryMessage m = decodeTelemetry(Arrays.copyOfRange(b, start, end), now);
                    synchronized (this) {
                        events.add(new Event(2, 0, (int) payloadLength, m == null ? null : m.subject(),
                            m == null ? null : m.payload(), baseOffset + end, now));
                    }
                } else if (opcode == 2 && payloadLength > 1 + HEADER_LENGTH && b[start] == 0x01) {
                    final long seq = ByteBuffer.wrap(b, start + 9, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                    synchronized (this) {
                        events.add(new Event(1, seq, (int) payloadLength, null, null, baseOffset + end, now));
                    }
                } else if (opcode == 8) {
                    stop = true;
                }
                pos = end;
            }
            return pos;
        }

        public synchronized List<Event> events() {
            if (failure != null) {
                throw new AssertionError("slow reader failed: " + failure, failure);
            }
            return new ArrayList<>(events);
        }

        @Override
        public void close() {
            stop = true;
            try {
                socket.close();
                thread.join(5000);
            } catch (final IOException | InterruptedException ignored) {
                // closing anyway
            }
        }
    }

    // ---- the ring writer ----------------------------------------------------------------------

    /**
     * Writes frames of {@code size} bytes into a v2 ring on its own thread, one every {@code intervalNs};
     * frame s is a keyframe when (s - 1) mod gop == 0.
     */
    public static final class Feeder implements AutoCloseable {
        private final RingWriter writer;
        private final int size;
        private final int gop;
        private final long intervalNs;
        private final Thread thread;
        private volatile boolean stop;
        private volatile long written;
        private volatile Throwable failure;

        public Feeder(final RingWriter writer, final int size, final int gop, final long intervalNs) {
            this.writer = writer;
            this.size = size;
            this.gop = gop;
            this.intervalNs = intervalNs;
            this.thread = new Thread(this::run, "test-ring-feeder");
            this.thread.setDaemon(true);
        }

        public Feeder start() {
            thread.start();
            return this;
        }

        private void run() {
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[size]);
            long next = System.nanoTime();
            try {
                while (!stop) {
                    final long s = writer.lastFrameSeq() + 1;
                    payload.setMemory(0, Math.min(size, 64), (byte) s);
                    writer.write(s, (s - 1) % gop == 0 ? 1 : 0, 1, payload, 0, size);
                    written = s;
                    next += intervalNs;
                    final long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    } else if (wait < -20 * intervalNs) {
                        next = System.nanoTime(); // descheduled for long: no catch-up burst
                    }
                }
            } catch (final Throwable t) {
                failure = t;
            }
        }

        public long written() {
            if (failure != null) {
                throw new AssertionError("feeder failed: " + failure, failure);
            }
            return written;
        }

        public void awaitWritten(final long frames) {
            eventually("feeder wrote " + frames + " frames (wrote " + written + ")", () -> written() >= frames);
        }

        public long stop() {
            stop = true;
            try {
                thread.join(PATIENCE.toMillis());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return written();
        }

        @Override
        public void close() {
            stop();
            writer.close();
        }
    }

    // ---- the fat jar as a process -------------------------------------------------------------

    /** {@code java -jar verticles/target/sdr-transport.jar ARGS} with only {@code env} as SDR_* settings; output under target/process-logs. */
    public static final class ServerProcess implements AutoCloseable {
        public final Process process;
        public final Path log;
        private final StringBuffer output = new StringBuffer();

        public ServerProcess(final String name, final Map<String, String> env, final String... args) throws IOException {
            final Path jar = repoRoot().resolve("verticles/target/sdr-transport.jar");
            if (!Files.isRegularFile(jar)) {
                fail("fat jar not found: " + jar + " -- build it first (mvn -B -q install -DskipTests)");
            }
            final List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar", jar.toString()));
            command.addAll(List.of(args));
            final Path logs = RepoPaths.moduleDir().resolve("target").resolve("process-logs");
            Files.createDirectories(logs);
            log = logs.resolve(name + "-" + System.currentTimeMillis() + ".log");
            final ProcessBuilder builder = new ProcessBuilder(command).directory(repoRoot().toFile()).redirectErrorStream(true);
            builder.environment().keySet().removeIf(k -> k.startsWith("SDR_"));
            builder.environment().putAll(env);
            process = builder.start();
            final PrintWriter file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
            file.println("$ " + String.join(" ", command) + "   env=" + env);
            final Thread pump = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                     PrintWriter out = file) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        output.append(line).append('\n');
                        out.println(line);
                    }
                } catch (final IOException ignored) {
                    // the process went away
                }
            }, name + "-output");
            pump.setDaemon(true);
            pump.start();
        }

        /** Everything the process printed so far. */
        public String output() {
            return output.toString();
        }

        public String tail() {
            final String all = output.toString();
            return (all.length() > 4000 ? "..." + all.substring(all.length() - 4000) : all) + "\n(full log: " + log + ")";
        }

        /** Waits until /health answers (any status). */
        public void awaitServing(final int port) {
            eventually("server answers /health on port " + port + "; output so far:\n" + tail(), () -> {
                if (!process.isAlive()) {
                    fail("server exited with " + process.exitValue() + ":\n" + tail());
                }
                try {
                    HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                    return true;
                } catch (final IOException e) {
                    return false;
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    process.destroyForcibly();
                }
            }
        }
    }
}
