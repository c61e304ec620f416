package io.sdr.nats;

import io.sdr.ring.RingWriter;
import org.agrona.concurrent.UnsafeBuffer;
import java.util.concurrent.locks.LockSupport;

import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.PATIENCE;

/**
 * Writes frames of {@code size} bytes into a v2 ring on its own thread, one every {@code intervalNs};
 * frame s is a keyframe when (s - 1) mod gop == 0.
 */
public final class Feeder implements AutoCloseable {
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
