package io.sdr.fault;

import io.sdr.testing.ChildMain;
import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.RingV2Descriptor;
import io.sdr.ring.RingWriter;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Misbehaving ring writers, run as their own processes by {@link FaultInjectionTest}:
 *
 * <pre>
 * FaultWriterProcess tear --path P --slot-count N --slot-size N --fps F --size N --gop N --generation G
 * FaultWriterProcess garbage --path P --duration-ms D --seed S
 * </pre>
 *
 * {@code tear} writes the same frames as {@code RingWriterProcess} (byte i of frame s is
 * (s * 31 + i) mod 256, frame_id = G * 10^9 + s) until it reads {@code tear} on stdin; then it
 * begins the next frame the way a writer does (slot seq odd, half the payload and the header
 * copied), prints {@code mid-frame seq=F} and hangs there, so that the test's SIGKILL lands
 * mid-frame for certain rather than by luck. {@code garbage} fills an existing ring file with random
 * bytes in place (same inode, same size), then scribbles over it for D ms: random bytes anywhere,
 * plausible superblocks with random epoch and head, committed-looking slots whose CRC is wrong,
 * v1-looking commit fields; prints {@code garbage writes=N}.
 */
public final class FaultWriterProcess {
    private static volatile boolean tear;
    private static volatile boolean stop;

    private FaultWriterProcess() {
    }

    public static void main(final String[] args) throws IOException {
        final Map<String, String> opts = ChildMain.options(java.util.Arrays.copyOfRange(args, 1, args.length));
        final Path path = Paths.get(ChildMain.required(opts, "path"));
        if ("tear".equals(args[0])) {
            tear(path, Integer.parseInt(opts.get("slot-count")), Integer.parseInt(opts.get("slot-size")),
                Double.parseDouble(opts.get("fps")), Integer.parseInt(opts.get("size")), Integer.parseInt(opts.get("gop")),
                Long.parseLong(opts.get("generation")));
        } else if ("garbage".equals(args[0])) {
            garbage(path, Long.parseLong(opts.get("duration-ms")), Long.parseLong(opts.get("seed")));
        } else {
            throw new IllegalArgumentException("mode must be tear or garbage: mode=" + args[0]);
        }
    }

