package io.sdr.ws;

import io.netty.buffer.ByteBuf;

/**
 * One viewer's connection as the fan-out core sees it: where its messages go and how much of what
 * it was handed has not yet reached the kernel. Implemented over the Netty channel under a Vert.x
 * WebSocket ({@link NettyViewerSink}) and by plain objects in tests. Confined to the client's event loop.
 *
 * <p>Writes are not flushed: the fan-out writes a frame to every viewer of a group, then flushes
 * each once ({@link #flush}). Every write is followed by a flush before the event-loop task ends.
 */
interface ViewerSink {
    /**
     * Writes a complete WebSocket frame that other viewers share; consumes one reference of
     * {@code wire} (the caller passes a retained duplicate). False when the connection is closed
     * (the reference is released).
     */
    boolean writeShared(ByteBuf wire);

    /** The same, and {@code written} runs once it reached the kernel or failed (the slow path: a promise per write). */
    boolean writeShared(ByteBuf wire, Runnable written);

    /**
     * Writes one binary message (telemetry, control) as a single WebSocket frame; {@code written}
     * runs once it reached the kernel or failed. Consumes {@code message}'s reference.
     */
    boolean writeMessage(ByteBuf message, Runnable written);

    /** Writes one text message (UTF-8) as a single WebSocket frame; consumes {@code utf8}'s reference. */
    boolean writeText(ByteBuf utf8);

    /** Flushes what was written since the last flush. */
    void flush();

    /**
     * Bytes written but not yet handed to the kernel, counted as Netty does (each message's bytes
     * plus a fixed overhead per message, a message counting until it is written whole).
     */
    long unsentBytes();

    /**
     * What a message of {@code bytes} (WebSocket header included) adds to {@link #unsentBytes}
     * while it waits: never less than the connection counts (over-counting only makes the oldest
     * messages retire a little early; under-counting would keep them unsent forever under load).
     */
    long cost(int bytes);

    boolean isClosed();

    /** Closes with a WebSocket close frame (code, reason). */
    void close(short code, String reason);
}
