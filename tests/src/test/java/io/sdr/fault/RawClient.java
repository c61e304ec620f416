package io.sdr.fault;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a bare TCP socket, for what a well-behaved library will not do: upgrade and
 * then never read (a stalled viewer), send random bytes before or after the upgrade, send masked
 * frames of any size and fragmentation, and report exactly how the server ended the connection
 * (HTTP status, close code, or a dropped connection).
 */
final class RawClient implements AutoCloseable {
    /** {@link #awaitClose} result when the server dropped the connection without a close frame. */
    static final int DROPPED = -1;
    private static final int IDLE = -2;
    private static final int OTHER = -3;

    private final Socket socket;
    private final DataInputStream in;

    private RawClient(final Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** A connection to 127.0.0.1:{@code port}; {@code receiveBufferBytes} > 0 makes a stalled reader stall sooner. */
    static RawClient connect(final int port, final int receiveBufferBytes) throws IOException {
        final Socket socket = new Socket();
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        return new RawClient(socket);
    }

    /** Sends the upgrade request for {@code uri}; returns the response's status code (101 when upgraded). */
    int upgrade(final String uri, final Duration limit) throws IOException {
        final String key = Base64.getEncoder().encodeToString(randomBytes(16));
        sendRaw(("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + socket.getPort() + "\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        final String head = readHead(limit);
        if (!head.startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP response: " + head);
        }
        return Integer.parseInt(head.substring(9, 12));
    }

    /** The response head (status line and headers); throws on EOF or after {@code limit}. */
    String readHead(final Duration limit) throws IOException {
        socket.setSoTimeout((int) limit.toMillis());
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int c = in.read();
            if (c < 0) {
                throw new EOFException("closed after " + head.length() + " bytes of the response: " + head);
            }
            head.append((char) c);
        }
        return head.toString();
    }

    void sendRaw(final byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** One client frame, masked as RFC 6455 requires. */
    void sendFrame(final int opcode, final boolean fin, final byte[] payload) throws IOException {
        sendFrame(opcode, fin, payload, payload.length);
    }

    /**
     * A frame header announcing {@code declaredLength} payload bytes, followed by {@code payload}
     * (all of them, or only the start of an oversized frame: a server that refuses it on its header
     * closes before the rest would arrive, so the close frame is not lost to a TCP reset).
     */
    void sendFrame(final int opcode, final boolean fin, final byte[] payload, final int declaredLength) throws IOException {
        final int n = declaredLength;
        final byte[] header = n < 126 ? new byte[2 + 4] : n < 65536 ? new byte[4 + 4] : new byte[10 + 4];
        header[0] = (byte) ((fin ? 0x80 : 0) | opcode);
        int pos;
        if (n < 126) {
            header[1] = (byte) (0x80 | n);
            pos = 2;
        } else if (n < 65536) {
            header[1] = (byte) (0x80 | 126);
            header[2] = (byte) (n >>> 8);
            header[3] = (byte) n;
            pos = 4;
        } else {
            header[1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) {
                header[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
            }
            pos = 10;
        }
        final byte[] mask = randomBytes(4);
        System.arraycopy(mask, 0, header, pos, 4);
        final byte[] masked = new byte[payload.length];
        for (int i = 0; i < masked.length; i++) {
            masked[i] = (byte) (payload[i] ^ mask[i & 3]);
        }
        socket.getOutputStream().write(header);
        socket.getOutputStream().write(masked);
        socket.getOutputStream().flush();
    }

    /**
     * Reads (and skips) server frames until a close frame, whose code it returns, or until the
     * server drops the connection ({@link #DROPPED}); throws when neither happens within {@code limit}.
     */
    int awaitClose(final Duration limit) throws IOException {
        final long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("server did not end the connection within " + limit.toMillis() + " ms");
            }
            final int code = readFrame((int) Math.max(1, left / 1_000_000), limit);
            if (code != IDLE && code != OTHER) {
                return code;
            }
        }
    }

    /** Reads and discards whole server frames for {@code time} (a join's GOP burst); stops between frames. */
    void drain(final Duration time) throws IOException {
        final long end = System.nanoTime() + time.toNanos();
        while (System.nanoTime() - end < 0) {
            if (readFrame(20, Duration.ofSeconds(10)) == DROPPED) {
                return;
            }
        }
    }

    /**
     * One server frame: its close code for a close frame, {@link #OTHER} for any other frame,
     * {@link #IDLE} when no frame starts within {@code startMs}, {@link #DROPPED} at EOF or reset.
     * Once a frame has started, the rest must come within {@code rest}, so a frame is never left half read.
     */
    private int readFrame(final int startMs, final Duration rest) throws IOException {
        try {
            socket.setSoTimeout(startMs);
            final int b0;
            try {
                b0 = in.read();
            } catch (final SocketTimeoutException idle) {
                return IDLE;
            }
            if (b0 < 0) {
                return DROPPED;
            }
            socket.setSoTimeout((int) rest.toMillis());
            final int b1 = in.readUnsignedByte();
            long length = b1 & 0x7F;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            final byte[] payload = new byte[(int) Math.min(length, 1 << 24)];
            in.readFully(payload);
            if ((b0 & 0x0F) == 8) {
                return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
            }
            return OTHER;
        } catch (final EOFException | java.net.SocketException e) {
            return DROPPED;
        }
    }

    /** Whether the server has ended the connection (EOF), reading whatever it still sends. */
    boolean endedByServer(final Duration limit) {
        try {
            socket.setSoTimeout((int) limit.toMillis());
            final InputStream stream = socket.getInputStream();
            final byte[] sink = new byte[8192];
            while (stream.read(sink) >= 0) {
                // drain until EOF
            }
            return true;
        } catch (final SocketTimeoutException e) {
            return false;
        } catch (final IOException e) {
            return true; // reset by the server
        }
    }

    static byte[] randomBytes(final int n) {
        final byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (final IOException ignored) {
            // closing anyway
        }
    }
}
