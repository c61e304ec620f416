package io.sdr.record;

import io.sdr.foxglove.CompressedVideo;
import io.sdr.mcap.ChunkCompression;
import io.sdr.record.Recordings.Outcome;
import io.sdr.security.AccessControl;
import io.sdr.security.Grants;
import io.sdr.security.TokenVerifier;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * {@code GET /record/clip?stream=S&seconds=N[&compression=zstd|lz4|none]}: the last N seconds of a
 * stream and the telemetry of the same window as one indexed MCAP file. Served to the admin
 * addresses ({@code websocket.admin.allow}, like /metrics) and, with tokens on, to a token whose
 * {@code sdr.record} is true and that grants the stream.
 *
 * <p>The event loop only checks the request and takes the history's references (no copy); the file
 * is written on the {@code sdr-record} worker pool ({@code maxConcurrentClips} threads) into a
 * temporary file that is sent with sendfile and deleted, so a big clip never stalls a viewer.
 */
public final class ClipHandler implements Handler<RoutingContext> {
    private static final System.Logger LOG = System.getLogger(ClipHandler.class.getName());
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Vertx vertx;
    private final AccessControl access;
    private final List<String> streams;
    private WorkerExecutor workers;

    public ClipHandler(final Vertx vertx, final AccessControl access, final List<String> streams) {
        this.vertx = vertx;
        this.access = access;
        this.streams = streams;
    }

    @Override
    public void handle(final RoutingContext ctx) {
        final HttpServerRequest request = ctx.request();
        final Recordings recordings = Recordings.of(vertx);
        if (recordings == null) {
            text(request.response(), 404, "recording is off (recording.enabled=false)");
            return;
        }
        final RecordingConfig config = recordings.config();
        final String stream = request.getParam("stream") != null ? request.getParam("stream") : streams.get(0);
        final StreamHistory history = recordings.stream(stream);
        if (history == null) {
            bad(recordings, request, "unknown stream: stream=" + stream + ", streams=" + streams);
            return;
        }
        final String secondsText = request.getParam("seconds");
        final double seconds;
        try {
            seconds = secondsText == null ? config.historySeconds() : Double.parseDouble(secondsText);
        } catch (final NumberFormatException e) {
            bad(recordings, request, "seconds=\"" + secondsText + "\": not a number");
            return;
        }
        if (!(seconds > 0) || seconds > config.historySeconds()) {
            bad(recordings, request, "seconds=" + secondsText + ": must be in (0, " + config.historySeconds()
                + "] (recording.historySeconds)");
            return;
        }
        final String compressionText = request.getParam("compression");
        final ChunkCompression compression = compressionText == null ? config.compression() : ChunkCompression.named(compressionText);
        if (compression == null) {
            bad(recordings, request, "compression=\"" + compressionText + "\": must be zstd, lz4 or none");
            return;
        }
        if (access.admin(request)) {
            clip(recordings, request, history, seconds, compression, Grants.ALL);
            return;
        }
        if (!access.config().auth().enabled()) {
            forbidden(recordings, request, "forbidden: clips are served to websocket.admin.allow=" + access.config().adminAllow()
                + " or, with tokens on, to a token granting \"record\"");
            return;
        }
        request.pause();
        access.authenticate(request).onComplete(result -> {
            request.resume();
            if (result.failed()) {
                recordings.count(Outcome.FORBIDDEN);
                text(request.response(), 401, result.cause() instanceof TokenVerifier.TokenRejected
                    ? result.cause().getMessage() : "invalid token");
            } else if (!result.result().grants().record()) {
                forbidden(recordings, request, "forbidden: the token does not grant \"record\"");
            } else if (!result.result().grants().allowsStream(stream)) {
                forbidden(recordings, request, "forbidden: the token does not grant stream=" + stream);
            } else {
                clip(recordings, request, history, seconds, compression, result.result().grants());
            }
        });
    }

