package io.sdr.encode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Picks the encoder by opening the configured candidates in order (h264_nvenc -> libx264 ->
 * libopenh264 by default): the first that opens is used. Presence in the FFmpeg build proves
 * nothing (NVENC is always compiled in; it opens only with an NVIDIA driver and GPU), so every
 * candidate is actually opened at the configured size and settings.
 */
public final class EncoderSelection {
    /** One candidate: opened, failed (with FFmpeg's reason), or not tried because an earlier one opened. */
    public record Attempt(String encoder, Outcome outcome, String reason) {
        public enum Outcome { OPENED, FAILED, NOT_TRIED }

        @Override
        public String toString() {
            return encoder + ": " + (outcome == Outcome.OPENED ? "opened" : outcome == Outcome.NOT_TRIED ? "not tried" : reason);
        }
    }

    /** The opened encoder (null when none opened) and what happened to each candidate. */
    public record Result(VideoEncoder encoder, List<Attempt> attempts) {
        /** "libx264 (fell back from h264_nvenc: Cannot load libcuda.so.1 ...)", or every candidate's failure. */
        public String summary() {
            final List<String> failures = failures();
            if (encoder == null) {
                return "no candidate opened: " + String.join("; ", failures);
            }
            return encoder.name() + (failures.isEmpty() ? "" : " (fell back from " + String.join("; ", failures) + ")");
        }

        /** "; fell back from h264_nvenc: ..., ..." for the start-up log line, "" when the first candidate opened. */
        public String fallbacks() {
            final List<String> failures = failures();
            return failures.isEmpty() ? "" : "; fell back from " + String.join(", ", failures);
        }

        private List<String> failures() {
            final List<String> failures = new ArrayList<>();
            for (final Attempt attempt : attempts) {
                if (attempt.outcome() == Attempt.Outcome.FAILED) {
                    failures.add(attempt.toString());
                }
            }
            return failures;
        }
    }

    private EncoderSelection() {
    }

    /**
     * Opens the first candidate of {@code config} that opens.
     *
     * @throws EncoderException when the FFmpeg natives cannot be loaded at all.
     */
    public static Result open(final EncoderConfig config) {
        return open(config, Map.of());
    }

    /**
     * Like {@link #open(EncoderConfig)}, skipping the {@code demoted} candidates (name to reason):
     * encoders that opened but then failed before producing a frame, e.g. NVENC out of sessions.
     */
    public static Result open(final EncoderConfig config, final Map<String, String> demoted) {
        Ffmpeg.load();
        final List<Attempt> attempts = new ArrayList<>();
        VideoEncoder chosen = null;
        for (final String name : config.candidates()) {
            if (chosen != null) {
                attempts.add(new Attempt(name, Attempt.Outcome.NOT_TRIED, null));
                continue;
            }
            if (demoted.containsKey(name)) {
                attempts.add(new Attempt(name, Attempt.Outcome.FAILED, "failed after opening: " + demoted.get(name)));
                continue;
            }
            try {
                chosen = VideoEncoder.open(name, config);
                attempts.add(new Attempt(name, Attempt.Outcome.OPENED, null));
            } catch (final EncoderException e) {
                attempts.add(new Attempt(name, Attempt.Outcome.FAILED, e.getMessage()));
            }
        }
        return new Result(chosen, List.copyOf(attempts));
    }
}
