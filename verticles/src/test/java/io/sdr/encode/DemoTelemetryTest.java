package io.sdr.encode;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoTelemetryTest {
    private static Map<String, JsonObject> bySubject(final List<DemoTelemetry.Message> messages) {
        return messages.stream().collect(Collectors.toMap(DemoTelemetry.Message::subject, m -> new JsonObject(m.text())));
    }

    @Test
    void shouldDescribeTheBoxExactlyWhereThePictureDrawsIt() {
        final Picture picture = new Picture(640, 360);
        final TestPattern pattern = new TestPattern(640, 360);
        final DemoTelemetry demo = new DemoTelemetry(640, 360, 30);
        for (final long frame : new long[] {1, 50, 70, 71, 200}) {
            pattern.draw(picture, frame, 0);
            final JsonObject box = bySubject(demo.next(frame, 1_000_000L + frame)).get(DemoTelemetry.SUBJECT_BOX);
            final int x = box.getInteger("x");
            final int y = box.getInteger("y");
            final int size = box.getInteger("size");
            assertEquals(frame, box.getLong("frame"));
            // The box is white (luma 235) inside, and the pixel just left of it is not the box.
            assertEquals(235, picture.y().get((y + size / 2) * 640 + x + 1) & 0xFF, "inside the box, frame " + frame + ": " + box);
            assertEquals(235, picture.y().get((y + size / 2) * 640 + x + size - 2) & 0xFF, "right edge, frame " + frame);
            if (x > 0) {
                assertTrue((picture.y().get((y + size / 2) * 640 + x - 1) & 0xFF) != 235 || x < 2, "left of the box, frame " + frame);
            }
            assertEquals(TestPattern.BOX_STEP_PX * 30, Math.abs(box.getInteger("vx")), "8 px a frame at 30 fps");
        }
    }

    @Test
    void shouldReverseTheVelocityAtTheWall() {
        final TestPattern pattern = new TestPattern(640, 360);
        final DemoTelemetry demo = new DemoTelemetry(640, 360, 30);
        final int travel = 640 - pattern.boxSize();
        final long beforeWall = travel / TestPattern.BOX_STEP_PX - 1;
        final long afterWall = travel / TestPattern.BOX_STEP_PX + 2;
        assertTrue(bySubject(demo.next(beforeWall, 0)).get(DemoTelemetry.SUBJECT_BOX).getInteger("vx") > 0);
        final JsonObject back = bySubject(demo.next(afterWall, 10)).get(DemoTelemetry.SUBJECT_BOX);
        assertTrue(back.getInteger("vx") < 0, "moving left after the right wall: " + back);
        assertTrue(back.getInteger("x") < travel, back.encode());
    }

    @Test
    void shouldSayNothingWhenNoNewFrameReachedTheRing() {
        final DemoTelemetry demo = new DemoTelemetry(1280, 720, 30);
        assertEquals(List.of(), demo.next(0, 1000), "no frame yet");
        assertEquals(3, demo.next(5, 1000).size(), "box, wave, and the clock on the first call");
        assertEquals(List.of(), demo.next(5, 1050), "frame 5 again: the encoder stands by or fails");
        final Map<String, JsonObject> next = bySubject(demo.next(6, 1100));
        assertEquals(2, next.size(), "the clock only once a second: " + next);
        final JsonObject clock = bySubject(demo.next(40, 2100)).get(DemoTelemetry.SUBJECT_CLOCK);
        assertEquals(new JsonObject().put("frame", 40).put("utc_ms", 2100).put("fps", 30), clock);
    }

    @Test
    void shouldKeepTheWaveWithinUnitRange() {
        final DemoTelemetry demo = new DemoTelemetry(640, 360, 30);
        for (long frame = 1; frame < 200; frame++) {
            final JsonObject wave = bySubject(demo.next(frame, frame * 37)).get(DemoTelemetry.SUBJECT_WAVE);
            final double sin = wave.getDouble("sin");
            final double cos = wave.getDouble("cos");
            assertEquals(1.0, sin * sin + cos * cos, 1e-3, wave.encode());
        }
    }
}
