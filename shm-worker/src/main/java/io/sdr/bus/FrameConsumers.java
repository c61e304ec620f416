package io.sdr.bus;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.impl.MessageConsumerImpl;

import java.util.function.Consumer;

/**
 * Consumers of {@code frames.<stream>} that give back the reference {@link FrameCodec} took for
 * them: after the handler, and also for a message Vert.x discards (a consumer unregistered while
 * deliveries were queued for it), which would otherwise keep its pooled memory forever.
 *
 * <p>The discard hook is Vert.x internal API ({@code MessageConsumerImpl.discardHandler}, checked
 * against Vert.x 5.0.10); without it only the discard case leaks, the normal path does not.
 */
public final class FrameConsumers {
    private FrameConsumers() {
    }

    /** A local consumer of {@code address}; {@code handler} may retain the frame to keep it past its call. */
    public static MessageConsumer<Frame> local(final EventBus bus, final String address, final Consumer<Frame> handler) {
        final MessageConsumer<Frame> consumer = bus.localConsumer(address, message -> {
            final Frame frame = message.body();
            try {
                handler.accept(frame);
            } finally {
                frame.release();
            }
        });
        releaseDiscarded(consumer);
        return consumer;
    }

    @SuppressWarnings("unchecked")
    private static void releaseDiscarded(final MessageConsumer<Frame> consumer) {
        if (consumer instanceof MessageConsumerImpl) {
            final Handler<Message<Frame>> release = message -> {
                if (message.body() != null) {
                    message.body().release();
                }
            };
            ((MessageConsumerImpl<Frame>) consumer).discardHandler(release);
        }
    }
}
