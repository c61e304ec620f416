package io.sdr.load;

import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.RingV2Descriptor;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * Feeds the peer relay the frames the transport server reads from the ring, byte for byte: right
 * after the {@link RingFeeder} commits frame f, this copies f's frame header and payload out of the
 * tool's own ring and sends them as one binary WebSocket message on the relay's publish path,
 * exactly the message the server's ring poller builds from the same slot:
 *
 * <pre>
 *   ring slot:   | seq | commit_ns | (0) | frame header (32) | payload (size bytes) |
 *                                         \___________________ ____________________/
 *                                                             v copied once
 *   WS message:  | 0x01 | frame header (32) | payload (size bytes) |
 *   on the wire: | 0x82 | 0x80+len7 | ext. length 0/2/8 | mask key (4) | the message, masked |
 * </pre>
 *
 * So the clients time the relay's frames by the same {@code commit_ns} in the same slot
 * ({@link CommitClock}) as the server's: the relay's latency includes its ingest (this write, then
 * node's read and unmasking), as the server's includes the ring poller's.
 *
 * <p>A hand-written client over a blocking socket, as small as the load clients: a frame is
 * written from the writer thread and the write returns once the kernel has it (a JDK
 * {@code java.net.http.WebSocket} took ~0.5 ms per send to complete through its own threads, all
 * of it added to the relay's latency). A relay that reads its publisher slowly blocks the write
 * and so makes the writer late (counted as late frames), as it would a real encoder pushing to it.
 * Called on the writer thread only.
 */
final class RelayPublisher implements RingFeeder.CommitListener, AutoCloseable {
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** docs/WIRE.md: the type byte of a video message, before the frame header. */
    private static final byte TYPE_VIDEO = 0x01;
    /** The longest client frame header: 2 bytes, an 8-byte length, a 4-byte mask key. */
    private static final int MAX_FRAME_HEADER = 14;
    private static final int MAX_HANDSHAKE_BYTES = 16 * 1024;
    private static final int TIMEOUT_MS = 5_000;

    private final Socket socket;
    private final OutputStream out;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer ring;
    private final int slotCount;
    private final int slotSize;
    /** The whole WebSocket frame of one message, built in place and masked in place. */
    private final byte[] frame;
    private final SplittableRandom maskKeys = new SplittableRandom(7);

    // Written by the writer thread, read as progress figures and after it stopped.
    private volatile long published;
    private volatile long totalSendNs;
    private volatile long maxSendNs;
    private volatile String failure;

    private RelayPublisher(final Socket socket, final MappedByteBuffer mapping) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.mapping = mapping;
        this.ring = new UnsafeBuffer(mapping);
        this.slotCount = ring.getInt(RingV2Descriptor.SLOT_COUNT_OFFSET);
        this.slotSize = ring.getInt(RingV2Descriptor.SLOT_SIZE_OFFSET);
        this.frame = new byte[MAX_FRAME_HEADER + 1 + FrameHeaderDescriptor.LENGTH + slotSize - RingV2Descriptor.SLOT_OVERHEAD];
    }

    /** Connects to {@code ws://127.0.0.1:PORT/publish} (handshake checked) and maps {@code ringPath} read-only. */
    static RelayPublisher connect(final int port, final Path ringPath) throws IOException {
        final Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            socket.getOutputStream().write(("GET " + PeerRelay.PUBLISH_PATH + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: c2RyLWxvYWQtcHVibGlzaA==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final String response = readHead(socket.getInputStream());
            if (!response.startsWith("HTTP/1.1 101")) {
                throw new IOException("relay refused the publisher: port=" + port + ", response="
                    + response.lines().findFirst().orElse(""));
            }
            try (FileChannel channel = FileChannel.open(ringPath, StandardOpenOption.READ)) {
                return new RelayPublisher(socket, channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()));
            }
        } catch (final IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The HTTP response head, up to its blank line (the relay sends nothing after it). */
    private static String readHead(final InputStream in) throws IOException {
        final StringBuilder head = new StringBuilder();
        while (head.length() < MAX_HANDSHAKE_BYTES && (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n"))) {
            final int c = in.read();
            if (c < 0) {
                break;
            }
            head.append((char) c);
        }
        return head.toString();
    }

    @Override
    public void committed(final long frameSeq) {
        if (failure != null) {
            return;
        }
        // The writer thread wrote this slot itself just now: no seqlock needed to read it back.
        final int slot = RingV2Descriptor.slotOffset(frameSeq, slotCount, slotSize);
        final int header = slot + RingV2Descriptor.SLOT_HEADER_OFFSET;
        final int length = 1 + FrameHeaderDescriptor.LENGTH + ring.getInt(header + FrameHeaderDescriptor.SIZE_OFFSET);
        int h = 0;
        frame[h++] = (byte) 0x82; // FIN, binary
        if (length < 126) {
            frame[h++] = (byte) (0x80 | length);
        } else if (length < 65536) {
            frame[h++] = (byte) (0x80 | 126);
            frame[h++] = (byte) (length >>> 8);
            frame[h++] = (byte) length;
        } else {
            frame[h++] = (byte) (0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame[h++] = (byte) ((long) length >>> shift);
            }
        }
        final int key = maskKeys.nextInt();
        for (int i = 0; i < 4; i++) {
            frame[h++] = (byte) (key >>> (24 - 8 * i));
        }
        frame[h] = TYPE_VIDEO;
        ring.getBytes(header, frame, h + 1, length - 1);
        mask(frame, h, length, key);
        final long t0 = System.nanoTime();
        try {
            out.write(frame, 0, h + length);
        } catch (final IOException e) {
            failure = "publishing frame_seq=" + frameSeq + " to the relay failed: " + e;
            return;
        }
        final long sendNs = System.nanoTime() - t0;
        totalSendNs += sendNs;
        maxSendNs = Math.max(maxSendNs, sendNs);
        published++;
    }

    /** RFC 6455 5.3: byte i of the payload XOR key byte i mod 4 (key big-endian as sent), 8 bytes a step. */
    static void mask(final byte[] bytes, final int offset, final int length, final int key) {
        final long k = Integer.toUnsignedLong(Integer.reverseBytes(key));
        final long pattern = k | (k << 32);
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            LONG_LE.set(bytes, offset + i, (long) LONG_LE.get(bytes, offset + i) ^ pattern);
        }
        for (; i < length; i++) {
            bytes[offset + i] ^= (byte) (key >>> (24 - 8 * (i & 3)));
        }
    }

    long published() {
        return published;
    }

    double meanSendNs() {
        final long n = published;
        return n == 0 ? 0 : (double) totalSendNs / n;
    }

    long maxSendNs() {
        return maxSendNs;
    }

    /** Why publishing stopped, or null. */
    String failure() {
        return failure;
    }

    /** Unblocks a write the relay does not read (from another thread; the next write fails). */
    @Override
    public void abort() {
        try {
            socket.close();
        } catch (final IOException ignored) {
            // Closed already.
        }
    }

    /** After the writer thread has stopped ({@link RingFeeder#close()}). */
    @Override
    public void close() {
        abort();
        IoUtil.unmap(mapping);
    }
}
