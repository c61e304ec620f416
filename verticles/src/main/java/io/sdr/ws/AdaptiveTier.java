package io.sdr.ws;

/**
 * One viewer's place on its stream's quality ladder (tier 0 the largest): which tier it watches,
 * which one it should move to, and when. Pure logic, no I/O, no Vert.x: the fan-out of the tier
 * the viewer is on feeds it ({@link #lagged}, {@link #offered}, {@link #connection}) and moves the
 * viewer at a keyframe of the target tier. Confined to the client's event loop.
 *
 * <pre>
 *              lagged (time-based, ClientSession)           comfortable for a while and the
 *   tier k  --------------------------------------> tier j   link rate covers tier k-1 (or a
 *     ^        j = largest tier below k whose rate     |     long blind-probe wait, doubled
 *     |        fits the measured link rate (FIT)       |     after each failed probe)
 *     +------------------------------------------------+
 *                  probe up: tier k-1 (at its keyframe)
 * </pre>
 *
 * <b>Link rate.</b> While a viewer's connection holds unsent video at two samples in a row its link
 * was busy the whole time between them, so the bytes it took in that time are its rate. The kernel
 * buffers (TCP_NOTSENT_LOWAT, the receive window) are full then, so this is the rate of the narrow
 * link, not of the socket. A lag always comes with such a backlog: the viewer that lagged knows how
 * far down to go in one step, and up-probes that its last measured rate cannot carry are not tried
 * (each failed probe would show it one late keyframe) until the long blind-probe wait has passed,
 * for a link that got better. A viewer that lags before its link was busy for a whole sample (most
 * lag in their join burst, within half a second) takes the busy spell that ended in the lag as its
 * rate: without it, a link of half the top tier went down, was probed back up blind and sent back
 * again, three switches and over 3 s before it settled.
 *
 * <b>Hysteresis.</b> Down at once (a lag), up only after {@link #COMFORT_NS} without a lag and with
 * the oldest unsent frame never older than half the lag allowance; a probe that lags within
 * {@link #TRIAL_NS} sends the viewer back and doubles that tier's blind-probe wait.
 */
final class AdaptiveTier {
    static final int NONE = -1;
    /**
     * How long a viewer must have drained comfortably before it is probed up. Under a second: a
     * probe waits for the upper tier's keyframe anyway, and with a 1 s GOP a full second missed the
     * keyframe that came just as it ended, a second more on the lower tier.
     */
    static final long COMFORT_NS = 800_000_000L;
    /** A probe that lags within this is a failed probe. */
    static final long TRIAL_NS = 3_000_000_000L;
    /** Up-probes the measured rate does not allow wait this long at first, doubled after each failure. */
    static final long BLIND_PROBE_NS = 20_000_000_000L;
    static final long MAX_BLIND_PROBE_NS = 160_000_000_000L;
    /**
     * A tier fits a link when its bitrate is at most this share of the link's measured rate. Not
     * nearer 1: a link kept nearly full by a tier's average rate has no room for its keyframes (8x
     * a frame and more), and what then waits in the kernel (the viewer's receive window, the
     * unsent-bytes low-water mark) is a quarter second and more of frame age on a narrow link. So
     * a lag lands a viewer where it surely keeps up; a probe may then take it higher, and keeps it
     * there if it holds (the 25 % class of docs/BENCHMARKS.md "Narrow links" ends on the 600 kbps
     * tier at 135 ms p99).
     */
    static final double FIT = 0.8;
    /**
     * A tier is probed when the link's measured rate covers its bitrate: whether there is room for
     * its keyframes too is what the probe finds out (a link exactly as fast as the top tier holds it
     * at a standing queue of ~150 ms, under the 250 ms a viewer may wait).
     */
    static final double PROBE_FIT = 1.0;
    /**
     * Busy time the link-rate estimate needs before it replaces the previous one. Long, because the
     * kernel takes a narrow link's bytes in steps: with TCP_NOTSENT_LOWAT the socket turns writable
     * only once a good part of its buffer has drained, so a 600 kbps link takes ~32 KB every ~0.4 s
     * and a 150 ms sample read 0 or twice the rate (measured with TierFatJarTest's 25 % viewer).
     */
    private static final long RATE_SAMPLE_NS = 1_000_000_000L;
    /**
     * The shortest unbroken busy spell a lag may take as the link's rate when no whole sample was
     * measured yet. Its figure runs high (the kernel's buffers filled at its start: measured 1.1-1.4x
     * on the 25, 50 and 100 % links of TierFatJarTest), which errs towards trying a probe.
     */
    static final long SPELL_MIN_NS = 250_000_000L;
    /**
     * Two samples further apart than this do not make a busy spell: the event loop or the source
     * stalled in between, and the few bytes the link took then say nothing of its rate.
     */
    private static final long SPELL_MAX_GAP_NS = 250_000_000L;

