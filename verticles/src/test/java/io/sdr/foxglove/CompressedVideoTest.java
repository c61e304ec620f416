package io.sdr.foxglove;

import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.sdr.ring.FrameHeaderDescriptor;
import org.junit.jupiter.api.Test;

import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CompressedVideoTest {

    @Test
    void prefixPlusDataDecodesWithTheAdvertisedSchema() throws Exception {
        final byte[] data = new byte[300];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        final long ts = 1_765_000_000_123_456_789L;
        final byte[] prefix = CompressedVideo.prefix(ts, "main~360p", "h264", data.length);
        final byte[] message = new byte[prefix.length + data.length];
        System.arraycopy(prefix, 0, message, 0, prefix.length);
        System.arraycopy(data, 0, message, prefix.length, data.length);

        // Decode through the schema as a client would receive it: from the base64 FileDescriptorSet.
        final var set = com.google.protobuf.DescriptorProtos.FileDescriptorSet.parseFrom(
            Base64.getDecoder().decode(CompressedVideo.descriptorSetBase64()));
        final Descriptors.FileDescriptor timestamp = Descriptors.FileDescriptor.buildFrom(set.getFile(0),
            new Descriptors.FileDescriptor[0]);
        final Descriptors.FileDescriptor file = Descriptors.FileDescriptor.buildFrom(set.getFile(1),
            new Descriptors.FileDescriptor[] {timestamp});
        final Descriptors.Descriptor type = file.findMessageTypeByName("CompressedVideo");
        assertEquals(CompressedVideo.SCHEMA_NAME, type.getFullName());

        final DynamicMessage decoded = DynamicMessage.parseFrom(type, message);
        final Message stamp = (Message) decoded.getField(type.findFieldByName("timestamp"));
        assertEquals(1_765_000_000L, stamp.getField(stamp.getDescriptorForType().findFieldByName("seconds")));
        assertEquals(123_456_789, stamp.getField(stamp.getDescriptorForType().findFieldByName("nanos")));
        assertEquals("main~360p", decoded.getField(type.findFieldByName("frame_id")));
        assertEquals("h264", decoded.getField(type.findFieldByName("format")));
        assertArrayEquals(data, ((com.google.protobuf.ByteString) decoded.getField(type.findFieldByName("data"))).toByteArray());
    }

    @Test
    void zeroTimestampAndEmptyDataStillDecode() throws Exception {
        final byte[] prefix = CompressedVideo.prefix(0, "s", "h265", 0);
        final DynamicMessage decoded = DynamicMessage.parseFrom(CompressedVideo.descriptor(), prefix);
        assertEquals("h265", decoded.getField(CompressedVideo.descriptor().findFieldByName("format")));
    }

    @Test
    void formatsFollowTheRingCodec() {
        assertEquals("h264", CompressedVideo.format(FrameHeaderDescriptor.CODEC_H264));
        assertEquals("h265", CompressedVideo.format(FrameHeaderDescriptor.CODEC_HEVC));
        assertNull(CompressedVideo.format(FrameHeaderDescriptor.CODEC_RAW_FIRST));
        assertThrows(IllegalArgumentException.class, () -> CompressedVideo.prefix(-1, "s", "h264", 1));
    }
}
