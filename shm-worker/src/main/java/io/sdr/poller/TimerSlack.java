package io.sdr.poller;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Linux timer slack of the calling thread ({@code /proc/<tid>/timerslack_ns}, since Linux 4.6):
 * how much later than asked the kernel may end a sleep so it can batch wake-ups. The default of
 * 50 us makes every short park of the polling thread last 60-110 us, which is both its latency
 * floor and, in wake-ups, most of its cost; 1 us makes a 10 us park last ~20 us. Plain file I/O,
 * no native code; where the file is missing or not writable (other kernels, a container without
 * the right), nothing changes and the caller says so.
 */
final class TimerSlack {
    private TimerSlack() {
    }

    /** Sets the calling thread's slack; false when the system does not allow it. */
    static boolean setForCurrentThread(final long nanos) {
        try {
            final Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            final Path file = Path.of("/proc", self.getFileName().toString(), "timerslack_ns");
            Files.writeString(file, Long.toString(nanos));
            return Long.parseLong(Files.readString(file).trim()) == nanos;
        } catch (final IOException | RuntimeException e) {
            return false;
        }
    }
}
