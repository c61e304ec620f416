package io.sdr.ws;

import io.netty.buffer.ByteBuf;
import io.sdr.bus.Frame;
import io.sdr.bus.Telemetry;
import io.sdr.bus.SubjectPattern;

import java.util.List;

/**
 * One connected viewer: where its bytes go ({@link ViewerSink}), its video state machine and its
 * telemetry outbox. No Vert.x types; confined to the group's event loop.
 *
 * <p>Video goes straight into the connection as the frame's shared wire bytes (a retained
 * duplicate per viewer, unflushed until the fan-out has written the frame to every viewer of the
 * group, with no promise); the session judges lag from what the connection still holds. That is
 * the path of a viewer that keeps up. A viewer that is behind (video still unsent when the next
 * frame comes) gets one frame at a time: one write with a completion callback in the connection,
 * the others held here, so that telemetry and control messages, written and flushed one by one,
 * wait behind at most that one frame, never behind the backlog; held frames are dropped when the
 * viewer lags.
 */
final class WsClient {
    /** Bytes a WebSocket header may add to a message, counted with it. */
    private static final int SMALL_HEADER = 10;

    final ViewerSink sink;
    final String stream;
    final ClientSession session;
    private final TelemetryOutbox<Telemetry> telemetry;
    private final TelemetryMetrics telemetryMetrics;
    private boolean needsFlush;
    /** Frames accepted while video was unsent, oldest first, one reference each. */
    private final java.util.ArrayDeque<Frame> held = new java.util.ArrayDeque<>();
    private long heldBytes;
    /** A tracked video write (with a completion callback) is in the connection. */
    private boolean trackedInFlight;
    /** null: everything the server relays. */
    private List<SubjectPattern> subjects;
    /** The client asked for 0x03 stats messages ({"stats": true}). */
    boolean statsWanted;
    /** Its token allows it to cause keyframe requests toward the encoder (security: Grants.keyframe). */
    boolean mayRequestKeyframes = true;
    /** Telemetry and control messages offered to it; with the session's video count, the idle check's outbound traffic. */
    long activity;
    // Tiers: the fan-out whose client list holds this viewer (another tier's after a switch), its
    // place on the ladder (null: the stream has no renditions), and what a switch needs.
    StreamFanout fanout;
    AdaptiveTier tier;
    /** The client asked for 0x03 tier messages ({"tiers": true}). */
    boolean tierWanted;
    /** The frame_seq of a tier message still to be sent (see {@link #tellTier}), else NOTHING_UNTOLD. */
    private long untoldTierSeq = NOTHING_UNTOLD;
    private TierLadder untoldLadder;
    private static final long NOTHING_UNTOLD = Long.MIN_VALUE;
    /** frame_seq of the last video frame accepted for it: a switch must not go back. */
    long lastSeq = -1;
    int switchSkips;
    long targetKeyframes;
    /** Everything handed to the connection, in its unit: with what it still holds, what it delivered. */
    private long writtenBytes;
    /** Control messages are skipped while more than this waits for the connection. */
    static final long CONTROL_BACKLOG_BYTES = 64 * 1024;
    /** What its messages look like: the project's protocol unless it is a Foxglove client. */
    ClientFraming framing = ClientFraming.SDR;

    WsClient(final ViewerSink sink, final String stream, final ClientSession session,
             final TelemetryOutbox<Telemetry> telemetry, final TelemetryMetrics telemetryMetrics) {
        this.sink = sink;
        this.stream = stream;
        this.session = session;
        this.telemetry = telemetry;
        this.telemetryMetrics = telemetryMetrics;
    }

    /** Brings the session up to date with what the connection still holds; call before offering it a frame. */
    void refreshUnsent() {
        session.unsent(sink.unsentBytes() + heldBytes);
    }

    /** Size of a frame as the connection counts it. */
    long wireCost(final Frame frame) {
        return sink.cost(framing.videoLength(frame));
    }

    /**
     * Writes a frame the session accepted (flushed by {@link #flush}); {@code behind}: video was
     * still unsent when it was offered, so it goes the one-at-a-time way.
     */
    void sendVideo(final Frame frame, final boolean behind) {
        if (untoldTierSeq != NOTHING_UNTOLD) {
            tellTier(untoldLadder, untoldTierSeq);
        }
        lastSeq = frame.frameSeq();
        if (!behind && held.isEmpty() && !trackedInFlight) {
            final ByteBuf wire = framing.video(frame);
            if (wire != null && sink.writeShared(wire)) {
                needsFlush = true;
                writtenBytes += wireCost(frame);
            }
            return;
        }
        if (trackedInFlight) {
            held.addLast(frame.retain());
            heldBytes += wireCost(frame);
            return;
        }
        writeTracked(frame);
    }

