package io.sdr.ws;

import io.netty.buffer.ByteBuf;
import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.foxglove.CompressedVideo;
import io.sdr.foxglove.FoxgloveChannels;
import io.sdr.foxglove.FoxgloveProtocol;
import io.sdr.foxglove.FoxgloveProtocol.ClientMessage;
import io.sdr.foxglove.TelemetryMessages;
import io.sdr.foxglove.VideoMessages;
import io.sdr.security.Grants;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One Foxglove WebSocket connection ({@code /foxglove}): the protocol's channels and subscriptions
 * on top of the same fan-out and per-viewer state machine as every other viewer. No Vert.x types;
 * confined to the group's event loop.
 *
 * <ul>
 *   <li>{@link #control} is the connection's {@link WsClient} for JSON control messages and
 *       telemetry: it joins the group's {@link TelemetryFanout} (narrowed to the token's subjects)
 *       and its framing advertises a subject's json channel with the first JSON payload seen and
 *       sends MessageData on subscribed ones.</li>
 *   <li>Each video subscription is a {@link WsClient} of its own in the stream's {@link StreamFanout},
 *       with its own {@link ClientSession}: it joins from the GOP cache (its first message is the
 *       cached keyframe, at once), lags, drops to keyframe-wait (a {@code status} warning) and
 *       resyncs at a keyframe (a {@code removeStatus}) exactly like an SDR viewer. Its framing
 *       writes a small head per client and the frame's shared bytes ({@link VideoMessages}).</li>
 * </ul>
 *
 * All of them write to one connection: each session judges lag from the connection's whole
 * backlog, which counts the other lanes' bytes too (conservative: a lane may resync early, never late).
 */
final class FoxgloveClient {
    private static final System.Logger LOG = System.getLogger(FoxgloveClient.class.getName());
    /** Channels one connection may hold (video streams plus telemetry subjects). */
    static final int MAX_CHANNELS = 4096;

    final WsClient control;
    private final ViewerSink sink;
    private final Grants grants;
    private final Map<String, StreamFanout> fanouts;
    private final Map<String, VideoMessages> videoMessages;
    private final TelemetryMessages telemetryMessages;
    private final TelemetryFanout telemetry;
    private final TelemetryMetrics metrics;
    private final FoxgloveChannels channels = new FoxgloveChannels(MAX_CHANNELS);
    private final Map<Long, WsClient> videoLanes = new HashMap<>();
    private final String sessionId;

    FoxgloveClient(final WsClient control, final Grants grants, final Map<String, StreamFanout> fanouts,
                   final Map<String, VideoMessages> videoMessages, final TelemetryMessages telemetryMessages,
                   final TelemetryFanout telemetry, final TelemetryMetrics metrics, final String sessionId) {
        this.control = control;
        this.sink = control.sink;
        this.grants = grants;
        this.fanouts = fanouts;
        this.videoMessages = videoMessages;
        this.telemetryMessages = telemetryMessages;
        this.telemetry = telemetry;
        this.metrics = metrics;
        this.sessionId = sessionId;
        control.framing = new TelemetryFraming();
    }

    /** The connection is open: serverInfo, one channel per granted stream, then the telemetry subjects known so far. */
    void open(final List<String> streams) {
        control.sendText(FoxgloveProtocol.serverInfo("sdr-transport", sessionId), false);
        final List<FoxgloveProtocol.Channel> advertised = new ArrayList<>();
        for (final String stream : streams) {
            if (grants.allowsStream(stream)) {
                final FoxgloveChannels.Channel channel = channels.addVideo(stream);
                advertised.add(new FoxgloveProtocol.Channel(channel.id(), stream, CompressedVideo.ENCODING,
                    CompressedVideo.SCHEMA_NAME, CompressedVideo.descriptorSetBase64(), "protobuf"));
            }
        }
        control.sendText(FoxgloveProtocol.advertise(advertised), false);
        telemetry.join(control);
    }

    void onText(final String text) {
        final ClientMessage message = FoxgloveProtocol.parse(text);
        switch (message.kind()) {
            case SUBSCRIBE:
                message.subscriptions().forEach(s -> subscribe(s.id(), s.channelId()));
                break;
            case UNSUBSCRIBE:
                message.subscriptionIds().forEach(this::unsubscribe);
                break;
            case UNSUPPORTED:
                metrics.unsupportedRequests.increment();
                error(message.error());
                break;
            default:
                metrics.invalidMessages.increment();
                error("invalid message: " + message.error());
                break;
        }
    }

    /** A binary client message: this server advertises no clientPublish or services, so none is valid. */
    void onBinary() {
        metrics.binaryIgnored.increment();
        error("binary client messages are not supported (the server has no clientPublish or services capability)");
    }

