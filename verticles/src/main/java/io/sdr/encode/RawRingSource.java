package io.sdr.encode;

import io.sdr.ring.FrameInfo;
import io.sdr.ring.PollOutcome;
import io.sdr.ring.RingReader;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static io.sdr.ring.FrameHeaderDescriptor.LENGTH;

/**
 * Raw frames (docs/RING-RAW.md) from a ring the simulator writes, converted to the encoder's
 * picture. Every raw frame stands alone, so keyframe gating is off. The newest frame wins: when
 * several are waiting, the older ones are counted as superseded and skipped, which keeps latency
 * at one frame when the encoder is slower than the simulator. Frames that cannot be used (unknown
 * format, wrong size, bad header, CRC) are counted and skipped.
 */
public final class RawRingSource implements FrameSource {
    private final RingReader reader;
    private final EncoderStats stats;
    private final RawFrameConverter converter;
    private final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 50_000, 500_000);
    // Two copy targets: the newest complete frame, and the one being polled into.
    private ByteBuffer readyMemory;
    private UnsafeBuffer ready;
    private ByteBuffer spareMemory;
    private UnsafeBuffer spare;
    private boolean haveReady;
    private long readyFrameId;
    private long readyCommitNs;
    private int readyCodec;
    private int readySize;

    public RawRingSource(final Path path, final boolean crc, final int maxFrameBytes, final Picture picture,
                         final EncoderStats stats) {
        this.reader = new RingReader(path, RingReader.Options.DEFAULTS.withCrc(crc).withKeyframeGating(false));
        this.stats = stats;
        this.converter = new RawFrameConverter(picture);
        this.readyMemory = ByteBuffer.allocateDirect(LENGTH + maxFrameBytes);
        this.ready = new UnsafeBuffer(readyMemory);
        this.spareMemory = ByteBuffer.allocateDirect(LENGTH + maxFrameBytes);
        this.spare = new UnsafeBuffer(spareMemory);
    }

    @Override
    public boolean next(final Picture picture, final long maxWaitNs) {
        final long deadline = System.nanoTime() + maxWaitNs;
        idle.reset();
        while (true) {
            drain();
            if (haveReady) {
                haveReady = false;
                final RawFrameConverter.Outcome outcome = converter.convert(ready, readyMemory, LENGTH, readySize, readyCodec);
                if (outcome == RawFrameConverter.Outcome.CONVERTED) {
                    picture.stamp(readyFrameId, readyCommitNs != 0 ? readyCommitNs : System.nanoTime());
                    stats.rawEncoded();
                    return true;
                }
                stats.rawRefused(EncoderStats.RawRejection.valueOf(outcome.name()), converter.lastProblem());
                continue;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            idle.idle();
        }
    }

    /** Polls until the ring has nothing new, keeping the newest frame in {@code ready}. */
    private void drain() {
        for (int polls = 0; polls < 1024; polls++) {
            final PollOutcome outcome = reader.poll(spare, 0);
            switch (outcome) {
                case FRAME:
                    if (haveReady) {
                        stats.rawRefused(EncoderStats.RawRejection.SUPERSEDED);
                    }
                    final FrameInfo info = reader.frame();
                    readyFrameId = info.frameId();
                    readyCommitNs = info.commitNs();
                    readyCodec = info.codec();
                    readySize = info.size();
                    swap();
                    haveReady = true;
                    break;
                case BAD_LENGTH:
                    stats.rawRefused(EncoderStats.RawRejection.TOO_LARGE, "raw frame larger than rawMaxFrameBytes or malformed length");
                    break;
                case CRC_ERROR:
                    stats.rawRefused(EncoderStats.RawRejection.CRC_ERROR, "raw frame CRC-32 mismatch");
                    break;
                case NO_NEW_FRAME:
                case NOT_READY:
                case BAD_LAYOUT:
                    return;
                default:
                    break; // torn, lapped, resync, fault: counted by the reader; poll again
            }
        }
    }

    private void swap() {
        final ByteBuffer memory = readyMemory;
        final UnsafeBuffer buffer = ready;
        readyMemory = spareMemory;
        ready = spare;
        spareMemory = memory;
        spare = buffer;
    }

    /** The reader's counters and state, for tests and /health. */
    public RingReader reader() {
        return reader;
    }

    @Override
    public String describe() {
        return "raw ring " + reader.path();
    }

    @Override
    public void close() {
        converter.close();
        reader.close();
    }
}
