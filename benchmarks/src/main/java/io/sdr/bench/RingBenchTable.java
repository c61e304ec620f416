package io.sdr.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints a Markdown table from the JMH JSON results of {@link RingReaderBenchmark}
 * ({@code -rf json}): frame size, variant, ns/frame, GB/s and % of the matching plain copy.
 * Several result files (repeated runs) are pooled: ns/frame is the mean (default), median or
 * minimum of all their measured iterations ({@code --stat}); on a shared, noisy machine the median
 * and minimum are the figures to trust.
 *
 * <p>GB/s is bytes copied per frame (32-byte header + payload) divided by ns/frame, so
 * 1 byte/ns = 1 GB/s (10^9 bytes/s). Reader variants are compared with the baseline that has the
 * same access pattern: v2 with {@code copyRing} (64 slots in turn), v1 with {@code copySingle}.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.sdr.bench.RingBenchTable [--stat mean|median|min] results.json...}
 */
public final class RingBenchTable {
    private static final int HEADER_BYTES = 32;
    /** Key for benchmarks without a frameSize parameter. */
    private static final int NO_FRAME_SIZE = -1;

    /** Benchmark method, label, baseline method (null for the baselines themselves). */
    private static final String[][] ROWS = {
        {"copyRing", "plain copy, 64-slot ring (v2 baseline)", null},
        {"v2CrcOff", "v2 reader, CRC off", "copyRing"},
        {"v2CrcOn", "v2 reader, CRC on", "copyRing"},
        {"copySingle", "plain copy, single region (v1 baseline)", null},
        {"v1CrcOn", "v1 reader, CRC on", "copySingle"},
        {"v2PublishOnly", "(v2 publish poke alone, included above)", null},
    };

    private RingBenchTable() {
    }

    public static void main(final String[] args) throws IOException {
        String stat = "mean";
        final List<Path> files = new ArrayList<>();
        for (int a = 0; a < args.length; a++) {
            if ("--stat".equals(args[a]) && a + 1 < args.length) {
                stat = args[++a];
            } else {
                files.add(Path.of(args[a]));
            }
        }
        if (files.isEmpty() || !List.of("mean", "median", "min").contains(stat)) {
            System.err.println("usage: RingBenchTable [--stat mean|median|min] <jmh-results.json>...");
            System.exit(2);
        }
        // frameSize -> method -> measured iteration scores (ns/op), pooled over all files
        final Map<Integer, Map<String, List<Double>>> results = new TreeMap<>();
        for (final Path file : files) {
            final Object json = new Parser(Files.readString(file, StandardCharsets.UTF_8)).parseDocument();
            for (final Object item : (List<?>) json) {
                final Map<?, ?> run = (Map<?, ?>) item;
                final String benchmark = (String) run.get("benchmark");
                final String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
                final Map<?, ?> params = (Map<?, ?>) run.get("params");
                final int frameSize = params == null || params.get("frameSize") == null
                    ? NO_FRAME_SIZE : Integer.parseInt((String) params.get("frameSize"));
                final Map<?, ?> metric = (Map<?, ?>) run.get("primaryMetric");
                final String unit = (String) metric.get("scoreUnit");
                if (!"ns/op".equals(unit)) {
                    throw new IllegalArgumentException("expected ns/op (mode avgt), got " + unit + " for " + benchmark);
                }
                final List<Double> scores = results.computeIfAbsent(frameSize, k -> new LinkedHashMap<>())
                    .computeIfAbsent(method, k -> new ArrayList<>());
                for (final Object fork : (List<?>) metric.get("rawData")) {
                    for (final Object iteration : (List<?>) fork) {
                        scores.add(number(iteration));
                    }
                }
            }
        }
        System.out.println("ns/frame = " + stat + " of " + describe(results) + " measured iterations; "
            + "GB/s = (32 + frame size) bytes / ns; % = baseline ns / variant ns");
        System.out.println();
        System.out.println("| frame size | variant | ns/frame (" + stat + ") | iterations min-max | GB/s | % of plain copy |");
        System.out.println("|---:|---|---:|---:|---:|---:|");
        for (final Map.Entry<Integer, Map<String, List<Double>>> entry : results.entrySet()) {
            final int frameSize = entry.getKey();
            if (frameSize == NO_FRAME_SIZE) {
                continue;
            }
            final long bytes = HEADER_BYTES + (long) frameSize;
            final Map<String, List<Double>> byMethod = entry.getValue();
            for (final String[] row : ROWS) {
                final List<Double> scores = byMethod.get(row[0]);
                if (scores == null || scores.isEmpty()) {
                    continue;
                }
                final double ns = statistic(stat, scores);
                final boolean publishOnly = "v2PublishOnly".equals(row[0]);
                final String gbs = publishOnly ? "-" : fmt("%.2f", bytes / ns);
                final String pct;
                if (publishOnly) {
                    pct = "-";
                } else if (row[2] == null) {
                    pct = "100 %";
                } else {
                    final List<Double> base = byMethod.get(row[2]);
                    pct = base == null || base.isEmpty() ? "n/a" : fmt("%.0f %%", 100.0 * statistic(stat, base) / ns);
                }
                final String f = ns < 100 ? "%.1f" : "%.0f";
                System.out.println("| " + (frameSize / 1024) + " KiB | " + row[1] + " | " + fmt(f, ns) + " | "
                    + fmt(f, statistic("min", scores)) + " - " + fmt(f, statistic("max", scores)) + " | "
                    + gbs + " | " + pct + " |");
            }
        }
        printOthers(stat, results.get(NO_FRAME_SIZE));
    }

