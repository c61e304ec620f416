package io.sdr.cli;

import io.sdr.encode.EncoderBenchmark;
import io.sdr.encode.EncoderConfig;
import io.sdr.encode.EncoderException;
import io.sdr.encode.EncoderProbe;
import io.sdr.encode.Ffmpeg;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;


/**
 * {@code java -jar sdr-transport.jar encoders}: which H.264/HEVC encoders the linked FFmpeg has and
 * which actually open on this machine (with FFmpeg's reason for each that does not), and which one
 * the default candidate order would pick. {@code --bench} also encodes the test pattern with each
 * encoder that opens and prints throughput, per-frame latency and CPU use.
 */
@Command(name = "encoders", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Lists the H.264/HEVC encoders in the linked FFmpeg, which open on this machine "
        + "(with the reason for each failure) and which the default candidate order picks. Exit status 0."})
public final class EncodersCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--width", defaultValue = "1280", description = "probe width (default ${DEFAULT-VALUE})")
    private int width;

    @Option(names = "--height", defaultValue = "720", description = "probe height (default ${DEFAULT-VALUE})")
    private int height;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    private boolean json;

    @Option(names = "--bench", description = "also encode the test pattern with each encoder that opens")
    private boolean bench;

    @Option(names = "--sizes", split = ",", defaultValue = "1280x720,1920x1080",
        description = "benchmark sizes (default ${DEFAULT-VALUE})")
    private List<String> sizes;

    @Option(names = "--frames", defaultValue = "300", description = "benchmark frames per run (default ${DEFAULT-VALUE})")
    private int frames;

    @Option(names = "--fps", defaultValue = "60", description = "benchmark target rate, for the cores-needed column (default ${DEFAULT-VALUE})")
    private int fps;

    @Option(names = "--threads", defaultValue = "0", description = "encoder threads for the benchmark, 0 = encoder's choice (default ${DEFAULT-VALUE})")
    private int threads;

    @Option(names = "--bitrate-kbps", defaultValue = "4000", description = "benchmark bit rate (default ${DEFAULT-VALUE})")
    private int bitrateKbps;

    @Option(names = "--encoder", split = ",", description = "benchmark only these encoders")
    private List<String> only;

    public static int run(final String... args) {
        return new CommandLine(new EncodersCommand()).execute(args);
    }

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        if (width < 16 || height < 16 || (width & 1) != 0 || (height & 1) != 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--width/--height must be even and >= 16");
        }
        final String version;
        try {
            version = Ffmpeg.version();
        } catch (final EncoderException e) {
            out.println("FFmpeg natives cannot be loaded on this machine: " + e.getMessage());
            out.flush();
            return 0;
        }
        final List<EncoderProbe> probes = EncoderProbe.all(width, height);
        final JsonObject selection = new JsonObject()
            .put("h264", EncoderProbe.pick(EncoderConfig.H264_CANDIDATES, probes))
            .put("hevc", EncoderProbe.pick(EncoderConfig.HEVC_CANDIDATES, probes));
        if (json) {
            final JsonArray list = new JsonArray();
            probes.forEach(p -> list.add(new JsonObject().put("name", p.name()).put("codec", p.codec())
                .put("description", p.description()).put("opens", p.opens()).put("reason", p.reason())));
            out.println(new JsonObject().put("ffmpeg", version).put("probe", width + "x" + height + " yuv420p")
                .put("encoders", list).put("selection", selection).encodePrettily());
        } else {
            printTable(out, version, probes, selection);
        }
        out.flush();
        if (bench) {
            new EncoderBenchmark(out, frames, fps, threads, bitrateKbps).run(benchTargets(probes), sizes);
        }
        return 0;
    }

    private void printTable(final PrintWriter out, final String version, final List<EncoderProbe> probes, final JsonObject selection) {
        out.println(version);
        out.println("H.264/HEVC encoders in the linked FFmpeg, opened at " + width + "x" + height + " yuv420p:");
        out.println();
        out.printf(Locale.ROOT, "  %-18s %-5s %-6s %s%n", "encoder", "codec", "opens", "reason / description");
        for (final EncoderProbe p : probes) {
            out.printf(Locale.ROOT, "  %-18s %-5s %-6s %s%n", p.name(), p.codec(), p.opens() ? "yes" : "no",
                p.opens() ? p.description() : p.reason());
        }
        out.println();
        for (final String codec : List.of("h264", "hevc")) {
            final JsonObject pick = selection.getJsonObject(codec);
            final List<String> order = new ArrayList<>();
            pick.getJsonArray("order").forEach(o -> order.add((String) o));
            out.println("default order " + codec + ": " + String.join(" -> ", order) + "  =>  "
                + (pick.getString("chosen") == null ? "none opens" : pick.getString("chosen")));
        }
    }

    private List<EncoderProbe> benchTargets(final List<EncoderProbe> probes) {
        final List<EncoderProbe> targets = new ArrayList<>();
        for (final EncoderProbe p : probes) {
            if (p.opens() && (only == null || only.contains(p.name()))) {
                targets.add(p);
            }
        }
        return targets;
    }
}
