package io.sdr.bus;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageCodec;

/** Registers our event-bus codecs as the default for their types, once per Vert.x instance. */
final class DefaultCodecs {
    private DefaultCodecs() {
    }

    /** Whichever verticle of the instance comes first registers it; the others find it there. */
    static <T> void registerOnce(final Vertx vertx, final Class<T> type, final MessageCodec<T, ?> codec) {
        synchronized (DefaultCodecs.class) {
            try {
                vertx.eventBus().registerDefaultCodec(type, codec);
            } catch (final IllegalStateException alreadyRegistered) {
                // Another verticle of this Vert.x instance registered it first.
            }
        }
    }
}
