package io.sdr.nats;

import io.sdr.ring.RingWriter;
import io.sdr.testing.PacedFeeder;
import org.agrona.concurrent.UnsafeBuffer;

/** The NATS tests' ring feeder. */
public final class Feeder {
    private Feeder() {
    }

    /**
     * Writes frames of {@code size} bytes into {@code writer} on its own thread once started, one every
     * {@code intervalNs}; frame s is a keyframe when (s - 1) mod gop == 0, its first 64 bytes are s.
     */
    public static PacedFeeder feeder(final RingWriter writer, final int size, final int gop, final long intervalNs) {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[size]);
        return new PacedFeeder("test-ring-feeder", intervalNs, writer, () -> {
            final long s = writer.lastFrameSeq() + 1;
            payload.setMemory(0, Math.min(size, 64), (byte) s);
            writer.write(s, (s - 1) % gop == 0 ? 1 : 0, 1, payload, 0, size);
            return s;
        });
    }
}
