package io.sdr.ws;

/**
 * One viewer's backpressure state machine (the seed's, with a byte budget). Pure logic, no I/O:
 * the WebSocket adapter asks {@link #offer} what to do with each frame and reports completed
 * writes with {@link #written}. Confined to the client's event loop.
 *
 * <pre>
 *     keyframe, nothing queued                   frame does not fit (lagging)
 *   AWAITING_KEYFRAME ------------> STREAMING -------------------------------> AWAITING_KEYFRAME
 *        |  waited > idrTimeout while frames flowed
 *        +-----------------------> CLOSED (IDR timeout)
 * </pre>
 *
 * A waiting client restarts only at a keyframe that finds nothing queued (its last write done).
 * While streaming, a frame "fits" when nothing is queued, or the bytes queued plus this frame stay within the allowance
 * (the byte budget, raised once by the join burst) and fewer frames than allowed
 * ({@code maxQueuedFrames}, raised likewise) are queued. Queued bytes are those handed to the socket but not yet written to the kernel, so a
 * stalled reader is detected after one budget, not after megabytes of socket buffers.
 */
public final class ClientSession {
    public enum State { AWAITING_KEYFRAME, STREAMING, CLOSED }

    public enum Decision {
        SEND, DROP_AWAITING_KEYFRAME, DROP_LAGGING, CLOSE_IDR_TIMEOUT,
        /** The session is closed (its socket is closing): nothing to send, nothing to count. */
        CLOSED
    }

    /** Why a frame was not sent; the names are the metric tags. */
    public enum DropReason {
        LAGGING("lagging"), AWAITING_KEYFRAME("awaiting_keyframe");

        public final String tag;

        DropReason(final String tag) {
            this.tag = tag;
        }
    }

    private final long budgetBytes;
    private final int maxQueuedFrames;
    private final long idrTimeoutNs;

    private State state = State.AWAITING_KEYFRAME;
    private long queuedBytes;
    private int queuedFrames;
    private long allowanceBytes;
    private int allowanceFrames;
    private long awaitingSinceNs;
    private long lastOfferNs;
    private long sentFrames;
    private long sentBytes;
    private long droppedLagging;
    private long droppedAwaiting;

    public ClientSession(final long budgetBytes, final int maxQueuedFrames, final long idrTimeoutNs, final long nowNs) {
        this.budgetBytes = budgetBytes;
        this.maxQueuedFrames = maxQueuedFrames;
        this.idrTimeoutNs = idrTimeoutNs;
        this.allowanceBytes = budgetBytes;
        this.allowanceFrames = maxQueuedFrames;
        this.awaitingSinceNs = nowNs;
        this.lastOfferNs = nowNs;
    }

    public Decision offer(final boolean keyframe, final int bytes, final long nowNs) {
        if (state == State.CLOSED) {
            return Decision.CLOSED;
        }
        final long sinceLastOffer = nowNs - lastOfferNs;
        lastOfferNs = nowNs;
        if (state == State.AWAITING_KEYFRAME) {
            if (sinceLastOffer > idrTimeoutNs) {
                // The stream itself paused (writer restarting): the wait counts only while frames flow.
                awaitingSinceNs = nowNs;
            }
            // Resync only at a keyframe that finds the socket drained: queued behind a write that
            // is still stuck, it would be stale when it finally left (and a stalled client would
            // cycle lag -> resync -> lag, holding up to a budget of old video, instead of reaching
            // the IDR timeout).
            if (keyframe && queuedFrames == 0) {
                state = State.STREAMING;
                return enqueue(bytes);
            }
            if (nowNs - awaitingSinceNs > idrTimeoutNs) {
                state = State.CLOSED;
                return Decision.CLOSE_IDR_TIMEOUT;
            }
            droppedAwaiting++;
            return Decision.DROP_AWAITING_KEYFRAME;
        }
        if (!fits(bytes)) {
            state = State.AWAITING_KEYFRAME;
            awaitingSinceNs = nowNs;
            droppedLagging++;
            return Decision.DROP_LAGGING;
        }
        return enqueue(bytes);
    }

    /**
     * A frame this client should have had was skipped (it reached the group too late to be worth
     * sending): the decoder can only go on from a keyframe. True when the client now waits for one.
     */
    public boolean frameSkipped(final long nowNs) {
        if (state == State.CLOSED) {
            return false;
        }
        if (state == State.STREAMING) {
            state = State.AWAITING_KEYFRAME;
            awaitingSinceNs = nowNs;
        }
        return true;
    }

    /**
     * Queues the join burst (the cached GOP from its keyframe on) in one go: the allowance grows by
     * its size so that the frames after it are not taken for lag while it drains.
     */
    public void joinBurst(final long bytes, final int frames) {
        state = State.STREAMING;
        allowanceBytes = budgetBytes + bytes;
        allowanceFrames = maxQueuedFrames + frames;
        queuedBytes += bytes;
        queuedFrames += frames;
        sentBytes += bytes;
        sentFrames += frames;
    }

    /** A write handed to the socket finished (written to the kernel, or failed). */
    public void written(final int bytes) {
        queuedBytes -= bytes;
        queuedFrames--;
        if (queuedBytes <= budgetBytes && queuedFrames <= maxQueuedFrames) {
            allowanceBytes = budgetBytes;
            allowanceFrames = maxQueuedFrames;
        }
    }

    private boolean fits(final int bytes) {
        return queuedFrames == 0 || (queuedBytes + bytes <= allowanceBytes && queuedFrames < allowanceFrames);
    }

    private Decision enqueue(final int bytes) {
        queuedBytes += bytes;
        queuedFrames++;
        sentBytes += bytes;
        sentFrames++;
        return Decision.SEND;
    }

    public void close() {
        state = State.CLOSED;
    }

    public State state() {
        return state;
    }

    public long queuedBytes() {
        return queuedBytes;
    }

    public int queuedFrames() {
        return queuedFrames;
    }

    public long sentFrames() {
        return sentFrames;
    }

    public long sentBytes() {
        return sentBytes;
    }

    public long dropped(final DropReason reason) {
        return reason == DropReason.LAGGING ? droppedLagging : droppedAwaiting;
    }
}
