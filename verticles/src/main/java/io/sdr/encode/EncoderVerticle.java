package io.sdr.encode;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sdr.bus.Addresses;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.metrics.MeterNames;
import io.sdr.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Deployed as a worker verticle for the stream named in its {@code encoder} section. It owns an
 * {@link EncodePipeline} (its own thread) and adapts it to Vert.x: keyframe requests from the
 * event bus, meters, and the {@link EncoderStats} /health reads. Deployment fails only on bad
 * configuration; encoder trouble (no NVIDIA driver, a crash mid-stream) is retried, never fatal.
 */
public final class EncoderVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(EncoderVerticle.class.getName());
    /** Start-up waits this long at most for the first encoder selection (loading FFmpeg takes ~1-2 s). */
    private static final long FIRST_ATTEMPT_WAIT_MS = 20_000;

    private final List<Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Meter info;
    private EncodePipeline pipeline;
    private final List<MessageConsumer<JsonObject>> keyframes = new java.util.ArrayList<>();
    private long demoTimer = -1;
    private final java.util.concurrent.atomic.LongAdder demoMessages = new java.util.concurrent.atomic.LongAdder();

    @Override
    public Future<?> start() {
        final EncoderConfig config = EncoderConfig.from(config());
        final MeterRegistry registry = Metrics.registry(vertx);
        final EncoderStats stats = EncoderStats.of(vertx, config.stream());
        final Timer encode = Timer.builder(MeterNames.ENCODER_ENCODE)
            .description("Picture submitted to the encoder until its access unit is out")
            .tag("stream", config.stream())
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(100_000))
            .maximumExpectedValue(Duration.ofSeconds(2))
            .register(registry);
        final Timer captureToRing = Timer.builder(MeterNames.ENCODER_CAPTURE_TO_RING)
            .description("Picture captured (raw source: its ring commit) until the encoded frame is committed")
            .tag("stream", config.stream())
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(100_000))
            .maximumExpectedValue(Duration.ofSeconds(2))
            .register(registry);
        meters.add(encode);
        meters.add(captureToRing);
        registerMeters(registry, config, stats);

        pipeline = new EncodePipeline(config, stats, encode, captureToRing);
        pipeline.onEncoderChange(encoder -> encoderChanged(registry, config, encoder));
        // A viewer that needs a keyframe on any tier gets it on all: the tiers' keyframes stay aligned,
        // and a viewer moving to another tier waits for that one's next keyframe.
        final List<String> streams = new java.util.ArrayList<>(List.of(config.stream()));
        config.tiers().forEach(tier -> streams.add(config.tierStream(tier)));
        for (final String stream : streams) {
            keyframes.add(vertx.eventBus().<JsonObject>consumer(Addresses.keyframeRequest(stream), message -> {
                final JsonObject body = message.body();
                pipeline.requestKeyframe(body == null ? "request" : body.getString("reason", "request"));
            }));
        }
        pipeline.start();
        if (config.demoTelemetryHz() > 0) {
            startDemoTelemetry(config);
        }

        final Promise<Void> started = Promise.promise();
        final long timer = vertx.setTimer(FIRST_ATTEMPT_WAIT_MS, id -> started.tryComplete());
        pipeline.firstAttempt().whenComplete((v, e) -> {
            vertx.cancelTimer(timer);
            started.tryComplete();
        });
        return started.future().onSuccess(v -> {
            if (stats.encoder() == null) {
                LOG.log(System.Logger.Level.WARNING, "no encoder open yet for stream " + config.stream()
                    + " (retrying with backoff): " + stats.lastError());
            }
        });
    }

    /**
     * The test pattern's telemetry ({@link DemoTelemetry}) on the bus, as the NATS bridge publishes
     * NATS telemetry: encoded once as the 0x02 message, on {@link Addresses#TELEMETRY}. So every
     * client, the viewer's plots and {@code bus tail telemetry} see it with nothing else running.
     * Nothing is published while no new frame reaches the ring (standing by for a real writer).
     */
    private void startDemoTelemetry(final EncoderConfig config) {
        TelemetryCodec.register(vertx);
        final DemoTelemetry demo = new DemoTelemetry(config.width(), config.height(), config.fps());
        demoTimer = vertx.setPeriodic(1000L / config.demoTelemetryHz(), id -> {
            final long now = System.nanoTime();
            for (final DemoTelemetry.Message m : demo.next(pipeline.lastFrameId(), System.currentTimeMillis())) {
                vertx.eventBus().publish(Addresses.TELEMETRY, Telemetry.encode(m.subject(), m.payload(), now));
                demoMessages.increment();
            }
        });
        LOG.log(System.Logger.Level.INFO, "demo telemetry: telemetry.demo.{box,wave,clock} at " + config.demoTelemetryHz()
            + " Hz while the test pattern is on the air (encoder.demoTelemetry=false turns it off)");
    }

    private void registerMeters(final MeterRegistry registry, final EncoderConfig config, final EncoderStats stats) {
        final String stream = config.stream();
        meters.add(FunctionCounter.builder("sdr.encoder.frames", stats, EncoderStats::frames)
            .description("Encoded frames written to the ring").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder("sdr.encoder.bytes", stats, EncoderStats::bytes)
            .description("Encoded bytes written to the ring").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder("sdr.encoder.keyframes", stats, s -> s.keyframes() - s.forcedKeyframes())
            .description("Keyframes written").tag("stream", stream).tag("reason", "gop").register(registry));
        meters.add(FunctionCounter.builder("sdr.encoder.keyframes", stats, EncoderStats::forcedKeyframes)
            .description("Keyframes written").tag("stream", stream).tag("reason", "forced").register(registry));
        meters.add(FunctionCounter.builder("sdr.encoder.keyframe.requests", stats, EncoderStats::keyframeRequests)
            .description("Keyframe requests received").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder("sdr.encoder.errors", stats, EncoderStats::errors)
            .description("Encoder failures (open, encode, ring) and dropped access units").tag("stream", stream)
            .register(registry));
        for (final EncoderConfig.Tier tier : config.tiers()) {
            // The same meters for each tier's own ring, tagged with the tier's stream (main~360p).
            final EncoderStats.Tier counters = stats.tier(config.tierStream(tier));
            final String name = counters.stream();
            meters.add(FunctionCounter.builder("sdr.encoder.frames", counters, EncoderStats.Tier::frames)
                .description("Encoded frames written to the ring").tag("stream", name).register(registry));
            meters.add(FunctionCounter.builder("sdr.encoder.bytes", counters, EncoderStats.Tier::bytes)
                .description("Encoded bytes written to the ring").tag("stream", name).register(registry));
            meters.add(FunctionCounter.builder("sdr.encoder.tier.dropped", counters, EncoderStats.Tier::dropped)
                .description("Access units of a tier not written (a gap in its frame_seq; the next picture is an IDR on every tier)")
                .tag("stream", name).register(registry));
        }
        meters.add(FunctionCounter.builder("sdr.encoder.demo.telemetry", demoMessages, java.util.concurrent.atomic.LongAdder::sum)
            .description("Demo telemetry messages published (telemetry.demo.*)").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder("sdr.encoder.restarts", stats, EncoderStats::restarts)
            .description("Encoder reopened after a failure").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder("sdr.encoder.raw.frames", stats, EncoderStats::rawFrames)
            .description("Raw frames taken from the source ring").tag("stream", stream).tag("outcome", "encoded")
            .register(registry));
        for (final EncoderStats.RawRejection why : EncoderStats.RawRejection.values()) {
            meters.add(FunctionCounter.builder("sdr.encoder.raw.frames", stats, s -> s.rawRejected(why))
                .description("Raw frames taken from the source ring").tag("stream", stream)
                .tag("outcome", why.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        // sdr_encoder_active{encoder=...}: 1 for the candidate in use, 0 for the others.
        for (final String candidate : config.candidates()) {
            meters.add(Gauge.builder("sdr.encoder.active", stats, s -> Objects.equals(s.encoder(), candidate) ? 1 : 0)
                .description("1 for the encoder candidate in use").tag("stream", stream).tag("encoder", candidate)
                .register(registry));
            // sdr_encoder_candidate_failed{encoder=...}: 1 when the last selection could not use it (reason in /health).
            meters.add(Gauge.builder("sdr.encoder.candidate.failed", stats, s -> s.candidates().stream()
                    .anyMatch(a -> a.encoder().equals(candidate) && a.outcome() == EncoderSelection.Attempt.Outcome.FAILED) ? 1 : 0)
                .description("1 when the last encoder selection could not open this candidate").tag("stream", stream)
                .tag("encoder", candidate).register(registry));
        }
    }

    /** sdr_encoder_info{encoder,codec,stream} 1 (a Prometheus info metric) names the encoder in use, if any. */
    private synchronized void encoderChanged(final MeterRegistry registry, final EncoderConfig config, final VideoEncoder encoder) {
        if (info != null) {
            registry.remove(info);
            meters.remove(info);
            info = null;
        }
        if (encoder != null) {
            info = Gauge.builder("sdr.encoder.info", () -> 1).description("The encoder in use")
                .tag("stream", config.stream()).tag("encoder", encoder.name()).tag("codec", encoder.codec()).register(registry);
            meters.add(info);
        }
    }

    @Override
    public Future<?> stop() {
        if (demoTimer >= 0) {
            vertx.cancelTimer(demoTimer);
        }
        keyframes.forEach(MessageConsumer::unregister);
        if (pipeline != null) {
            pipeline.close();
        }
        final MeterRegistry registry = Metrics.registry(vertx);
        synchronized (this) {
            meters.forEach(registry::remove);
        }
        return Future.succeededFuture();
    }
}
