package io.sdr.poller;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sdr.bus.Addresses;
import io.sdr.bus.FrameCodec;
import io.sdr.metrics.MeterNames;
import io.sdr.metrics.Metrics;
import io.sdr.ring.PollOutcome;
import io.sdr.ring.RingCounters;
import io.vertx.core.VerticleBase;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deployed as a worker verticle per stream. It owns one polling thread (an Agrona AgentRunner)
 * rather than looping inside a worker callback, so the blocked-thread checker stays quiet and stop
 * is a clean interrupt-and-join.
 */
public final class RingPollerVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(RingPollerVerticle.class.getName());

    private AgentRunner runner;
    private final List<Meter> meters = new ArrayList<>();

    @Override
    public Future<?> start() {
        final PollerConfig config = PollerConfig.from(config());
        FrameCodec.register(vertx);
        final MeterRegistry registry = Metrics.registry(vertx);
        final String stream = config.stream();
        final StreamStats stats = StreamStats.of(vertx, stream);
        final KeyframeCoalescer keyframes = new KeyframeCoalescer(Duration.ofMillis(config.idrCoalesceMs()).toNanos());
        final Timer commitToPublish = Timer.builder(MeterNames.RING_COMMIT_TO_PUBLISH)
            .description("Ring commit (v2 commit_ns) to event-bus publish")
            .tag("stream", stream)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(1_000))
            .maximumExpectedValue(Duration.ofSeconds(1))
            .register(registry);
        meters.add(commitToPublish);
        final String framesAddress = Addresses.frames(stream);
        final String keyframeAddress = Addresses.keyframeRequest(stream);
        final RingPollAgent agent = new RingPollAgent(config,
            frame -> vertx.eventBus().publish(framesAddress, frame),
            reason -> vertx.eventBus().publish(keyframeAddress, new JsonObject().put("stream", stream).put("reason", reason)),
            stats, keyframes, commitToPublish);
        registerCounters(registry, stream, agent.reader().counters(), keyframes);

        vertx.eventBus().<JsonObject>consumer(Addresses.keyframeWanted(stream), message -> {
            final JsonObject body = message.body();
            agent.requestKeyframe(body == null ? "client" : body.getString("reason", "client"));
        });

        final AtomicLong errors = new AtomicLong();
        final IdleStrategy idle = config.newIdleStrategy();
        runner = new AgentRunner(idle, error -> {
            // AgentRunner keeps polling after this: one bad poll never stops the stream.
            if (errors.incrementAndGet() <= 10 || errors.get() % 1000 == 0) {
                LOG.log(System.Logger.Level.ERROR, "ring poller error: stream=" + stream + ", errors=" + errors.get(), error);
            }
        }, null, agent);
        AgentRunner.startOnThread(runner, r -> {
            final Thread thread = new Thread(() -> {
                if (idle instanceof FramePacedIdleStrategy) {
                    final boolean precise = ((FramePacedIdleStrategy) idle).makePrecise();
                    LOG.log(System.Logger.Level.INFO, "ring poller of stream=" + stream + ": paced, timer slack "
                        + (precise ? FramePacedIdleStrategy.PRECISE_SLACK_NS + " ns (precise parks)"
                            : "unchanged (not writable here: parks last 60-110 us, more wake-ups per frame)"));
                }
                r.run();
            }, agent.roleName());
            thread.setDaemon(true);
            return thread;
        });
        LOG.log(System.Logger.Level.INFO, "polling ring: stream=" + stream + ", path=" + config.path()
            + ", crc=" + config.crcEnabled() + ", idle=" + config.idleStrategy());
        return Future.succeededFuture();
    }

    private void registerCounters(final MeterRegistry registry, final String stream, final RingCounters counters,
                                  final KeyframeCoalescer keyframes) {
        for (final PollOutcome outcome : PollOutcome.values()) {
            meters.add(FunctionCounter.builder("sdr.ring.polls", counters, c -> c.get(outcome))
                .description("Ring poll outcomes")
                .tag("stream", stream).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry));
        }
        meters.add(FunctionCounter.builder("sdr.ring.frames.lost", counters, RingCounters::framesLost)
            .description("Frames committed by the writer that the reader never delivered")
            .tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder("sdr.ring.bytes", counters, RingCounters::bytes)
            .description("Header and payload bytes read from the ring").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder("sdr.ring.remaps", counters, RingCounters::remaps)
            .description("Times the ring file was (re)mapped").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder(MeterNames.KEYFRAME_REQUESTS, keyframes, KeyframeCoalescer::requested)
            .description("Keyframe requests sent to the encoder").tag("stream", stream).register(registry));
        meters.add(FunctionCounter.builder(MeterNames.KEYFRAME_REQUESTS_COALESCED, keyframes, KeyframeCoalescer::coalesced)
            .description("Keyframe requests absorbed by one already sent").tag("stream", stream).register(registry));
    }

    @Override
    public Future<?> stop() {
        if (runner != null) {
            runner.close(); // interrupts the idle wait and joins the polling thread
        }
        final MeterRegistry registry = Metrics.registry(vertx);
        meters.forEach(registry::remove);
        return Future.succeededFuture();
    }
}
