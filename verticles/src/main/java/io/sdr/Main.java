package io.sdr;

import io.sdr.cli.ClipCommand;
import io.sdr.cli.EncodersCommand;
import io.sdr.cli.TokenCommand;
import io.sdr.cli.bus.BusCommand;
import io.sdr.config.ConfigException;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.Arrays;

/**
 * Entry point of the fat jar: the Vert.x 5 launcher ({@code -conf}, {@code -instances},
 * {@code -cluster}, ...) with Micrometer/Prometheus metrics switched on, so /metrics shows
 * Vert.x's own meters next to ours. {@code encoders [--help]} instead prints the encoder report;
 * {@code bus list|tail|send|publish|stats} talks to a running server's event-bus bridge;
 * {@code token ...} mints a viewer token (or a new secret / RSA key pair); {@code clip ...} saves an
 * MCAP clip from a running server.
 */
public final class Main extends VertxApplication implements VertxApplicationHooks {
    /** The -conf value as given (a file name or inline JSON), null without -conf. */
    private final String confArg;

    /** The launcher finds Main-Verticle in the manifest whose Main-Class is this class. */
    private Main(final String[] args) {
        super(args, null, true, true);
        String conf = null;
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("-conf") || args[i].equals("--conf")) && i + 1 < args.length) {
                conf = args[i + 1];
            } else if (args[i].startsWith("-conf=") || args[i].startsWith("--conf=")) {
                conf = args[i].substring(args[i].indexOf('=') + 1);
            }
        }
        this.confArg = conf;
    }

    /**
     * The launcher only logs a warning for a {@code -conf} that is neither a JSON object nor a file
     * holding one, then starts with an empty config: every default, listening on 0.0.0.0:8080.
     * Found by the fault-injection suite (io.sdr.fault); refuse to start instead.
     */
    @Override
    public JsonObject afterConfigParsed(final JsonObject config) {
        if (config == null && confArg != null) {
            final String shown = confArg.length() > 200 ? confArg.substring(0, 200) + "..." : confArg;
            final String message = "invalid configuration: -conf \"" + shown
                + "\": must be a JSON object or a readable file holding one";
            System.err.println(message); // the launcher turns the exception into exit code 1 without printing it
            throw new ConfigException(message);
        }
        return config;
    }

    public static void main(final String[] args) {
        // Before any Netty buffer class loads: leaked frame buffers are counted (sdr_buffer_leaks_total).
        io.sdr.bus.BufferLeaks.install();
        // Report commands run before (and instead of) the Vert.x launcher, which keeps -conf etc.
        if (args.length > 0 && args[0].equals("encoders")) {
            System.exit(EncodersCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        if (args.length > 0 && args[0].equals("bus")) {
            System.exit(BusCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        if (args.length > 0 && args[0].equals("clip")) {
            System.exit(ClipCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        if (args.length > 0 && args[0].equals("token")) {
            System.exit(TokenCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        final int exitCode = new Main(args).launch();
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    /**
     * With the address label, Vert.x registers the handlers gauge of an address once per consumer;
     * Micrometer keeps the first (the count is right) and warns at start-up. Kept referenced: JUL
     * holds loggers weakly.
     */
    private static final java.util.logging.Logger DOUBLE_GAUGE_WARNING =
        java.util.logging.Logger.getLogger("io.micrometer.core.instrument.MeterRegistry");

    @Override
    public VertxBuilder createVertxBuilder(final VertxOptions options) {
        DOUBLE_GAUGE_WARNING.setLevel(java.util.logging.Level.SEVERE);
        options.setMetricsOptions(metricsOptions());
        // Native epoll on Linux (NIO elsewhere, Vert.x falls back by itself): the fan-out bounds what
        // the kernel holds for each viewer with TCP_NOTSENT_LOWAT, an epoll-only socket option.
        options.setPreferNativeTransport(true);
        return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory());
    }

    /**
     * Micrometer with Prometheus and JVM meters; event-bus meters carry their address (a handful of
     * addresses here; Vert.x leaves reply addresses out), which {@code bus list} reads.
     */
    public static MicrometerMetricsOptions metricsOptions() {
        return new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            .addLabels(Label.EB_ADDRESS)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    }
}
