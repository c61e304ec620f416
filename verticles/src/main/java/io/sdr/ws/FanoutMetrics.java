package io.sdr.ws;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sdr.metrics.MeterNames;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters of one stream's fan-out; shared by every group (same name and tags, same meter). The
 * frame counters also add to this group's own {@link GroupStats}, so the CLI can show per-group figures.
 */
final class FanoutMetrics {
    final Counter framesSent;
    final Counter bytesSent;
    final Counter droppedLagging;
    final Counter droppedAwaiting;
    final Counter closedIdrTimeout;
    final Counter framesTooOld;
    final Counter joinsFromCache;
    final Counter joinsWaiting;
    final Counter tierDown;
    final Counter tierUp;
    final Timer publishToWritten;
    final Timer commitToWritten;

    FanoutMetrics(final MeterRegistry registry, final String stream, final AtomicInteger clients, final GroupStats group) {
        if (registry.find("sdr.ws.clients").tag("stream", stream).gauge() == null) {
            // Every group passes the same shared counter; the first registration serves them all.
            Gauge.builder("sdr.ws.clients", clients, AtomicInteger::get).description("Connected WebSocket clients")
                .tag("stream", stream).register(registry);
        }
        framesSent = tallied(Counter.builder(MeterNames.WS_FRAMES_SENT)
            .description("Frames handed to a viewer's connection (Netty writes them on; a closed connection drops them)").tag("stream", stream).register(registry), group.framesSent);
        bytesSent = Counter.builder("sdr.ws.bytes.sent").baseUnit("bytes").tag("stream", stream).register(registry);
        droppedLagging = tallied(drops(registry, stream, ClientSession.DropReason.LAGGING.tag), group.droppedLagging);
        droppedAwaiting = tallied(drops(registry, stream, ClientSession.DropReason.AWAITING_KEYFRAME.tag), group.droppedAwaiting);
        closedIdrTimeout = tallied(Counter.builder(MeterNames.WS_CLOSED).description("Clients closed by the server")
            .tag("stream", stream).tag("reason", "idr_timeout").register(registry), group.closedIdrTimeout);
        framesTooOld = Counter.builder("sdr.ws.frames.too.old").description("Frames skipped for every client of a group "
            + "because they reached its event loop more than websocket.maxFrameAgeMs after publish").tag("stream", stream).register(registry);
        joinsFromCache = Counter.builder("sdr.ws.joins").tag("stream", stream).tag("start", "gop_cache").register(registry);
        joinsWaiting = Counter.builder("sdr.ws.joins").tag("stream", stream).tag("start", "keyframe_request").register(registry);
        // Tagged with the tier switched to: the viewers a rendition gained, and from which direction.
        tierDown = Counter.builder("sdr.ws.tier.switches").description("Viewers moved to this tier at its keyframe")
            .tag("stream", stream).tag("direction", "down").register(registry);
        tierUp = Counter.builder("sdr.ws.tier.switches").description("Viewers moved to this tier at its keyframe")
            .tag("stream", stream).tag("direction", "up").register(registry);
        publishToWritten = latency(registry, MeterNames.WS_PUBLISH_TO_WRITTEN, "Event-bus publish to written (and flushed) to the sockets of every viewer of a group that took the frame; "
            + "one sample per frame and group", stream);
        commitToWritten = latency(registry, MeterNames.WS_COMMIT_TO_WRITTEN, "Ring commit (v2) to written (and flushed) to the sockets of every viewer of a group that took the frame; "
            + "one sample per frame and group", stream);
    }

    /** {@code shared} (the registered meter every group increments) that also adds to this group's {@code tally}. */
    private static Counter tallied(final Counter shared, final LongAdder tally) {
        return new Counter() {
            @Override
            public void increment(final double amount) {
                shared.increment(amount);
                tally.add((long) amount);
            }

            @Override
            public double count() {
                return shared.count();
            }

            @Override
            public Meter.Id getId() {
                return shared.getId();
            }
        };
    }

    private static Counter drops(final MeterRegistry registry, final String stream, final String reason) {
        return Counter.builder(MeterNames.WS_FRAMES_DROPPED).description("Frames not sent to a client, by reason")
            .tag("stream", stream).tag("reason", reason).register(registry);
    }

    private static Timer latency(final MeterRegistry registry, final String name, final String description,
                                 final String stream) {
        return Timer.builder(name).description(description).tag("stream", stream)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(10_000))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);
    }
}
