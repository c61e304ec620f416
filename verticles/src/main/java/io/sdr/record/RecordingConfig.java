package io.sdr.record;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.sdr.mcap.ChunkCompression;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * The {@code recording} section, validated.
 *
 * @param enabled            whether the history is kept (and /record/clip answers)
 * @param streams            the configured streams (from {@code streams}; not a user setting)
 * @param historySeconds     video (from a keyframe on) and telemetry kept per stream; the longest clip
 * @param historyBytes       hard bound of one stream's history: past it the oldest GOP goes, whatever its age
 * @param telemetryBytes     hard bound of the telemetry history (all subjects)
 * @param compression        Chunk compression of clips and segments
 * @param chunkBytes         uncompressed size of a Chunk
 * @param maxConcurrentClips clips written at once; more are refused with 503 (each costs a worker thread)
 * @param dir                continuous recording into this directory; null: off
 * @param segmentSeconds     a segment is closed at the first keyframe after this long
 * @param segmentBytes       ... or after this many bytes
 * @param maxDiskBytes       the oldest segments are deleted while the directory holds more than this
 * @param chunkMs            a segment's open Chunk is written after this long, so a crash loses at most that much
 */
public record RecordingConfig(boolean enabled, List<String> streams, int historySeconds, long historyBytes,
                              long telemetryBytes, ChunkCompression compression, int chunkBytes, int maxConcurrentClips,
                              Path dir, long segmentSeconds, long segmentBytes, long maxDiskBytes, long chunkMs) {
    public static final String SECTION = "recording";

    public static RecordingConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        c.allowOnly("enabled", "streams", "historySeconds", "historyBytes", "telemetryBytes", "compression", "chunkBytes",
            "maxConcurrentClips", "dir", "segmentSeconds", "segmentBytes", "maxDiskBytes", "chunkMs");
        final String compression = c.oneOf("compression", "zstd", "zstd", "lz4", "none");
        final String dir = c.stringValue("dir", null);
        final RecordingConfig config = new RecordingConfig(
            c.booleanValue("enabled", true),
            c.stringList("streams", List.of("main")),
            c.intValue("historySeconds", 30, 1, 600),
            c.longValue("historyBytes", 64L << 20, 1L << 20, 16L << 30),
            c.longValue("telemetryBytes", 8L << 20, 64L << 10, 1L << 30),
            ChunkCompression.named(compression),
            c.intValue("chunkBytes", 4 << 20, 64 << 10, 64 << 20),
            c.intValue("maxConcurrentClips", 2, 1, 16),
            dir == null ? null : Paths.get(dir),
            c.longValue("segmentSeconds", 300, 1, 86_400),
            c.longValue("segmentBytes", 256L << 20, 1L << 20, 64L << 30),
            c.longValue("maxDiskBytes", 4L << 30, 2L << 20, 1L << 50),
            c.longValue("chunkMs", 1000, 10, 60_000));
        if (config.dir != null && config.segmentBytes * 2 > config.maxDiskBytes) {
            throw new ConfigException(c.key("segmentBytes") + "=" + config.segmentBytes + ": must be at most half of "
                + c.key("maxDiskBytes") + "=" + config.maxDiskBytes + " (the open segment and the one before it must fit)");
        }
        return config;
    }

    public long historyNs() {
        return historySeconds * 1_000_000_000L;
    }
}
