package io.sdr.testing;

import io.vertx.core.http.WebSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A WebSocket client on a plain socket that reads at most {@code bytesPerSecond} (0: reads
 * nothing until {@link #setRate}), with a small receive buffer: the server sees a slow link.
 * Records each telemetry and video message with the stream offset (bytes read) at which it
 * ended, so a test can tell what was ahead of a message in the socket.
 */
public final class SlowReader implements AutoCloseable {
    /** One received message: type 1 (video, {@code seq}), 2 (telemetry, {@code subject}/{@code payload}) or 3 (control, its JSON as {@code payload}). */
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
    /** How far reading may catch up after the socket had nothing: a link's burst (unbounded by default). */
    private volatile long maxCreditNs = Long.MAX_VALUE;
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
        final long deadline = System.nanoTime() + Await.PATIENCE.toNanos();
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

    /**
     * Bounds the catching up after an idle spell to {@code burstNs} of the rate, as a link of that
     * rate with a buffer that small would: without it, a reader that found nothing to read for a
     * second may then take a second's worth at once, faster than its rate.
     */
    public void limitBurst(final long burstNs) {
        this.maxCreditNs = burstNs;
    }

    /** Sends a text message (masked with a zero key, as a client must mask), e.g. {@code {"tiers":true}}. */
    public synchronized void sendText(final String text) throws IOException {
        final byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 125) {
            throw new IllegalArgumentException("a short control message only: " + payload.length + " bytes");
        }
        final byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(payload, 0, frame, 6, payload.length);
        socket.getOutputStream().write(frame);
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
                long allowedAtNs = budgetStartNs + budgetBytes * 1_000_000_000L / rate;
                final long credit = System.nanoTime() - allowedAtNs;
                if (credit > maxCreditNs) {
                    budgetStartNs += credit - maxCreditNs;
                    allowedAtNs = budgetStartNs + budgetBytes * 1_000_000_000L / rate;
                }
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
                final WireMessages.TelemetryMessage m = WireMessages.decodeTelemetry(Arrays.copyOfRange(b, start, end), now);
                synchronized (this) {
                    events.add(new Event(2, 0, (int) payloadLength, m == null ? null : m.subject(),
                        m == null ? null : m.payload(), baseOffset + end, now));
                }
            } else if (opcode == 2 && payloadLength > 1 + WireMessages.HEADER_LENGTH && b[start] == 0x01) {
                final long seq = ByteBuffer.wrap(b, start + 9, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                synchronized (this) {
                    events.add(new Event(1, seq, (int) payloadLength, null, null, baseOffset + end, now));
                }
            } else if (opcode == 2 && payloadLength > 1 && b[start] == 0x03) {
                // 0x03 control (tier, stats, pong): its JSON as the payload.
                synchronized (this) {
                    events.add(new Event(3, 0, (int) payloadLength, null, Arrays.copyOfRange(b, start + 1, end), baseOffset + end, now));
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
