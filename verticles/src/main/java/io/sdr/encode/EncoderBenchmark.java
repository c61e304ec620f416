package io.sdr.encode;

import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Encodes the moving test pattern as fast as the encoder goes and prints, per encoder and size:
 * throughput (fps), per-frame encode latency p50/p99, process CPU while encoding (cores, drawing
 * the pattern excluded) and the cores a real-time stream at the target rate would need. A
 * measurement tool (the {@code encoders --bench} command), not a test: nothing is asserted.
 */
public final class EncoderBenchmark {
    private static final int WARMUP_FRAMES = 30;

    private final PrintWriter out;
    private final int frames;
    private final int fps;
    private final int threads;
    private final int bitrateKbps;

    public EncoderBenchmark(final PrintWriter out, final int frames, final int fps, final int threads, final int bitrateKbps) {
        this.out = out;
        this.frames = Math.max(10, frames);
        this.fps = fps;
        this.threads = threads;
        this.bitrateKbps = bitrateKbps;
    }

    public void run(final List<EncoderProbe> encoders, final List<String> sizes) {
        out.println();
        out.printf(Locale.ROOT, "benchmark: %d frames of the test pattern per run, %d kbps, gop %d, threads %s, unpaced%n",
            frames, bitrateKbps, 2 * fps, threads == 0 ? "auto" : Integer.toString(threads));
        out.printf(Locale.ROOT, "  %-14s %-10s %9s %8s %8s %8s %10s %9s%n",
            "encoder", "size", "fps", "p50 ms", "p99 ms", "max ms", "cpu cores", "cores@" + fps);
        out.flush();
        for (final EncoderProbe encoder : encoders) {
            for (final String size : sizes) {
                final int x = size.indexOf('x');
                if (x <= 0) {
                    out.println("  skipping size \"" + size + "\": expected WIDTHxHEIGHT");
                    continue;
                }
                try {
                    measure(encoder, Integer.parseInt(size.substring(0, x).trim()), Integer.parseInt(size.substring(x + 1).trim()));
                } catch (final RuntimeException e) {
                    out.printf(Locale.ROOT, "  %-14s %-10s failed: %s%n", encoder.name(), size, e.getMessage());
                }
                out.flush();
            }
        }
    }

    private void measure(final EncoderProbe probe, final int width, final int height) {
        final EncoderConfig config = EncoderConfig.from(new JsonObject().put("codec", probe.codec()).put("fps", fps)
            .put("bitrateKbps", bitrateKbps).put("threads", threads).put("width", width).put("height", height));
        final Picture picture = new Picture(width, height);
        final TestPattern pattern = new TestPattern(width, height);
        final long[] latencies = new long[frames];
        final ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
        final int[] packets = new int[1];
        final VideoEncoder.PacketSink sink = (data, length, key) -> packets[0]++;
        try (VideoEncoder encoder = VideoEncoder.open(probe.name(), config)) {
            for (int i = 0; i < WARMUP_FRAMES; i++) {
                pattern.draw(picture, i, System.currentTimeMillis());
                encoder.encode(picture, false, sink);
            }
            long drawCpu = 0;
            long encodeWall = 0;
            final long processCpuStart = processCpuNs();
            for (int i = 0; i < frames; i++) {
                final long drawStart = threadBean.getCurrentThreadCpuTime();
                pattern.draw(picture, WARMUP_FRAMES + i, System.currentTimeMillis());
                drawCpu += threadBean.getCurrentThreadCpuTime() - drawStart;
                final long start = System.nanoTime();
                encoder.encode(picture, false, sink);
                latencies[i] = System.nanoTime() - start;
                encodeWall += latencies[i];
            }
            final long encodeCpu = Math.max(0, processCpuNs() - processCpuStart - drawCpu);
            Arrays.sort(latencies);
            final double throughput = frames * 1e9 / encodeWall;
            final double cores = encodeCpu / (double) encodeWall;
            out.printf(Locale.ROOT, "  %-14s %-10s %9.1f %8.2f %8.2f %8.2f %10.2f %9.2f%n", probe.name(), width + "x" + height,
                throughput, latencies[frames / 2] / 1e6, latencies[Math.min(frames - 1, frames * 99 / 100)] / 1e6,
                latencies[frames - 1] / 1e6, cores, fps * encodeCpu / 1e9 / frames);
        }
    }

    private static long processCpuNs() {
        final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return 0;
    }
}
