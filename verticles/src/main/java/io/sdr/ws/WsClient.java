package io.sdr.ws;

import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.nats.SubjectPattern;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One connected viewer: its socket, its video state machine and its telemetry outbox. Confined
 * to the group's event loop.
 *
 * <p>At most one video message is in the socket at a time; the others wait here (bounded by the
 * session's budget). That keeps telemetry from queueing behind seconds of video on a slow link
 * (telemetry has its own small in-socket budget) and lets a lagging client's stale frames be
 * thrown away instead of sent late.
 */
final class WsClient {
    final ServerWebSocket socket;
    final String stream;
    final ClientSession session;
    private final TelemetryOutbox<Telemetry> telemetry;
    private final FanoutMetrics videoMetrics;
    private final TelemetryMetrics telemetryMetrics;
    private final ArrayDeque<Frame> videoQueue = new ArrayDeque<>();
    private boolean videoInFlight;
    /** null: everything the server relays. */
    private List<SubjectPattern> subjects;
    /** The client asked for 0x03 stats messages ({"stats": true}). */
    boolean statsWanted;
    /** Its token allows it to cause keyframe requests toward the encoder (security: Grants.keyframe). */
    boolean keyframeRequests = true;
    /** Telemetry and control messages offered to it; with the session's video count, the idle check's outbound traffic. */
    long activity;

    WsClient(final ServerWebSocket socket, final String stream, final ClientSession session,
             final TelemetryOutbox<Telemetry> telemetry, final FanoutMetrics videoMetrics,
             final TelemetryMetrics telemetryMetrics) {
        this.socket = socket;
        this.stream = stream;
        this.session = session;
        this.telemetry = telemetry;
        this.videoMetrics = videoMetrics;
        this.telemetryMetrics = telemetryMetrics;
    }

    /** Sends (or queues behind the message in flight) a frame the session accepted. */
    void sendVideo(final Frame frame) {
        if (videoInFlight) {
            videoQueue.addLast(frame);
        } else {
            writeVideo(frame);
        }
    }

    private void writeVideo(final Frame frame) {
        videoInFlight = true;
        final int bytes = frame.messageLength();
        // One WebSocket frame per message: writeBinaryMessage would cut it into frames of
        // maxWebSocketFrameSize (the inbound limit, 64 KiB), each written and flushed on its own
        // (a 150 KB message cost three writev calls and three trips down the pipeline).
        socket.writeFrame(WebSocketFrame.binaryFrame(frame.message(), true)).onComplete(result -> {
            session.written(bytes);
            videoInFlight = false;
            if (result.succeeded()) {
                final long now = System.nanoTime();
                videoMetrics.framesSent.increment();
                videoMetrics.bytesSent.increment(bytes);
                videoMetrics.publishToWritten.record(now - frame.publishNs(), TimeUnit.NANOSECONDS);
                if (frame.commitNs() != 0) {
                    videoMetrics.commitToWritten.record(Math.max(0, now - frame.commitNs()), TimeUnit.NANOSECONDS);
                }
            }
            final Frame next = videoQueue.pollFirst();
            if (next != null) {
                writeVideo(next);
            }
        });
    }

    /** The client lags: frames not yet in the socket are stale, drop them; it restarts at a keyframe. */
    int dropQueuedVideo() {
        int dropped = 0;
        Frame frame;
        while ((frame = videoQueue.pollFirst()) != null) {
            session.written(frame.messageLength());
            dropped++;
        }
        return dropped;
    }

    boolean wants(final String subject) {
        final List<SubjectPattern> current = subjects;
        if (current == null) {
            return true;
        }
        for (final SubjectPattern pattern : current) {
            if (pattern.matches(subject)) {
                return true;
            }
        }
        return false;
    }

    void subscribe(final List<SubjectPattern> patterns) {
        subjects = patterns;
    }

    void offerTelemetry(final Telemetry message) {
        activity++;
        final long superseded = telemetry.superseded();
        final long overflowed = telemetry.overflowed();
        if (telemetry.offer(message.subject(), message.messageLength(), message)) {
            writeTelemetry(message);
            return;
        }
        telemetryMetrics.superseded.increment(telemetry.superseded() - superseded);
        telemetryMetrics.overflowed.increment(telemetry.overflowed() - overflowed);
    }

    private void writeTelemetry(final Telemetry message) {
        final int bytes = message.messageLength();
        socket.writeBinaryMessage(message.message()).onComplete(result -> {
            if (result.succeeded()) {
                telemetryMetrics.sent.increment();
                telemetryMetrics.bytesSent.increment(bytes);
            }
            telemetry.written(bytes, this::writeTelemetry);
        });
    }

    /**
     * Writes a small 0x03 control message unless the socket's queue is full (then it is dropped,
     * and counted by the caller: the next one supersedes it). Returns whether it was written.
     */
    boolean sendControl(final io.vertx.core.buffer.Buffer message) {
        if (socket.isClosed() || socket.writeQueueFull()) {
            return false;
        }
        socket.writeBinaryMessage(message);
        activity++;
        return true;
    }

    void close() {
        session.close();
        videoQueue.clear();
    }
}