    /** The bitrate of each tier, as the fan-out measures it (wire bytes per second; 0 = unknown). */
    interface Rates {
        long bytesPerSecond(int tier);

        /**
         * Whether the tier has frames now. A tier whose ring has no writer (an outside encoder that
         * feeds only the stream itself) is never a target: a viewer sent there would wait in vain.
         */
        default boolean live(final int tier) {
            return true;
        }
    }

    /** Why a viewer is on its tier; the names go on the wire (0x03 tier message). */
    enum Reason {
        JOIN("join"), PINNED("pinned"), LAGGING("lagging"), PROBE("probe"), PROBE_FAILED("probe_failed");

        final String tag;

        Reason(final String tag) {
            this.tag = tag;
        }
    }

    private final int tiers;
    private final boolean pinned;
    private final Rates rates;
    private final long[] blindWaitNs;

    private int current;
    private int target = NONE;
    private Reason targetReason;
    private Reason reason;
    private long comfortableSinceNs;
    private int probedFrom = NONE;
    private long probeStartNs;

    // Link-rate estimate: bytes the connection took while it stayed busy.
    private long lastDelivered = -1;
    private long lastSampleNs;
    private boolean lastBusy;
    private long busyBytes;
    private long busyNs;
    private long linkBytesPerSecond;
    // The unbroken busy spell the connection is in now.
    private long spellBytes;
    private long spellNs;

    /**
     * @param start  the tier the viewer starts on (0 adaptive; the pinned tier when {@code pinned})
     */
    AdaptiveTier(final int tiers, final int start, final boolean pinned, final Rates rates, final long nowNs) {
        if (tiers < 1 || start < 0 || start >= tiers) {
            throw new IllegalArgumentException("tiers=" + tiers + ", start=" + start);
        }
        this.tiers = tiers;
        this.current = start;
        this.pinned = pinned;
        this.rates = rates;
        this.reason = pinned ? Reason.PINNED : Reason.JOIN;
        this.comfortableSinceNs = nowNs;
        this.blindWaitNs = new long[tiers];
        java.util.Arrays.fill(blindWaitNs, BLIND_PROBE_NS);
    }

    int current() {
        return current;
    }

    /** The tier the viewer should move to at that tier's next keyframe, or {@link #NONE}. */
    int target() {
        return target;
    }

    /** Whether the pending switch is an up-probe (the viewer keeps up where it is). */
    boolean targetIsProbe() {
        return target != NONE && targetReason == Reason.PROBE;
    }

    Reason reason() {
        return reason;
    }

    /** The link's measured rate in bytes per second; 0 until it was busy long enough to tell. */
    long linkBytesPerSecond() {
        return linkBytesPerSecond;
    }

    /**
     * What the connection has taken in total ({@code deliveredBytes}, in the connection's unit) and
     * still holds ({@code unsentBytes}); call at every frame the viewer is offered.
     */
    void connection(final long nowNs, final long deliveredBytes, final long unsentBytes) {
        final boolean busy = unsentBytes > 0;
        // Busy at this sample and the one before: the link was busy the whole time between them.
        final boolean busyBetween = lastDelivered >= 0 && busy && lastBusy && nowNs > lastSampleNs;
        if (busyBetween) {
            busyBytes += deliveredBytes - lastDelivered;
            busyNs += nowNs - lastSampleNs;
            if (busyNs >= RATE_SAMPLE_NS && busyBytes > 0) {
                linkBytesPerSecond = busyBytes * 1_000_000_000L / busyNs;
                busyBytes = 0;
                busyNs = 0;
            }
        }
        if (busyBetween && nowNs - lastSampleNs <= SPELL_MAX_GAP_NS) {
            spellBytes += deliveredBytes - lastDelivered;
            spellNs += nowNs - lastSampleNs;
        } else {
            spellBytes = 0;
            spellNs = 0;
        }
        lastDelivered = deliveredBytes;
        lastSampleNs = nowNs;
        lastBusy = busy;
    }

