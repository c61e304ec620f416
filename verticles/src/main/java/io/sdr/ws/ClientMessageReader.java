package io.sdr.ws;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;

import java.nio.charset.StandardCharsets;

/**
 * Reassembles what one client sends, frame by frame, enforcing the message size limit across
 * fragments (Vert.x checks single frames only). Keeps text only; binary content is never held.
 * Confined to the client's event loop.
 */
final class ClientMessageReader {
    enum Kind { NONE, TEXT, BINARY, TOO_BIG }

    private final int maxMessageBytes;
    private long messageBytes;
    private boolean text;
    private boolean tooBig;
    private Buffer textBuffer;
    private String lastText;

    ClientMessageReader(final int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Feeds one frame; says what completed, if anything. {@link #text()} holds a completed text message. */
    Kind onFrame(final WebSocketFrame frame) {
        if (!(frame.isText() || frame.isBinary() || frame.isContinuation())) {
            return Kind.NONE; // ping, pong, close: Vert.x handles them
        }
        if (!frame.isContinuation()) {
            messageBytes = 0;
            tooBig = false;
            text = frame.isText();
            textBuffer = text ? Buffer.buffer() : null;
        }
        if (tooBig) {
            return Kind.NONE;
        }
        messageBytes += frame.binaryData().length();
        if (messageBytes > maxMessageBytes) {
            tooBig = true;
            textBuffer = null;
            return Kind.TOO_BIG;
        }
        if (text && textBuffer != null) {
            textBuffer.appendBuffer(frame.binaryData());
        }
        if (!frame.isFinal()) {
            return Kind.NONE;
        }
        if (text && textBuffer != null) {
            lastText = textBuffer.toString(StandardCharsets.UTF_8);
            textBuffer = null;
            return Kind.TEXT;
        }
        return Kind.BINARY;
    }

    String text() {
        return lastText;
    }
}
