package io.sdr.foxglove;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors;
import com.google.protobuf.TimestampProto;
import io.sdr.ring.FrameHeaderDescriptor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Foxglove's {@code foxglove.CompressedVideo} message: the one owner of its schema (for the Foxglove
 * WebSocket channel and for MCAP files) and of its encoding.
 *
 * <p>The schema is the official {@code foxglove/CompressedVideo.proto}, built with protobuf-java's
 * descriptor API rather than as hand-assembled bytes; the {@link FileDescriptorSet} carries it and
 * its one import, {@code google/protobuf/timestamp.proto} (taken from protobuf-java itself):
 *
 * <pre>
 *   syntax = "proto3";
 *   import "google/protobuf/timestamp.proto";
 *   package foxglove;
 *   message CompressedVideo {
 *     google.protobuf.Timestamp timestamp = 1;
 *     string frame_id = 2;
 *     bytes data = 3;      // one Annex B access unit; a keyframe carries SPS/PPS (and VPS)
 *     string format = 4;   // "h264" or "h265"
 *   }
 * </pre>
 *
 * <p>Encoding writes everything but the video bytes as a small prefix, so the access unit itself is
 * never copied: the message is {@link #prefix} followed by the {@code data} bytes. Protobuf allows
 * fields in any order, so {@code format} (4) comes before {@code data} (3), which must be last to
 * be appended:
 *
 * <pre>
 *   +------+-----------------------+------+----------+------+--------+------+-------+-----------+
 *   | 0x0a | len | seconds, nanos  | 0x12 | frame_id | 0x22 | format | 0x1a | dlen  | data ...  |
 *   +------+-----------------------+------+----------+------+--------+------+-------+-----------+
 *   |&lt;-------------------------------- prefix(...) ------------------------------&gt;|
 * </pre>
 */
public final class CompressedVideo {
    public static final String SCHEMA_NAME = "foxglove.CompressedVideo";
    public static final String ENCODING = "protobuf";

    private static final FileDescriptorSet DESCRIPTOR_SET = buildDescriptorSet();
    private static final String DESCRIPTOR_SET_BASE64 = Base64.getEncoder().encodeToString(DESCRIPTOR_SET.toByteArray());
    private static final Descriptors.Descriptor DESCRIPTOR = buildDescriptor();

    private static final int TAG_TIMESTAMP = 1 << 3 | 2;
    private static final int TAG_FRAME_ID = 2 << 3 | 2;
    private static final int TAG_DATA = 3 << 3 | 2;
    private static final int TAG_FORMAT = 4 << 3 | 2;
    private static final int TAG_SECONDS = 1 << 3;
    private static final int TAG_NANOS = 2 << 3;

    private CompressedVideo() {
    }

    /** The FileDescriptorSet (this file and timestamp.proto), as MCAP's Schema record and Foxglove's advertise carry it. */
    public static FileDescriptorSet descriptorSet() {
        return DESCRIPTOR_SET;
    }

    public static byte[] descriptorSetBytes() {
        return DESCRIPTOR_SET.toByteArray();
    }

    /** The FileDescriptorSet in base64, the form a Foxglove {@code advertise} channel's {@code schema} takes. */
    public static String descriptorSetBase64() {
        return DESCRIPTOR_SET_BASE64;
    }

    /** The message descriptor, for decoding with protobuf-java's DynamicMessage (tests, tools). */
    public static Descriptors.Descriptor descriptor() {
        return DESCRIPTOR;
    }

    private static Descriptors.Descriptor buildDescriptor() {
        try {
            final Descriptors.FileDescriptor file = Descriptors.FileDescriptor.buildFrom(
                DESCRIPTOR_SET.getFile(1), new Descriptors.FileDescriptor[] {TimestampProto.getDescriptor()});
            return file.findMessageTypeByName("CompressedVideo");
        } catch (final Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException("the CompressedVideo schema does not validate", e);
        }
    }

    /**
     * Foxglove's {@code format} for a ring codec id: {@code h264} or {@code h265}; null for a codec
     * CompressedVideo cannot carry (raw pixels, unknown ids).
     */
    public static String format(final int codec) {
        switch (codec) {
            case FrameHeaderDescriptor.CODEC_H264:
                return "h264";
            case FrameHeaderDescriptor.CODEC_HEVC:
                return "h265";
            default:
                return null;
        }
    }

    /**
     * Every byte of a CompressedVideo message except the {@code dataLength} video bytes that follow it.
     *
     * @param timestampNs wall-clock time in nanoseconds since the Unix epoch (not negative)
     */
    public static byte[] prefix(final long timestampNs, final String frameId, final String format, final int dataLength) {
        if (timestampNs < 0 || dataLength < 0) {
            throw new IllegalArgumentException("timestamp and data length must not be negative");
        }
        final long seconds = timestampNs / 1_000_000_000L;
        final int nanos = (int) (timestampNs % 1_000_000_000L);
        final byte[] frameIdBytes = frameId.getBytes(StandardCharsets.UTF_8);
        final byte[] formatBytes = format.getBytes(StandardCharsets.UTF_8);
        final int timestampLength = (seconds == 0 ? 0 : 1 + CodedOutputStream.computeUInt64SizeNoTag(seconds))
            + (nanos == 0 ? 0 : 1 + CodedOutputStream.computeInt32SizeNoTag(nanos));
        final int length = 1 + CodedOutputStream.computeUInt32SizeNoTag(timestampLength) + timestampLength
            + 1 + CodedOutputStream.computeUInt32SizeNoTag(frameIdBytes.length) + frameIdBytes.length
            + 1 + CodedOutputStream.computeUInt32SizeNoTag(formatBytes.length) + formatBytes.length
            + 1 + CodedOutputStream.computeUInt32SizeNoTag(dataLength);
        final byte[] out = new byte[length];
        final CodedOutputStream coded = CodedOutputStream.newInstance(out);
        try {
            coded.writeUInt32NoTag(TAG_TIMESTAMP);
            coded.writeUInt32NoTag(timestampLength);
            if (seconds != 0) {
                coded.writeUInt32NoTag(TAG_SECONDS);
                coded.writeUInt64NoTag(seconds);
            }
            if (nanos != 0) {
                coded.writeUInt32NoTag(TAG_NANOS);
                coded.writeInt32NoTag(nanos);
            }
            coded.writeUInt32NoTag(TAG_FRAME_ID);
            coded.writeUInt32NoTag(frameIdBytes.length);
            coded.writeRawBytes(frameIdBytes);
            coded.writeUInt32NoTag(TAG_FORMAT);
            coded.writeUInt32NoTag(formatBytes.length);
            coded.writeRawBytes(formatBytes);
            coded.writeUInt32NoTag(TAG_DATA);
            coded.writeUInt32NoTag(dataLength);
            coded.checkNoSpaceLeft();
        } catch (final IOException e) {
            throw new IllegalStateException("CompressedVideo prefix size was computed wrong", e);
        }
        return out;
    }

    private static FileDescriptorSet buildDescriptorSet() {
        final FileDescriptorProto timestamp = TimestampProto.getDescriptor().toProto();
        final DescriptorProto message = DescriptorProto.newBuilder()
            .setName("CompressedVideo")
            .addField(field("timestamp", 1, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Timestamp"))
            .addField(field("frame_id", 2, FieldDescriptorProto.Type.TYPE_STRING, null))
            .addField(field("data", 3, FieldDescriptorProto.Type.TYPE_BYTES, null))
            .addField(field("format", 4, FieldDescriptorProto.Type.TYPE_STRING, null))
            .build();
        final FileDescriptorProto file = FileDescriptorProto.newBuilder()
            .setName("foxglove/CompressedVideo.proto")
            .setPackage("foxglove")
            .setSyntax("proto3")
            .addDependency(timestamp.getName())
            .addMessageType(message)
            .build();
        return FileDescriptorSet.newBuilder().addFile(timestamp).addFile(file).build();
    }

    private static FieldDescriptorProto field(final String name, final int number, final FieldDescriptorProto.Type type,
                                              final String typeName) {
        final FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder()
            .setName(name)
            .setNumber(number)
            .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
            .setType(type)
            .setJsonName(jsonName(name));
        if (typeName != null) {
            field.setTypeName(typeName);
        }
        return field.build();
    }

    private static String jsonName(final String name) {
        final int underscore = name.indexOf('_');
        return underscore < 0 ? name
            : name.substring(0, underscore) + Character.toUpperCase(name.charAt(underscore + 1)) + name.substring(underscore + 2);
    }
}
