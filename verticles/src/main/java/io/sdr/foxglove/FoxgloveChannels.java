package io.sdr.foxglove;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One Foxglove connection's channels (one per video stream, one per telemetry subject as it
 * appears) and its subscriptions to them, with the protocol's rules: a subscription id is used by
 * one active subscription at a time, a channel has at most one subscription per client. Pure
 * logic; confined to the connection's event loop.
 */
public final class FoxgloveChannels {
    public enum Kind { VIDEO, TELEMETRY }

    /** A channel: its id, what it carries and the stream or subject it is named after (its topic). */
    public record Channel(int id, Kind kind, String name) {
    }

    private final int maxChannels;
    private final Map<Integer, Channel> byId = new LinkedHashMap<>();
    private final Map<String, Channel> videoByStream = new HashMap<>();
    private final Map<String, Channel> telemetryBySubject = new HashMap<>();
    private final Map<Long, Channel> bySubscription = new HashMap<>();
    private final Map<Integer, Long> subscriptionByChannel = new HashMap<>();
    private int nextId = 1;

    /** @param maxChannels bound on the channels of one connection (telemetry subjects beyond it are not advertised) */
    public FoxgloveChannels(final int maxChannels) {
        this.maxChannels = maxChannels;
    }

    public Channel addVideo(final String stream) {
        return videoByStream.computeIfAbsent(stream, s -> register(Kind.VIDEO, s));
    }

    /** The subject's channel, or null when it has none yet. */
    public Channel telemetry(final String subject) {
        return telemetryBySubject.get(subject);
    }

    /** A new channel for the subject, or null when the connection has {@code maxChannels} already. */
    public Channel addTelemetry(final String subject) {
        final Channel existing = telemetryBySubject.get(subject);
        if (existing != null) {
            return existing;
        }
        if (byId.size() >= maxChannels) {
            return null;
        }
        final Channel channel = register(Kind.TELEMETRY, subject);
        telemetryBySubject.put(subject, channel);
        return channel;
    }

    private Channel register(final Kind kind, final String name) {
        final Channel channel = new Channel(nextId++, kind, name);
        byId.put(channel.id(), channel);
        return channel;
    }

    /** Subscribes; returns the channel, or throws {@link IllegalArgumentException} with the status to send. */
    public Channel subscribe(final long subscriptionId, final long channelId) {
        final Channel channel = channelId > Integer.MAX_VALUE ? null : byId.get((int) channelId);
        if (channel == null) {
            throw new IllegalArgumentException("subscribe: unknown channel: channelId=" + channelId);
        }
        if (bySubscription.containsKey(subscriptionId)) {
            throw new IllegalArgumentException("subscribe: subscription id in use: id=" + subscriptionId);
        }
        if (subscriptionByChannel.containsKey(channel.id())) {
            throw new IllegalArgumentException("subscribe: already subscribed to channelId=" + channelId
                + " with id=" + subscriptionByChannel.get(channel.id()));
        }
        bySubscription.put(subscriptionId, channel);
        subscriptionByChannel.put(channel.id(), subscriptionId);
        return channel;
    }

    /** Unsubscribes; returns the channel it was for, or throws {@link IllegalArgumentException} with the status to send. */
    public Channel unsubscribe(final long subscriptionId) {
        final Channel channel = bySubscription.remove(subscriptionId);
        if (channel == null) {
            throw new IllegalArgumentException("unsubscribe: no such subscription: id=" + subscriptionId);
        }
        subscriptionByChannel.remove(channel.id());
        return channel;
    }

    /** The subscription id on a channel, or -1 when the client has none. */
    public long subscriptionOf(final Channel channel) {
        final Long id = subscriptionByChannel.get(channel.id());
        return id == null ? -1 : id;
    }

    public int channelCount() {
        return byId.size();
    }
}
