package io.sdr.ws;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tier choice without a socket or a fan-out: the tier bitrates are fixed (what {@link ByteRate}
 * would measure), the connection's delivered and unsent bytes are what a link of a known rate would
 * report. Three tiers as the default configuration: 2,500, 600 and 150 kbps.
 */
class AdaptiveTierTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final long LAG = 250 * MS;
    /** Wire bytes per second of tiers 0, 1, 2. */
    private static final long[] RATES = {312_500, 75_000, 18_750};

    private static AdaptiveTier adaptive(final long now) {
        return new AdaptiveTier(3, 0, false, tier -> RATES[tier], now);
    }

    /** Feeds {@code seconds} of a link that takes {@code bytesPerSecond} and always holds a backlog. */
    private static long busyLink(final AdaptiveTier tier, final long start, final double seconds, final long bytesPerSecond) {
        long now = start;
        long delivered = 0;
        final long end = start + (long) (seconds * S);
        while (now < end) {
            tier.connection(now, delivered, 50_000);
            now += 33 * MS;
            delivered += bytesPerSecond * 33 / 1000;
        }
        return now;
    }

    /**
     * Offers a comfortable frame every 100 ms from {@code from} while before {@code until}; none may
     * start a probe. Returns the time of the first offer not made.
     */
    private static long assertNotProbed(final AdaptiveTier tier, final long since, final long from, final long until) {
        long now = from;
        for (; now < until; now += 100 * MS) {
            assertFalse(tier.offered(now, 0, LAG), "probed at " + (now - since) / MS + " ms");
        }
        return now;
    }

    @Test
    void shouldGoDownOneTierWhenTheLinkRateIsNotKnown() {
        final AdaptiveTier tier = adaptive(0);
        assertEquals(0, tier.linkBytesPerSecond());
        assertEquals(1, tier.lagged(100 * MS));
        assertEquals("lagging", AdaptiveTier.Reason.LAGGING.tag);
        tier.switched(110 * MS);
        assertEquals(1, tier.current());
        assertEquals(AdaptiveTier.Reason.LAGGING, tier.reason());
        assertEquals(AdaptiveTier.NONE, tier.target());
    }

    @Test
    void shouldGoStraightToTheLargestTierTheMeasuredLinkCarries() {
        final AdaptiveTier tier = adaptive(0);
        // 40 kB/s: carries the 150 kbps tier (18.75 kB/s), not the 600 kbps one (75 kB/s).
        final long now = busyLink(tier, 0, 1.5, 40_000);
        assertEquals(40_000, tier.linkBytesPerSecond(), 1_500);
        assertEquals(2, tier.lagged(now));
        tier.switched(now);
        assertEquals(2, tier.current());
    }

    @Test
    void shouldLeaveHeadroomForKeyframesOnALinkATierWouldNearlyFill() {
        final AdaptiveTier tier = adaptive(0);
        // 25 % of the top tier (78 kB/s): tier 1's 75 kB/s would fill it to 96 %, with no room for
        // its keyframes; tier 2 it is. The rate covers tier 1, so once comfortable it is probed:
        // whether its keyframes fit too is what the probe finds out.
        long now = busyLink(tier, 0, 1.5, 78_125);
        assertEquals(2, tier.lagged(now));
        tier.switched(now);
        now = assertNotProbed(tier, now, now, now + AdaptiveTier.COMFORT_NS);
        assertTrue(tier.offered(now, 0, LAG));
        assertEquals(1, tier.target());
        // 50 % (156 kB/s) carries tier 1 with room to spare.
        final AdaptiveTier half = adaptive(0);
        assertEquals(1, half.lagged(busyLink(half, 0, 1.5, 156_250)));
    }

    @Test
    void shouldTakeTheBusySpellBeforeAnEarlyLagAsTheLinkRate() {
        // Half the top tier (156 kB/s), lagging 0.5 s into its join: no whole sample yet, but the
        // spell says tier 1 fits and tier 0 is not worth a blind probe.
        final AdaptiveTier half = adaptive(0);
        long now = busyLink(half, 0, 0.5, 156_250);
        assertEquals(1, half.lagged(now));
        assertEquals(156_250, half.linkBytesPerSecond(), 6_000);
        half.switched(now);
        assertNotProbed(half, now, now + 33 * MS, now + AdaptiveTier.BLIND_PROBE_NS - 100 * MS);
        // A link a little faster than the top tier (as a spell measures one exactly as fast) lags in
        // its join burst too, and is probed back up once comfortable.
        final AdaptiveTier full = adaptive(0);
        now = busyLink(full, 0, 0.5, 330_000);
        assertEquals(1, full.lagged(now));
        full.switched(now);
        assertTrue(full.offered(now + AdaptiveTier.COMFORT_NS + MS, 0, LAG));
        assertEquals(0, full.target());
        // A quarter of it (78 kB/s) goes to the tier with room for keyframes in one step.
        final AdaptiveTier quarter = adaptive(0);
        assertEquals(2, quarter.lagged(busyLink(quarter, 0, 0.5, 78_125)));
    }

    @Test
    void shouldNotTakeAShortOrBrokenBusySpellAsTheLinkRate() {
        // 0.2 s: too short to tell; one tier down and a blind probe, as with no rate at all.
        final AdaptiveTier brief = adaptive(0);
        long now = busyLink(brief, 0, 0.2, 40_000);
        assertEquals(1, brief.lagged(now));
        assertEquals(0, brief.linkBytesPerSecond());
        // Busy on both sides of a 400 ms gap (the event loop stalled): the spell starts again after it.
        final AdaptiveTier stalled = adaptive(0);
        now = busyLink(stalled, 0, 0.2, 40_000);
        now = busyLink(stalled, now + 400 * MS, 0.2, 40_000);
        assertEquals(1, stalled.lagged(now));
        assertEquals(0, stalled.linkBytesPerSecond());
        // An idle moment ends a spell too.
        final AdaptiveTier idle = adaptive(0);
        now = busyLink(idle, 0, 0.2, 40_000);
        idle.connection(now, 8_000, 0);
        now = busyLink(idle, now + 33 * MS, 0.2, 40_000);
        assertEquals(1, idle.lagged(now));
        assertEquals(0, idle.linkBytesPerSecond());
    }

    /** Rates with tier {@code dead} showing no frames (its ring has no writer). */
    private static AdaptiveTier.Rates without(final int... dead) {
        return new AdaptiveTier.Rates() {
            @Override
            public long bytesPerSecond(final int tier) {
                return RATES[tier];
            }

            @Override
            public boolean live(final int tier) {
                return java.util.Arrays.stream(dead).noneMatch(d -> d == tier);
            }
        };
    }

    @Test
    void shouldPassOverATierWithoutFramesOnTheWayDown() {
        final AdaptiveTier tier = new AdaptiveTier(3, 0, false, without(1), 0);
        assertEquals(2, tier.lagged(100 * MS), "the next tier has no frames: the one below it");
        final AdaptiveTier fast = new AdaptiveTier(3, 0, false, without(1), 0);
        // 100 kB/s would carry tier 1 (75 kB/s); it has no frames, so tier 2 it is.
        assertEquals(2, fast.lagged(busyLink(fast, 0, 1.5, 100_000)));
    }

    @Test
    void shouldResyncWhereItIsWhenNoTierBelowHasFrames() {
        final AdaptiveTier tier = new AdaptiveTier(3, 0, false, without(1, 2), 0);
        assertEquals(AdaptiveTier.NONE, tier.lagged(100 * MS));
        assertEquals(0, tier.current());
    }

    @Test
    void shouldProbePastATierWithoutFrames() {
        final AdaptiveTier tier = new AdaptiveTier(3, 2, false, without(1), 0);
        assertTrue(tier.offered(2 * S, 0, LAG), "comfortable for 2 s with no link rate known: probed up");
        assertEquals(0, tier.target(), "over tier 1, which has no frames");
        final AdaptiveTier top = new AdaptiveTier(3, 1, false, without(0), 0);
        assertFalse(top.offered(2 * S, 0, LAG), "nothing above with frames: no probe");
    }

    @Test
    void shouldNotMeasureTheLinkWhileItIsIdle() {
        final AdaptiveTier tier = adaptive(0);
        for (long now = 0; now < 2 * S; now += 33 * MS) {
            tier.connection(now, now / MS * 100, 0); // everything taken at once: no backlog, no rate
        }
        assertEquals(0, tier.linkBytesPerSecond());
    }

    @Test
    void shouldStayOnTheBottomTierWhenItLagsThere() {
        final AdaptiveTier tier = new AdaptiveTier(3, 2, false, t -> RATES[t], 0);
        assertEquals(AdaptiveTier.NONE, tier.lagged(10 * MS));
        assertEquals(2, tier.current());
    }

    @Test
    void shouldNeverMoveAPinnedViewer() {
        final AdaptiveTier tier = new AdaptiveTier(3, 1, true, t -> RATES[t], 0);
        assertEquals(AdaptiveTier.Reason.PINNED, tier.reason());
        assertEquals(AdaptiveTier.NONE, tier.lagged(10 * MS));
        assertFalse(tier.offered(60 * S, 0, LAG));
        assertEquals(1, tier.current());
    }

    @Test
    void shouldProbeUpOnlyAfterDrainingComfortablyForAWhile() {
        final long comfort = AdaptiveTier.COMFORT_NS;
        final AdaptiveTier tier = new AdaptiveTier(3, 1, false, t -> RATES[t], 0);
        assertFalse(tier.offered(comfort / 2, 0, LAG));
        // Oldest unsent frame older than half the allowance: not comfortable, the wait starts again.
        assertFalse(tier.offered(900 * MS, LAG / 2 + MS, LAG));
        assertFalse(tier.offered(900 * MS + comfort - 100 * MS, 0, LAG));
        assertTrue(tier.offered(900 * MS + comfort + MS, 0, LAG));
        assertEquals(0, tier.target());
        assertTrue(tier.targetIsProbe());
        // A pending switch is not asked for twice.
        assertFalse(tier.offered(2 * S, 0, LAG));
        tier.switched(2 * S);
        assertEquals(0, tier.current());
        assertEquals(AdaptiveTier.Reason.PROBE, tier.reason());
    }

    @Test
    void shouldNotProbeATierTheMeasuredLinkCannotCarryUntilTheBlindWaitIsOver() {
        final AdaptiveTier tier = adaptive(0);
        long now = busyLink(tier, 0, 1.5, 40_000);
        assertEquals(2, tier.lagged(now));
        tier.switched(now);
        final long settled = now;
        // 40 kB/s does not carry tier 1 (75 kB/s): no probe for the blind-probe wait.
        assertNotProbed(tier, settled, settled + 33 * MS, settled + AdaptiveTier.BLIND_PROBE_NS - 100 * MS);
        now = settled + AdaptiveTier.BLIND_PROBE_NS + MS;
        assertTrue(tier.offered(now, 0, LAG));
        assertEquals(1, tier.target());
    }

    @Test
    void shouldSendAFailedProbeBackAndWaitTwiceAsLongBeforeTheNextBlindProbe() {
        final AdaptiveTier tier = adaptive(0);
        // 70 kB/s: short of tier 1 (75 kB/s), so tier 2 and blind probes.
        long now = busyLink(tier, 0, 1.5, 70_000);
        assertEquals(2, tier.lagged(now));
        tier.switched(now);
        now += AdaptiveTier.BLIND_PROBE_NS + MS;
        assertTrue(tier.offered(now, 0, LAG));
        tier.switched(now);
        assertEquals(1, tier.current());
        // Lags within the trial: back to where it came from.
        now += AdaptiveTier.TRIAL_NS / 2;
        assertEquals(2, tier.lagged(now));
        tier.switched(now);
        assertEquals(2, tier.current());
        assertEquals(AdaptiveTier.Reason.PROBE_FAILED, tier.reason());
        final long back = now;
        // The next blind probe waits twice as long.
        assertFalse(tier.offered(back + AdaptiveTier.BLIND_PROBE_NS + MS, 0, LAG));
        assertTrue(tier.offered(back + 2 * AdaptiveTier.BLIND_PROBE_NS + MS, 0, LAG));
    }

    @Test
    void shouldNotRetryAFailedProbeAtOnceWhileTheLinkIsNotMeasured() {
        // Never busy long enough to be measured: the first probe is free, a failed one is not.
        final AdaptiveTier tier = new AdaptiveTier(3, 1, false, t -> RATES[t], 0);
        assertEquals(0, tier.linkBytesPerSecond());
        assertTrue(tier.offered(S + MS, 0, LAG));
        tier.switched(S + MS);
        assertEquals(1, tier.lagged(S + 500 * MS));
        tier.switched(S + 600 * MS);
        assertEquals(AdaptiveTier.Reason.PROBE_FAILED, tier.reason());
        for (long now = 2 * S; now < S + 600 * MS + 2 * AdaptiveTier.BLIND_PROBE_NS; now += 100 * MS) {
            assertFalse(tier.offered(now, 0, LAG), "probed again at " + now / MS + " ms");
        }
        assertTrue(tier.offered(S + 700 * MS + 2 * AdaptiveTier.BLIND_PROBE_NS, 0, LAG));
    }

    @Test
    void shouldKeepAProbedTierThatHeldThroughItsTrial() {
        final AdaptiveTier tier = new AdaptiveTier(3, 1, false, t -> RATES[t], 0);
        assertTrue(tier.offered(S + MS, 0, LAG));
        tier.switched(S + MS);
        assertEquals(0, tier.current());
        // Past the trial a lag is an ordinary lag: one step down, not "probe failed".
        tier.offered(S + AdaptiveTier.TRIAL_NS + 2 * MS, 0, LAG);
        assertEquals(1, tier.lagged(S + AdaptiveTier.TRIAL_NS + 3 * MS));
        tier.switched(S + AdaptiveTier.TRIAL_NS + 4 * MS);
        assertEquals(AdaptiveTier.Reason.LAGGING, tier.reason());
    }

    @Test
    void shouldStayPutWhenASwitchIsCancelled() {
        final AdaptiveTier tier = adaptive(0);
        assertEquals(1, tier.lagged(10 * MS));
        tier.cancel(20 * MS);
        assertEquals(AdaptiveTier.NONE, tier.target());
        assertEquals(0, tier.current());
        assertThrows(IllegalStateException.class, () -> tier.switched(30 * MS));
    }

    @Test
    void shouldRefuseAStartOffTheLadder() {
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveTier(3, 3, false, t -> 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveTier(0, 0, false, t -> 0, 0));
    }

    @Test
    void shouldMeasureATierRateOverWholeSeconds() {
        final ByteRate rate = new ByteRate();
        for (long now = 0; now < S; now += 33 * MS) {
            rate.add(now, 1_000);
            assertEquals(0, rate.perSecond(now), "no rate before a whole second");
        }
        for (long now = S; now < 3 * S; now += 33 * MS) {
            rate.add(now, 1_000);
        }
        assertEquals(30_300, rate.perSecond(3 * S - 33 * MS), 1_500);
        // A pause forgets what came before it.
        rate.add(10 * S, 1_000);
        assertEquals(0, rate.perSecond(10 * S));
    }
}
