package io.sdr.encode;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;

/**
 * One H.264/HEVC encoder of the linked FFmpeg and whether it opens on this machine (FFmpeg's reason
 * when not): what {@code encoders} prints and {@code encoders --bench} measures.
 */
public record EncoderProbe(String name, String codec, String description, boolean opens, String reason) {

    /** Every H.264/HEVC encoder of the build, each opened once at {@code width x height} yuv420p. */
    public static List<EncoderProbe> all(final int width, final int height) {
        final List<EncoderProbe> probes = new ArrayList<>();
        // JavaCPP: the iterator's opaque slot must start as NULL, or av_codec_iterate reads garbage.
        final PointerPointer<Pointer> iterator = new PointerPointer<>(1);
        iterator.put(0, (Pointer) null);
        AVCodec codec;
        while ((codec = av_codec_iterate(iterator)) != null) {
            if (av_codec_is_encoder(codec) == 0 || codec.type() != AVMEDIA_TYPE_VIDEO
                || (codec.id() != AV_CODEC_ID_H264 && codec.id() != AV_CODEC_ID_HEVC)) {
                continue;
            }
            final String name = codec.name().getString();
            final String codecName = codec.id() == AV_CODEC_ID_HEVC ? "hevc" : "h264";
            final String description = codec.long_name() == null ? "" : codec.long_name().getString();
            probes.add(probe(name, codecName, description, width, height));
        }
        iterator.close();
        return probes;
    }

    private static EncoderProbe probe(final String name, final String codec, final String description,
                                      final int width, final int height) {
        final EncoderConfig config = EncoderConfig.from(new JsonObject().put("codec", codec)).withSize(width, height);
        try (VideoEncoder encoder = VideoEncoder.open(name, config)) {
            return new EncoderProbe(name, codec, description, true, null);
        } catch (final EncoderException e) {
            return new EncoderProbe(name, codec, description, false, e.getMessage());
        }
    }

    /** The first of {@code order} that opens, with the order itself (the CLI shows both). */
    public static JsonObject pick(final List<String> order, final List<EncoderProbe> probes) {
        String chosen = null;
        for (final String name : order) {
            if (probes.stream().anyMatch(p -> p.name().equals(name) && p.opens())) {
                chosen = name;
                break;
            }
        }
        return new JsonObject().put("order", new JsonArray(new ArrayList<>(order))).put("chosen", chosen);
    }
}