    private static void printOthers(final String stat, final Map<String, List<Double>> others) {
        if (others == null) {
            return;
        }
        System.out.println();
        for (final Map.Entry<String, List<Double>> e : others.entrySet()) {
            final String label = "fileSizeCheck".equals(e.getKey())
                ? "fileSizeCheck (the fstat RingReader.poll makes on every call)" : e.getKey();
            System.out.println("- " + label + ": " + fmt("%.0f", statistic(stat, e.getValue())) + " ns/op ("
                + stat + "; iterations " + fmt("%.0f", statistic("min", e.getValue())) + " - "
                + fmt("%.0f", statistic("max", e.getValue())) + ")");
        }
    }

    private static String describe(final Map<Integer, Map<String, List<Double>>> results) {
        final java.util.TreeSet<Integer> counts = new java.util.TreeSet<>();
        results.values().forEach(m -> m.values().forEach(l -> counts.add(l.size())));
        return counts.size() == 1 ? String.valueOf(counts.first()) : counts.toString();
    }

    static double statistic(final String stat, final List<Double> scores) {
        final double[] v = scores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        switch (stat) {
            case "min":
                return v[0];
            case "max":
                return v[v.length - 1];
            case "median":
                return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
            default:
                return java.util.Arrays.stream(v).average().orElse(Double.NaN);
        }
    }

    private static double number(final Object o) {
        if (o instanceof Double) {
            return (Double) o;
        }
        return o == null ? Double.NaN : Double.parseDouble(o.toString()); // JMH writes "NaN" as a string
    }

    private static String fmt(final String format, final double v) {
        return String.format(Locale.ROOT, format, v);
    }

    /** Just enough JSON for JMH's result file: objects, arrays, strings, numbers, literals. */
    static final class Parser {
        private final String s;
        private int i;

        Parser(final String s) {
            this.s = s;
        }

        Object parseDocument() {
            final Object value = value();
            skipSpace();
            if (i != s.length()) {
                throw error("trailing content");
            }
            return value;
        }

        private Object value() {
            skipSpace();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            final char c = s.charAt(i);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    return number();
            }
        }

        private Map<String, Object> object() {
            final Map<String, Object> map = new LinkedHashMap<>();
            i++;
            skipSpace();
            if (peek() == '}') {
                i++;
                return map;
            }
            while (true) {
                skipSpace();
                final String key = string();
                skipSpace();
                expect(':');
                map.put(key, value());
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else {
                    expect('}');
                    return map;
                }
            }
        }

        private List<Object> array() {
            final List<Object> list = new ArrayList<>();
            i++;
            skipSpace();
            if (peek() == ']') {
                i++;
                return list;
            }
            while (true) {
                list.add(value());
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else {
                    expect(']');
                    return list;
                }
            }
        }

        private String string() {
            expect('"');
            final StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                final char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                final char e = s.charAt(i++);
                switch (e) {
                    case 'n': sb.append('\n'); break;
                    case 't': sb.append('\t'); break;
                    case 'r': sb.append('\r'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'u':
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default: sb.append(e);
                }
            }
        }

        private Double number() {
            final int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (start == i) {
                throw error("unexpected character '" + s.charAt(i) + "'");
            }
            return Double.parseDouble(s.substring(start, i));
        }

        private Object literal(final String word, final Object value) {
            if (!s.startsWith(word, i)) {
                throw error("bad literal");
            }
            i += word.length();
            return value;
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void expect(final char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException error(final String what) {
            return new IllegalArgumentException("bad JMH JSON at offset " + i + ": " + what);
        }
    }
}
