package io.sdr;

import io.sdr.encode.EncodersCommand;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.Vertx;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.Arrays;

/**
 * Entry point of the fat jar: the Vert.x 5 launcher ({@code -conf}, {@code -instances},
 * {@code -cluster}, ...) with Micrometer/Prometheus metrics switched on, so /metrics shows
 * Vert.x's own meters next to ours. {@code encoders [--help]} instead prints the encoder report.
 */
public final class Main extends VertxApplication implements VertxApplicationHooks {
    /** The launcher finds Main-Verticle in the manifest whose Main-Class is this class. */
    private Main(final String[] args) {
        super(args, null, true, true);
    }

    public static void main(final String[] args) {
        // Report commands run before (and instead of) the Vert.x launcher, which keeps -conf etc.
        if (args.length > 0 && args[0].equals("encoders")) {
            System.exit(EncodersCommand.run(Arrays.copyOfRange(args, 1, args.length)));
        }
        final int exitCode = new Main(args).launch();
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    @Override
    public VertxBuilder createVertxBuilder(final VertxOptions options) {
        final MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
        options.setMetricsOptions(metrics);
        return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory());
    }
}
