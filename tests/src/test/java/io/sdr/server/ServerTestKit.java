package io.sdr.server;

import io.sdr.testing.ChildProcess;
import io.sdr.testing.WireViewer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.testing.RepoPaths.repoRoot;

/**
 * Runs the built fat jar and the Python ring writer as real processes, with their output captured
 * under {@code target/process-logs/}, and checks what a WebSocket client receives from them. Every
 * wait is bounded by {@link #PATIENCE}; nothing asserts on how long something took.
 */
final class ServerTestKit {
    static final int HEADER_LENGTH = 32;

    private ServerTestKit() {
    }

    // ---- locations ----------------------------------------------------------------------------

    static boolean pythonAvailable() {
        return ChildProcess.pythonRingAvailable();
    }

    // ---- processes ----------------------------------------------------------------------------

    /** {@code python3 -m sdr_ring write ...} until stopped; returns once it printed {@code ready}. */
    static ChildProcess startPythonWriter(final String name, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of("python3", "-m", "sdr_ring", "write"));
        command.addAll(List.of(args));
        final ChildProcess writer = ChildProcess.start(name, command,
            Map.of("PYTHONPATH", repoRoot().resolve("shm-worker/python").toString()));
        writer.awaitOutput("ready ");
        return writer;
    }

    // ---- WebSocket viewer ---------------------------------------------------------------------

    /** One decoded video message, checked against the writers' payload pattern and its CRC. */
    record VideoFrame(long frameId, long frameSeq, int size, int flags, int codec, boolean crcOk, boolean patternOk) {
        boolean keyframe() {
            return (flags & 1) != 0;
        }
    }

    /** Decodes [0x01][32-byte header][payload]; byte i of frame s's payload should be (s * 31 + i) mod 256. */
    static VideoFrame decode(final byte[] m) {
        if (m.length < 1 + HEADER_LENGTH || m[0] != 0x01) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        final long frameSeq = b.getLong(9);
        final int size = b.getInt(17);
        final int payload = m.length - 1 - HEADER_LENGTH;
        final CRC32 crc = new CRC32();
        crc.update(m, 1 + HEADER_LENGTH, payload);
        boolean pattern = size == payload;
        final int start = (int) ((frameSeq * 31) & 0xFF);
        for (int i = 0; pattern && i < payload; i++) {
            pattern = m[1 + HEADER_LENGTH + i] == (byte) (start + i);
        }
        return new VideoFrame(b.getLong(1), frameSeq, size, b.getShort(21) & 0xFFFF, b.getShort(23) & 0xFFFF,
            size == payload && b.getInt(25) == (int) crc.getValue(), pattern);
    }

    /** A WebSocket client of /stream/ws collecting decoded frames. Thread-safe. */
    static final class Viewer {
        final String name;
        final WebSocket socket;
        private final List<VideoFrame> frames = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();

        private Viewer(final String name, final WebSocket socket) {
            this.name = name;
            this.socket = socket;
            socket.binaryMessageHandler(this::onMessage);
            // Text replies and other binary types (0x02 telemetry) are allowed extensions: ignored.
            socket.textMessageHandler(text -> { });
        }

        static Viewer connect(final Vertx vertx, final int port, final String name) {
            return connect(vertx, port, "/stream/ws", name);
        }

        /** {@code uri}: e.g. /stream/ws?token=... */
        static Viewer connect(final Vertx vertx, final int port, final String uri, final String name) {
            final WebSocketClient client = vertx.createWebSocketClient(
                new WebSocketClientOptions().setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20));
            return WireViewer.open(client, port, uri, name, socket -> new Viewer(name, socket));
        }

        private void onMessage(final Buffer buffer) {
            if (buffer.length() > 0 && buffer.getByte(0) != 0x01) {
                return;
            }
            final VideoFrame frame = decode(buffer.getBytes());
            synchronized (this) {
                if (frame == null) {
                    problems.add("not a video message: length=" + buffer.length());
                } else {
                    frames.add(frame);
                }
            }
        }

        synchronized List<VideoFrame> frames() {
            return new ArrayList<>(frames);
        }

        synchronized int count() {
            return frames.size();
        }

        void awaitFrames(final int count) {
            eventually(name + " received " + count + " frames (has " + count() + ")", () -> count() >= count);
        }

        /**
         * No malformed message, the first frame a keyframe, frame_seq strictly increasing (no frame
         * twice), every payload matching its CRC and the pattern; with {@code gapless} no frame
         * missing, else every gap followed by a keyframe.
         */
        synchronized void assertStream(final boolean gapless) {
            assertEquals(List.of(), problems, name + ": malformed messages");
            assertTrue(!frames.isEmpty(), name + ": no frame received");
            assertTrue(frames.get(0).keyframe(), name + ": first frame is not a keyframe: " + frames.get(0));
            for (int i = 0; i < frames.size(); i++) {
                final VideoFrame f = frames.get(i);
                assertTrue(f.crcOk(), name + ": size or CRC wrong: " + f);
                assertTrue(f.patternOk(), name + ": payload differs from the pattern: " + f);
                if (i > 0) {
                    final long prev = frames.get(i - 1).frameSeq();
                    assertTrue(f.frameSeq() > prev, name + ": frame_seq " + f.frameSeq() + " after " + prev + " (duplicate or reordered)");
                    if (f.frameSeq() != prev + 1) {
                        assertTrue(!gapless, name + ": gap " + prev + " -> " + f.frameSeq());
                        assertTrue(f.keyframe(), name + ": after the gap " + prev + " -> " + f.frameSeq() + " not a keyframe");
                    }
                }
            }
        }
    }
}
