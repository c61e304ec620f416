package io.sdr.busbridge;

import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.*;

class SummariesTest {
    /** A frame message [0x01][32-byte header][payload] with payload byte i = i. */
    static Frame frame(final String stream, final long seq, final boolean keyframe, final int size,
                       final long commitNs, final long publishNs) {
        final Frame frame = Frame.allocate(stream, seq, seq, keyframe ? 1 : 0, 1, commitNs, publishNs, 1 + 32 + size);
        final ByteBuffer memory = frame.messageMemory().order(ByteOrder.LITTLE_ENDIAN);
        memory.put(Frame.TYPE_VIDEO).putLong(seq).putLong(seq).putInt(size).putShort((short) (keyframe ? 1 : 0))
            .putShort((short) 1).putInt(0).putInt(0);
        for (int i = 0; i < size; i++) {
            memory.put((byte) i);
        }
        return frame;
    }

    /** Summarises a frame and gives its memory back to the pool. */
    private static JsonObject summarised(final Frame frame, final long nowNs, final int payloadMaxBytes) {
        try {
            return Summaries.frame(frame, nowNs, payloadMaxBytes);
        } finally {
            frame.release();
        }
    }

    @Test
    void shouldSummariseAFrameWithoutItsPayload() {
        final JsonObject summary = summarised(frame("main", 42, true, 1000, 1_000_000L, 2_000_000L), 3_500_000L, 0);
        assertEquals(new JsonObject().put("stream", "main").put("frame_seq", 42L).put("frame_id", 42L).put("size", 1000)
            .put("keyframe", true).put("codec", "h264").put("age_ms", 2.5), summary, "age from the writer's commit");
        assertFalse(summary.containsKey("payload_base64"));
        assertEquals(1.5, summarised(frame("main", 1, false, 10, 0, 2_000_000L), 3_500_000L, 0).getDouble("age_ms"),
            "no commit time (v1 ring): age from the publish");
    }

    @Test
    void shouldShipAtMostTheCapOfThePayloadWhenAsked() {
        final JsonObject summary = summarised(frame("main", 1, false, 1000, 0, 0), 0, 16);
        final byte[] shipped = Base64.getDecoder().decode(summary.getString("payload_base64"));
        assertEquals(16, shipped.length);
        assertEquals(15, shipped[15]);
        assertTrue(summary.getBoolean("payload_truncated"));
        assertFalse(summarised(frame("main", 1, false, 8, 0, 0), 0, 16).getBoolean("payload_truncated"));
    }

    @Test
    void shouldShowTelemetryTextOnlyWhenPrintable() {
        final Telemetry text = Telemetry.encode("telemetry.robot.pose", "{\"x\":1.5}".getBytes(StandardCharsets.UTF_8), 1_000_000L);
        assertEquals(new JsonObject().put("subject", "telemetry.robot.pose").put("size", 9).put("age_ms", 1.0)
            .put("text", "{\"x\":1.5}"), Summaries.telemetry(text, 2_000_000L, 1024, 0));
        final Telemetry binary = Telemetry.encode("telemetry.imu", new byte[] {0, 1, 2, (byte) 0xff}, 0);
        final JsonObject summary = Summaries.telemetry(binary, 0, 1024, 0);
        assertFalse(summary.containsKey("text"), summary.encode());
        assertEquals(4, summary.getInteger("size"));
        final Telemetry longText = Telemetry.encode("telemetry.log", "héllo world".getBytes(StandardCharsets.UTF_8), 0);
        final JsonObject cut = Summaries.telemetry(longText, 0, 5, 2);
        assertEquals("héllo", cut.getString("text"));
        assertTrue(cut.getBoolean("text_truncated"));
        assertEquals("aMM=", cut.getString("payload_base64"), "the first 2 bytes: 'h' and the first byte of 'é'");
    }
}
