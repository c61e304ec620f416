package io.sdr.encode;

import org.bytedeco.ffmpeg.avutil.LogCallback;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

import java.util.ArrayList;
import java.util.List;

/**
 * The linked FFmpeg (JavaCPP natives, linux-x86_64-gpl): loading, error strings and its log.
 *
 * <p>FFmpeg logs through one process-wide callback. Ours sends warnings and errors to
 * {@link System.Logger}, except on a thread that is {@linkplain #capture capturing}: there the
 * lines are collected instead, so that "Cannot load libcuda.so.1" becomes the reason an NVENC
 * candidate was skipped rather than an error in the log (a missing driver is a fallback).
 */
public final class Ffmpeg {
    private static final System.Logger LOG = System.getLogger("io.sdr.encode.ffmpeg");
    private static final ThreadLocal<List<String>> CAPTURE = new ThreadLocal<>();
    private static final Object LOCK = new Object();
    /** Held for the life of the process: the native side calls it. */
    private static LogCallback callback;
    private static Throwable loadFailure;

    private Ffmpeg() {
    }

    /**
     * Loads the natives (once) and installs the log bridge.
     *
     * @throws EncoderException when the natives cannot be loaded on this platform.
     */
    public static void load() {
        synchronized (LOCK) {
            if (callback != null) {
                return;
            }
            if (loadFailure != null) {
                throw new EncoderException("FFmpeg natives unavailable: " + loadFailure, loadFailure);
            }
            try {
                Loader.load(avutil.class);
                Loader.load(avcodec.class);
                Loader.load(swscale.class);
                avutil.av_log_set_level(avutil.AV_LOG_WARNING);
                final LogCallback bridge = new LogCallback() {
                    @Override
                    public void call(final int level, final BytePointer message) {
                        log(level, message == null ? "" : message.getString());
                    }
                };
                avutil.setLogCallback(bridge);
                callback = bridge;
            } catch (final LinkageError | RuntimeException e) {
                loadFailure = e;
                throw new EncoderException("FFmpeg natives unavailable: platform=" + Loader.getPlatform() + ", error=" + e, e);
            }
        }
    }

    private static void log(final int level, final String raw) {
        if (level > avutil.AV_LOG_WARNING) {
            return;
        }
        final String line = clean(raw);
        if (line.isEmpty()) {
            return;
        }
        final List<String> captured = CAPTURE.get();
        if (captured != null) {
            if (captured.size() < 20) {
                captured.add(line);
            }
            return;
        }
        LOG.log(level <= avutil.AV_LOG_ERROR ? System.Logger.Level.ERROR : System.Logger.Level.WARNING, line);
    }

    /** "[libx264 @ 0x7f..] message\n" -> "libx264: message". */
    static String clean(final String raw) {
        String line = raw.strip();
        if (line.startsWith("[")) {
            final int end = line.indexOf(']');
            final int at = line.indexOf(" @ ");
            if (end > 0) {
                final String context = at > 0 && at < end ? line.substring(1, at) : line.substring(1, end);
                line = context + ": " + line.substring(end + 1).strip();
            }
        }
        return line;
    }

    /** Runs {@code body} with this thread's FFmpeg log lines collected into the returned list (warnings and errors). */
    public static <T> Captured<T> capture(final java.util.function.Supplier<T> body) {
        final List<String> previous = CAPTURE.get();
        final List<String> lines = new ArrayList<>();
        CAPTURE.set(lines);
        try {
            return new Captured<>(body.get(), List.copyOf(lines));
        } finally {
            if (previous == null) {
                CAPTURE.remove();
            } else {
                CAPTURE.set(previous);
            }
        }
    }

    /** A result with the log lines FFmpeg wrote while producing it. */
    public record Captured<T>(T value, List<String> log) {
    }

    /** FFmpeg's text for an error code, e.g. "Operation not permitted". */
    public static String error(final int code) {
        final byte[] text = new byte[256];
        avutil.av_strerror(code, text, text.length);
        int length = 0;
        while (length < text.length && text[length] != 0) {
            length++;
        }
        return new String(text, 0, length, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** "FFmpeg 8.0.1 (libavcodec 62.11.100)". */
    public static String version() {
        load();
        final int v = avcodec.avcodec_version();
        return "FFmpeg " + avutil.av_version_info().getString() + " (libavcodec " + (v >> 16) + "." + ((v >> 8) & 0xFF)
            + "." + (v & 0xFF) + ", natives " + Loader.getPlatform() + ")";
    }
}