    /** @param grants the requester's: the clip holds only the telemetry subjects it may receive */
    private void clip(final Recordings recordings, final HttpServerRequest request, final StreamHistory history,
                      final double seconds, final ChunkCompression compression, final Grants grants) {
        final HttpServerResponse response = request.response();
        if (history.codec() >= 0 && CompressedVideo.format(history.codec()) == null) {
            bad(recordings, request, "stream=" + history.stream() + " carries codec " + history.codec()
                + ", which foxglove.CompressedVideo cannot hold (h264 and h265 only)");
            return;
        }
        if (!recordings.tryStartClip()) {
            recordings.count(Outcome.BUSY);
            response.putHeader("Retry-After", "2");
            text(response, 503, "busy: " + recordings.config().maxConcurrentClips()
                + " clips are being written (recording.maxConcurrentClips)");
            return;
        }
        final StreamHistory.Snapshot video = history.snapshot(seconds);
        if (video == null) {
            recordings.clipDone();
            recordings.count(Outcome.EMPTY);
            response.putHeader("Retry-After", "2");
            text(response, 503, "no video yet: the history of stream=" + history.stream() + " starts at its first keyframe");
            return;
        }
        final long fromNs = StreamHistory.timeNs(video.frames().get(0));
        final List<TelemetryHistory.Entry> telemetry = recordings.telemetry().between(fromNs, System.nanoTime());
        telemetry.removeIf(e -> !grants.allowsSubject(e.telemetry().subject()));
        final RecordingConfig config = recordings.config();
        workers().<Path>executeBlocking(() -> {
            final Path file = Files.createTempFile("sdr-clip-", ".mcap");
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ClipWriter.writeClip(out, compression, config.chunkBytes(), video, telemetry);
            } catch (final IOException | RuntimeException e) {
                Files.deleteIfExists(file);
                throw e;
            } finally {
                video.release();
            }
            return file;
        }, false).onComplete(result -> {
            if (result.failed()) {
                recordings.clipDone();
                recordings.count(Outcome.ERROR);
                LOG.log(System.Logger.Level.WARNING, "clip of stream=" + history.stream() + " failed: " + result.cause(), result.cause());
                text(response, 500, "clip failed: " + result.cause().getMessage());
                return;
            }
            final Path file = result.result();
            final String name = history.stream() + "-" + FILE_TIME.format(java.time.Instant.now()) + ".mcap";
            response.putHeader("Content-Type", "application/octet-stream")
                .putHeader("Content-Disposition", "attachment; filename=\"" + name + "\"")
                .putHeader("Cache-Control", "no-store")
                .putHeader("X-Sdr-Clip-Span-Ms", String.valueOf(video.spanNs() / 1_000_000))
                .putHeader("X-Sdr-Clip-Frames", String.valueOf(video.frames().size()))
                .putHeader("X-Sdr-Clip-Telemetry", String.valueOf(telemetry.size()));
            response.sendFile(file.toString()).onComplete(sent -> {
                recordings.clipDone();
                recordings.count(sent.succeeded() ? Outcome.OK : Outcome.ERROR);
                try {
                    Files.deleteIfExists(file);
                } catch (final IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot delete " + file + ": " + e);
                }
            });
        });
    }

    private WorkerExecutor workers() {
        if (workers == null) {
            // Shared by name across client groups: the pool is maxConcurrentClips threads in all.
            workers = vertx.createSharedWorkerExecutor("sdr-record", Recordings.of(vertx).config().maxConcurrentClips());
        }
        return workers;
    }

    private static void bad(final Recordings recordings, final HttpServerRequest request, final String reason) {
        recordings.count(Outcome.BAD_REQUEST);
        text(request.response(), 400, reason);
    }

    private static void forbidden(final Recordings recordings, final HttpServerRequest request, final String reason) {
        recordings.count(Outcome.FORBIDDEN);
        text(request.response(), 403, reason);
    }

    private static void text(final HttpServerResponse response, final int status, final String body) {
        response.setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8").end(body + "\n");
    }

    /** Closes this group's handle on the shared worker pool. */
    public void close() {
        if (workers != null) {
            workers.close();
        }
    }
}
