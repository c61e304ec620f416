package io.sdr.ws;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The meters of one stream's fan-out; shared by every group (same name and tags, same meter). */
final class FanoutMetrics {
    final Counter framesSent;
    final Counter bytesSent;
    final Counter droppedLagging;
    final Counter droppedAwaiting;
    final Counter closedIdrTimeout;
    final Counter joinsFromCache;
    final Counter joinsWaiting;
    final Timer publishToWritten;
    final Timer commitToWritten;

    FanoutMetrics(final MeterRegistry registry, final String stream, final AtomicInteger clients) {
        if (registry.find("sdr.ws.clients").tag("stream", stream).gauge() == null) {
            // Every group passes the same shared counter; the first registration serves them all.
            Gauge.builder("sdr.ws.clients", clients, AtomicInteger::get).description("Connected WebSocket clients")
                .tag("stream", stream).register(registry);
        }
        framesSent = Counter.builder("sdr.ws.frames.sent").tag("stream", stream).register(registry);
        bytesSent = Counter.builder("sdr.ws.bytes.sent").baseUnit("bytes").tag("stream", stream).register(registry);
        droppedLagging = drops(registry, stream, ClientSession.DropReason.LAGGING.tag);
        droppedAwaiting = drops(registry, stream, ClientSession.DropReason.AWAITING_KEYFRAME.tag);
        closedIdrTimeout = Counter.builder("sdr.ws.closed").description("Clients closed by the server")
            .tag("stream", stream).tag("reason", "idr_timeout").register(registry);
        joinsFromCache = Counter.builder("sdr.ws.joins").tag("stream", stream).tag("start", "gop_cache").register(registry);
        joinsWaiting = Counter.builder("sdr.ws.joins").tag("stream", stream).tag("start", "keyframe_request").register(registry);
        publishToWritten = latency(registry, "sdr.ws.publish.to.written", "Event-bus publish to written to the client socket", stream);
        commitToWritten = latency(registry, "sdr.ws.commit.to.written", "Ring commit (v2) to written to the client socket", stream);
    }

    private static Counter drops(final MeterRegistry registry, final String stream, final String reason) {
        return Counter.builder("sdr.ws.frames.dropped").description("Frames not sent to a client, by reason")
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
