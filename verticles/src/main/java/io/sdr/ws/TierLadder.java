package io.sdr.ws;

import io.sdr.poller.PollerConfig;
import java.util.List;

/**
 * The tiers of one stream in one group, largest first: the fan-out of the stream itself ({@code main})
 * and those of its renditions ({@code main~360p}, ...), one ring and one poller each. A viewer is one
 * {@link WsClient} with one {@link AdaptiveTier}; it sits in the client list of exactly one of these
 * fan-outs and is handed to another at that one's keyframe. The ladder is only the order and the
 * measured rates; every fan-out stays a plain {@link StreamFanout}. Confined to the group's event loop.
 */
final class TierLadder implements AdaptiveTier.Rates {
    private final String stream;
    private final List<StreamFanout> tiers;
    private final List<TierInfo> infos;

    /** What is known of a tier besides its ring: from the configuration, 0 when not given. */
    record TierInfo(String stream, String label, int width, int height, int bitrateKbps) {
    }

    TierLadder(final String stream, final List<StreamFanout> tiers, final List<TierInfo> infos) {
        this.stream = stream;
        this.tiers = List.copyOf(tiers);
        this.infos = List.copyOf(infos);
        for (int i = 0; i < tiers.size(); i++) {
            tiers.get(i).onLadder(this, i);
        }
    }

    String stream() {
        return stream;
    }

    int size() {
        return tiers.size();
    }

    StreamFanout fanout(final int tier) {
        return tiers.get(tier);
    }

    TierInfo info(final int tier) {
        return infos.get(tier);
    }

    /** The tier named {@code name} (its stream name {@code main~360p}, or its label or suffix {@code 360p}); -1 when none. */
    int indexOf(final String name) {
        for (int i = 0; i < infos.size(); i++) {
            final TierInfo info = infos.get(i);
            if (info.stream().equals(name) || info.label().equals(name)
                || info.stream().equals(PollerConfig.tierStream(stream, name))) {
                return i;
            }
        }
        return -1;
    }

    List<TierInfo> infos() {
        return infos;
    }

    @Override
    public long bytesPerSecond(final int tier) {
        return tiers.get(tier).bytesPerSecond();
    }

    @Override
    public boolean live(final int tier) {
        return tiers.get(tier).live(System.nanoTime());
    }

    /** A viewer's tier state on this ladder, starting on {@code start}. */
    AdaptiveTier newTier(final int start, final boolean pinned) {
        return new AdaptiveTier(tiers.size(), start, pinned, this, System.nanoTime());
    }

    /** A viewer left: no tier waits for it any more. */
    void forget(final WsClient client) {
        for (final StreamFanout tier : tiers) {
            tier.notArriving(client);
        }
    }
}
