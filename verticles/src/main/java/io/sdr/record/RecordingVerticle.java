package io.sdr.record;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sdr.bus.Addresses;
import io.sdr.bus.FrameCodec;
import io.sdr.bus.FrameConsumers;
import io.sdr.bus.Telemetry;
import io.sdr.bus.TelemetryCodec;
import io.sdr.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.ArrayList;
import java.util.List;

/**
 * The recorder: one more local consumer of each {@code frames.<stream>} and of {@code telemetry},
 * beside the fan-out, feeding the clip histories ({@link Recordings}) and, with
 * {@code recording.dir}, the continuous {@link SegmentRecorder}. Deployed once per server, as a
 * worker: segment writes touch the disk. The fan-out never waits for it: each frame is a reference
 * more, and a history that falls behind only delays its own consumer.
 */
public final class RecordingVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(RecordingVerticle.class.getName());

    private final List<MessageConsumer<?>> consumers = new ArrayList<>();
    private Recordings recordings;
    private SegmentRecorder segments;
    private long tickTimer = -1;

    @Override
    public Future<?> start() throws Exception {
        final RecordingConfig config = RecordingConfig.from(config());
        FrameCodec.register(vertx);
        TelemetryCodec.register(vertx);
        final MeterRegistry registry = Metrics.registry(vertx);
        recordings = new Recordings(config, registry);
        if (config.dir() != null) {
            segments = new SegmentRecorder(config);
            final SegmentRecorder s = segments;
            FunctionCounter.builder("sdr.record.segments", s, SegmentRecorder::segmentsWritten)
                .description("Continuous-recording segments started").register(registry);
            FunctionCounter.builder("sdr.record.segments.deleted", s, SegmentRecorder::segmentsDeleted)
                .description("Oldest segments deleted to stay within recording.maxDiskBytes").register(registry);
            FunctionCounter.builder("sdr.record.errors", s, SegmentRecorder::errors)
                .description("Continuous-recording write failures (the segment is abandoned, a new one starts)").register(registry);
            Gauge.builder("sdr.record.disk.bytes", s, SegmentRecorder::diskBytes)
                .description("Bytes of the segments in recording.dir").register(registry);
            tickTimer = vertx.setPeriodic(Math.max(10, config.chunkMs() / 4), id -> s.tick());
        }
        for (final StreamHistory history : recordings.streams().values()) {
            consumers.add(FrameConsumers.local(vertx.eventBus(), Addresses.frames(history.stream()), frame -> {
                history.append(frame);
                if (segments != null) {
                    segments.onFrame(frame);
                }
            }));
        }
        consumers.add(vertx.eventBus().<Telemetry>localConsumer(Addresses.TELEMETRY, message -> {
            recordings.telemetry().append(message.body());
            if (segments != null) {
                segments.onTelemetry(message.body());
            }
        }));
        Recordings.publish(vertx, recordings);
        LOG.log(System.Logger.Level.INFO, "recording: clip history " + config.historySeconds() + " s (at most "
            + (config.historyBytes() >> 20) + " MiB per stream) of " + config.streams() + ", GET /record/clip; continuous: "
            + (config.dir() == null ? "off (no recording.dir)" : config.dir() + " (segments " + config.segmentSeconds() + " s / "
            + (config.segmentBytes() >> 20) + " MiB, at most " + (config.maxDiskBytes() >> 20) + " MiB)"));
        return Future.succeededFuture();
    }

    @Override
    public Future<?> stop() {
        Recordings.withdraw(vertx);
        vertx.cancelTimer(tickTimer);
        final List<Future<Void>> unregistered = new ArrayList<>();
        consumers.forEach(c -> unregistered.add(c.unregister()));
        return Future.join(unregistered).eventually(() -> {
            if (segments != null) {
                segments.close();
            }
            recordings.streams().values().forEach(StreamHistory::clear);
            return Future.succeededFuture();
        });
    }
}
