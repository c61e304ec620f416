package io.sdr.edge;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.sdr.bus.Addresses;
import io.sdr.bus.CommitClock;
import io.sdr.bus.FrameCodec;
import io.sdr.bus.FrameConsumers;
import io.sdr.metrics.Metrics;
import io.sdr.nats.NatsConfig;
import io.sdr.nats.NatsLink;
import io.sdr.nats.NatsStats;
import io.sdr.poller.StreamStats;
import io.sdr.ring.PollOutcome;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Frames between hosts over NATS core, on a connection of its own ({@code sdr-transport-origin} or {@code sdr-transport-edge}):
 *
 * <pre>
 *   origin: ring poller -> frames.S -> FrameUplink --sdr.video.S--> nats-server --+--> edge 1: EdgeFeed -> frames.S -> WebSocket groups
 *           keyframe.wanted.S &lt;-- sdr.edge.keyframe.S &lt;---------------------------+--> edge 2: ...
 * </pre>
 *
 * On the origin ({@code video.role=origin}) every stream's frames are also published, and the
 * edges' keyframe requests join the local viewers' ones at the poller, which lets one through per
 * interval for all of them. Once per {@code announceIntervalMs} the origin announces its streams
 * on {@code sdr.edge.announce}. On an edge ({@code video.role=edge}) the {@link EdgeFeed} takes the
 * ring poller's place. The streams an edge serves are the ones its conf lists; the announcements
 * only tell /health whether an origin serves them.
 *
 * <p>Why NATS rather than the clustered event bus: nats-server bounds what it holds for a slow
 * subscriber and cuts it off without slowing the publisher; the event bus writes to remote nodes
 * without backpressure. The video connection does not buffer across reconnections (a frame from
 * before an outage is useless) and drops rather than queues when its socket is slow.
 */
