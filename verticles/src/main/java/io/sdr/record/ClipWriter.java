package io.sdr.record;

import io.netty.buffer.ByteBuf;
import io.sdr.bus.CommitClock;
import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.foxglove.CompressedVideo;
import io.sdr.mcap.ChunkCompression;
import io.sdr.mcap.McapWriter;
import io.vertx.core.internal.buffer.BufferInternal;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Video and telemetry as MCAP messages: one {@code foxglove.CompressedVideo} (protobuf) channel per
 * stream, topic {@code /video/<stream>}, and one {@code json} channel per telemetry subject, topic
 * the subject. Log times are wall-clock nanoseconds of the commit (video) or receive (telemetry)
 * time; a video message's publish time is when the poller published it. The access unit goes from
 * the frame's pooled memory into the Chunk after a {@link CompressedVideo#prefix}: no other copy.
 *
 * <p>Used for a clip (everything at once, {@link #writeClip}) and by the segment recorder (message
 * by message). One thread per instance.
 */
public final class ClipWriter implements AutoCloseable {
    public static final String LIBRARY = "sdr-transport io.sdr.mcap";

    private final McapWriter mcap;
    private final long offsetNs;
    private final int videoSchema;
    private final Map<String, Integer> videoChannels = new HashMap<>();
    private final Map<String, Integer> telemetryChannels = new HashMap<>();
    private long telemetrySequence;

    /** @param offsetNs wall minus monotonic time, one value for the whole file so its timeline is smooth */
    public ClipWriter(final WritableByteChannel out, final ChunkCompression compression, final int chunkBytes,
                      final long offsetNs) throws IOException {
        this.mcap = new McapWriter(out, new McapWriter.Options("", LIBRARY, compression, chunkBytes));
        this.offsetNs = offsetNs;
        this.videoSchema = mcap.addSchema(CompressedVideo.SCHEMA_NAME, "protobuf", CompressedVideo.descriptorSetBytes());
    }

    public static String videoTopic(final String stream) {
        return "/video/" + stream;
    }

    /** Writes a whole clip: the frames and the telemetry merged by time. Returns the message count. */
    public static long writeClip(final WritableByteChannel out, final ChunkCompression compression, final int chunkBytes,
                                 final StreamHistory.Snapshot video, final List<TelemetryHistory.Entry> telemetry)
        throws IOException {
        try (ClipWriter writer = new ClipWriter(out, compression, chunkBytes, CommitClock.offsetNs())) {
            return writeClip(writer, video, telemetry);
        }
    }

    private static long writeClip(final ClipWriter writer, final StreamHistory.Snapshot video,
                                  final List<TelemetryHistory.Entry> telemetry) throws IOException {
        int t = 0;
        for (final Frame frame : video.frames()) {
            final long time = StreamHistory.timeNs(frame);
            while (t < telemetry.size() && telemetry.get(t).timeNs() <= time) {
                writer.telemetry(telemetry.get(t).telemetry());
                t++;
            }
            writer.video(frame);
        }
        while (t < telemetry.size()) {
            writer.telemetry(telemetry.get(t++).telemetry());
        }
        writer.finish();
        return writer.mcap.messageCount();
    }

    /** Adds one video frame; false (nothing written) when its codec has no CompressedVideo format. */
    public boolean video(final Frame frame) throws IOException {
        final String format = CompressedVideo.format(frame.codec());
        if (format == null) {
            return false;
        }
        Integer channel = videoChannels.get(frame.stream());
        if (channel == null) {
            channel = mcap.addChannel(videoSchema, videoTopic(frame.stream()), CompressedVideo.ENCODING,
                Map.of("stream", frame.stream()));
            videoChannels.put(frame.stream(), channel);
        }
        final long logTime = StreamHistory.timeNs(frame) + offsetNs;
        final int size = frame.payloadSize();
        mcap.addMessage(channel, frame.frameSeq(), logTime, Math.max(logTime, frame.publishNs() + offsetNs),
            CompressedVideo.prefix(logTime, frame.stream(), format, size), frame.wire(), frame.wireLength() - size, size);
        return true;
    }

    /** Adds one telemetry message (its payload must be JSON: {@link TelemetryHistory#isJson}). */
    public void telemetry(final Telemetry telemetry) throws IOException {
        Integer channel = telemetryChannels.get(telemetry.subject());
        if (channel == null) {
            channel = mcap.addChannel(0, telemetry.subject(), "json", Map.of());
            telemetryChannels.put(telemetry.subject(), channel);
        }
        final long logTime = telemetry.receivedNs() + offsetNs;
        final ByteBuf message = ((BufferInternal) telemetry.message()).getByteBuf();
        final int size = telemetry.payloadSize();
        mcap.addMessage(channel, ++telemetrySequence, logTime, logTime, null, message,
            message.readerIndex() + telemetry.messageLength() - size, size);
    }

    public McapWriter mcap() {
        return mcap;
    }

    public void finish() throws IOException {
        mcap.finish();
    }

    /** Frees the writer's buffers; a file not finished stays readable up to its last complete Chunk. */
    @Override
    public void close() {
        mcap.close();
    }
}
