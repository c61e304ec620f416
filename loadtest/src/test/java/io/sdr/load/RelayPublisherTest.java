package io.sdr.load;

import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.RingV2Descriptor;
import io.sdr.ring.RingWriter;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer half of {@code --peer node} against the real relay: {@code node peer/relay.js} (npm ci
 * first when node_modules is missing), a v2 ring written by {@link RingWriter}, the
 * {@link RelayPublisher} and raw WebSocket viewers on loopback.
 */
class RelayPublisherTest {
    /** The module's directory is the working directory of surefire. */
    private static final Path PEER_DIR = Path.of("peer").toAbsolutePath();
    private static final int MAX_PAYLOAD = 70_000;
    private static final int SLOT_SIZE = ((RingV2Descriptor.SLOT_OVERHEAD + MAX_PAYLOAD + 63) / 64) * 64;
    private static final int SLOTS = 256;

    private Path dir;
    private Path ring;
    private RingWriter writer;
    private PeerRelay relay;
    private RelayPublisher publisher;
    private final List<Socket> viewers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "sdr-relay-test-");
        ring = dir.resolve("frames");
        writer = RingWriter.createV2(ring, SLOTS, SLOT_SIZE);
        final Path log = dir.resolve("relay.log");
        PeerRelay.ensureInstalled(PEER_DIR, "npm", log);
        relay = PeerRelay.start(PEER_DIR, "node", log);
        assertTrue(relay.awaitReady(Duration.ofSeconds(20)), "relay not ready; log: " + readQuietly(log));
    }

    @AfterEach
    void stop() throws IOException {
        for (final Socket viewer : viewers) {
            viewer.close();
        }
        if (publisher != null) {
            publisher.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (writer != null) {
            writer.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void shouldMaskLikeTheRfcForEveryLengthAndOffset() {
        final Random random = new Random(1);
        for (int length = 0; length < 40; length++) {
            for (int offset = 0; offset < 9; offset++) {
                final byte[] bytes = new byte[offset + length + 3];
                random.nextBytes(bytes);
                final byte[] expected = bytes.clone();
                final int key = random.nextInt();
                for (int i = 0; i < length; i++) {
                    expected[offset + i] ^= (byte) (key >>> (24 - 8 * (i % 4)));
                }
                RelayPublisher.mask(bytes, offset, length, key);
                assertArrayEquals(expected, bytes, "length=" + length + ", offset=" + offset);
            }
        }
    }

    @Test
    void shouldRelayTheServersVideoMessageByteForByteAtEveryLengthEncoding() throws Exception {
        final Socket viewer = viewer(0);
        publisher = RelayPublisher.connect(relay.port, ring);
        final DataInputStream in = new DataInputStream(viewer.getInputStream());
        // Messages of 1 + 32 + payload bytes: a 7-bit, a 16-bit and a 64-bit WebSocket length.
        for (final int payload : new int[] {50, 1_000, MAX_PAYLOAD}) {
            final long seq = write(payload, payload == 50);
            publisher.committed(seq);
            assertArrayEquals(expectedMessage(seq), readMessage(in), "payload=" + payload);
        }
        assertEquals(3, publisher.published());
        assertEquals(null, publisher.failure());
    }

    @Test
    void shouldSkipAViewerThatStopsReadingWhileItsQueueExceedsTwoFrames() throws Exception {
        // Receive buffer 4 KiB, never read during the burst: the relay's kernel send buffer fills,
        // then node's own queue (bufferedAmount) passes two frames and the relay skips it.
        final Socket stalled = viewer(4096);
        publisher = RelayPublisher.connect(relay.port, ring);
        final int published = 200;
        for (int i = 0; i < published; i++) {
            publisher.committed(write(MAX_PAYLOAD, i == 0));
        }
        assertEquals(null, publisher.failure());
        stalled.setSoTimeout(2_000);
        final DataInputStream in = new DataInputStream(stalled.getInputStream());
        final List<Long> seqs = new ArrayList<>();
        try {
            while (seqs.size() < published) {
                final byte[] message = readMessage(in);
                seqs.add(new UnsafeBuffer(message).getLong(1 + FrameHeaderDescriptor.FRAME_SEQ_OFFSET, ByteOrder.LITTLE_ENDIAN));
            }
        } catch (final SocketTimeoutException drained) {
            // Everything queued for it has arrived.
        }
        // It never read during the burst: it gets the frames queued before the skipping began, in
        // order and none missing, and none of the rest (the relay does not queue for it).
        assertTrue(seqs.size() > 0 && seqs.size() < published, "received " + seqs.size() + " of " + published);
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(i + 1, seqs.get(i), "frames received: " + seqs);
        }
    }

    private long write(final int payloadBytes, final boolean keyframe) {
        final byte[] payload = new byte[payloadBytes];
        new Random(payloadBytes).nextBytes(payload);
        return writer.write(writer.lastFrameSeq() + 1, keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0,
            FrameHeaderDescriptor.CODEC_H264, new UnsafeBuffer(payload), 0, payloadBytes);
    }

    /** What the server's ring poller sends for frame {@code seq}: 0x01, then the slot's frame header and payload. */
    private byte[] expectedMessage(final long seq) throws IOException {
        final MappedByteBuffer mapping;
        try (FileChannel channel = FileChannel.open(ring, StandardOpenOption.READ)) {
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        try {
            final UnsafeBuffer slots = new UnsafeBuffer(mapping);
            final int header = RingV2Descriptor.slotOffset(seq, SLOTS, SLOT_SIZE) + RingV2Descriptor.SLOT_HEADER_OFFSET;
            final int size = slots.getInt(header + FrameHeaderDescriptor.SIZE_OFFSET);
            final byte[] message = new byte[1 + FrameHeaderDescriptor.LENGTH + size];
            message[0] = 0x01;
            slots.getBytes(header, message, 1, FrameHeaderDescriptor.LENGTH + size);
            assertEquals(seq, slots.getLong(header + FrameHeaderDescriptor.FRAME_SEQ_OFFSET));
            return message;
        } finally {
            IoUtil.unmap(mapping);
        }
    }

    private Socket viewer(final int rcvBuf) throws IOException {
        final Socket socket = new Socket();
        viewers.add(socket);
        if (rcvBuf > 0) {
            socket.setReceiveBufferSize(rcvBuf);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", relay.port), 5_000);
        socket.setSoTimeout(5_000);
        socket.getOutputStream().write(("GET " + PeerRelay.VIEWER_PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        final InputStream in = socket.getInputStream();
        final StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            final int c = in.read();
            assertTrue(c >= 0, "relay closed during the handshake: " + head);
            head.append((char) c);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
        // ws adds the viewer to its clients in the same tick that writes the 101: it is tracked now.
        return socket;
    }

    /** One unmasked, unfragmented binary server frame's payload. */
    private static byte[] readMessage(final DataInputStream in) throws IOException {
        final int b0 = in.readUnsignedByte();
        final int b1 = in.readUnsignedByte();
        assertEquals(0x82, b0, "FIN + binary");
        assertEquals(0, b1 & 0x80, "server frames are unmasked");
        long length = b1 & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        final byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return payload;
    }

    private static String readQuietly(final Path log) {
        try {
            return Files.readString(log);
        } catch (final IOException e) {
            return e.toString();
        }
    }
}
