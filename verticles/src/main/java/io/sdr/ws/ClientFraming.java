package io.sdr.ws;

import io.netty.buffer.ByteBuf;
import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;

/**
 * How one kind of client sees the messages of the fan-out: the bytes of a video frame and of a
 * telemetry message, which subjects it takes, and what it is told when its video state changes.
 * The fan-out and the per-viewer state machine are the same for every kind; only this differs.
 * {@link #SDR} is the project's own protocol (WIRE.md): every viewer gets the frame's one shared
 * prebuilt WebSocket frame. No Vert.x types; confined to the client's event loop.
 */
interface ClientFraming {
    /** The frame as this client's complete WebSocket frame: one reference, consumed by the write; null: nothing to send. */
    ByteBuf video(Frame frame);

    /** Bytes of {@link #video} on the wire. */
    int videoLength(Frame frame);

    /** The telemetry message's body (a WebSocket binary message): one reference, consumed by the write; null: no longer wanted. */
    ByteBuf telemetry(Telemetry message);

    /** Bytes of {@link #telemetry}. */
    int telemetryLength(Telemetry message);

    /** Whether the client takes this message of a subject its patterns match. */
    default boolean takes(final Telemetry message) {
        return true;
    }

    /** The client was dropped to keyframe-wait (it lagged, or frames it should have had were skipped). */
    default void awaitingKeyframe() {
    }

    /** The client got a keyframe after waiting for one. */
    default void resynced() {
    }

    ClientFraming SDR = new ClientFraming() {
        @Override
        public ByteBuf video(final Frame frame) {
            return frame.wire().retainedDuplicate();
        }

        @Override
        public int videoLength(final Frame frame) {
            return frame.wireLength();
        }

        @Override
        public ByteBuf telemetry(final Telemetry message) {
            return message.messageBytes();
        }

        @Override
        public int telemetryLength(final Telemetry message) {
            return message.messageLength();
        }
    };
}
