package io.sdr.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time and resident memory of a process, and the machine's CPU split, from /proc (Linux).
 * {@code utime + stime} of /proc/PID/stat count every thread of the process; softirq time (where
 * loopback TCP delivers packets) is not charged to any process, so the machine-wide split is
 * reported next to it.
 */
final class ProcStats {
    /** USER_HZ: /proc reports CPU time in these ticks (100 on Linux x86-64). */
    static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** utime + stime of {@code pid} in seconds, or -1 when it cannot be read (process gone). */
    static double cpuSeconds(final long pid) {
        try {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            final long utime = Long.parseLong(fields[11]);
            final long stime = Long.parseLong(fields[12]);
            return (utime + stime) / TICKS_PER_SECOND;
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * utime + stime in seconds of the threads of {@code pid} whose name starts with {@code prefix}
     * (Linux cuts names to 15 characters: "sdr-ring-poller"), or -1.
     */
    static double threadCpuSeconds(final long pid, final String prefix) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            double total = 0;
            for (final Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (!Files.readString(task.resolve("comm")).startsWith(prefix)) {
                        continue;
                    }
                    final String stat = Files.readString(task.resolve("stat"));
                    final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    total += (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
                } catch (final IOException | RuntimeException gone) {
                    // The thread ended between the listing and the read.
                }
            }
            return total;
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }

    /** VmRSS of {@code pid} in bytes, or -1. */
    static long rssBytes(final long pid) {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Machine-wide CPU ticks from /proc/stat: {user+nice, system, softirq+irq, idle+iowait, steal}. */
    static long[] machineTicks() {
        try {
            final List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            final String[] f = lines.get(0).trim().split("\\s+");
            final long user = Long.parseLong(f[1]) + Long.parseLong(f[2]);
            final long system = Long.parseLong(f[3]);
            final long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            final long irq = Long.parseLong(f[6]) + Long.parseLong(f[7]);
            final long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            return new long[] {user, system, irq, idle, steal};
        } catch (final IOException | RuntimeException e) {
            return new long[5];
        }
    }

    /** 1-minute load average. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
    }
}
