package io.sdr.server;

import io.sdr.testing.Http;
import io.sdr.testing.FatJar;
import io.sdr.testing.ChildProcess;
import io.sdr.ring.RingWriter;
import io.sdr.server.ServerTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import static io.sdr.testing.Ports.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Staleness is bounded in time (issue 13): the fat jar as shipped (native epoll, TCP_NOTSENT_LOWAT,
 * the default lag rule), a 1080p60-sized stream (11 KB frames, an 88 KB keyframe a second), one
 * viewer with a 16 KiB receive buffer whose reader takes only 75 % of the stream's bitrate, and
 * two healthy viewers. The slow viewer must never be shown a frame older than 300 ms (the p99 of
 * each second's oldest frame received; see {@link #LIMIT_NS}), the healthy ones must get every frame.
 */
class SlowViewerStalenessTest extends ShippedJarTest {
    private static final int FPS = 60;
    private static final int FRAME = 11_000;
    private static final int KEYFRAME = 88_000;
    private static final int FRAMES = 60 * 24;
    private static final long SETTLE_NS = 4_000_000_000L;
    /**
     * The target is 250 ms; measured here 240-283 ms (p99 of the per-second oldest). The
     * floor is physics: the 88 KB keyframe alone takes 160 ms at this reader's rate, behind what
     * the kernel already holds. The rest is the kernel: TCP_NOTSENT_LOWAT is checked per socket
     * buffer, so one write may still leave up to a loopback segment (~64 KB, ~115 ms at this rate)
     * unsent in the kernel, out of the fan-out's sight. The old byte-budget rule showed such a
     * viewer frames 0.3-2.1 s old; this bound fails for anything like it.
     */
    private static final long LIMIT_NS = 300_000_000L;

    @Test
    void shouldShowASlowViewerOnlyFreshFramesWhileHealthyViewersGetEveryFrame(final Vertx vertx) throws Exception {
        final Path ring = dir.resolve("frames");
        final int port = freePort();
        final AtomicLongArray writtenNs = new AtomicLongArray(FRAMES + 2);
        final RingWriter writer = RingWriter.createV2(ring, 64, 128 * 1024);
        closer.track(writer);
        final JsonObject conf = new JsonObject()
            .put("streams", new JsonObject().put("main", new JsonObject().put("path", ring.toString())))
            .put("websocket", new JsonObject().put("listen", "127.0.0.1:" + port))
            .put("bridge", new JsonObject().put("enabled", false));
        final ChildProcess server = FatJar.start("server-staleness", Map.of(), "-conf", conf.encode());
        closer.track(server);
        Http.awaitServing(server, port);

        final AtomicBoolean writing = new AtomicBoolean(true);
        final Thread feeder = new Thread(() -> feed(writer, writtenNs, writing), "staleness-writer");
        feeder.start();
        closer.track(() -> {
            writing.set(false);
            feeder.join(5_000);
        });
        final Viewer healthyA = Viewer.connect(vertx, port, "healthy-a");
        final Viewer healthyB = Viewer.connect(vertx, port, "healthy-b");
        // 75 % of the stream's bitrate (59 P-frames and a keyframe a second, plus headers).
        final long bytesPerSecond = (long) (0.75 * ((FPS - 1) * (FRAME + 37L) + KEYFRAME + 37L));
        final SlowReader slow = new SlowReader(port, 16 * 1024, bytesPerSecond, writtenNs);
        closer.track(slow);
        final Thread reader = new Thread(slow, "slow-viewer");
        reader.start();
        feeder.join(60_000);
        slow.stop();
        reader.join(5_000);

        // Healthy viewers: every frame from their first keyframe on, in order, intact.
        for (final Viewer viewer : List.of(healthyA, healthyB)) {
            viewer.assertStream(true);
            assertTrue(viewer.count() > FRAMES - 3 * FPS, "a healthy viewer received " + viewer.count());
        }
        final long[] worst = slow.worstPerSecond();
        final long[] sorted = worst.clone();
        Arrays.sort(sorted);
        final long p99 = sorted.length == 0 ? Long.MAX_VALUE : sorted[(int) Math.ceil(0.99 * sorted.length) - 1];
        System.out.printf("STALENESS slow viewer (16 KiB, 75 %% of %d B/s): %d frames shown of %d, oldest per second ms %s, p99 %.1f ms%n",
            bytesPerSecond * 4 / 3, slow.shown(), FRAMES, Arrays.toString(Arrays.stream(worst).map(ns -> ns / 1_000_000).toArray()),
            p99 / 1e6);
        assertTrue(sorted.length >= 15, "seconds measured: " + sorted.length);
        assertTrue(slow.shown() > sorted.length * 5L, "the slow viewer still sees pictures: " + slow.shown());
        assertTrue(p99 <= LIMIT_NS, "p99 of each second's oldest frame shown: " + p99 / 1e6 + " ms > 300 ms; per second "
            + Arrays.toString(Arrays.stream(worst).map(ns -> ns / 1_000_000).toArray()));
        assertEquals(0, slow.problems(), "malformed or out-of-order messages");
    }

    /** 60 fps on the writer's own schedule; frame s carries the test kit's payload pattern. */
    private static void feed(final RingWriter writer, final AtomicLongArray writtenNs, final AtomicBoolean writing) {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[KEYFRAME]);
        final long interval = 1_000_000_000L / FPS;
        long due = System.nanoTime();
        for (int s = 1; s <= FRAMES && writing.get(); s++) {
            final boolean keyframe = (s - 1) % FPS == 0;
            final int size = keyframe ? KEYFRAME : FRAME;
            final int start = (s * 31) & 0xFF;
            for (int i = 0; i < size; i++) {
                payload.putByte(i, (byte) (start + i));
            }
            writtenNs.set(s, System.nanoTime());
            writer.write(s, keyframe ? 1 : 0, 1, payload, 0, size);
            due += interval;
            final long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    /**
     * A viewer on a bare socket that reads at a fixed byte rate, in 5 ms steps, and notes for each
     * video message, when its last byte arrived, how old its frame was.
     */
    private static final class SlowReader implements Runnable, AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final long bytesPerSecond;
        private final AtomicLongArray writtenNs;
        private volatile boolean running = true;
        private final List<long[]> shown = new ArrayList<>();
        private int problems;
        private long lastSeq;

        SlowReader(final int port, final int receiveBuffer, final long bytesPerSecond, final AtomicLongArray writtenNs)
            throws IOException {
            this.socket = new Socket();
            socket.setReceiveBufferSize(receiveBuffer);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            this.bytesPerSecond = bytesPerSecond;
            this.writtenNs = writtenNs;
            final byte[] key = new byte[16];
            new java.util.Random().nextBytes(key);
            socket.getOutputStream().write(("GET /stream/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final DataInputStream head = new DataInputStream(socket.getInputStream());
            final StringBuilder response = new StringBuilder();
            while (!response.toString().endsWith("\r\n\r\n")) {
                response.append((char) head.readUnsignedByte());
            }
            assertTrue(response.toString().startsWith("HTTP/1.1 101"), response.toString());
            this.in = socket.getInputStream();
        }

        @Override
        public void run() {
            final byte[] chunk = new byte[64 * 1024];
            final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
            final long stepNs = 5_000_000L;
            final long perStep = bytesPerSecond * stepNs / 1_000_000_000L;
            long next = System.nanoTime();
            try {
                socket.setSoTimeout(200);
                while (running) {
                    int budget = (int) perStep;
                    while (budget > 0 && running) {
                        final int n;
                        try {
                            n = in.read(chunk, 0, Math.min(budget, chunk.length));
                        } catch (final java.net.SocketTimeoutException idle) {
                            break;
                        }
                        if (n < 0) {
                            return;
                        }
                        budget -= n;
                        pending.write(chunk, 0, n);
                        parse(pending);
                    }
                    next += stepNs;
                    final long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
            } catch (final IOException e) {
                if (running) {
                    problems++;
                }
            }
        }

        /** Takes the complete frames off the front of {@code pending}. */
        private void parse(final java.io.ByteArrayOutputStream pending) {
            final byte[] b = pending.toByteArray();
            int pos = 0;
            while (b.length - pos >= 2) {
                int len = b[pos + 1] & 0x7F;
                int header = 2;
                if (len == 126) {
                    if (b.length - pos < 4) {
                        break;
                    }
                    len = ((b[pos + 2] & 0xFF) << 8) | (b[pos + 3] & 0xFF);
                    header = 4;
                } else if (len == 127) {
                    if (b.length - pos < 10) {
                        break;
                    }
                    long l = 0;
                    for (int i = 0; i < 8; i++) {
                        l = (l << 8) | (b[pos + 2 + i] & 0xFF);
                    }
                    len = (int) l;
                    header = 10;
                }
                if (b.length - pos < header + len) {
                    break;
                }
                final int start = pos + header;
                if ((b[pos] & 0x0F) == 2 && len >= 33 && b[start] == 0x01) {
                    long seq = 0;
                    for (int i = 7; i >= 0; i--) {
                        seq = (seq << 8) | (b[start + 9 + i] & 0xFF);
                    }
                    final long now = System.nanoTime();
                    if (seq <= lastSeq || seq >= writtenNs.length()) {
                        problems++;
                    } else {
                        synchronized (shown) {
                            shown.add(new long[] {now, now - writtenNs.get((int) seq)});
                        }
                    }
                    lastSeq = seq;
                }
                pos = start + len;
            }
            pending.reset();
            pending.write(b, pos, b.length - pos);
        }

        /** The oldest frame shown in each whole second after the first {@code SETTLE_NS} (the join burst). */
        long[] worstPerSecond() {
            synchronized (shown) {
                if (shown.isEmpty()) {
                    return new long[0];
                }
                final long first = shown.get(0)[0] + SETTLE_NS;
                final long last = shown.get(shown.size() - 1)[0];
                final int seconds = (int) Math.max(0, (last - first) / 1_000_000_000L);
                final long[] worst = new long[seconds];
                for (final long[] s : shown) {
                    final long second = (s[0] - first) / 1_000_000_000L;
                    if (s[0] >= first && second < seconds) {
                        worst[(int) second] = Math.max(worst[(int) second], s[1]);
                    }
                }
                return worst;
            }
        }

        int shown() {
            synchronized (shown) {
                return shown.size();
            }
        }

        int problems() {
            return problems;
        }

        void stop() {
            running = false;
        }

        @Override
        public void close() throws IOException {
            running = false;
            socket.close();
        }
    }
}
