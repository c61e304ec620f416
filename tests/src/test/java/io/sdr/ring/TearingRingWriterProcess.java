package io.sdr.ring;

import io.sdr.testing.ChildMain;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

import static io.sdr.ring.FrameHeaderDescriptor.*;
import static io.sdr.ring.RingV2Descriptor.*;

/**
 * A v2 ring writer that tears its u64 stores on purpose, run as its own process by
 * {@link RingTearingWriterTest}: every u64 field (slot seq, frame_id, frame_seq, commit_ns, head)
 * is stored one byte at a time with a random busy pause between the bytes, low byte first or in a
 * random order per store, the way a writer ignoring the single-aligned-8-byte-store rule of
 * docs/RING.md (a byte loop, two 4-byte halves, an unaligned memcpy) may store it. Everything else
 * follows the contract, so a correct reader delivers every frame intact, in order, exactly once.
 *
 * <pre>
 * java ... io.sdr.ring.TearingRingWriterProcess --path P [--slot-count 8] [--slot-size 4096]
 *   [--fps 0] [--size 64] [--size-jitter 0] [--gop 4] [--max-pause-ns 20000]
 *   [--byte-order lsb-first|random] [--seed S]
 * </pre>
 *
 * Frames as {@link RingWriterProcess} writes them (frame_id = frame_seq). Prints {@code ready ...}
 * once the ring exists and {@code done frames=N tears=T} when stopped by SIGTERM or the end of its
 * stdin; T counts the stores that changed more than one byte (the ones a reader can see torn).
 */
public final class TearingRingWriterProcess {
    private final UnsafeBuffer ring;
    private final SplittableRandom random;
    private final long maxPauseNs;
    private final boolean shuffle;
    private final int[] order = {0, 1, 2, 3, 4, 5, 6, 7};
    private long tears;

    private TearingRingWriterProcess(final UnsafeBuffer ring, final long seed, final long maxPauseNs, final boolean shuffle) {
        this.ring = ring;
        this.random = new SplittableRandom(seed);
        this.maxPauseNs = maxPauseNs;
        this.shuffle = shuffle;
    }