    /**
     * A frame of the current tier was offered; {@code oldestUnsentWaitNs} is how long the oldest
     * video still unsent has waited (0 when none), {@code lagNs} the allowance. Returns true when
     * the viewer should now be probed up (then {@link #target} says where).
     */
    boolean offered(final long nowNs, final long oldestUnsentWaitNs, final long lagNs) {
        if (probedFrom != NONE && nowNs - probeStartNs >= TRIAL_NS) {
            // The probe held: the tier it reached probes as freely as ever.
            blindWaitNs[current] = BLIND_PROBE_NS;
            probedFrom = NONE;
        }
        if (oldestUnsentWaitNs > lagNs / 2) {
            comfortableSinceNs = nowNs;
            return false;
        }
        if (pinned || current == 0 || target != NONE) {
            return false;
        }
        final long comfortable = nowNs - comfortableSinceNs;
        if (comfortable < COMFORT_NS) {
            return false;
        }
        int above = current - 1;
        while (above >= 0 && !rates.live(above)) {
            above--;
        }
        if (above < 0) {
            return false;
        }
        final long up = rates.bytesPerSecond(above);
        // A probe of that tier failed since one last held: the estimate that allowed it was wrong
        // (or the link is worse now), so only the blind wait may try again; else at once when the
        // link is not measured yet or carries it.
        final boolean failedBefore = blindWaitNs[above] > BLIND_PROBE_NS;
        final boolean fits = !failedBefore && (linkBytesPerSecond == 0 || up == 0 || up <= PROBE_FIT * linkBytesPerSecond);
        if (!fits && comfortable < blindWaitNs[above]) {
            return false;
        }
        target = above;
        targetReason = Reason.PROBE;
        return true;
    }

    /**
     * The viewer lagged on its current tier (its session now waits for a keyframe). Returns the
     * tier it should resync on ({@link #target}), or {@link #NONE} to resync where it is.
     */
    int lagged(final long nowNs) {
        comfortableSinceNs = nowNs;
        if (pinned) {
            return NONE;
        }
        if (probedFrom != NONE && nowNs - probeStartNs < TRIAL_NS) {
            blindWaitNs[current] = Math.min(MAX_BLIND_PROBE_NS, blindWaitNs[current] * 2);
            target = probedFrom;
            targetReason = Reason.PROBE_FAILED;
            probedFrom = NONE;
            return target;
        }
        probedFrom = NONE;
        if (linkBytesPerSecond == 0 && spellNs >= SPELL_MIN_NS && spellBytes > 0) {
            linkBytesPerSecond = spellBytes * 1_000_000_000L / spellNs;
        }
        if (current == tiers - 1) {
            target = NONE;
            return NONE;
        }
        // The largest live tier below whose rate fits the link (the next live one when the rate is
        // not known yet), else the smallest live one.
        int down = NONE;
        for (int t = current + 1; t < tiers; t++) {
            if (!rates.live(t)) {
                continue;
            }
            down = t;
            if (linkBytesPerSecond == 0 || rates.bytesPerSecond(t) <= FIT * linkBytesPerSecond) {
                break;
            }
        }
        if (down == NONE) {
            target = NONE;
            return NONE;
        }
        target = down;
        targetReason = Reason.LAGGING;
        return target;
    }

    /** The viewer now watches {@link #target}, from its keyframe on. */
    void switched(final long nowNs) {
        if (target == NONE) {
            throw new IllegalStateException("no switch pending: tier=" + current);
        }
        if (targetReason == Reason.PROBE) {
            probedFrom = current;
            probeStartNs = nowNs;
        }
        current = target;
        reason = targetReason;
        target = NONE;
        comfortableSinceNs = nowNs;
    }

    /** The switch is given up (the target tier showed no keyframe it could take): it stays where it is. */
    void cancel(final long nowNs) {
        target = NONE;
        comfortableSinceNs = nowNs;
    }
}
