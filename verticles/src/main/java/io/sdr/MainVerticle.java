package io.sdr;

import io.sdr.busbridge.BridgeConfig;
import io.sdr.busbridge.BridgeVerticle;
import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.sdr.config.EnvOverrides;
import io.sdr.edge.VideoLinkConfig;
import io.sdr.edge.VideoLinkVerticle;
import io.sdr.encode.EncoderConfig;
import io.sdr.encode.EncoderVerticle;
import io.sdr.metrics.SharedState;
import io.sdr.nats.NatsBridgeVerticle;
import io.sdr.nats.NatsConfig;
import io.sdr.poller.PollerConfig;
import io.sdr.poller.RingPollerVerticle;
import io.sdr.record.RecordingConfig;
import io.sdr.record.RecordingVerticle;
import io.sdr.ws.WebSocketConfig;
import io.sdr.ws.WebSocketVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads conf.json (overridden by {@code SDR_*}), validates every section before deploying
 * anything, then deploys one ring poller per stream, the encoder (when the {@code encoder} section
 * enables it; it writes its stream's ring) and the WebSocket client groups, each with only its
 * own section. With a {@code bridge} section, the TCP event-bus bridge for the {@code bus} CLI too.
 *
 * <p>Started N times ({@code -instances N}), every instance deploys its client groups but the
 * pollers and the encoder are deployed once: two pollers of one ring would publish every frame
 * twice, two encoders would fight over the ring.
 */
public final class MainVerticle extends VerticleBase {
    /** What one instance deploys for all (-instances N): the pollers, encoder and video link. */
    private static final SharedState.Kind<Deployed> SINGLETONS = SharedState.kind("sdr.main", id -> new Deployed());

    private static final class Deployed implements io.vertx.core.shareddata.Shareable {
    }

    private static final System.Logger LOG = System.getLogger(MainVerticle.class.getName());
    static final List<String> SECTIONS = List.of("streams", "poller", "websocket", "nats", "encoder", "bridge",
        VideoLinkConfig.SECTION, "recording");

    @Override
    public Future<?> start() {
        final EnvOverrides overrides = EnvOverrides.apply(config(), System.getenv());
        final Plan plan;
        try {
            plan = plan(overrides.config());
        } catch (final ConfigException e) {
            final String message = "invalid configuration: " + overrides.explain(e);
            LOG.log(System.Logger.Level.ERROR, message);
            return Future.failedFuture(new ConfigException(message));
        }
        final List<Future<String>> deployments = new ArrayList<>();
        // One meter per registry (Micrometer returns the existing one to later instances).
        io.micrometer.core.instrument.FunctionCounter.builder("sdr.buffer.leaks", io.sdr.bus.BufferLeaks.class,
                c -> io.sdr.bus.BufferLeaks.count())
            .description("Pooled buffers garbage-collected without their last release (Netty's leak detector)")
            .register(io.sdr.metrics.Metrics.registry(vertx));
        if (SINGLETONS.add(vertx, "pollers", new Deployed())) {
            for (final JsonObject poller : plan.pollers) {
                deployments.add(vertx.deployVerticle(RingPollerVerticle.class.getName(), new DeploymentOptions()
                    .setThreadingModel(ThreadingModel.WORKER).setConfig(poller)));
            }
            if (plan.encoder != null) {
                deployments.add(vertx.deployVerticle(EncoderVerticle.class.getName(), new DeploymentOptions()
                    .setThreadingModel(ThreadingModel.WORKER).setConfig(plan.encoder)));
            }
            if (plan.video != null) {
                // One link: two would publish (or receive) every frame twice.
                deployments.add(vertx.deployVerticle(VideoLinkVerticle.class.getName(), new DeploymentOptions()
                    .setConfig(plan.video)));
            }
            if (plan.natsNote != null) {
                LOG.log(System.Logger.Level.INFO, plan.natsNote);
            }
            if (plan.nats != null) {
                // One bridge: two would relay every telemetry message twice.
                deployments.add(vertx.deployVerticle(NatsBridgeVerticle.class.getName(), new DeploymentOptions()
                    .setThreadingModel(ThreadingModel.WORKER).setConfig(plan.nats)));
            }
            if (plan.recording != null) {
                // One recorder: its history holds a reference per frame, two would hold two.
                deployments.add(vertx.deployVerticle(RecordingVerticle.class.getName(), new DeploymentOptions()
                    .setThreadingModel(ThreadingModel.WORKER).setConfig(plan.recording)));
            }
            if (plan.bridge != null) {
                // One bridge: one port, one set of inspection taps.
                deployments.add(vertx.deployVerticle(BridgeVerticle.class.getName(), new DeploymentOptions().setConfig(plan.bridge)));
            }
        }
        deployments.add(vertx.deployVerticle(WebSocketVerticle.class.getName(), new DeploymentOptions()
            .setInstances(plan.websocketInstances).setConfig(plan.websocket)));
        return Future.all(deployments).onSuccess(v -> LOG.log(System.Logger.Level.INFO,
            "SDR transport ready" + (plan.edge ? " (edge: streams from NATS)" : "") + ": http://" + displayHost(plan.websocketConfig) + ":" + plan.websocketConfig.listenPort()
                + "/  (WebSocket /stream/ws, /health, /metrics), streams=" + plan.websocketConfig.streams()));
    }

    private static String displayHost(final WebSocketConfig config) {
        final String host = config.listenHost();
        return host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    }

    /**
     * The encoder section with {@code path} taken from {@code streams.<stream>.path} (and each tier's
     * from {@code streams.<stream>~<name>.path}, else the stream's path with {@code ~<name>}); null
     * when absent or disabled. A tier's stream that is not configured under {@code streams} is added
     * (a poller with the stream's settings on the tier's ring), right after its stream, in tier order.
     */
    private static JsonObject encoderPlan(final ConfigReader top, final ConfigReader streams, final JsonArray names,
                                          final Plan plan, final JsonObject pollerSection) {
        final JsonObject section = top.child(EncoderConfig.SECTION).json();
        if (section.isEmpty()) {
            return null;
        }
        if (section.containsKey("path")) {
            throw new ConfigException("encoder.path: the encoder writes its stream's ring; set streams.<stream>.path instead");
        }
        final JsonObject encoder = section.copy();
        final String stream = encoder.getValue("stream") instanceof String ? encoder.getString("stream") : names.getString(0);
        if (!names.contains(stream)) {
            throw new ConfigException("encoder.stream=\"" + stream + "\": not configured under streams; configured: " + names.encode());
        }
        final Object path = streams.child(stream).json().getValue("path");
        encoder.put("stream", stream).put("path", path == null ? "/dev/shm/sdr_os_ipc/frames" : path);
        if (encoder.getValue("tiers") instanceof JsonArray) {
            final JsonArray tiers = encoder.getJsonArray("tiers").copy();
            encoder.put("tiers", tiers);
            for (int i = 0; i < tiers.size(); i++) {
                if (!(tiers.getValue(i) instanceof JsonObject tier)) {
                    continue; // EncoderConfig names the problem
                }
                if (tier.containsKey("path")) {
                    throw new ConfigException("encoder.tiers[" + i + "].path: the encoder writes each tier's ring; set streams."
                        + PollerConfig.tierStream(stream, String.valueOf(tier.getValue("name"))) + ".path instead");
                }
                final String tierStream = PollerConfig.tierStream(stream, String.valueOf(tier.getValue("name")));
                if (names.contains(tierStream) && streams.child(tierStream).json().getValue("path") != null) {
                    tier.put("path", streams.child(tierStream).json().getValue("path"));
                }
            }
        }
        final EncoderConfig config = EncoderConfig.from(encoder);
        if (!config.enabled()) {
            return null;
        }
        final List<String> order = new ArrayList<>();
        for (final EncoderConfig.Tier tier : config.tiers()) {
            final String tierStream = config.tierStream(tier);
            order.add(tierStream);
            if (!names.contains(tierStream)) {
                final JsonObject poller = pollerSection.copy().mergeIn(streams.child(stream).json())
                    .put("stream", tierStream).put("path", tier.path().toString());
                PollerConfig.from(poller);
                plan.pollers.add(poller);
            }
            names.remove(tierStream);
        }
        // The fan-out orders a stream's tiers as its streams are listed: the encoder's order, largest first.
        final List<Object> all = new ArrayList<>(names.getList());
        all.addAll(all.indexOf(stream) + 1, order);
        names.clear();
        all.forEach(names::add);
        return encoder;
    }

    /**
     * {@code websocket.streams} and {@code websocket.tiers} for the encoder's tiers: each tier's stream
     * after its stream in the listed streams, and what viewers are told of each tier (label, size,
     * bitrate) unless {@code websocket.tiers} already says it.
     */
    private static void tiersForViewers(final JsonObject websocket, final JsonObject encoder) {
        final EncoderConfig config = EncoderConfig.from(encoder);
        if (config.tiers().isEmpty()) {
            return;
        }
        if (websocket.getValue("streams") instanceof JsonArray listed && listed.contains(config.stream())) {
            final List<Object> all = new ArrayList<>(listed.getList());
            int at = all.indexOf(config.stream());
            for (final EncoderConfig.Tier tier : config.tiers()) {
                final String tierStream = config.tierStream(tier);
                if (!all.contains(tierStream)) {
                    all.add(++at, tierStream);
                }
            }
            websocket.put("streams", new JsonArray(all));
        }
        final Object given = websocket.getValue("tiers");
        if (given != null && !(given instanceof JsonObject)) {
            return; // WebSocketConfig names the problem
        }
        final JsonObject tiers = given == null ? new JsonObject() : ((JsonObject) given).copy();
        final java.util.function.BiConsumer<String, JsonObject> fill = (stream, known) -> {
            final Object own = tiers.getValue(stream);
            tiers.put(stream, own instanceof JsonObject ? known.mergeIn((JsonObject) own) : own == null ? known : own);
        };
        fill.accept(config.stream(), new JsonObject().put("label", config.height() + "p").put("width", config.width())
            .put("height", config.height()).put("bitrateKbps", config.bitrateKbps()));
        for (final EncoderConfig.Tier tier : config.tiers()) {
            fill.accept(config.tierStream(tier), new JsonObject().put("label", tier.name()).put("width", tier.width())
                .put("height", tier.height()).put("bitrateKbps", tier.bitrateKbps()));
        }
        websocket.put("tiers", tiers);
    }

    /** Every child's section, validated. */
    static final class Plan {
        final List<JsonObject> pollers = new ArrayList<>();
        JsonObject websocket;
        WebSocketConfig websocketConfig;
        int websocketInstances;
        /** The encoder's section with its stream's ring path merged in, or null when disabled. */
        JsonObject encoder;
        /** The NATS bridge's section with the stream names, or null when disabled. */
        JsonObject nats;
        /** Why there is no NATS bridge, for one INFO line; null when it is deployed or switched off on purpose. */
        String natsNote;
        /** The TCP event-bus bridge's section with the stream names, or null when absent or disabled. */
        JsonObject bridge;
        /** The video link's {@code nats} and {@code video} sections, or null when it does not run. */
        JsonObject video;
        boolean edge;
        /** The recording section with the stream names, or null when recording is off. */
        JsonObject recording;
    }

    /** A poller error names poller.KEY; report streams.NAME.KEY when the key was set in the stream's entry. */
    private static String whereWritten(final String message, final JsonObject stream, final String name) {
        final String prefix = PollerConfig.SECTION + ".";
        for (final String key : stream.fieldNames()) {
            if (message.startsWith(prefix + key + "=") || message.startsWith(prefix + key + ":")) {
                return "streams." + name + "." + message.substring(prefix.length());
            }
        }
        return message;
    }

    static Plan plan(final JsonObject root) {
        final ConfigReader top = new ConfigReader("", root);
        top.allowOnly(SECTIONS.toArray(new String[0]));
        final ConfigReader streams = top.child("streams");
        final JsonObject pollerSection = top.child("poller").json();
        final Plan plan = new Plan();
        final JsonArray names = new JsonArray();
        for (final String name : streams.json().fieldNames()) {
            final JsonObject stream = streams.child(name).json();
            final JsonObject poller = pollerSection.copy().mergeIn(stream).put("stream", name);
            try {
                PollerConfig.from(poller);
            } catch (final ConfigException e) {
                throw new ConfigException(whereWritten(e.getMessage(), stream, name));
            }
            plan.pollers.add(poller);
            names.add(name);
        }
        if (names.isEmpty()) {
            throw new ConfigException("streams={}: at least one stream must be configured");
        }
        // Before the other sections: the encoder's tiers are streams of their own.
        final JsonObject encoder = encoderPlan(top, streams, names, plan, pollerSection);
        final JsonObject websocket = top.child("websocket").json().copy();
        if (!websocket.containsKey("streams")) {
            websocket.put("streams", names.copy());
        }
        if (encoder != null) {
            tiersForViewers(websocket, encoder);
        }
        plan.websocketConfig = WebSocketConfig.from(websocket);
        for (final String stream : plan.websocketConfig.streams()) {
            if (!names.contains(stream)) {
                throw new ConfigException("websocket.streams: stream \"" + stream + "\" is not configured under streams; configured: " + names.encode());
            }
        }
        plan.websocket = websocket;
        plan.websocketInstances = new ConfigReader(WebSocketConfig.SECTION, websocket).intValue("instances", 2, 1, 256);
        final JsonObject nats = top.child(NatsConfig.SECTION).json().copy();
        if (!nats.containsKey("streams")) {
            nats.put("streams", names);
        }
        final NatsConfig natsConfig = NatsConfig.from(nats);
        final JsonObject video = top.child(VideoLinkConfig.SECTION).json().copy();
        if (!video.containsKey("streams")) {
            video.put("streams", names);
        }
        final VideoLinkConfig videoConfig = VideoLinkConfig.from(video);
        plan.edge = videoConfig.role() == VideoLinkConfig.Role.EDGE;
        if (plan.edge) {
            // An edge's frames come from NATS: no ring to poll, no ring for an encoder to write.
            if (natsConfig.url() == null || !natsConfig.enabled()) {
                throw new ConfigException("video.role=edge: an edge receives its streams over NATS; set nats.url (SDR_NATS_URL)"
                    + (natsConfig.url() != null ? " and nats.enabled=true" : ""));
            }
            if (encoder != null) {
                throw new ConfigException("encoder.enabled=true: an edge (video.role=edge) runs no encoder; its streams come"
                    + " from the origin. Remove the encoder section or set encoder.enabled=false");
            }
            plan.pollers.clear();
        } else {
            plan.encoder = encoder;
        }
        plan.video = videoConfig.role() != VideoLinkConfig.Role.OFF && natsConfig.enabled()
            ? new JsonObject().put(NatsConfig.SECTION, nats).put(VideoLinkConfig.SECTION, video) : null;
        plan.nats = natsConfig.enabled() ? nats : null;
        if (natsConfig.url() == null && !String.valueOf(nats.getValue("enabled")).matches("false|0")) {
            plan.natsNote = "NATS not configured (no nats.url, SDR_NATS_URL unset): no telemetry from NATS;"
                + " set SDR_NATS_URL=nats://HOST:4222 to relay it";
        }
        // No bridge section, no port: the bridge opens only when conf.json (or SDR_BRIDGE_ADDR) asks.
        final JsonObject bridge = top.child(BridgeConfig.SECTION).json().copy();
        if (!bridge.isEmpty() && !bridge.containsKey("streams")) {
            bridge.put("streams", names);
        }
        plan.bridge = !bridge.isEmpty() && BridgeConfig.from(bridge).enabled() ? bridge : null;
        final JsonObject recording = top.child(RecordingConfig.SECTION).json().copy();
        if (recording.containsKey("streams")) {
            throw new ConfigException("recording.streams: every configured stream is recorded; the key is not a setting");
        }
        // Quality tiers (main~360p) are renditions of their stream's pictures: a clip of main is
        // the recording, and three histories of one camera would triple the memory for nothing.
        final JsonArray recorded = new JsonArray();
        for (final Object name : names) {
            if (!PollerConfig.isTier(name.toString())) {
                recorded.add(name);
            }
        }
        recording.put("streams", recorded);
        plan.recording = RecordingConfig.from(recording).enabled() ? recording : null;
        return plan;
    }
}
