package io.sdr.foxglove;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One Foxglove connection's channels (one per video stream, one per telemetry subject as it
 * appears) and its subscriptions to them, with the protocol's rules: a subscription id is used by
 * one active subscription at a time, a channel has at most one subscription per client. Pure
 * logic; confined to the connection's event loop.
 *
 * <p>The channels of one connection are bounded. Streams are fixed by the configuration, but
 * subjects come and go (a robot id in the subject, say): at the bound, a new subject's channel
 * takes the place of the least recently active telemetry channel the client is not subscribed to,
 * which is unadvertised. Only when every telemetry channel is subscribed is a new subject left out.
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
    /** Telemetry channels without a subscription, least recently active first (access order): who gives way at the bound. */
    private final LinkedHashMap<String, Channel> idleTelemetry = new LinkedHashMap<>(16, 0.75f, true);
    private int nextId = 1;

    /** @param maxChannels bound on the channels of one connection (telemetry subjects beyond it are not advertised) */
    public FoxgloveChannels(final int maxChannels) {
        this.maxChannels = maxChannels;
    }

    public Channel addVideo(final String stream) {
        return videoByStream.computeIfAbsent(stream, s -> register(Kind.VIDEO, s));
    }

    /** The subject's channel, or null when it has none (yet, or any longer); a message on it: the channel is active. */
    public Channel telemetry(final String subject) {
        final Channel channel = telemetryBySubject.get(subject);
        if (channel != null) {
            idleTelemetry.get(subject); // moves it to the most recently active end
        }
        return channel;
    }

    /**
     * The subject's channel, new if it has none. At {@code maxChannels} the least recently active
     * telemetry channel without a subscription is removed first and handed to {@code unadvertised}
     * (to be unadvertised before the new one is advertised); null when there is none to remove.
     */
    public Channel addTelemetry(final String subject, final Consumer<Channel> unadvertised) {
        final Channel existing = telemetry(subject);
        if (existing != null) {
            return existing;
        }
        if (byId.size() >= maxChannels) {
            final Iterator<Channel> eldest = idleTelemetry.values().iterator();
            if (!eldest.hasNext()) {
                return null;
            }
            final Channel removed = eldest.next();
            eldest.remove();
            byId.remove(removed.id());
            telemetryBySubject.remove(removed.name());
            unadvertised.accept(removed);
        }
        final Channel channel = register(Kind.TELEMETRY, subject);
        telemetryBySubject.put(subject, channel);
        idleTelemetry.put(subject, channel);
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
        if (channel.kind() == Kind.TELEMETRY) {
            idleTelemetry.remove(channel.name());
        }
        return channel;
    }

    /** Unsubscribes; returns the channel it was for, or throws {@link IllegalArgumentException} with the status to send. */
    public Channel unsubscribe(final long subscriptionId) {
        final Channel channel = bySubscription.remove(subscriptionId);
        if (channel == null) {
            throw new IllegalArgumentException("unsubscribe: no such subscription: id=" + subscriptionId);
        }
        subscriptionByChannel.remove(channel.id());
        if (channel.kind() == Kind.TELEMETRY) {
            idleTelemetry.put(channel.name(), channel);
        }
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
