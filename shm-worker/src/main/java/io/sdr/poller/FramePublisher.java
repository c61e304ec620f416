package io.sdr.poller;

import io.sdr.bus.Frame;

/**
 * Where the ring poller's frames go (the event bus in the server, a list in a test). The caller
 * keeps its own reference and releases it after {@code publish} returns: an implementation that
 * hands the frame on takes the references it needs before returning.
 */
@FunctionalInterface
public interface FramePublisher {
    void publish(Frame frame);
}