    private void writeTracked(final Frame frame) {
        final ByteBuf wire = framing.video(frame);
        if (wire == null) {
            return;
        }
        trackedInFlight = true;
        if (sink.writeShared(wire, this::trackedWritten)) {
            needsFlush = true;
            writtenBytes += wireCost(frame);
        }
    }

    private void trackedWritten() {
        trackedInFlight = false;
        final Frame next = held.pollFirst();
        if (next != null) {
            heldBytes -= wireCost(next);
            writeTracked(next);
            next.release();
            flush();
        }
    }

    /** The viewer lags: the frames held for it are stale now. Returns how many were dropped. */
    int dropHeld() {
        int dropped = 0;
        Frame frame;
        while ((frame = held.pollFirst()) != null) {
            frame.release();
            dropped++;
        }
        heldBytes = 0;
        session.withdrawNewest(dropped);
        return dropped;
    }

    void flush() {
        if (needsFlush) {
            needsFlush = false;
            sink.flush();
        }
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
        if (!framing.takes(message)) {
            return;
        }
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
        final ByteBuf body = framing.telemetry(message);
        if (body == null) {
            // Held while the client still took it, no longer wanted now (a Foxglove unsubscribe).
            telemetry.written(bytes, this::writeTelemetry);
            return;
        }
        final int wireBytes = framing.telemetryLength(message);
        final boolean written = sink.writeMessage(body, () -> telemetry.written(bytes, this::writeTelemetry));
        if (written) {
            session.otherMessage(sink.cost(wireBytes + SMALL_HEADER));
            writtenBytes += sink.cost(wireBytes + SMALL_HEADER);
            telemetryMetrics.sent.increment();
            telemetryMetrics.bytesSent.increment(wireBytes);
            sink.flush();
        }
    }

    /**
     * Writes a small 0x03 control message unless too much waits for the connection already (then it
     * is dropped, and counted by the caller: the next one supersedes it). Returns whether it was written.
     */
    boolean sendControl(final ByteBuf message) {
        if (sink.isClosed() || sink.unsentBytes() > CONTROL_BACKLOG_BYTES) {
            message.release();
            return false;
        }
        final int bytes = message.readableBytes();
        sink.writeMessage(message, null);
        session.otherMessage(sink.cost(bytes + SMALL_HEADER));
        writtenBytes += sink.cost(bytes + SMALL_HEADER);
        sink.flush();
        activity++;
        return true;
    }

    /** What the connection has taken from what was written to it (the link-rate estimate's input). */
    long deliveredBytes() {
        return writtenBytes - sink.unsentBytes();
    }

    /** It now watches another tier, from the keyframe {@code frameSeq} on: tells it when it asked. */
    void tierChanged(final TierLadder ladder, final long frameSeq) {
        tellTier(ladder, frameSeq);
    }

    /**
     * Sends the 0x03 tier message when the client asked for it. A message the backlog would not
     * take (a joiner's cached GOP is often more than {@link #CONTROL_BACKLOG_BYTES}) is sent again
     * with a later frame: unlike stats, no next one would supersede it before the next switch.
     * Returns whether nothing is left untold.
     */
    boolean tellTier(final TierLadder ladder, final long frameSeq) {
        untoldTierSeq = NOTHING_UNTOLD;
        if (!tierWanted || tier == null || ladder == null) {
            return true;
        }
        if (sendControl(ControlMessages.tier(ladder, tier.current(), tier.reason().tag, frameSeq, tier.linkBytesPerSecond()))) {
            return true;
        }
        untoldTierSeq = frameSeq;
        untoldLadder = ladder;
        return false;
    }

    /**
     * Writes a text message (a JSON control message of another protocol), unless {@code droppable}
     * and too much waits for the connection already. Returns whether it was written.
     */
    boolean sendText(final String text, final boolean droppable) {
        if (sink.isClosed() || droppable && sink.unsentBytes() > CONTROL_BACKLOG_BYTES) {
            return false;
        }
        final ByteBuf utf8 = io.netty.buffer.ByteBufUtil.writeUtf8(io.sdr.bus.Frame.ALLOCATOR, text);
        final int bytes = utf8.readableBytes();
        sink.writeText(utf8);
        session.otherMessage(sink.cost(bytes + SMALL_HEADER));
        writtenBytes += sink.cost(bytes + SMALL_HEADER);
        sink.flush();
        activity++;
        return true;
    }

    void close() {
        session.close();
        dropHeld();
    }
}
