package io.sdr.encode;

import io.sdr.config.ConfigException;
import io.sdr.config.ConfigReader;
import io.sdr.ring.RingV2Descriptor;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code encoder} section, validated: what is encoded (source), how (codec, candidates, size,
 * rate control, zero-latency presets) and into which ring (the stream's {@code path}, which
 * {@code MainVerticle} copies from {@code streams.<stream>.path}).
 *
 * @param enabled          deploy the encoder at all
 * @param stream           the configured stream whose ring the encoder writes
 * @param path             that stream's ring file (v2, created by the encoder)
 * @param codec            {@code h264} or {@code hevc}
 * @param candidates       FFmpeg encoder names tried in order; the first that opens is used
 * @param width            output width (even)
 * @param height           output height (even)
 * @param fps              test-pattern frame rate and the encoder's time base
 * @param bitrateKbps      target bit rate
 * @param gop              frames between periodic keyframes
 * @param preset           x264/x265 preset
 * @param tune             x264/x265 tune
 * @param nvencPreset      NVENC preset (p1 fastest .. p7)
 * @param nvencTune        NVENC tune (ull = ultra-low latency)
 * @param threads          encoder threads, 0 = the encoder's choice
 * @param options          extra AVOptions per encoder name, applied last
 * @param source           {@code testpattern} or {@code ring} (raw frames, docs/RING-RAW.md)
 * @param sourcePath       the raw-frame ring when {@code source} is {@code ring}
 * @param sourceCrc        check the raw frames' CRC-32
 * @param rawMaxFrameBytes largest raw frame accepted (header and pixels)
 * @param ringSlotCount    slots of the output ring (power of two)
 * @param ringSlotSize     bytes per slot of the output ring, including its 64-byte header
 * @param retryInitialMs   first wait before reopening a failed encoder; doubles per failure
 * @param retryMaxMs       longest wait between reopening attempts
 * @param yieldToOtherWriters stand by instead of taking the ring when another process writes it
 * @param demoTelemetryHz  messages per second of the test pattern's own telemetry ({@code telemetry.demo.*});
 *                         0 when {@code demoTelemetry} is false or the source is not the test pattern
 * @param tiers            quality tiers (simulcast renditions) below the stream itself, largest first: each
 *                         encoded from the same picture into its own ring (stream {@code <stream>~<name>});
 *                         empty without renditions
 */
