package io.sdr.load;

import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.RingWriter;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * The simulator's part: a v2 ring writer on its own thread writing frames of fixed sizes at a fixed
 * rate, a keyframe every {@code gop} frames. The first 8 payload bytes of every frame are
 * {@code System.nanoTime()} (CLOCK_MONOTONIC, little-endian) taken just before the write, so a
 * client on this host can compute commit-to-receipt latency from the message alone; the write
 * itself (copy + CRC-32) is timed too and reported, so that offset is known.
 *
 * <p>With several rings (quality tiers: {@code main}, {@code main~360p}, ...) every picture goes to
 * each ring in turn, with the same frame_seq and keyframe flag, ring {@code i}'s frames
 * {@code shares[i]} the size of the first's: a simulcast encoder's output, keyframes aligned. Payload
 * byte 8 names the ring ({@link #TIER_OFFSET}), so a client can tell which tier it was sent.
 *
 * <pre>
 *   payload:  | writer nanoTime u64 LE | tier u8 | pseudo-random ... |
 *               0                        8         9
 * </pre>
 */
final class RingFeeder implements AutoCloseable {
    /** Told of each frame right after its commit, on the writer thread (peer mode: {@link RelayPublisher}). */
    interface CommitListener {
        void committed(long frameSeq);

        /** Makes a {@link #committed} blocked in I/O return (called from another thread at close). */
        default void abort() {
        }
    }

    /** Where the payload names its ring (tier index, 0 = the first ring). */
    static final int TIER_OFFSET = 8;

    private final RingWriter[] writers;
    private final double fps;
    private final int gop;
    private final UnsafeBuffer[] keyframes;
    private final UnsafeBuffer[] deltas;
    private final Thread thread;
    private volatile boolean running = true;
    private CommitListener listener;

    // Written by the writer thread, read after join() or as plain progress figures.
    private volatile long framesWritten;
    private volatile long bytesWritten;
    private volatile long lateFrames;
    private volatile long maxWriteNs;
    private volatile long totalWriteNs;

    RingFeeder(final Path ring, final double fps, final int frameBytes, final int keyframeBytes, final int gop,
               final int slotCount) {
        this(java.util.List.of(ring), new double[] {1.0}, fps, frameBytes, keyframeBytes, gop, slotCount);
    }

    /** One ring per tier; ring {@code i}'s frames are {@code shares[i]} times {@code frameBytes} (and {@code keyframeBytes}). */
    RingFeeder(final java.util.List<Path> rings, final double[] shares, final double fps, final int frameBytes,
               final int keyframeBytes, final int gop, final int slotCount) {
        if (rings.isEmpty() || rings.size() != shares.length || rings.size() > 255) {
            throw new IllegalArgumentException("one share per ring, 1-255 rings: rings=" + rings.size() + ", shares=" + shares.length);
        }
        writers = new RingWriter[rings.size()];
        keyframes = new UnsafeBuffer[rings.size()];
        deltas = new UnsafeBuffer[rings.size()];
        for (int i = 0; i < rings.size(); i++) {
            final int frame = (int) Math.round(frameBytes * shares[i]);
            final int key = (int) Math.round(keyframeBytes * shares[i]);
            if (frame < TIER_OFFSET + 1 || key < TIER_OFFSET + 1) {
                throw new IllegalArgumentException("frames carry an 8-byte timestamp and a tier byte: frameBytes=" + frame
                    + ", keyframeBytes=" + key + (rings.size() > 1 ? " (tier " + i + ", share " + shares[i] + ")" : ""));
            }
            final int slotSize = ((64 + Math.max(frame, key) + 63) / 64) * 64;
            keyframes[i] = payload(key, 1 + 2L * i, i);
            deltas[i] = payload(frame, 2 + 2L * i, i);
            writers[i] = RingWriter.createV2(rings.get(i), slotCount, slotSize);
        }
        this.fps = fps;
        this.gop = gop;
        this.thread = new Thread(this::run, "sdr-load-writer");
        this.thread.setDaemon(true);
    }

    /** Pseudo-random bytes (compressed video looks random); the timestamp overwrites the first 8. */
    private static UnsafeBuffer payload(final int length, final long seed, final int tier) {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        bytes[TIER_OFFSET] = (byte) tier;
        final ByteBuffer memory = ByteBuffer.allocateDirect(length).order(ByteOrder.LITTLE_ENDIAN);
        memory.put(bytes).flip();
        return new UnsafeBuffer(memory);
    }

    /** Before {@link #start()}. */
    void onCommit(final CommitListener commitListener) {
        this.listener = commitListener;
    }

    void start() {
        thread.start();
    }

    private void run() {
        final long intervalNs = (long) (1e9 / fps);
        final long startNs = System.nanoTime();
        long n = 0;
        long late = 0;
        long maxWrite = 0;
        long totalWrite = 0;
        long bytes = 0;
        while (running) {
            final long dueNs = startNs + n * intervalNs;
            long now = System.nanoTime();
            while (dueNs - now > 0 && running) {
                LockSupport.parkNanos(dueNs - now);
                now = System.nanoTime();
            }
            if (now - dueNs > intervalNs) {
                late++;
            }
            final boolean isKey = n % gop == 0;
            final long t0 = System.nanoTime();
            long frameSeq = 0;
            for (int i = 0; i < writers.length; i++) {
                final UnsafeBuffer payload = isKey ? keyframes[i] : deltas[i];
                // One picture, one time: every tier's copy carries the first write's timestamp.
                payload.putLong(0, t0, ByteOrder.LITTLE_ENDIAN);
                final long seq = writers[i].write(n + 1, isKey ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0,
                    FrameHeaderDescriptor.CODEC_H264, payload, 0, payload.capacity());
                frameSeq = i == 0 ? seq : frameSeq;
                bytes += payload.capacity();
            }
            final long writeNs = System.nanoTime() - t0;
            if (listener != null) {
                listener.committed(frameSeq);
            }
            maxWrite = Math.max(maxWrite, writeNs);
            totalWrite += writeNs;
            n++;
            framesWritten = n;
            bytesWritten = bytes;
            lateFrames = late;
            maxWriteNs = maxWrite;
            totalWriteNs = totalWrite;
        }
    }

    long framesWritten() {
        return framesWritten;
    }

    long bytesWritten() {
        return bytesWritten;
    }

    /** Frames written more than one interval after their due time (the writer thread was starved). */
    long lateFrames() {
        return lateFrames;
    }

    long maxWriteNs() {
        return maxWriteNs;
    }

    double meanWriteNs() {
        final long n = framesWritten;
        return n == 0 ? 0 : (double) totalWriteNs / n;
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
            if (thread.isAlive() && listener != null) {
                // Blocked writing to a relay that no longer reads: unblock it, then it sees running == false.
                listener.abort();
                thread.join(5_000);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (final RingWriter writer : writers) {
            writer.close();
        }
    }
}
