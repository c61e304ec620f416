package io.sdr.poller;

import io.sdr.config.ConfigReader;
import io.vertx.core.json.JsonObject;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.nio.file.Path;

/**
 * One stream's poller settings, validated. {@code idleStrategy} picks how the polling thread waits
 * when no frame is new: {@code backoff} spins, then yields, then parks from {@code minParkNs}
 * doubling up to {@code maxParkNs} (the seed's adaptive poll; ~0.1 ms p99 at a few % of a core);
 * {@code sleeping} always parks {@code maxParkNs}; {@code yielding} and {@code busy-spin} burn a core.
 * Whatever the strategy, once no frame has come for {@code pausedAfterMs} the thread parks
 * {@code pausedParkNs} between polls ({@link PausedStreamIdleStrategy}; 0 turns that off). With
 * {@code paced} (default), a steady stream's frame interval is learnt and the thread sleeps until
 * shortly before each frame is due ({@link FramePacedIdleStrategy}, its thread's timer slack
 * lowered to 1 us where Linux allows it, {@link TimerSlack}); the strategy above covers the rest
 * (irregular or late frames).
 */
public record PollerConfig(String stream, Path path, boolean crcEnabled, int maxFrameBytes, String idleStrategy,
                           int maxSpins, int maxYields, long minParkNs, long maxParkNs, long idrCoalesceMs,
                           long fileCheckIntervalMs, long pausedAfterMs, long pausedParkNs, boolean paced) {

    public static final String SECTION = "poller";
    /** Between a stream's name and its tier's: {@code main~360p}. */
    private static final char TIER_SEPARATOR = '~';
    /** A quality tier's own name: {@code 360p} of stream {@code main~360p}. */
    public static final String TIER_NAME = "[A-Za-z0-9_.-]{1,32}";
    /** A stream: {@code main}, or a quality tier (rendition) of one, {@code main~360p}, with a ring of its own. */
    public static final String STREAM_NAME = "[A-Za-z0-9_-]{1,64}(~" + TIER_NAME + ")?";

    /** True for a quality tier's stream ({@code main~360p}), false for a stream itself. */
    public static boolean isTier(final String stream) {
        return stream.indexOf(TIER_SEPARATOR) > 0;
    }

    /** The stream a tier belongs to ({@code main} for {@code main~360p}); a stream itself for a stream. */
    public static String baseOf(final String stream) {
        final int at = stream.indexOf(TIER_SEPARATOR);
        return at < 0 ? stream : stream.substring(0, at);
    }

    /** The stream of tier {@code tier} of {@code stream}: {@code main~360p}. */
    public static String tierStream(final String stream, final String tier) {
        return stream + TIER_SEPARATOR + tier;
    }

    public static PollerConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        c.allowOnly("stream", "path", "size", "crc", "maxFrameBytes", "idleStrategy", "maxSpins", "maxYields",
            "minParkNs", "maxParkNs", "idrCoalesceMs", "fileCheckIntervalMs", "pausedAfterMs", "pausedParkNs", "paced");
        final String stream = c.stringValue("stream", "main");
        if (!stream.matches(STREAM_NAME)) {
            throw new io.sdr.config.ConfigException(c.key("stream") + "=\"" + stream
                + "\": must be 1-64 characters of A-Z a-z 0-9 _ -, for a quality tier followed by ~ and its name"
                + " (1-32 of A-Z a-z 0-9 _ . -)");
        }
        final long minPark = c.longValue("minParkNs", 1_000, 1, 1_000_000_000);
        final long maxPark = c.longValue("maxParkNs", 50_000, 1, 1_000_000_000);
        if (maxPark < minPark) {
            throw new io.sdr.config.ConfigException(c.key("maxParkNs") + "=" + maxPark + ": must be >= minParkNs=" + minPark);
        }
        c.longValue("size", 4_194_304, 48, Integer.MAX_VALUE);
        return new PollerConfig(
            stream,
            Path.of(c.stringValue("path", "/dev/shm/sdr_os_ipc/frames")),
            c.booleanValue("crc", true),
            c.intValue("maxFrameBytes", 8 << 20, 1024, 256 << 20),
            c.oneOf("idleStrategy", "backoff", "backoff", "sleeping", "yielding", "busy-spin"),
            c.intValue("maxSpins", 10, 0, 1_000_000),
            c.intValue("maxYields", 5, 0, 1_000_000),
            minPark,
            maxPark,
            c.longValue("idrCoalesceMs", 500, 1, 60_000),
            c.longValue("fileCheckIntervalMs", 20, 1, 10_000),
            c.longValue("pausedAfterMs", 1_000, 1, 3_600_000),
            c.longValue("pausedParkNs", 1_000_000, 0, 100_000_000),
            c.booleanValue("paced", true));
    }

    public IdleStrategy newIdleStrategy() {
        final IdleStrategy streaming = newStreamingIdleStrategy();
        final IdleStrategy unpaced = pausedParkNs == 0 ? streaming
            : new PausedStreamIdleStrategy(streaming, pausedAfterMs * 1_000_000L, pausedParkNs);
        // Busy-spin and yielding are chosen to never sleep: pacing would defeat them.
        return paced && !idleStrategy.equals("busy-spin") && !idleStrategy.equals("yielding")
            ? new FramePacedIdleStrategy(unpaced) : unpaced;
    }

    private IdleStrategy newStreamingIdleStrategy() {
        switch (idleStrategy) {
            case "sleeping":
                return new SleepingIdleStrategy(maxParkNs);
            case "yielding":
                return new YieldingIdleStrategy();
            case "busy-spin":
                return new BusySpinIdleStrategy();
            default:
                return new BackoffIdleStrategy(maxSpins, maxYields, minParkNs, maxParkNs);
        }
    }
}
