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
 */
final class RingFeeder implements AutoCloseable {
    /** Told of each frame right after its commit, on the writer thread (peer mode: {@link RelayPublisher}). */
    interface CommitListener {
        void committed(long frameSeq);

        /** Makes a {@link #committed} blocked in I/O return (called from another thread at close). */
        default void abort() {
        }
    }

    private final RingWriter writer;
    private final double fps;
    private final int gop;
    private final UnsafeBuffer keyframe;
    private final UnsafeBuffer delta;
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
        if (frameBytes < 8 || keyframeBytes < 8) {
            throw new IllegalArgumentException("frames carry an 8-byte timestamp: frameBytes=" + frameBytes
                + ", keyframeBytes=" + keyframeBytes);
        }
        final int largest = Math.max(frameBytes, keyframeBytes);
        final int slotSize = ((64 + largest + 63) / 64) * 64;
        this.writer = RingWriter.createV2(ring, slotCount, slotSize);
        this.fps = fps;
        this.gop = gop;
        this.keyframe = payload(keyframeBytes, 1);
        this.delta = payload(frameBytes, 2);
        this.thread = new Thread(this::run, "sdr-load-writer");
        this.thread.setDaemon(true);
    }

    /** Pseudo-random bytes (compressed video looks random); the timestamp overwrites the first 8. */
    private static UnsafeBuffer payload(final int length, final long seed) {
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
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
            final UnsafeBuffer payload = isKey ? keyframe : delta;
            final long t0 = System.nanoTime();
            payload.putLong(0, t0, ByteOrder.LITTLE_ENDIAN);
            final long frameSeq = writer.write(writer.lastFrameSeq() + 1, isKey ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0,
                FrameHeaderDescriptor.CODEC_H264, payload, 0, payload.capacity());
            final long writeNs = System.nanoTime() - t0;
            if (listener != null) {
                listener.committed(frameSeq);
            }
            maxWrite = Math.max(maxWrite, writeNs);
            totalWrite += writeNs;
            bytes += payload.capacity();
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
        writer.close();
    }
}