    private void subscribe(final long id, final long channelId) {
        final FoxgloveChannels.Channel channel;
        try {
            channel = channels.subscribe(id, channelId);
        } catch (final IllegalArgumentException e) {
            metrics.refusedRequests.increment();
            error(e.getMessage());
            return;
        }
        metrics.subscribed.increment();
        if (channel.kind() == FoxgloveChannels.Kind.TELEMETRY) {
            telemetry.sendLatest(control, channel.name()::equals);
            return;
        }
        final StreamFanout fanout = fanouts.get(channel.name());
        final WsClient lane = new WsClient(sink, channel.name(), fanout.newSession(),
            new TelemetryOutbox<>(0, 0), metrics);
        lane.keyframeRequests = grants.keyframe();
        lane.framing = new VideoFraming(channel.name(), (int) id, videoMessages.get(channel.name()));
        videoLanes.put(id, lane);
        fanout.join(lane);
    }

    private void unsubscribe(final long id) {
        final FoxgloveChannels.Channel channel;
        try {
            channel = channels.unsubscribe(id);
        } catch (final IllegalArgumentException e) {
            metrics.refusedRequests.increment();
            error(e.getMessage());
            return;
        }
        final WsClient lane = videoLanes.remove(id);
        if (lane != null) {
            fanouts.get(channel.name()).leave(lane);
        }
    }

    private void error(final String message) {
        LOG.log(System.Logger.Level.DEBUG, () -> "foxglove client: " + message);
        control.sendText(FoxgloveProtocol.status(FoxgloveProtocol.STATUS_ERROR, message, null), true);
    }

    /** Frames and telemetry written to any lane: the idle check's outbound traffic. */
    long sentFrames() {
        long frames = 0;
        for (final WsClient lane : videoLanes.values()) {
            frames += lane.session.sentFrames();
        }
        return frames;
    }

    /** The connection closed: every lane leaves its fan-out. */
    void close() {
        for (final WsClient lane : videoLanes.values()) {
            fanouts.get(lane.stream).leave(lane);
        }
        videoLanes.clear();
        telemetry.leave(control);
        control.close();
    }

    /** The control lane: telemetry as MessageData on the subjects' json channels; no video. */
    private final class TelemetryFraming implements ClientFraming {
        @Override
        public ByteBuf video(final Frame frame) {
            return null;
        }

        @Override
        public int videoLength(final Frame frame) {
            return 0;
        }

        @Override
        public boolean takes(final Telemetry message) {
            if (!telemetryMessages.isJson(message)) {
                metrics.foxgloveNotJson.increment();
                return false;
            }
            FoxgloveChannels.Channel channel = channels.telemetry(message.subject());
            if (channel == null) {
                channel = channels.addTelemetry(message.subject(),
                    removed -> control.sendText(FoxgloveProtocol.unadvertise(List.of(removed.id())), false));
                if (channel == null) {
                    metrics.foxgloveChannelsFull.increment();
                    return false;
                }
                control.sendText(FoxgloveProtocol.advertise(List.of(new FoxgloveProtocol.Channel(channel.id(),
                    message.subject(), "json", "", "", null))), false);
            }
            return channels.subscriptionOf(channel) >= 0;
        }

        @Override
        public ByteBuf telemetry(final Telemetry message) {
            final FoxgloveChannels.Channel channel = channels.telemetry(message.subject());
            final long subscription = channel == null ? -1 : channels.subscriptionOf(channel);
            return subscription < 0 ? null : telemetryMessages.message(message, (int) subscription);
        }

        @Override
        public int telemetryLength(final Telemetry message) {
            return TelemetryMessages.messageLength(message);
        }
    }

    /** One video subscription: this client's subscription id in front of the frame's shared bytes. */
    private final class VideoFraming implements ClientFraming {
        private final String stream;
        private final int subscriptionId;
        private final VideoMessages messages;
        private final String statusId;
        private boolean statusShown;

        VideoFraming(final String stream, final int subscriptionId, final VideoMessages messages) {
            this.stream = stream;
            this.subscriptionId = subscriptionId;
            this.messages = messages;
            this.statusId = "sdr.keyframe-wait." + stream;
        }

        @Override
        public ByteBuf video(final Frame frame) {
            return messages.wire(frame, subscriptionId);
        }

        @Override
        public int videoLength(final Frame frame) {
            return messages.wireLength(frame);
        }

        @Override
        public ByteBuf telemetry(final Telemetry message) {
            return null;
        }

        @Override
        public int telemetryLength(final Telemetry message) {
            return 0;
        }

        @Override
        public void awaitingKeyframe() {
            statusShown = control.sendText(FoxgloveProtocol.status(FoxgloveProtocol.STATUS_WARNING,
                "waiting for a keyframe: stream=" + stream + " (this client fell behind; frames are skipped until the next keyframe)",
                statusId), false) || statusShown;
        }

        @Override
        public void resynced() {
            if (statusShown) {
                statusShown = false;
                control.sendText(FoxgloveProtocol.removeStatus(List.of(statusId)), false);
            }
        }
    }
}
