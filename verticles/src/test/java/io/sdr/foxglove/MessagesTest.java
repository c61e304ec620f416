package io.sdr.foxglove;

import com.google.protobuf.DynamicMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.ring.FrameHeaderDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Foxglove MessageData bytes built from frames and telemetry, as a client would parse them. */
class MessagesTest {
    private static Frame frame(final byte[] payload, final int codec, final long commitNs) {
        final int length = Frame.MESSAGE_HEADER_OFFSET + FrameHeaderDescriptor.LENGTH + payload.length;
        final Frame frame = Frame.allocate("main", 5, 7, FrameHeaderDescriptor.FLAG_KEYFRAME, codec, commitNs, System.nanoTime(), length);
        frame.messageMemory().position(length - payload.length).put(payload);
        return frame;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 200, 70_000})
    void shouldFrameAVideoMessageAroundTheSharedAccessUnit(final int size) throws Exception {
        final byte[] payload = new byte[size];
        new java.util.Random(size).nextBytes(payload);
        final long before = io.sdr.time.MonotonicClock.epochNowNs();
        final Frame frame = frame(payload, FrameHeaderDescriptor.CODEC_H264, System.nanoTime());
        final VideoMessages messages = new VideoMessages("main");
        try {
            final ByteBuf wire = messages.wire(frame, 0x01020304);
            assertEquals(messages.wireLength(frame), wire.readableBytes());
            assertTrue(wire.isDirect(), "direct, so the socket write is a gathering write, not a copy");
            // The access unit is not copied: the last component is a view of the frame's memory.
            final ByteBuf shared = ((CompositeByteBuf) wire).component(1);
            if (size > 0) {
                assertEquals(frame.wire().memoryAddress() + frame.wireLength() - size, shared.memoryAddress());
            }
            assertEquals(2, frame.refCnt(), "the message holds one reference of the frame until written");

            final byte[] bytes = ByteBufUtil.getBytes(wire);
            wire.release();
            assertEquals(1, frame.refCnt());
            final int headerLength = (bytes[1] & 0x7f) == 126 ? 4 : (bytes[1] & 0x7f) == 127 ? 10 : 2;
            assertEquals((byte) 0x82, bytes[0], "a final binary WebSocket frame");
            final java.nio.ByteBuffer message = java.nio.ByteBuffer.wrap(bytes, headerLength, bytes.length - headerLength).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(FoxgloveProtocol.OP_MESSAGE_DATA, message.get());
            assertEquals(0x01020304, message.getInt());
            final long timestampNs = message.getLong();
            assertTrue(timestampNs >= before - 1_000_000_000L && timestampNs <= io.sdr.time.MonotonicClock.epochNowNs() + 1_000_000_000L,
                "the commit time as wall clock: " + timestampNs);
            final DynamicMessage decoded = DynamicMessage.parseFrom(CompressedVideo.descriptor(),
                Arrays.copyOfRange(bytes, headerLength + FoxgloveProtocol.MESSAGE_DATA_HEADER_BYTES, bytes.length));
            final DynamicMessage stamp = (DynamicMessage) decoded.getField(CompressedVideo.descriptor().findFieldByName("timestamp"));
            final long seconds = (Long) stamp.getField(stamp.getDescriptorForType().findFieldByName("seconds"));
            final int nanos = (Integer) stamp.getField(stamp.getDescriptorForType().findFieldByName("nanos"));
            assertEquals(timestampNs, seconds * 1_000_000_000L + nanos, "MessageData and CompressedVideo carry one time");
            assertEquals("main", decoded.getField(CompressedVideo.descriptor().findFieldByName("frame_id")));
            assertEquals("h264", decoded.getField(CompressedVideo.descriptor().findFieldByName("format")));
            assertArrayEquals(payload, ((com.google.protobuf.ByteString) decoded.getField(CompressedVideo.descriptor().findFieldByName("data"))).toByteArray());
        } finally {
            frame.release();
        }
    }

    @Test
    void shouldGiveEachClientItsOwnSubscriptionIdAndTheSameBody() {
        final Frame frame = frame(new byte[] {0, 0, 0, 1, 0x65, 1, 2, 3}, FrameHeaderDescriptor.CODEC_HEVC, System.nanoTime());
        final VideoMessages messages = new VideoMessages("cam");
        try {
            final ByteBuf a = messages.wire(frame, 1);
            final ByteBuf b = messages.wire(frame, 2);
            final byte[] first = ByteBufUtil.getBytes(a);
            final byte[] second = ByteBufUtil.getBytes(b);
            a.release();
            b.release();
            assertEquals(first.length, second.length);
            assertEquals(1, first[3]);
            assertEquals(2, second[3]);
            assertArrayEquals(Arrays.copyOfRange(first, 7, first.length), Arrays.copyOfRange(second, 7, second.length),
                "one timestamp and prefix for every client of a frame");
            assertTrue(new String(first, StandardCharsets.ISO_8859_1).contains("h265"));
        } finally {
            frame.release();
        }
    }

    @Test
    void shouldSendNothingForACodecCompressedVideoCannotCarry() {
        final Frame frame = frame(new byte[] {1, 2, 3}, 99, System.nanoTime());
        try {
            final VideoMessages messages = new VideoMessages("main");
            assertNull(messages.wire(frame, 1));
            assertEquals(0, messages.wireLength(frame));
            assertEquals(1, frame.refCnt());
        } finally {
            frame.release();
        }
    }

    @Test
    void shouldFallBackToThePublishTimeWhenTheCommitTimeIsFromAnotherClock() {
        final Frame frame = frame(new byte[] {1}, FrameHeaderDescriptor.CODEC_H264, 12345);
        try {
            final ByteBuf wire = new VideoMessages("main").wire(frame, 1);
            final long timestampNs = wire.getLongLE(2 + 5);
            wire.release();
            assertTrue(Math.abs(timestampNs - io.sdr.time.MonotonicClock.epochNowNs()) < 5_000_000_000L, "about now: " + timestampNs);
        } finally {
            frame.release();
        }
    }

    @Test
    void shouldCarryAJsonPayloadAsItIs() {
        final byte[] payload = "{\"speed\": 3.5}".getBytes(StandardCharsets.UTF_8);
        final Telemetry message = Telemetry.encode("telemetry.a", payload, System.nanoTime());
        final TelemetryMessages messages = new TelemetryMessages();
        assertTrue(messages.isJson(message));
        final ByteBuf body = messages.message(message, 9);
        assertEquals(TelemetryMessages.messageLength(message), body.readableBytes());
        final byte[] bytes = ByteBufUtil.getBytes(body);
        body.release();
        assertEquals(1, bytes[0]);
        assertEquals(9, bytes[1]);
        assertArrayEquals(payload, Arrays.copyOfRange(bytes, 13, bytes.length));
    }

    @Test
    void shouldTellJsonPayloadsFromOthers() {
        for (final String json : new String[] {"{}", " {\"a\":[1,2,{\"b\":null}]} ", "[]", "42", "-1.5e3", "\"text\"", "true", "null"}) {
            assertTrue(TelemetryMessages.isJson(json.getBytes(StandardCharsets.UTF_8)), json);
        }
        for (final String other : new String[] {"", " ", "plain text", "{", "{\"a\":1}}", "{} {}", "1 2", "{'a':1}", "NaN"}) {
            assertFalse(TelemetryMessages.isJson(other.getBytes(StandardCharsets.UTF_8)), other);
        }
        assertFalse(TelemetryMessages.isJson(new byte[] {0, 1, 2, (byte) 0xff}));
    }
}