public record EncoderConfig(boolean enabled, String stream, Path path, String codec, List<String> candidates,
                            int width, int height, int fps, int bitrateKbps, int gop, String preset, String tune,
                            String nvencPreset, String nvencTune, int threads, Map<String, Map<String, String>> options,
                            String source, Path sourcePath, boolean sourceCrc, int rawMaxFrameBytes,
                            int ringSlotCount, int ringSlotSize, long retryInitialMs, long retryMaxMs,
                            boolean yieldToOtherWriters, int demoTelemetryHz, List<Tier> tiers) {

    /**
     * One rendition below the stream itself: {@code name} makes its stream {@code <stream>~<name>}
     * (and is what {@code ?tier=} calls it), {@code path} its ring (set by {@code MainVerticle} from
     * {@code streams.<stream>~<name>.path}, else the stream's path with {@code ~<name>} appended).
     */
    public record Tier(String name, int width, int height, int bitrateKbps, Path path) {
    }

    /** At most this many renditions below the stream: each costs a scaler and an encoder per picture. */
    public static final int MAX_TIERS = 7;

    public static final String SECTION = "encoder";
    public static final String SOURCE_TEST_PATTERN = "testpattern";
    public static final String SOURCE_RING = "ring";
    public static final List<String> H264_CANDIDATES = List.of("h264_nvenc", "libx264", "libopenh264");
    public static final List<String> HEVC_CANDIDATES = List.of("hevc_nvenc", "libx265");

    public static EncoderConfig from(final JsonObject json) {
        final ConfigReader c = new ConfigReader(SECTION, json);
        c.allowOnly("enabled", "stream", "path", "codec", "candidates", "width", "height", "fps", "bitrateKbps", "gop",
            "preset", "tune", "nvencPreset", "nvencTune", "threads", "options", "source", "sourcePath", "sourceCrc",
            "rawMaxFrameBytes", "ringSlotCount", "ringSlotSize", "retryInitialMs", "retryMaxMs", "yieldToOtherWriters",
            "demoTelemetry", "demoTelemetryHz", "tiers");
        final String stream = c.stringValue("stream", "main");
        if (!stream.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new ConfigException(c.key("stream") + "=\"" + stream + "\": must be 1-64 characters of A-Z a-z 0-9 _ -");
        }
        final String codec = c.oneOf("codec", "h264", "h264", "hevc");
        final List<String> candidates = c.stringList("candidates", codec.equals("h264") ? H264_CANDIDATES : HEVC_CANDIDATES);
        for (final String name : candidates) {
            if (!name.matches("[a-z0-9_]{1,64}")) {
                throw new ConfigException(c.key("candidates") + ": \"" + name + "\": must be an FFmpeg encoder name (a-z 0-9 _)");
            }
        }
        final int width = even(c, "width", 1280);
        final int height = even(c, "height", 720);
        final int fps = c.intValue("fps", 30, 1, 240);
        final int bitrate = c.intValue("bitrateKbps", 2500, 50, 500_000);
        final Path path = Path.of(c.stringValue("path", "/dev/shm/sdr_os_ipc/frames"));
        final int slotCount = c.intValue("ringSlotCount", 32, 2, 1 << 16);
        final int slotSize = c.intValue("ringSlotSize", 1 << 20, 128, 256 << 20);
        String geometry = RingV2Descriptor.checkGeometry(slotCount, slotSize);
        if (geometry == null && RingV2Descriptor.fileLength(slotCount, slotSize) > 1L << 30) {
            geometry = "ring file larger than 1 GiB: bytes=" + RingV2Descriptor.fileLength(slotCount, slotSize);
        }
        if (geometry != null) {
            throw new ConfigException(c.key("ringSlotCount") + "=" + slotCount + ", " + c.key("ringSlotSize") + "=" + slotSize
                + ": " + geometry);
        }
        final long retryInitial = c.longValue("retryInitialMs", 200, 1, 600_000);
        final long retryMax = c.longValue("retryMaxMs", 10_000, 1, 3_600_000);
        if (retryMax < retryInitial) {
            throw new ConfigException(c.key("retryMaxMs") + "=" + retryMax + ": must be >= retryInitialMs=" + retryInitial);
        }
        final String source = c.oneOf("source", SOURCE_TEST_PATTERN, SOURCE_TEST_PATTERN, SOURCE_RING);
        // 10-30 Hz: fast enough for a plot to move smoothly, slow enough to cost nothing.
        final int demoHz = c.intValue("demoTelemetryHz", 20, 10, 30);
        final boolean demo = c.booleanValue("demoTelemetry", true) && source.equals(SOURCE_TEST_PATTERN);
        return new EncoderConfig(
            c.booleanValue("enabled", true),
            stream,
            path,
            codec,
            candidates,
            width,
            height,
            fps,
            bitrate,
            c.intValue("gop", 2 * fps, 1, 100_000),
            c.stringValue("preset", "ultrafast"),
            c.stringValue("tune", "zerolatency"),
            c.stringValue("nvencPreset", "p1"),
            c.stringValue("nvencTune", "ull"),
            c.intValue("threads", 0, 0, 64),
            options(c),
            source,
            Path.of(c.stringValue("sourcePath", "/dev/shm/sdr_os_ipc/raw")),
            c.booleanValue("sourceCrc", true),
            c.intValue("rawMaxFrameBytes", 16 << 20, 1024, 512 << 20),
            slotCount,
            slotSize,
            retryInitial,
            retryMax,
            c.booleanValue("yieldToOtherWriters", true),
            demo ? demoHz : 0,
            tiers(c, stream, path, width, height, bitrate));
    }

    /**
     * {@code [{"name": "360p", "width": 640, "height": 360, "bitrateKbps": 600}, ...]}: the renditions
     * below the stream itself, largest first. Viewers move down the list when their link is narrow,
     * so each must be no larger than the one above it and take less bitrate, and names must tell them
     * apart (from each other and from the stream itself, which viewers know as {@code <height>p}).
     */
    private static List<Tier> tiers(final ConfigReader c, final String stream, final Path path, final int width,
                                    final int height, final int bitrate) {
        final Object raw = c.json().getValue("tiers");
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof io.vertx.core.json.JsonArray)) {
            throw new ConfigException(c.key("tiers") + "=" + raw + ": must be a list of {\"name\", \"width\", \"height\","
                + " \"bitrateKbps\"} objects, largest first");
        }
        final io.vertx.core.json.JsonArray list = (io.vertx.core.json.JsonArray) raw;
        if (list.size() > MAX_TIERS) {
            throw new ConfigException(c.key("tiers") + ": " + list.size() + " tiers, at most " + MAX_TIERS);
        }
        final List<Tier> tiers = new java.util.ArrayList<>();
        final String top = height + "p";
        String above = "the stream itself (encoder.width=" + width + ", encoder.height=" + height + ", encoder.bitrateKbps="
            + bitrate + ")";
        int aboveWidth = width;
        int aboveHeight = height;
        int aboveBitrate = bitrate;
        for (int i = 0; i < list.size(); i++) {
            final String key = c.key("tiers") + "[" + i + "]";
            if (!(list.getValue(i) instanceof JsonObject)) {
                throw new ConfigException(key + "=" + list.getValue(i) + ": must be an object {\"name\", \"width\", \"height\","
                    + " \"bitrateKbps\"}");
            }
            final ConfigReader t = new ConfigReader(key, list.getJsonObject(i));
            t.allowOnly("name", "width", "height", "bitrateKbps", "path");
            for (final String required : List.of("name", "width", "height", "bitrateKbps")) {
                if (!t.json().containsKey(required)) {
                    throw new ConfigException(t.key(required) + ": missing; a tier needs name, width, height and bitrateKbps");
                }
            }
            final String name = t.stringValue("name", null);
            if (!name.matches(io.sdr.poller.PollerConfig.TIER_NAME) || name.equals("auto")) {
                throw new ConfigException(t.key("name") + "=\"" + name + "\": must be 1-32 of A-Z a-z 0-9 _ . - and not \"auto\"");
            }
            if (name.equals(top)) {
                throw new ConfigException(t.key("name") + "=\"" + name + "\": the stream itself is called " + top
                    + " (its height); name the tier after its own size");
            }
            for (final Tier other : tiers) {
                if (other.name().equals(name)) {
                    throw new ConfigException(t.key("name") + "=\"" + name + "\": two tiers with the same name");
                }
            }
            final int w = even(t, "width", 0);
            final int h = even(t, "height", 0);
            final int kbps = t.intValue("bitrateKbps", 0, 50, 500_000);
            if (w > aboveWidth || h > aboveHeight) {
                throw new ConfigException(key + ": " + w + "x" + h + " is larger than " + above + "; tiers go from the"
                    + " largest down");
            }
            if (kbps >= aboveBitrate) {
                throw new ConfigException(t.key("bitrateKbps") + "=" + kbps + ": must be below " + above
                    + "; a narrower link moves down the list");
            }
            // By default next to the stream's ring, named the way the tier's stream is: frames~360p.
            final Path tierPath = Path.of(t.stringValue("path", io.sdr.poller.PollerConfig.tierStream(path.toString(), name)));
            tiers.add(new Tier(name, w, h, kbps, tierPath));
            above = "tier \"" + name + "\" above it (" + w + "x" + h + " at " + kbps + " kbps)";
            aboveWidth = w;
            aboveHeight = h;
            aboveBitrate = kbps;
        }
        return List.copyOf(tiers);
    }

    /** One of a set of renditions (the stream with tiers, or a tier): their keyframes must line up. */
    public boolean simulcast() {
        return !tiers.isEmpty() || io.sdr.poller.PollerConfig.isTier(stream);
    }

    /** The stream of a tier: {@code main~360p}. */
    public String tierStream(final Tier tier) {
        return io.sdr.poller.PollerConfig.tierStream(stream, tier.name());
    }

    /** The settings one tier's encoder opens with: this configuration at the tier's size, rate and ring. */
    public EncoderConfig forTier(final Tier tier) {
        return new EncoderConfig(enabled, tierStream(tier), tier.path(), codec, candidates, tier.width(), tier.height(), fps,
            tier.bitrateKbps(), gop, preset, tune, nvencPreset, nvencTune, threads, options, source, sourcePath, sourceCrc,
            rawMaxFrameBytes, ringSlotCount, ringSlotSize, retryInitialMs, retryMaxMs, yieldToOtherWriters, 0, List.of());
    }

    private static int even(final ConfigReader c, final String name, final int defaultValue) {
        final int value = c.intValue(name, defaultValue, 16, 8192);
        if ((value & 1) != 0) {
            throw new ConfigException(c.key(name) + "=" + value + ": must be even (4:2:0 chroma)");
        }
        return value;
    }

    /** {@code {"libx264": {"x264-params": "..."}}}: string, number or boolean values. */
    private static Map<String, Map<String, String>> options(final ConfigReader c) {
        final ConfigReader section = c.child("options");
        final Map<String, Map<String, String>> result = new LinkedHashMap<>();
        for (final String encoder : section.json().fieldNames()) {
            final ConfigReader one = section.child(encoder);
            final Map<String, String> values = new LinkedHashMap<>();
            for (final String key : one.json().fieldNames()) {
                final Object value = one.json().getValue(key);
                if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
                    throw new ConfigException(one.key(key) + "=" + value + ": must be a string, number or boolean");
                }
                values.put(key, value instanceof Boolean ? ((Boolean) value ? "1" : "0") : String.valueOf(value));
            }
            result.put(encoder, Map.copyOf(values));
        }
        return Map.copyOf(result);
    }

    /** The same settings at another size (for probing and benchmarks). */
    public EncoderConfig withSize(final int newWidth, final int newHeight) {
        return new EncoderConfig(enabled, stream, path, codec, candidates, newWidth, newHeight, fps, bitrateKbps, gop,
            preset, tune, nvencPreset, nvencTune, threads, options, source, sourcePath, sourceCrc, rawMaxFrameBytes,
            ringSlotCount, ringSlotSize, retryInitialMs, retryMaxMs, yieldToOtherWriters, demoTelemetryHz, tiers);
    }

    /** The ring-header codec id of the output. */
    public int ringCodec() {
        return codec.equals("hevc") ? io.sdr.ring.FrameHeaderDescriptor.CODEC_HEVC : io.sdr.ring.FrameHeaderDescriptor.CODEC_H264;
    }
}
