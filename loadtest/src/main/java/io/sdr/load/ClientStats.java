package io.sdr.load;

import org.HdrHistogram.Histogram;

/**
 * What one load client saw. Written only by the client's event loop; read by the main thread
 * after a task on that loop has run (see {@link LoadClients#quiesce()}), which orders the reads
 * after the writes.
 */
final class ClientStats {
    /**
     * How a client reads: as fast as it can, at a limited byte rate, or not at all during the window.
     * A JOINER reads like a healthy client but connects during the window, into a warm server and a
     * flowing stream: its join time is the one a viewer opening the page sees. A NARROW client (the
     * quality-tier runs, {@link TierLeg}) reads at its own byte rate with its own receive buffer, a
     * viewer on a link narrower than the stream.
     */
    enum Kind { HEALTHY, SLOW, STALLED, JOINER, NARROW }

    final int id;
    final Kind kind;

    // Join: System.nanoTime() of each step, 0 until it happens.
    long connectStartNs;
    long openNs;
    long firstFrameNs;
    long firstKeyframeNs;
    /** The first video message was not a keyframe (breaks the keyframe-first contract). */
    boolean firstNotKeyframe;
    /** Close code received from the server (or -1 for a connection lost without a close frame), 0 while open. */
    int closeCode;
    String failure;

    // Whole connection.
    long lastSeq;
    long framesTotal;

    // Measurement window only.
    long frames;
    long keyframes;
    long bytes;
    /** Frames missing between consecutive received frame_seqs. */
    long dropped;
    /** Gaps after which the next frame was a keyframe: the server resynced this client. */
    long keyframeWaits;
    /** Gaps not ending at a keyframe (must not happen: a client resumes only at a keyframe). */
    long gapsWithoutKeyframe;
    /** Latency of each frame in the window; owned by this client (merged per kind at the end). */
    final Histogram latencyNs = LoadClients.newLatencyHistogram();

    // Stalled clients: they stop reading when the window opens and resume at their own time.
    boolean paused;
    boolean resumed;
    long resumeAtNs;
    long resumeFirstAgeNs = -1;
    long resumeMaxAgeNs;
    long resumeStaleBytes;
    long resumeStaleFrames;
    long resumeFrames;

    // Narrow links (TierLeg): the rate class, its read rate and receive buffer (0 = the run's).
    int rateClass = -1;
    long readBytesPerSecond;
    int rcvBufBytes;
    /** Per second of the window, when tracked: the oldest frame's age (ns), frames, the tier of the last frame. */
    long[] maxAgeBySecond;
    int[] framesBySecond;
    int[] tierBySecond;
    /** The tier of the last frame (RingFeeder's tier byte), -1 before any; switches seen; when the last one came. */
    int tier = -1;
    int tierSwitches;
    long lastSwitchNs;

    ClientStats(final int id, final Kind kind) {
        this.id = id;
        this.kind = kind;
    }

    /** Reads paced to a byte rate (slow and narrow clients). */
    boolean paced() {
        return kind == Kind.SLOW || kind == Kind.NARROW;
    }

    /** Keep per-second figures for a window of {@code seconds}. */
    void trackSeconds(final int seconds) {
        maxAgeBySecond = new long[seconds + 1];
        framesBySecond = new int[seconds + 1];
        tierBySecond = new int[seconds + 1];
        java.util.Arrays.fill(tierBySecond, -1);
    }

    /** A frame of {@code tier}, at any time: counts the switches. */
    void tierSeen(final int frameTier, final long nowNs) {
        if (frameTier >= 0 && frameTier != tier) {
            if (tier >= 0) {
                tierSwitches++;
                lastSwitchNs = nowNs;
            }
            tier = frameTier;
        }
    }

    /** A frame in second {@code second} of the window, {@code ageNs} old (-1 unknown). */
    void inSecond(final int second, final long ageNs, final int frameTier) {
        if (maxAgeBySecond == null) {
            return;
        }
        final int s = Math.min(second, maxAgeBySecond.length - 1);
        maxAgeBySecond[s] = Math.max(maxAgeBySecond[s], ageNs);
        framesBySecond[s]++;
        tierBySecond[s] = frameTier;
    }

    boolean joined() {
        return firstKeyframeNs != 0;
    }

    /** Time from the TCP connect starting to the first keyframe (handshake included), or -1. */
    long connectToKeyframeNs() {
        return firstKeyframeNs == 0 || connectStartNs == 0 ? -1 : firstKeyframeNs - connectStartNs;
    }

    /** Time from the WebSocket being open (101 received) to the first keyframe, or -1. */
    long joinNs() {
        return firstKeyframeNs == 0 || openNs == 0 ? -1 : firstKeyframeNs - openNs;
    }
}
