package io.sdr.poller;

/** Asks the encoder of a stream for a keyframe (already coalesced by the caller); {@code reason} names why. */
@FunctionalInterface
public interface KeyframeRequester {
    void request(String reason);
}
