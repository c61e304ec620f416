package io.sdr.encode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The test pattern's own telemetry, so a first run shows telemetry with no simulator and no NATS:
 * what the picture shows, as numbers a viewer can plot beside it. JSON payloads, on
 *
 * <pre>
 *   telemetry.demo.box    {"frame":N,"x":PX,"y":PX,"vx":PX/S,"vy":0,"size":PX}  every call: the box as drawn in frame N
 *   telemetry.demo.wave   {"sin":S,"cos":C}                                    every call: a 0.2 Hz reference signal
 *   telemetry.demo.clock  {"frame":N,"utc_ms":MS,"fps":F}                       once a second: frame number and capture clock
 * </pre>
 *
 * Built for the last frame written to the ring, so the numbers match the picture a viewer sees
 * (within one telemetry period). No Vert.x here: {@code EncoderVerticle} publishes the messages.
 */
public final class DemoTelemetry {
    public static final String SUBJECT_BOX = "telemetry.demo.box";
    public static final String SUBJECT_WAVE = "telemetry.demo.wave";
    public static final String SUBJECT_CLOCK = "telemetry.demo.clock";
    private static final double WAVE_HZ = 0.2;

    /** One message: its NATS-style subject and JSON payload (UTF-8). */
    public record Message(String subject, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final TestPattern geometry;
    private final int fps;
    // Confined to the thread that calls next().
    private long lastFrame = -1;
    private boolean clockSent;
    private long lastClockMs;

    public DemoTelemetry(final int width, final int height, final int fps) {
        this.geometry = new TestPattern(width, height);
        this.fps = fps;
    }

    /**
     * The messages for {@code frameNumber}, the last frame written; empty when no new frame was
     * written since the previous call (the encoder stands by for a real writer, or is failing):
     * demo telemetry describes the test pattern only while it is on the air.
     */
    public List<Message> next(final long frameNumber, final long wallClockMs) {
        final List<Message> out = new ArrayList<>(3);
        if (frameNumber <= 0 || frameNumber == lastFrame) {
            return out;
        }
        lastFrame = frameNumber;
        final int vx = geometry.boxDirection(frameNumber) * TestPattern.BOX_STEP_PX * fps;
        out.add(message(SUBJECT_BOX, "{\"frame\":" + frameNumber + ",\"x\":" + geometry.boxX(frameNumber)
            + ",\"y\":" + geometry.boxTop() + ",\"vx\":" + vx + ",\"vy\":0,\"size\":" + geometry.boxSize() + "}"));
        final double phase = 2 * Math.PI * WAVE_HZ * (wallClockMs % 60_000) / 1000.0;
        out.add(message(SUBJECT_WAVE, String.format(Locale.ROOT, "{\"sin\":%.4f,\"cos\":%.4f}", Math.sin(phase), Math.cos(phase))));
        if (!clockSent || wallClockMs - lastClockMs >= 1000) {
            clockSent = true;
            lastClockMs = wallClockMs;
            out.add(message(SUBJECT_CLOCK, "{\"frame\":" + frameNumber + ",\"utc_ms\":" + wallClockMs + ",\"fps\":" + fps + "}"));
        }
        return out;
    }

    private static Message message(final String subject, final String json) {
        return new Message(subject, json.getBytes(StandardCharsets.UTF_8));
    }
}
