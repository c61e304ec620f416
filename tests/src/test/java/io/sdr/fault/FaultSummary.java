package io.sdr.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import io.sdr.testing.RepoPaths;

/**
 * One row per fault tried, printed as a table at the end of the suite (Maven log) and written to
 * target/fault-summary.txt. A row is recorded whether the fault was survived or not.
 */
final class FaultSummary {
    /** What one fault did to the server and its healthy clients. -1 in a number: not applicable. */
    static final class Row {
        final String fault;
        boolean survived;
        long expected = -1;
        long lost = -1;
        long lostAllowed = -1;
        long recoveryMs = -1;
        String metric = "";
        long rssBeforeBytes;
        long rssAfterBytes;
        String failure;

        Row(final String fault) {
            this.fault = fault;
        }

        /** Frames the healthy viewers should have got, lost, and the loss the fault itself explains (summed over viewers). */
        Row frames(final long expectedFrames, final long lostFrames, final long allowedFrames) {
            this.expected = expectedFrames;
            this.lost = lostFrames;
            this.lostAllowed = allowedFrames;
            return this;
        }
    }

    private final List<Row> rows = new ArrayList<>();

    synchronized Row add(final String fault) {
        final Row row = new Row(fault);
        rows.add(row);
        return row;
    }

    synchronized String table() {
        final String format = "%-40s %-8s %8s %5s %7s %8s  %-66s %8s %8s%n";
        final StringBuilder out = new StringBuilder();
        out.append(String.format(format, "fault", "survived", "expected", "lost", "allowed", "recov_ms", "metric that showed it",
            "rss_MB_0", "rss_MB_1"));
        int survived = 0;
        long expected = 0;
        long lost = 0;
        for (final Row r : rows) {
            out.append(String.format(format, r.fault, r.survived ? "yes" : "NO", num(r.expected), num(r.lost), num(r.lostAllowed),
                num(r.recoveryMs), r.metric, mb(r.rssBeforeBytes), mb(r.rssAfterBytes)));
            if (r.failure != null) {
                out.append("    failure: ").append(r.failure.replace('\n', ' '), 0, Math.min(400, r.failure.length())).append('\n');
            }
            survived += r.survived ? 1 : 0;
            expected += Math.max(0, r.expected);
            lost += Math.max(0, r.lost);
        }
        out.append("(frames summed over the healthy viewers; allowed = what the fault itself destroyed; recov_ms: restarted source "
            + "or burst end to frames/clients back, conf rows: time to exit; rss_MB_0/1: server VmRSS before/after)\n");
        out.append(String.format("faults tried: %d, survived: %d, frames expected: %d, lost: %d%n", rows.size(), survived, expected, lost));
        return out.toString();
    }

    /** Prints the table and writes it to {@code <tests module>/target/fault-summary.txt}; returns the file. */
    Path publish() {
        final String table = table();
        System.out.println("\n==== fault-injection summary (frames summed over the healthy viewers) ====\n" + table);
        final Path file = RepoPaths.moduleDir().resolve("target").resolve("fault-summary.txt");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, table, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static String num(final long value) {
        return value < 0 ? "-" : Long.toString(value);
    }

    private static String mb(final long bytes) {
        return bytes <= 0 ? "-" : Long.toString(bytes >> 20);
    }
}
