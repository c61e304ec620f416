package io.sdr.fault;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import io.sdr.testing.WireViewer;

/**
 * A healthy WebSocket viewer of /stream/ws that checks every video message as it arrives: the
 * 32-byte frame header after the 0x01 type byte (docs/WIRE.md), size equal to the payload length,
 * the header's CRC-32 (offset 24, signed) equal to the payload's, the payload equal to the writers'
 * pattern (byte i of frame s is (s * 31 + i) mod 256), and the order: within one writer generation
 * (frame_id / {@link FaultKit#GENERATION}) frame_seq strictly increases, every generation starts
 * at a keyframe and every gap is followed by a keyframe; generations only move forward. Keeps which
 * frames of each generation arrived, so a scenario can count the ones lost. Thread-safe.
 */
final class CheckedViewer {
    private static final int HEADER = 32;

    final String name;
    final WebSocket socket;
    private final Map<Long, BitSet> received = new HashMap<>();
    private final Map<Long, Long> firstArrivalNs = new HashMap<>();
    private final List<String> problems = new ArrayList<>();
    private long generation = -1;
    private long lastSeq;
    private long frames;
    private long lastFrameNs;
    private long telemetry;
    private String lastTelemetry;
    private long lastTelemetryNs;
    private volatile boolean closed;

    private CheckedViewer(final String name, final WebSocket socket) {
        this.name = name;
        this.socket = socket;
        socket.binaryMessageHandler(this::onMessage);
        socket.textMessageHandler(text -> { });
        socket.closeHandler(v -> closed = true);
    }

    static CheckedViewer connect(final WebSocketClient client, final int port, final String name) {
        return WireViewer.open(client, port, "/stream/ws", name, socket -> new CheckedViewer(name, socket));
    }

    private void onMessage(final Buffer m) {
        final long now = System.nanoTime();
        if (m.length() == 0) {
            problem("empty message");
            return;
        }
        final byte type = m.getByte(0);
        if (type == 0x02) {
            final int subjectLength = m.length() >= 3 ? m.getUnsignedShortLE(1) : -1;
            synchronized (this) {
                if (subjectLength <= 0 || 3 + subjectLength > m.length()) {
                    problems.add("malformed telemetry message: length=" + m.length());
                    return;
                }
                telemetry++;
                lastTelemetry = m.getString(3 + subjectLength, m.length(), StandardCharsets.UTF_8.name());
                lastTelemetryNs = now;
            }
            return;
        }
        if (type != 0x01) {
            return; // 0x03 control and later types are allowed extensions
        }
        if (m.length() < 1 + HEADER) {
            problem("video message shorter than its header: length=" + m.length());
            return;
        }
        final long frameId = m.getLongLE(1);
        final long seq = m.getLongLE(9);
        final int size = m.getIntLE(17);
        final boolean keyframe = (m.getUnsignedShortLE(21) & 1) != 0;
        final int crcField = m.getIntLE(25);
        final int payload = m.length() - 1 - HEADER;
        if (size != payload) {
            problem("size field " + size + " != payload length " + payload + ": frame_id=" + frameId + ", seq=" + seq);
            return;
        }
        final byte[] bytes = m.getBytes(1 + HEADER, m.length());
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        if ((int) crc.getValue() != crcField) {
            problem("CRC mismatch: frame_id=" + frameId + ", seq=" + seq);
            return;
        }
        final int start = (int) ((seq * 31) & 0xFF);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != (byte) (start + i)) {
                problem("payload differs from the pattern at byte " + i + ": frame_id=" + frameId + ", seq=" + seq);
                return;
            }
        }
        final long gen = frameId / FaultKit.GENERATION;
        synchronized (this) {
            if (gen < generation) {
                problems.add("generation went back: " + generation + " -> " + gen + " (seq " + seq + ")");
                return;
            }
            if (gen > generation) {
                if (!keyframe) {
                    problems.add("generation " + gen + " starts without a keyframe: seq=" + seq);
                }
                generation = gen;
                lastSeq = 0;
                firstArrivalNs.put(gen, now);
            } else if (seq <= lastSeq) {
                problems.add("generation " + gen + ": seq " + seq + " after " + lastSeq + " (duplicate or reordered)");
                return;
            } else if (seq != lastSeq + 1 && !keyframe) {
                problems.add("generation " + gen + ": gap " + lastSeq + " -> " + seq + " not resumed at a keyframe");
            }
            lastSeq = seq;
            received.computeIfAbsent(gen, g -> new BitSet()).set((int) seq);
            frames++;
            lastFrameNs = now;
        }
    }

    private synchronized void problem(final String text) {
        if (problems.size() < 20) {
            problems.add(text);
        }
    }

    synchronized List<String> problems() {
        return new ArrayList<>(problems);
    }

    /** Frames of generation {@code gen} with frame_seq in [from, to] that arrived. */
    synchronized int received(final long gen, final long from, final long to) {
        final BitSet set = received.get(gen);
        if (set == null || to < from) {
            return 0;
        }
        return set.get((int) Math.max(0, from), (int) to + 1).cardinality();
    }

    /** The newest frame_seq received of generation {@code gen}, 0 when none. */
    synchronized long lastSeq(final long gen) {
        final BitSet set = received.get(gen);
        return set == null || set.isEmpty() ? 0 : set.length() - 1;
    }

    /** When the first frame of generation {@code gen} arrived (System.nanoTime), or -1. */
    synchronized long firstArrivalNs(final long gen) {
        return firstArrivalNs.getOrDefault(gen, -1L);
    }

    synchronized long frames() {
        return frames;
    }

    synchronized long lastFrameNs() {
        return lastFrameNs;
    }

    synchronized long telemetryCount() {
        return telemetry;
    }

    synchronized String lastTelemetry() {
        return lastTelemetry;
    }

    synchronized long lastTelemetryNs() {
        return lastTelemetryNs;
    }

    boolean closed() {
        return closed;
    }

    void close() {
        if (!closed) {
            socket.close();
        }
    }
}
