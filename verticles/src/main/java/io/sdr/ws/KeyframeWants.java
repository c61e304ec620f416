package io.sdr.ws;

/**
 * Where a fan-out says its viewers need a keyframe (the poller's keyframe-wanted address in the
 * server, which coalesces across groups; a counter in tests). {@code reason} names why.
 */
@FunctionalInterface
interface KeyframeWants {
    void want(String reason);
}