    private static void tear(final Path path, final int slotCount, final int slotSize, final double fps, final int size,
                             final int gop, final long generation) throws IOException {
        final RingWriter writer = RingWriter.createV2(path, slotCount, slotSize);
        final UnsafeBuffer pattern = new UnsafeBuffer(new byte[256 + size]);
        for (int i = 0; i < pattern.capacity(); i++) {
            pattern.putByte(i, (byte) i);
        }
        final Thread commands = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if ("tear".equals(line.trim())) {
                        tear = true;
                    }
                }
            } catch (final IOException ignored) {
                // treated like EOF
            }
            stop = true; // stdin closed: the test JVM is gone
        }, "commands");
        commands.setDaemon(true);
        commands.start();
        System.out.println("ready path=" + path + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        final long intervalNs = (long) (1e9 / fps);
        long next = System.nanoTime();
        while (!stop && !tear) {
            final long s = writer.lastFrameSeq() + 1;
            final boolean keyframe = (s - 1) % gop == 0;
            writer.write(generation * FaultKit.GENERATION + s, keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0, 1,
                pattern, (int) ((s * 31) & 0xFF), size);
            next += intervalNs;
            long wait;
            while (!tear && !stop && (wait = next - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 5_000_000L));
            }
        }
        if (stop) {
            writer.close();
            return;
        }
        // What RingWriter does for frame f, stopped half-way: the slot is marked busy, the header
        // and half the payload are there, commit_ns, the even seq and the head are never written.
        final long f = writer.lastFrameSeq() + 1;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            final UnsafeBuffer ring = new UnsafeBuffer(mapping);
            final int slot = RingV2Descriptor.slotOffset(f, slotCount, slotSize);
            ring.putLongRelease(slot + RingV2Descriptor.SLOT_SEQ_OFFSET, 2 * f - 1);
            final int header = slot + RingV2Descriptor.SLOT_HEADER_OFFSET;
            ring.putLong(header + FrameHeaderDescriptor.FRAME_ID_OFFSET, generation * FaultKit.GENERATION + f);
            ring.putLong(header + FrameHeaderDescriptor.FRAME_SEQ_OFFSET, f);
            ring.putInt(header + FrameHeaderDescriptor.SIZE_OFFSET, size);
            ring.putBytes(slot + RingV2Descriptor.SLOT_PAYLOAD_OFFSET, pattern, (int) ((f * 31) & 0xFF), size / 2);
            mapping.force();
        }
        System.out.println("mid-frame seq=" + f);
        System.out.flush();
        while (true) {
            LockSupport.parkNanos(1_000_000_000L); // until SIGKILL
        }
    }

    private static void garbage(final Path path, final long durationMs, final long seed) throws IOException {
        final SplittableRandom random = new SplittableRandom(seed);
        long writes = 0;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final int length = (int) channel.size();
            final UnsafeBuffer file = new UnsafeBuffer(channel.map(FileChannel.MapMode.READ_WRITE, 0, length));
            final int slotCount = file.getInt(RingV2Descriptor.SLOT_COUNT_OFFSET);
            final int slotSize = file.getInt(RingV2Descriptor.SLOT_SIZE_OFFSET);
            System.out.println("ready path=" + path + " length=" + length + " pid=" + ProcessHandle.current().pid());
            System.out.flush();
            final byte[] noise = new byte[4096];
            // First the whole file: a forged superblock below must not make the previous writer's
            // intact frames reachable again (a replay that is no garbage: their CRCs are right).
            for (int at = 0; at < length; at += noise.length) {
                random.nextBytes(noise);
                file.putBytes(at, noise, 0, Math.min(noise.length, length - at));
            }
            final long end = System.nanoTime() + durationMs * 1_000_000L;
            while (System.nanoTime() - end < 0) {
                switch (random.nextInt(4)) {
                    case 0: { // random bytes anywhere, the superblock included
                        random.nextBytes(noise);
                        final int n = 1 + random.nextInt(noise.length);
                        file.putBytes(random.nextInt(Math.max(1, length - n)), noise, 0, n);
                        break;
                    }
                    case 1: { // a plausible superblock: the reader follows its head into the slots
                        file.putLong(RingV2Descriptor.MAGIC_OFFSET, RingV2Descriptor.MAGIC);
                        file.putInt(RingV2Descriptor.VERSION_OFFSET, random.nextInt(8) == 0 ? random.nextInt() : 2);
                        file.putInt(RingV2Descriptor.SLOT_COUNT_OFFSET, random.nextInt(8) == 0 ? random.nextInt() : slotCount);
                        file.putInt(RingV2Descriptor.SLOT_SIZE_OFFSET, random.nextInt(8) == 0 ? random.nextInt() : slotSize);
                        file.putLong(RingV2Descriptor.EPOCH_OFFSET, random.nextInt(4) == 0 ? random.nextLong() : 1);
                        file.putLongRelease(RingV2Descriptor.HEAD_OFFSET, random.nextInt(4) == 0 ? random.nextLong() : 1 + random.nextInt(500));
                        break;
                    }
                    case 2: { // a slot that looks committed, with any size and a wrong CRC
                        if (slotCount > 0 && slotSize > 0 && Integer.bitCount(slotCount) == 1) {
                            final long f = 1 + random.nextInt(500);
                            final long slot = RingV2Descriptor.SUPERBLOCK_LENGTH + ((f - 1) & (slotCount - 1)) * (long) slotSize;
                            if (slot + RingV2Descriptor.SLOT_PAYLOAD_OFFSET < length) {
                                final int header = (int) slot + RingV2Descriptor.SLOT_HEADER_OFFSET;
                                file.putLong(header + FrameHeaderDescriptor.FRAME_SEQ_OFFSET, random.nextInt(3) == 0 ? random.nextLong() : f);
                                file.putInt(header + FrameHeaderDescriptor.SIZE_OFFSET,
                                    random.nextInt(3) == 0 ? random.nextInt() : random.nextInt(Math.max(1, slotSize)));
                                file.putShort(header + FrameHeaderDescriptor.FLAGS_OFFSET, (short) random.nextInt(4));
                                file.putInt(header + FrameHeaderDescriptor.CRC32_OFFSET, random.nextInt());
                                file.putLongRelease((int) slot + RingV2Descriptor.SLOT_SEQ_OFFSET, 2 * f);
                                file.putLongRelease(RingV2Descriptor.HEAD_OFFSET, f);
                            }
                        }
                        break;
                    }
                    default: { // v1-looking: a commit seq and a write_len of any value
                        file.putLong(0, random.nextInt(2) == 0 ? random.nextLong() : 1 + random.nextInt(1000));
                        file.putLong(8, random.nextInt(2) == 0 ? random.nextLong() : random.nextInt(length));
                        break;
                    }
                }
                writes++;
                LockSupport.parkNanos(500_000L + random.nextInt(2_000_000));
            }
        }
        System.out.println("garbage writes=" + writes);
        System.out.flush();
    }
}
