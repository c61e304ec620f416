package io.sdr.health;

import io.sdr.edge.VideoLinkStatus;
import io.sdr.encode.EncoderStats;
import io.sdr.nats.NatsStats;
import io.sdr.poller.StreamStats;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.function.Predicate;

/**
 * {@code GET /health}: the seed's JSON ({@code status, clients, shm_seq, last_frame_age_ms,
 * uptime_s}) plus per-stream details and the vertx-health-check procedures. 503 when any stream
 * has published nothing for {@code healthStaleMs} (counted from start-up before the first frame).
 * With the in-process encoder deployed, an {@code encoder} object says which encoder runs, why
 * the other candidates were skipped, and its frame, error and restart counters. With the NATS
 * bridge configured, a {@code nats} object and check: the status turns {@code degraded} while NATS
 * is away only when {@code nats.required} declares telemetry part of the service. With the video
 * link between an origin and its edges running, a {@code video} object (role, connection; on an
 * edge the origin's last announcement).
 *
 * <p>Only clients allowed to see the details (websocket.admin.allow: loopback by default) get them;
 * others get {@code {"status": ...}} with the same status code, enough for a load balancer.
 */
public final class HealthHandler implements Handler<RoutingContext> {
    /**
     * What /health reads of the viewers (the WebSocket side's {@code ServerState} implements it):
     * an interface of ours so that health does not depend on the package that serves it.
     */
    public interface Viewers {
        int clients();

        int clientsOf(String stream);

        /** When the server started ({@link System#nanoTime()}): uptime, and staleness before the first frame. */
        long startNs();
    }

    /**
     * The streams served and when one is stale.
     *
     * @param streams every stream, quality tiers ({@code main~360p}) included
     * @param baseStreams the streams without their tiers: each one a health check
     * @param healthStaleMs a stream with no frame for this long makes /health 503
     */
    public record Served(List<String> streams, List<String> baseStreams, String defaultStream, long healthStaleMs) {
    }

    private final Vertx vertx;
    private final Served config;
    private final Viewers state;
    private final HealthChecks checks;
    private final Predicate<RoutingContext> detailed;

    /** @param detailed whether a request may see more than the status */
    public HealthHandler(final Vertx vertx, final Served config, final Viewers state,
                         final Predicate<RoutingContext> detailed) {
        this.detailed = detailed;
        this.vertx = vertx;
        this.config = config;
        this.state = state;
        this.checks = HealthChecks.create(vertx);
        // A quality tier (main~360p) is no check of its own: when its ring has no writer (an outside
        // encoder feeds only the stream itself, and the in-process one stands by) viewers stay on the
        // tiers that run, and the service is as good as its stream's.
        for (final String stream : config.baseStreams()) {
            checks.register("stream." + stream, promise -> promise.complete(streamStatus(stream)));
        }
    }

    private Status streamStatus(final String stream) {
        final StreamStats stats = StreamStats.of(vertx, stream);
        final long now = System.nanoTime();
        final long age = stats.lastFrameAgeMs(now);
        final long sinceStartMs = (now - state.startNs()) / 1_000_000;
        final boolean fresh = age >= 0 ? age <= config.healthStaleMs() : sinceStartMs <= config.healthStaleMs();
        final JsonObject data = new JsonObject()
            .put("path", stats.path())
            .put("layout", stats.layoutVersion() == 0 ? null : "v" + stats.layoutVersion())
            .put("shm_seq", stats.lastFrameSeq())
            .put("writer_position", stats.writerPosition())
            .put("last_frame_age_ms", age < 0 ? null : age)
            .put("clients", state.clientsOf(stream))
            .put("frames", stats.counters().frames())
            .put("frames_lost", stats.counters().framesLost());
        if (stats.lastError() != null) {
            data.put("error", stats.lastError());
        }
        return fresh ? Status.OK(data) : Status.KO(data.put("reason", age < 0
            ? "no frame since start-up " + sinceStartMs + " ms ago"
            : "last frame " + age + " ms ago, limit " + config.healthStaleMs() + " ms"));
    }

