package io.sdr.encode;

import org.agrona.concurrent.UnsafeBuffer;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVDictionaryEntry;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avutil.*;

/**
 * One opened FFmpeg video encoder: YUV 4:2:0 {@link Picture}s in, Annex-B access units out, one
 * packet per picture (no B-frames, zero-latency settings). Parameter sets stay in band (no
 * {@code AV_CODEC_FLAG_GLOBAL_HEADER}; x264/x265 {@code repeat-headers}), and a keyframe is
 * forced on request with an I picture plus the encoder's {@code forced-idr} option.
 *
 * <p>One thread only; {@link #close()} frees the native context.
 */
public final class VideoEncoder implements AutoCloseable {
    /** AVERROR(EAGAIN) on Linux: the encoder wants more input before it returns a packet. */
    private static final int AVERROR_EAGAIN = -11;

    /** Receives each packet; {@code data} is valid only during the call. */
    public interface PacketSink {
        void accept(UnsafeBuffer data, int length, boolean keyFlag);
    }

    private final String name;
    private final String codecName;
    private final String settings;
    private final List<String> ignoredOptions;
    private AVCodecContext context;
    private final AVFrame frame;
    private final AVPacket packet;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    // The planes of the picture last bound to the frame.
    private Picture bound;
    private BytePointer[] planes;
    private long pts;

    private VideoEncoder(final String name, final String codecName, final AVCodecContext context, final String settings,
                         final List<String> ignoredOptions) {
        this.name = name;
        this.codecName = codecName;
        this.context = context;
        this.settings = settings;
        this.ignoredOptions = ignoredOptions;
        this.frame = av_frame_alloc();
        this.packet = av_packet_alloc();
        if (frame == null || packet == null) {
            close();
            throw new EncoderException(name + ": out of memory allocating frame/packet");
        }
        frame.width(context.width());
        frame.height(context.height());
        frame.format(AV_PIX_FMT_YUV420P);
    }

    /**
     * Opens encoder {@code name} with {@code config}'s settings.
     *
     * @throws EncoderException with the reason (FFmpeg's log lines and error) when it does not open.
     */
    public static VideoEncoder open(final String name, final EncoderConfig config) {
        Ffmpeg.load();
        final Ffmpeg.Captured<Object> result = Ffmpeg.capture(() -> {
            try {
                return tryOpen(name, config);
            } catch (final EncoderException e) {
                return e;
            }
        });
        if (result.value() instanceof VideoEncoder) {
            return (VideoEncoder) result.value();
        }
        final String reason = ((EncoderException) result.value()).getMessage();
        throw new EncoderException(result.log().isEmpty() ? reason : reason(name, result.log()) + " (" + reason + ")");
    }

    /** FFmpeg's log lines as one reason: without the encoder's own prefix, a "...:" line followed by its list. */
    static String reason(final String name, final List<String> lines) {
        final StringBuilder text = new StringBuilder();
        for (final String raw : lines) {
            final String line = raw.startsWith(name + ": ") ? raw.substring(name.length() + 2) : raw;
            if (text.length() > 0) {
                text.append(text.charAt(text.length() - 1) == ':' ? " " : text.charAt(text.length() - 1) == '.' ? " " : "; ");
            }
            text.append(line);
        }
        return text.toString().replace(": ; ", ": ");
    }

    private static VideoEncoder tryOpen(final String name, final EncoderConfig config) {
        final AVCodec codec = avcodec_find_encoder_by_name(name);
        if (codec == null || av_codec_is_encoder(codec) == 0) {
            throw new EncoderException("not in this FFmpeg build");
        }
        final int wanted = config.codec().equals("hevc") ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
        if (codec.id() != wanted || codec.type() != AVMEDIA_TYPE_VIDEO) {
            throw new EncoderException("encodes " + avcodec_get_name(codec.id()).getString() + ", not " + config.codec());
        }
        final AVCodecContext context = avcodec_alloc_context3(codec);
        if (context == null) {
            throw new EncoderException("avcodec_alloc_context3 failed");
        }
        context.width(config.width());
        context.height(config.height());
        context.pix_fmt(AV_PIX_FMT_YUV420P);
        context.time_base(av_make_q(1, config.fps()));
        context.framerate(av_make_q(config.fps(), 1));
        context.bit_rate(config.bitrateKbps() * 1000L);
        context.rc_max_rate(config.bitrateKbps() * 1000L);
        context.rc_buffer_size(config.bitrateKbps() * 1000);
        context.gop_size(config.gop());
        context.max_b_frames(0);
        context.thread_count(config.threads());
        // No AV_CODEC_FLAG_GLOBAL_HEADER: SPS/PPS stay in band, before every IDR.
        final Map<String, String> options = options(name, config);
        final AVDictionary dictionary = new AVDictionary(null);
        for (final Map.Entry<String, String> option : options.entrySet()) {
            av_dict_set(dictionary, option.getKey(), option.getValue(), 0);
        }
        final int opened = avcodec_open2(context, codec, dictionary);
        final List<String> ignored = new ArrayList<>();
        AVDictionaryEntry entry = null;
        while ((entry = av_dict_get(dictionary, "", entry, AV_DICT_IGNORE_SUFFIX)) != null) {
            ignored.add(entry.key().getString());
        }
        av_dict_free(dictionary);
        if (opened < 0) {
            avcodec_free_context(context);
            throw new EncoderException("avcodec_open2: " + Ffmpeg.error(opened));
        }
        final String settings = name + " " + config.codec() + " " + config.width() + "x" + config.height() + "@" + config.fps()
            + " " + config.bitrateKbps() + " kbps gop " + config.gop() + (options.isEmpty() ? "" : " " + options);
        return new VideoEncoder(name, config.codec(), context, settings, List.copyOf(ignored));
    }