public final class VideoLinkVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(VideoLinkVerticle.class.getName());

    private final List<Meter> meters = new ArrayList<>();
    private VideoLinkConfig config;
    private NatsLink link;
    private FrameUplink uplink;
    private EdgeFeed feed;
    private long announceTimer = -1;

    @Override
    public Future<?> start() {
        final JsonObject section = config().copy();
        final NatsConfig nats = NatsConfig.from(section.getJsonObject("nats", new JsonObject()));
        config = VideoLinkConfig.from(section.getJsonObject(VideoLinkConfig.SECTION, new JsonObject()));
        FrameCodec.register(vertx);
        final MeterRegistry registry = Metrics.registry(vertx);
        final NatsStats stats = NatsStats.of(vertx, "video");
        final VideoLinkStatus status = VideoLinkStatus.of(vertx);
        status.role(config.role(), config.subjectPrefix());
        link = new NatsLink(nats, config.role() == VideoLinkConfig.Role.EDGE ? "sdr-transport-edge" : "sdr-transport-origin",
            config.role() == VideoLinkConfig.Role.EDGE ? "video from the origin" : "video to the edges", stats,
            options -> options
                // A frame queued across an outage is stale when it arrives: drop, never buffer.
                .reconnectBufferSize(0)
                .maxMessagesInOutgoingQueue(Math.max(16, config.queueFrames() * 4))
                .discardMessagesWhenOutgoingQueueFull()
                .reconnectDelayHandler(tries -> Duration.ofMillis(Math.min(config.reconnectMaxWaitMs(), nats.backoffMs(tries)))),
            config.role() == VideoLinkConfig.Role.EDGE ? this::edgeConnected : this::originConnected,
            // The telemetry bridge's connection to the same server reports NATS coming and going;
            // this one's state is in /health (video) and /metrics (sdr_video_link_*).
            false);
        registerLinkMeters(registry, stats);
        if (config.role() == VideoLinkConfig.Role.EDGE) {
            final Map<String, StreamStats> streamStats = new LinkedHashMap<>();
            final Map<String, Timer> timers = new LinkedHashMap<>();
            for (final String stream : config.streams()) {
                streamStats.put(stream, StreamStats.of(vertx, stream));
                final Timer timer = Timer.builder("sdr.edge.commit.to.publish")
                    .description("Commit at the origin's ring to publish on this edge's event bus (hosts' clocks must agree)")
                    .tag("stream", stream).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(2))
                    .register(registry);
                meters.add(timer);
                timers.put(stream, timer);
            }
            feed = new EdgeFeed(config, frame -> vertx.eventBus().publish(Addresses.frames(frame.stream()), frame),
                link::connected, streamStats, timers);
            for (final String stream : config.streams()) {
                vertx.eventBus().<JsonObject>consumer(Addresses.keyframeWanted(stream), message ->
                    feed.keyframeWanted(stream, message.body() == null ? "client" : message.body().getString("reason", "client")));
            }
            registerEdgeMeters(registry);
        } else {
            uplink = new FrameUplink(config, link::connected);
            for (final String stream : config.streams()) {
                FrameConsumers.local(vertx.eventBus(), Addresses.frames(stream), uplink::offer);
            }
            registerUplinkMeters(registry);
            announceTimer = vertx.setPeriodic(config.announceIntervalMs(), id -> announce());
        }
        link.start();
        LOG.log(System.Logger.Level.DEBUG, "video over NATS: role=" + config.role().name().toLowerCase(Locale.ROOT)
            + ", streams=" + config.streams() + " on " + config.subjectPrefix() + ".<stream>, url=" + nats.url());
        return Future.succeededFuture();
    }

    private String edgeConnected(final Connection conn) {
        feed.subscribe(conn);
        final Dispatcher announcements = conn.createDispatcher(message -> VideoLinkStatus.of(vertx)
            .announced(new String(message.getData(), StandardCharsets.UTF_8), System.nanoTime()));
        announcements.subscribe(config.announceSubject());
        return "receiving " + config.streams() + " from " + config.subjectPrefix() + ".<stream>";
    }

    private String originConnected(final Connection conn) {
        // Edges' keyframe requests join the local viewers' at the poller, which coalesces all of them.
        final Dispatcher requests = conn.createDispatcher(message -> {
            final String subject = message.getSubject();
            final String stream = subject.substring(subject.lastIndexOf('.') + 1);
            if (config.streams().contains(stream)) {
                VideoLinkStatus.of(vertx).keyframeRequests.incrementAndGet();
                vertx.eventBus().publish(Addresses.keyframeWanted(stream), new JsonObject().put("stream", stream).put("reason", "edge"));
            }
        });
        requests.subscribe(config.keyframeSubjects());
        announce();
        return "publishing " + config.streams() + " to edges";
    }

    private void announce() {
        final Connection conn = link.connected();
        if (conn == null) {
            return;
        }
        final JsonArray streams = new JsonArray();
        for (final String stream : config.streams()) {
            final StreamStats stats = StreamStats.of(vertx, stream);
            streams.add(new JsonObject().put("name", stream).put("subject", config.framesSubject(stream))
                .put("last_frame_seq", stats.lastFrameSeq()).put("last_frame_age_ms", stats.lastFrameAgeMs(System.nanoTime())));
        }
        final JsonObject body = new JsonObject().put("origin", ManagementFactory.getRuntimeMXBean().getName())
            .put("time_unix_ns", CommitClock.wallNowNs()).put("streams", streams);
        try {
            conn.publish(config.announceSubject(), body.encode().getBytes(StandardCharsets.UTF_8));
        } catch (final RuntimeException e) {
            // Closed meanwhile: the next period announces again.
        }
    }

    private void registerLinkMeters(final MeterRegistry registry, final NatsStats stats) {
        meters.add(Gauge.builder("sdr.video.link.connected", stats, s -> s.isConnected() ? 1 : 0)
            .description("1 while the video connection to NATS (origin or edge) is up").register(registry));
        meters.add(FunctionCounter.builder("sdr.video.link.reconnects", stats, s -> s.reconnects.get())
            .description("Reconnections of the video connection").register(registry));
        meters.add(FunctionCounter.builder("sdr.video.link.slow.consumers", stats, s -> s.slowConsumers.get())
            .description("Times the NATS client found the edge's feed behind (frames dropped: a frame_seq gap)").register(registry));
        meters.add(FunctionCounter.builder("sdr.video.link.discarded", stats, s -> s.discarded.get())
            .description("Messages the NATS client discarded (its queue full)").register(registry));
    }

    private void registerUplinkMeters(final MeterRegistry registry) {
        for (final FrameUplink.Outcome outcome : FrameUplink.Outcome.values()) {
            meters.add(FunctionCounter.builder("sdr.video.uplink.frames", uplink, u -> u.frames(outcome))
                .description("Frames offered to the edges over NATS, by outcome")
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        meters.add(Gauge.builder("sdr.video.uplink.queued.bytes", uplink, FrameUplink::queuedBytes)
            .description("Frame bytes waiting for the NATS client").register(registry));
        meters.add(FunctionCounter.builder("sdr.video.uplink.keyframe.requests", VideoLinkStatus.of(vertx), s -> s.keyframeRequests.get())
            .description("Keyframe requests received from edges (coalesced by the poller)").register(registry));
    }

    private void registerEdgeMeters(final MeterRegistry registry) {
        for (final EdgeFeed.StreamFeed stream : feed.feeds()) {
            for (final PollOutcome outcome : new PollOutcome[] {PollOutcome.FRAME, PollOutcome.SKIPPED_AWAITING_KEYFRAME,
                PollOutcome.RESYNC, PollOutcome.BAD_LENGTH}) {
                meters.add(FunctionCounter.builder("sdr.edge.frames", stream, s -> s.counters().get(outcome))
                    .description("Frames received from the origin, by outcome")
                    .tag("stream", stream.stream).tag("outcome", outcome.name().toLowerCase(Locale.ROOT)).register(registry));
            }
            meters.add(FunctionCounter.builder("sdr.edge.frames.lost", stream, s -> s.counters().framesLost())
                .description("Frames the origin sent that never reached this edge (frame_seq gaps)")
                .tag("stream", stream.stream).register(registry));
            meters.add(FunctionCounter.builder("sdr.edge.keyframe.requests", stream, s -> s.keyframes().requested())
                .description("Keyframe requests sent to the origin").tag("stream", stream.stream).register(registry));
        }
    }

    @Override
    public Future<?> stop() {
        if (announceTimer >= 0) {
            vertx.cancelTimer(announceTimer);
        }
        if (link != null) {
            link.close();
        }
        if (uplink != null) {
            uplink.close();
        }
        final MeterRegistry registry = Metrics.registry(vertx);
        meters.forEach(registry::remove);
        return Future.succeededFuture();
    }
}
