package io.sdr.ws;

/**
 * One viewer's backpressure state machine. Pure logic, no I/O: the fan-out tells it what the
 * connection still holds ({@link #unsent}) and asks {@link #offer} what to do with each frame.
 * Confined to the client's event loop.
 *
 * <pre>
 *     keyframe, nothing unsent                   oldest unsent frame overdue (lagging)
 *   AWAITING_KEYFRAME ------------> STREAMING -------------------------------> AWAITING_KEYFRAME
 *        |  waited > idrTimeout while frames flow
 *        +-----------------------> CLOSED (IDR timeout)
 * </pre>
 *
 * <b>Lag is judged in time.</b> Every frame written to the viewer carries a deadline (when it reached
 * the fan-out plus the stream's allowed lag, about two frame intervals): a viewer lags when the
 * oldest video frame it has not yet handed to the kernel is past its deadline. Then it is shown
 * nothing more until a keyframe that finds the connection drained: a slow link sees fewer, fresh
 * pictures instead of every picture late. Two hard caps stay as memory bounds, not as the lag rule:
 * the bytes ({@code budgetBytes}) and frames ({@code maxQueuedFrames}) that may wait for one viewer,
 * both raised once by the join burst (the cached GOP, old by nature, which gets its own deadline).
 *
 * <p>What is unsent is known only as a byte count (Netty's pending bytes for the channel, each
 * message counted whole until written, plus a fixed overhead per message); the session keeps the
 * messages it wrote in order, with their sizes, and retires the oldest while the newer ones still
 * account for every unsent byte. Telemetry and control messages are kept too (they share the
 * connection) but carry no deadline.
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

    /** Deadline of a message that is not video: it never makes the viewer lag. */
    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final long budgetBytes;
    private final int maxQueuedFrames;
    private final long idrTimeoutNs;

    private State state = State.AWAITING_KEYFRAME;
    private long allowanceBytes;
    private int allowanceFrames;
    private long awaitingSinceNs;
    private long lastOfferNs;
    private long sentFrames;
    private long droppedLagging;
    private long droppedAwaiting;

    // The messages written and not known to be in the kernel, oldest first: a ring of two arrays.
    private long[] sizes = new long[16];
    private long[] deadlines = new long[16];
    private int head;
    private int count;
    private long recordedBytes;
    private int unsentFrames;
    private long unsentVideoBytes;

    public ClientSession(final long budgetBytes, final int maxQueuedFrames, final long idrTimeoutNs, final long nowNs) {
        this.budgetBytes = budgetBytes;
        this.maxQueuedFrames = maxQueuedFrames;
        this.idrTimeoutNs = idrTimeoutNs;
        this.allowanceBytes = budgetBytes;
        this.allowanceFrames = maxQueuedFrames;
        this.awaitingSinceNs = nowNs;
        this.lastOfferNs = nowNs;
    }

    /**
     * What the connection still holds, in the unit of {@link ViewerSink#unsentBytes}: retires the
     * oldest messages while the newer ones account for all of it.
     */
    public void unsent(final long connectionBytes) {
        while (count > 0 && recordedBytes - sizes[head] >= connectionBytes) {
            retireOldest();
        }
    }

    /**
     * @param wireBytes  the frame's size as the connection counts it (bytes plus per-message overhead)
     * @param deadlineNs when it must have reached the kernel for this viewer not to lag
     */
    public Decision offer(final boolean keyframe, final long wireBytes, final long nowNs, final long deadlineNs) {
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
            // Resync only at a keyframe that finds the connection drained: queued behind video that
            // is still stuck, it would be stale when it finally left (and a stalled viewer would
            // cycle lag -> resync -> lag instead of reaching the IDR timeout).
            if (keyframe && unsentFrames == 0) {
                state = State.STREAMING;
                return enqueue(wireBytes, deadlineNs);
            }
            if (nowNs - awaitingSinceNs > idrTimeoutNs) {
                state = State.CLOSED;
                return Decision.CLOSE_IDR_TIMEOUT;
            }
            droppedAwaiting++;
            return Decision.DROP_AWAITING_KEYFRAME;
        }
        if (!fits(wireBytes, nowNs)) {
            state = State.AWAITING_KEYFRAME;
            awaitingSinceNs = nowNs;
            droppedLagging++;
            return Decision.DROP_LAGGING;
        }
        return enqueue(wireBytes, deadlineNs);
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
     * The viewer moves to another tier of its stream at that tier's keyframe while it keeps up: it
     * streams on (a skipped keyframe of the tier it leaves put it in keyframe-wait).
     */
    public void resume() {
        if (state != State.CLOSED) {
            state = State.STREAMING;
        }
    }

    /**
     * Queues the join burst (the cached GOP from its keyframe on): the caps grow by its size so
     * the frames after it are not refused while it drains, and its frames share one deadline
     * (they are old by nature; what matters is that they leave in time).
     */
    public void joinBurst(final long[] wireBytes, final int frames, final long deadlineNs) {
        state = State.STREAMING;
        long bytes = 0;
        for (int i = 0; i < frames; i++) {
            bytes += wireBytes[i];
        }
        allowanceBytes = budgetBytes + bytes;
        allowanceFrames = maxQueuedFrames + frames;
        for (int i = 0; i < frames; i++) {
            enqueue(wireBytes[i], deadlineNs);
        }
    }

    /**
     * The newest {@code frames} video frames were accepted but will never be written (they were
     * held back and are now dropped): forgets them, keeping every other message in order.
     */
    public void withdrawNewest(final int frames) {
        int left = frames;
        int kept = 0;
        final long[] keptSizes = new long[count];
        final long[] keptDeadlines = new long[count];
        for (int i = count - 1; i >= 0; i--) {
            final int at = (head + i) & (sizes.length - 1);
            if (left > 0 && deadlines[at] != NO_DEADLINE) {
                left--;
                recordedBytes -= sizes[at];
                unsentFrames--;
                unsentVideoBytes -= sizes[at];
                sentFrames--;
            } else {
                keptSizes[kept] = sizes[at];
                keptDeadlines[kept] = deadlines[at];
                kept++;
            }
        }
        for (int i = 0; i < kept; i++) {
            sizes[(head + i) & (sizes.length - 1)] = keptSizes[kept - 1 - i];
            deadlines[(head + i) & (sizes.length - 1)] = keptDeadlines[kept - 1 - i];
        }
        count = kept;
    }

    /** A message that is not video (telemetry, control) was written to the same connection. */
    public void otherMessage(final long bytes) {
        record(bytes, NO_DEADLINE);
    }

    private boolean fits(final long bytes, final long nowNs) {
        if (unsentFrames == 0) {
            return true;
        }
        return oldestVideoDeadline() - nowNs >= 0
            && unsentVideoBytes + bytes <= allowanceBytes && unsentFrames < allowanceFrames;
    }

    private Decision enqueue(final long bytes, final long deadlineNs) {
        record(bytes, deadlineNs);
        sentFrames++;
        return Decision.SEND;
    }

    private void record(final long bytes, final long deadlineNs) {
        if (count == sizes.length) {
            grow();
        }
        final int tail = (head + count) & (sizes.length - 1);
        sizes[tail] = bytes;
        deadlines[tail] = deadlineNs;
        count++;
        recordedBytes += bytes;
        if (deadlineNs != NO_DEADLINE) {
            unsentFrames++;
            unsentVideoBytes += bytes;
        }
    }

    private void retireOldest() {
        final long bytes = sizes[head];
        if (deadlines[head] != NO_DEADLINE) {
            unsentFrames--;
            unsentVideoBytes -= bytes;
        }
        recordedBytes -= bytes;
        head = (head + 1) & (sizes.length - 1);
        count--;
        if (unsentVideoBytes <= budgetBytes && unsentFrames <= maxQueuedFrames) {
            allowanceBytes = budgetBytes;
            allowanceFrames = maxQueuedFrames;
        }
    }

    /** The deadline of the oldest video frame still unsent; {@code Long.MAX_VALUE} when none. */
    public long oldestVideoDeadlineNs() {
        return oldestVideoDeadline();
    }

    private long oldestVideoDeadline() {
        for (int i = 0; i < count; i++) {
            final long deadline = deadlines[(head + i) & (sizes.length - 1)];
            if (deadline != NO_DEADLINE) {
                return deadline;
            }
        }
        return NO_DEADLINE;
    }

    private void grow() {
        final int n = sizes.length;
        final long[] newSizes = new long[n * 2];
        final long[] newDeadlines = new long[n * 2];
        for (int i = 0; i < count; i++) {
            newSizes[i] = sizes[(head + i) & (n - 1)];
            newDeadlines[i] = deadlines[(head + i) & (n - 1)];
        }
        sizes = newSizes;
        deadlines = newDeadlines;
        head = 0;
    }

    /** The connection is gone: nothing it held will be counted again. */
    public void close() {
        state = State.CLOSED;
        count = 0;
        head = 0;
        recordedBytes = 0;
        unsentFrames = 0;
        unsentVideoBytes = 0;
    }

    public State state() {
        return state;
    }

    /** Video bytes (as the connection counts them) written and not known to be in the kernel. */
    public long queuedBytes() {
        return unsentVideoBytes;
    }

    /** Video frames written and not known to be in the kernel. */
    public int queuedFrames() {
        return unsentFrames;
    }

    public long sentFrames() {
        return sentFrames;
    }

    public long dropped(final DropReason reason) {
        return reason == DropReason.LAGGING ? droppedLagging : droppedAwaiting;
    }
}
