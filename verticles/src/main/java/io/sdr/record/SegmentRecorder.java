package io.sdr.record;

import io.sdr.bus.CommitClock;
import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Continuous recording into {@code recording.dir}: every stream and the telemetry in one MCAP
 * segment at a time, {@code sdr-<UTC time>.mcap}. A segment is closed (indexed, with its summary
 * and footer) at the first keyframe after {@code segmentSeconds} or {@code segmentBytes}; in a new
 * segment each stream starts at its next keyframe. A Chunk is written at {@code chunkBytes} or
 * after {@code chunkMs}, so a crash (kill -9) leaves the open segment readable, by a streaming
 * reader, up to its last complete Chunk. While the directory holds more than {@code maxDiskBytes}
 * the oldest segments (only files named like ours) are deleted.
 *
 * <p>One thread: the recording verticle's (a worker, so the disk never blocks an event loop).
 */
public final class SegmentRecorder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SegmentRecorder.class.getName());
    static final Pattern SEGMENT_NAME = Pattern.compile("sdr-\\d{8}T\\d{6}\\.\\d{3}Z\\.mcap");
    private static final DateTimeFormatter NAME_TIME =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final RecordingConfig config;
    private final ArrayDeque<Path> closed = new ArrayDeque<>();
    private long closedBytes;
    private long segmentsWritten;
    private long segmentsDeleted;
    private long errors;

    // ---- the open segment --------------------------------------------------------------------
    private Path path;
    private FileChannel channel;
    private ClipWriter writer;
    private long openedNs;
    private long chunkOpenedNs;
    private final Set<String> started = new HashSet<>();

    public SegmentRecorder(final RecordingConfig config) throws IOException {
        this.config = config;
        Files.createDirectories(config.dir());
        final List<Path> existing = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(config.dir())) {
            for (final Path p : dir) {
                if (SEGMENT_NAME.matcher(p.getFileName().toString()).matches()) {
                    existing.add(p);
                }
            }
        }
        existing.sort(null); // the names sort by time
        for (final Path p : existing) {
            closed.addLast(p);
            closedBytes += Files.size(p);
        }
        trim();
    }

    public void onFrame(final Frame frame) {
        try {
            final boolean due = writer != null && (System.nanoTime() - openedNs >= config.segmentSeconds() * 1_000_000_000L
                || writer.mcap().position() + writer.mcap().pendingBytes() >= config.segmentBytes());
            if (frame.isKeyframe() && due) {
                closeSegment();
            }
            if (writer == null) {
                if (!frame.isKeyframe()) {
                    return;
                }
                openSegment();
            }
            if (!started.contains(frame.stream())) {
                if (!frame.isKeyframe()) {
                    return;
                }
                started.add(frame.stream());
            }
            final long before = writer.mcap().position();
            writer.video(frame);
            afterMessage(before);
        } catch (final IOException | RuntimeException e) {
            failed(e);
        }
    }

    public void onTelemetry(final Telemetry telemetry) {
        if (writer == null) {
            return;
        }
        try {
            final long before = writer.mcap().position();
            writer.telemetry(telemetry);
            afterMessage(before);
        } catch (final IOException | RuntimeException e) {
            failed(e);
        }
    }

    /** Writes the open Chunk once it is {@code chunkMs} old (called per message and by a timer). */
    public void tick() {
        if (writer == null || writer.mcap().pendingBytes() == 0 || System.nanoTime() - chunkOpenedNs < config.chunkMs() * 1_000_000L) {
            return;
        }
        try {
            writer.mcap().flushChunk();
            chunkOpenedNs = System.nanoTime();
            trim();
        } catch (final IOException | RuntimeException e) {
            failed(e);
        }
    }

    /** After a message: a Chunk the size bound closed starts the Chunk clock anew; otherwise the clock may close it. */
    private void afterMessage(final long positionBefore) throws IOException {
        if (writer.mcap().position() != positionBefore) {
            chunkOpenedNs = System.nanoTime();
            trim();
        } else {
            tick();
        }
    }

    private void openSegment() throws IOException {
        // Named by the wall clock to the millisecond; a name taken (two segments in one millisecond
        // after a failure, a clock stepped back) moves on by a millisecond rather than overwrite.
        final Instant now = Instant.now();
        for (int i = 0; ; i++) {
            path = config.dir().resolve("sdr-" + NAME_TIME.format(now.plusMillis(i)) + ".mcap");
            try {
                channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                break;
            } catch (final FileAlreadyExistsException e) {
                if (i == 1000) {
                    throw e;
                }
            }
        }
        writer = new ClipWriter(channel, config.compression(), config.chunkBytes(), CommitClock.offsetNs());
        openedNs = System.nanoTime();
        chunkOpenedNs = openedNs;
        started.clear();
        segmentsWritten++;
    }

    private void closeSegment() throws IOException {
        if (writer == null) {
            return;
        }
        try {
            writer.finish();
            channel.force(false);
        } finally {
            writer.close();
            channel.close();
            closed.addLast(path);
            closedBytes += Files.size(path);
            writer = null;
            channel = null;
        }
        trim();
    }

    /** Deletes the oldest closed segments while everything (the open one included) is over maxDiskBytes. */
    private void trim() throws IOException {
        final long open = writer == null ? 0 : writer.mcap().position();
        while (!closed.isEmpty() && closedBytes + open > config.maxDiskBytes()) {
            final Path oldest = closed.pollFirst();
            final long size = Files.exists(oldest) ? Files.size(oldest) : 0;
            Files.deleteIfExists(oldest);
            closedBytes -= size;
            segmentsDeleted++;
        }
    }

    private void failed(final Exception e) {
        errors++;
        LOG.log(System.Logger.Level.WARNING, "recording into " + config.dir() + " failed (segment " + path
            + " abandoned; the next keyframe starts a new one): " + e);
        if (writer != null) {
            writer.close();
        }
        try {
            if (channel != null) {
                channel.close();
                closed.addLast(path);
                closedBytes += Files.size(path);
            }
        } catch (final IOException ignored) {
            // the file stays as it is: readable up to its last complete chunk
        }
        writer = null;
        channel = null;
    }

    public long segmentsWritten() {
        return segmentsWritten;
    }

    public long segmentsDeleted() {
        return segmentsDeleted;
    }

    public long errors() {
        return errors;
    }

    /** Bytes of every segment in the directory, the open one included. */
    public long diskBytes() {
        return closedBytes + (writer == null ? 0 : writer.mcap().position());
    }

    @Override
    public void close() {
        try {
            closeSegment();
        } catch (final IOException | RuntimeException e) {
            failed(e);
        }
    }
}