    /** Stores {@code value} at {@code offset} byte by byte, each byte a release store, in program order. */
    private void store(final int offset, final long value) {
        final long old = ring.getLong(offset);
        final long changed = old ^ value;
        int changedBytes = 0;
        for (int i = 0; i < 8; i++) {
            changedBytes += ((changed >>> (8 * i)) & 0xFF) != 0 ? 1 : 0;
        }
        if (changedBytes > 1) {
            tears++;
        }
        if (shuffle) {
            for (int i = 7; i > 0; i--) {
                final int j = random.nextInt(i + 1);
                final int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        for (int n = 0; n < 8; n++) {
            if (n > 0) {
                pause();
            }
            final int i = shuffle ? order[n] : n;
            ring.putByteVolatile(offset + i, (byte) (value >>> (8 * i)));
        }
    }

    private void pause() {
        if (maxPauseNs > 0) {
            final long until = System.nanoTime() + random.nextLong(maxPauseNs + 1);
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
        }
    }

    private void writeFrame(final long f, final int slotCount, final int slotSize, final int gop, final int codec,
                            final DirectBuffer payload, final int payloadOffset, final int length, final CRC32 crc) {
        final int slot = slotOffset(f, slotCount, slotSize);
        store(slot + SLOT_SEQ_OFFSET, 2 * f - 1);
        // No byte of this frame may become visible before the slot is marked busy.
        VarHandle.storeStoreFence();
        final int header = slot + SLOT_HEADER_OFFSET;
        ring.putBytes(header + LENGTH, payload, payloadOffset, length);
        store(header + FRAME_ID_OFFSET, f);
        store(header + FRAME_SEQ_OFFSET, f);
        ring.putInt(header + SIZE_OFFSET, length);
        ring.putShort(header + FLAGS_OFFSET, (short) ((f - 1) % gop == 0 ? FLAG_KEYFRAME : 0));
        ring.putShort(header + CODEC_OFFSET, (short) codec);
        crc.reset();
        final byte[] bytes = new byte[length];
        payload.getBytes(payloadOffset, bytes);
        crc.update(bytes);
        ring.putInt(header + CRC32_OFFSET, (int) crc.getValue());
        ring.putInt(header + RESERVED_OFFSET, 0);
        // The frame's bytes must all be visible before the commit marker starts to change.
        VarHandle.storeStoreFence();
        store(slot + SLOT_COMMIT_NS_OFFSET, System.nanoTime());
        store(slot + SLOT_SEQ_OFFSET, 2 * f);
        store(HEAD_OFFSET, f);
    }

    public static void main(final String[] args) throws IOException, InterruptedException {
        final Map<String, String> opts = ChildMain.options(args);
        final Path path = Paths.get(ChildMain.required(opts, "path"));
        final int slotCount = Integer.parseInt(opts.getOrDefault("slot-count", "8"));
        final int slotSize = Integer.parseInt(opts.getOrDefault("slot-size", "4096"));
        final double fps = Double.parseDouble(opts.getOrDefault("fps", "0"));
        final int size = Integer.parseInt(opts.getOrDefault("size", "64"));
        final int jitter = Integer.parseInt(opts.getOrDefault("size-jitter", "0"));
        final int gop = Integer.parseInt(opts.getOrDefault("gop", "4"));
        final int codec = Integer.parseInt(opts.getOrDefault("codec", "1"));
        final long maxPauseNs = Long.parseLong(opts.getOrDefault("max-pause-ns", "20000"));
        final String byteOrder = opts.getOrDefault("byte-order", "lsb-first");
        final long seed = Long.parseLong(opts.getOrDefault("seed", Long.toString(System.nanoTime())));
        final String problem = checkGeometry(slotCount, slotSize);
        if (problem != null || size + jitter > slotSize - SLOT_OVERHEAD || gop < 1
            || !(byteOrder.equals("lsb-first") || byteOrder.equals("random"))) {
            throw new IllegalArgumentException("bad arguments: " + (problem != null ? problem : "size+size_jitter="
                + (size + jitter) + ", max_payload=" + (slotSize - SLOT_OVERHEAD) + ", gop=" + gop + ", byte-order=" + byteOrder));
        }

        final MappedByteBuffer mapping = create(path, (int) fileLength(slotCount, slotSize), slotCount, slotSize);
        final TearingRingWriterProcess writer = new TearingRingWriterProcess(new UnsafeBuffer(mapping), seed, maxPauseNs,
            byteOrder.equals("random"));
        final DirectBuffer pattern = RingTestKit.cycle(size + jitter);
        final CRC32 crc = new CRC32();
        final ChildMain child = ChildMain.start("tearing-writer");

        System.out.println("ready path=" + path + " layout=v2 seed=" + seed + " byte_order=" + byteOrder
            + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        final long intervalNs = fps > 0 ? (long) (1e9 / fps) : 0;
        long nextAt = System.nanoTime();
        long f = 0;
        try {
            while (!child.stopping()) {
                f++;
                writer.writeFrame(f, slotCount, slotSize, gop, codec, pattern, RingTestKit.patternOffset(f),
                    RingTestKit.frameSize(size, jitter, f), crc);
                if (intervalNs > 0) {
                    nextAt += intervalNs;
                    child.sleepUntil(nextAt);
                }
            }
        } finally {
            System.out.println("done frames=" + f + " tears=" + writer.tears);
            System.out.flush();
            child.finished();
        }
    }

    /** A zero-filled v2 ring with a new epoch, built under a temporary name and renamed over {@code path}. */
    private static MappedByteBuffer create(final Path path, final int length, final int slotCount, final int slotSize)
        throws IOException {
        final Path parent = path.toAbsolutePath().getParent();
        final Path temp = Files.createTempFile(parent, path.getFileName().toString(), ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[1]), length - 1);
            final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
            final UnsafeBuffer sb = new UnsafeBuffer(mapping);
            sb.putLong(MAGIC_OFFSET, MAGIC);
            sb.putInt(VERSION_OFFSET, VERSION);
            sb.putInt(SLOT_COUNT_OFFSET, slotCount);
            sb.putInt(SLOT_SIZE_OFFSET, slotSize);
            sb.putLong(CREATED_NS_OFFSET, System.nanoTime());
            long epoch;
            do {
                epoch = new SplittableRandom(System.nanoTime() ^ ProcessHandle.current().pid()).nextLong();
            } while (epoch == 0);
            sb.putLongRelease(EPOCH_OFFSET, epoch);
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return mapping;
        } catch (final IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }
}
