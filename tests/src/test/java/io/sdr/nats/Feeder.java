package io.sdr.nats;

import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedLoop;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Writes frames of {@code size} bytes into a v2 ring on its own thread, one every {@code intervalNs};
 * frame s is a keyframe when (s - 1) mod gop == 0, its first 64 bytes are s.
 */
public final class Feeder implements AutoCloseable {
    private final RingWriter writer;
    private final PacedLoop loop;

    public Feeder(final RingWriter writer, final int size, final int gop, final long intervalNs) {
        this.writer = writer;
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[size]);
        this.loop = new PacedLoop("test-ring-feeder", intervalNs, () -> {
            final long s = writer.lastFrameSeq() + 1;
            payload.setMemory(0, Math.min(size, 64), (byte) s);
            writer.write(s, (s - 1) % gop == 0 ? 1 : 0, 1, payload, 0, size);
            return s;
        });
    }

    public Feeder start() {
        loop.start();
        return this;
    }

    /** frame_seq of the last frame written. */
    public long written() {
        return loop.progress();
    }

    public void awaitWritten(final long frames) {
        loop.awaitProgress(frames, "frames written");
    }

    /** Stops writing; returns frame_seq of the last frame written. */
    public long stop() {
        return loop.stop();
    }

    @Override
    public void close() {
        stop();
        writer.close();
    }
}