    @Override
    public void handle(final RoutingContext ctx) {
        checks.checkStatus().onComplete(result -> {
            final CheckResult outcome = result.succeeded() ? result.result() : CheckResult.from("health", result.cause());
            final boolean up = CheckResult.isUp(outcome);
            final StreamStats primary = StreamStats.of(vertx, config.defaultStream());
            final long age = primary.lastFrameAgeMs(System.nanoTime());
            final JsonObject body = new JsonObject()
                .put("status", up ? "ok" : "stale")
                .put("clients", state.clients())
                .put("shm_seq", primary.lastFrameSeq())
                .put("last_frame_age_ms", age < 0 ? null : age)
                .put("uptime_s", (System.nanoTime() - state.startNs()) / 1_000_000_000L);
            final JsonObject streams = new JsonObject();
            final JsonArray checkList = new JsonArray();
            if (outcome.getChecks() != null) {
                for (final CheckResult check : outcome.getChecks()) {
                    final String id = check.getId();
                    checkList.add(new JsonObject().put("id", id).put("status", CheckResult.isUp(check) ? "UP" : "DOWN"));
                    if (id.startsWith("stream.") && check.getData() != null) {
                        streams.put(id.substring("stream.".length()), check.getData());
                    }
                }
            }
            for (final String stream : config.streams()) {
                if (!streams.containsKey(stream)) {
                    final Status tier = streamStatus(stream);
                    streams.put(stream, tier.getData().put("tier_of", io.sdr.poller.PollerConfig.baseOf(stream))
                        .put("status", tier.isOk() ? "UP" : "DOWN"));
                }
            }
            body.put("streams", streams).put("checks", checkList);
            for (final EncoderStats encoder : EncoderStats.all(vertx)) {
                // One encoder per server today; the object reports its choice, fallbacks and counters.
                body.put("encoder", encoder.toJson(System.nanoTime()));
            }
            final NatsStats nats = NatsStats.of(vertx);
            String status = up ? "ok" : "stale";
            if (nats.isEnabled()) {
                body.put("nats", new JsonObject()
                    .put("status", nats.isConnected() ? "connected" : "disconnected")
                    .put("required", nats.isRequired())
                    .put("server", nats.server())
                    .put("relayed", nats.relayed.get())
                    .put("dropped_too_large", nats.droppedTooLarge.get())
                    .put("dropped_bad_subject", nats.droppedBadSubject.get())
                    .put("slow_consumers", nats.slowConsumers.get())
                    .put("discarded", nats.discarded.get())
                    .put("reconnects", nats.reconnects.get())
                    .put("error", nats.isConnected() ? null : nats.lastError()));
                // NATS is a check of its own, outside the stream checks: it never makes /health 503.
                checkList.add(new JsonObject().put("id", "nats").put("status", nats.isConnected() ? "UP" : "DOWN")
                    .put("required", nats.isRequired()));
                if (up && !nats.isConnected() && nats.isRequired()) {
                    // Video still flows without the telemetry declared required: degraded, not down (still 200).
                    status = "degraded";
                }
            }
            final VideoLinkStatus video = VideoLinkStatus.of(vertx);
            if (video.active()) {
                final NatsStats link = NatsStats.of(vertx, "video");
                body.put("video", video.toJson(System.nanoTime())
                    .put("status", link.isConnected() ? "connected" : "disconnected")
                    .put("server", link.server())
                    .put("reconnects", link.reconnects.get())
                    .put("slow_consumers", link.slowConsumers.get())
                    .put("error", link.isConnected() ? null : link.lastError()));
            }
            body.put("status", status);
            final JsonObject shown = detailed.test(ctx) ? body : new JsonObject().put("status", status);
            ctx.response().setStatusCode(up ? 200 : 503)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(shown.encode());
        });
    }
}
