package io.sdr.busbridge;

import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.ring.FrameHeaderDescriptor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The JSON forms of {@link Frame} and {@link Telemetry} that may cross the bridge: what a person
 * tailing the bus wants to see, never the video itself unless a payload cap above 0 is passed.
 *
 * <pre>
 *   frame:     {stream, frame_seq, frame_id, size, keyframe, codec, age_ms [, payload_base64, payload_truncated]}
 *   telemetry: {subject, size, age_ms [, text, text_truncated] [, payload_base64, payload_truncated]}
 * </pre>
 *
 * {@code age_ms} is how long ago the writer committed the frame (v2 rings), else how long ago the
 * poller published it; for telemetry, how long ago NATS delivered it.
 */
public final class Summaries {
    private Summaries() {
    }

    public static JsonObject frame(final Frame frame, final long nowNs, final int payloadMaxBytes) {
        final long sinceNs = frame.commitNs() != 0 ? frame.commitNs() : frame.publishNs();
        final JsonObject summary = new JsonObject()
            .put("stream", frame.stream())
            .put("frame_seq", frame.frameSeq())
            .put("frame_id", frame.frameId())
            .put("size", frame.payloadSize())
            .put("keyframe", frame.isKeyframe())
            .put("codec", FrameHeaderDescriptor.codecName(frame.codec()))
            .put("age_ms", ageMs(nowNs, sinceNs));
        if (payloadMaxBytes > 0) {
            final int start = Frame.MESSAGE_HEADER_OFFSET + FrameHeaderDescriptor.LENGTH;
            addPayload(summary, frame.message(), start, frame.payloadSize(), payloadMaxBytes);
        }
        return summary;
    }

    public static JsonObject telemetry(final Telemetry message, final long nowNs, final int textMaxChars,
                                       final int payloadMaxBytes) {
        final JsonObject summary = new JsonObject()
            .put("subject", message.subject())
            .put("size", message.payloadSize())
            .put("age_ms", ageMs(nowNs, message.receivedNs()));
        if (textMaxChars > 0) {
            final String text = printableText(message.payload());
            if (text != null) {
                final boolean cut = text.codePointCount(0, text.length()) > textMaxChars;
                summary.put("text", cut ? text.substring(0, text.offsetByCodePoints(0, textMaxChars)) : text);
                if (cut) {
                    summary.put("text_truncated", true);
                }
            }
        }
        if (payloadMaxBytes > 0) {
            final int start = message.messageLength() - message.payloadSize();
            addPayload(summary, message.message(), start, message.payloadSize(), payloadMaxBytes);
        }
        return summary;
    }

    private static void addPayload(final JsonObject summary, final Buffer message, final int start, final int size,
                                   final int payloadMaxBytes) {
        final int shipped = Math.min(size, payloadMaxBytes);
        summary.put("payload_base64", Base64.getEncoder().encodeToString(message.getBytes(start, start + shipped)));
        summary.put("payload_truncated", shipped < size);
    }

    private static double ageMs(final long nowNs, final long sinceNs) {
        return Math.max(0, Math.round((nowNs - sinceNs) / 10_000.0)) / 100.0;
    }

    /** The payload as text when it is valid UTF-8 without control characters other than tab and newlines; else null. */
    static String printableText(final byte[] payload) {
        final CharBuffer chars;
        try {
            chars = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(payload));
        } catch (final CharacterCodingException e) {
            return null;
        }
        for (int i = 0; i < chars.length(); i++) {
            final char ch = chars.charAt(i);
            if (Character.isISOControl(ch) && ch != '\t' && ch != '\n' && ch != '\r') {
                return null;
            }
        }
        return chars.toString();
    }
}
