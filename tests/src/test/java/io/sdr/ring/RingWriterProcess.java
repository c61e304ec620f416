package io.sdr.ring;

import io.sdr.testing.ChildMain;
import org.agrona.DirectBuffer;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * A Java ring writer run as its own process by the torture tests (same command line and payload
 * pattern as {@code python3 -m sdr_ring write}):
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp ... io.sdr.ring.RingWriterProcess
 *   --layout v1|v2 --path P [--buf-size N] [--slot-count N --slot-size N] [--frames N (0 = until SIGTERM)]
 *   [--fps F (0 = full speed)] [--size N] [--size-jitter N] [--gop N] [--codec 1|2] [--frame-id-base N]
 * </pre>
 *
 * Frame s has frame_id = frame-id-base + s, is a keyframe when s == 1 or (s - 1) mod gop == 0, and
 * carries size + (s * 7919) mod (jitter + 1) bytes, byte i being (s * 31 + i) mod 256. Prints
 * {@code ready path=...} once the ring exists and {@code done frames=N} when it stops (SIGTERM, or
 * end of its stdin: the parent test JVM is gone).
 */
public final class RingWriterProcess {
    private RingWriterProcess() {
    }

    public static void main(final String[] args) throws InterruptedException {
        final Map<String, String> opts = ChildMain.options(args);
        final String layout = opts.getOrDefault("layout", "v2");
        final Path path = Paths.get(ChildMain.required(opts, "path"));
        final long frames = Long.parseLong(opts.getOrDefault("frames", "0"));
        final double fps = Double.parseDouble(opts.getOrDefault("fps", "0"));
        final int size = Integer.parseInt(opts.getOrDefault("size", "1024"));
        final int jitter = Integer.parseInt(opts.getOrDefault("size-jitter", "0"));
        final int gop = Integer.parseInt(opts.getOrDefault("gop", "30"));
        final int codec = Integer.parseInt(opts.getOrDefault("codec", "1"));
        final long frameIdBase = Long.parseLong(opts.getOrDefault("frame-id-base", "0"));

        final RingWriter writer;
        if ("v1".equals(layout)) {
            writer = RingWriter.createV1(path, Integer.parseInt(opts.getOrDefault("buf-size", "4194304")));
        } else if ("v2".equals(layout)) {
            writer = RingWriter.createV2(path, Integer.parseInt(opts.getOrDefault("slot-count", "64")),
                Integer.parseInt(opts.getOrDefault("slot-size", "262144")));
        } else {
            throw new IllegalArgumentException("--layout must be v1 or v2: layout=" + layout);
        }
        if (size + jitter > writer.maxPayloadLength()) {
            writer.close();
            throw new IllegalArgumentException("payload does not fit: size+size_jitter=" + (size + jitter)
                + ", maxPayloadLength=" + writer.maxPayloadLength());
        }
        final DirectBuffer pattern = RingTestKit.cycle(size + jitter);
        final ChildMain child = ChildMain.start("ring-writer");

        System.out.println("ready path=" + path + " layout=" + layout + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        long written = 0;
        final long intervalNs = fps > 0 ? (long) (1e9 / fps) : 0;
        long nextAt = System.nanoTime();
        try {
            while (!child.stopping() && (frames == 0 || written < frames)) {
                final long s = writer.lastFrameSeq() + 1;
                final boolean keyframe = s == 1 || (gop > 0 && (s - 1) % gop == 0);
                final int length = RingTestKit.frameSize(size, jitter, s);
                writer.write(frameIdBase + s, keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0, codec,
                    pattern, RingTestKit.patternOffset(s), length);
                written++;
                if (intervalNs > 0) {
                    nextAt += intervalNs;
                    child.sleepUntil(nextAt);
                }
            }
        } finally {
            writer.close();
            System.out.println("done frames=" + written);
            System.out.flush();
            child.finished();
        }
    }
}