    /** The AVOptions used for {@code name}: zero-latency defaults per encoder family, then the configured ones. */
    static Map<String, String> options(final String name, final EncoderConfig config) {
        final Map<String, String> options = new LinkedHashMap<>();
        // Renditions switch viewers at keyframes: only the GOP and forced IDRs may make one, never
        // a scene cut one tier's encoder sees and another's does not.
        final String aligned = config.simulcast() ? ":scenecut=0" : "";
        if (name.equals("libx264")) {
            options.put("preset", config.preset());
            options.put("tune", config.tune());
            options.put("forced-idr", "1");
            options.put("x264-params", "repeat-headers=1:annexb=1" + aligned);
        } else if (name.equals("libx265")) {
            options.put("preset", config.preset());
            options.put("tune", config.tune());
            options.put("forced-idr", "1");
            options.put("x265-params", "log-level=error:repeat-headers=1:annexb=1" + aligned);
        } else if (name.endsWith("_nvenc")) {
            options.put("preset", config.nvencPreset());
            options.put("tune", config.nvencTune());
            options.put("zerolatency", "1");
            options.put("delay", "0");
            options.put("forced-idr", "1");
            options.put("rc", "cbr");
        } else if (name.equals("libopenh264")) {
            options.put("allow_skip_frames", "0");
        }
        options.putAll(config.options().getOrDefault(name, Map.of()));
        return options;
    }

    /**
     * Encodes one picture; each resulting packet goes to {@code sink} (normally exactly one).
     *
     * @param forceKeyframe make this picture an IDR (SPS/PPS in band)
     * @return packets produced
     * @throws EncoderException when the encoder fails
     */
    public int encode(final Picture picture, final boolean forceKeyframe, final PacketSink sink) {
        if (context == null) {
            throw new EncoderException(name + ": closed");
        }
        if (picture.width() != context.width() || picture.height() != context.height()) {
            throw new IllegalArgumentException("picture size differs from encoder: picture=" + picture.width() + "x"
                + picture.height() + ", encoder=" + context.width() + "x" + context.height());
        }
        bind(picture);
        frame.pts(pts++);
        frame.pict_type(forceKeyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE);
        final int sent = avcodec_send_frame(context, frame);
        if (sent < 0) {
            throw new EncoderException(name + ": avcodec_send_frame: " + Ffmpeg.error(sent));
        }
        int packets = 0;
        while (true) {
            final int received = avcodec_receive_packet(context, packet);
            if (received == AVERROR_EAGAIN || received == AVERROR_EOF) {
                return packets;
            }
            if (received < 0) {
                throw new EncoderException(name + ": avcodec_receive_packet: " + Ffmpeg.error(received));
            }
            try {
                view.wrap(packet.data().address(), packet.size());
                sink.accept(view, packet.size(), (packet.flags() & AV_PKT_FLAG_KEY) != 0);
                packets++;
            } finally {
                av_packet_unref(packet);
            }
        }
    }

    private void bind(final Picture picture) {
        if (picture == bound) {
            return;
        }
        planes = new BytePointer[] {new BytePointer(picture.y()), new BytePointer(picture.u()), new BytePointer(picture.v())};
        for (int i = 0; i < 3; i++) {
            frame.data(i, planes[i]);
        }
        frame.linesize(0, picture.width());
        frame.linesize(1, picture.chromaWidth());
        frame.linesize(2, picture.chromaWidth());
        bound = picture;
    }

    /** FFmpeg's encoder name, e.g. {@code libx264}. */
    public String name() {
        return name;
    }

    /** {@code h264} or {@code hevc}. */
    public String codec() {
        return codecName;
    }

    public int width() {
        return context == null ? 0 : context.width();
    }

    public int height() {
        return context == null ? 0 : context.height();
    }

    /** Name, size, rate and the AVOptions it was opened with. */
    public String settings() {
        return settings;
    }

    /** Options the encoder did not recognise (left over after opening). */
    public List<String> ignoredOptions() {
        return ignoredOptions;
    }

    @Override
    public void close() {
        if (context != null) {
            avcodec_free_context(context);
            context = null;
        }
        if (frame != null) {
            // The planes belong to the Picture: detach them before freeing the frame.
            for (int i = 0; i < 3; i++) {
                frame.data(i, null);
            }
            av_frame_free(frame);
        }
        if (packet != null) {
            av_packet_free(packet);
        }
    }
}
