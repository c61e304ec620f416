package io.sdr.load;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The server's own view, from two scrapes of its Prometheus {@code /metrics} (start and end of the
 * window): counters as differences, histograms as quantiles of the bucket differences. A quantile
 * read from buckets is the upper bound of the bucket it falls in (Micrometer's percentile buckets
 * are ~10-30 % apart), so these are coarser than the client-side HdrHistogram figures.
 */
final class ServerMetrics {
    /** One scrape: series ({@code name{labels}}) to value. */
    static final class Scrape {
        final Map<String, Double> series = new HashMap<>();
        final boolean ok;

        Scrape(final String text) {
            ok = text != null;
            if (text == null) {
                return;
            }
            for (final String line : text.split("\n")) {
                if (line.isEmpty() || line.charAt(0) == '#') {
                    continue;
                }
                final int space = line.lastIndexOf(' ');
                if (space <= 0) {
                    continue;
                }
                try {
                    series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                } catch (final NumberFormatException ignored) {
                    // Not a sample line.
                }
            }
        }

        /** Sum of every series of {@code name} whose labels contain all of {@code labels} ("k=\"v\""). */
        double sum(final String name, final String... labels) {
            double total = 0;
            for (final Map.Entry<String, Double> e : series.entrySet()) {
                if (matches(e.getKey(), name, labels)) {
                    total += e.getValue();
                }
            }
            return total;
        }

        /** Bucket upper bound ({@code le}) to cumulative count, over every matching series. */
        TreeMap<Double, Double> buckets(final String histogram, final String... labels) {
            final TreeMap<Double, Double> buckets = new TreeMap<>();
            for (final Map.Entry<String, Double> e : series.entrySet()) {
                if (matches(e.getKey(), histogram + "_bucket", labels)) {
                    final String key = e.getKey();
                    final int le = key.indexOf("le=\"");
                    final String bound = key.substring(le + 4, key.indexOf('"', le + 4));
                    final double upper = bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
                    buckets.merge(upper, e.getValue(), Double::sum);
                }
            }
            return buckets;
        }
    }

    private static boolean matches(final String series, final String name, final String... labels) {
        if (!series.startsWith(name) || (series.length() > name.length() && series.charAt(name.length()) != '{')) {
            return false;
        }
        for (final String label : labels) {
            if (!series.contains(label)) {
                return false;
            }
        }
        return true;
    }

    private ServerMetrics() {
    }

    static Scrape scrape(final HttpClient http, final int port) {
        try {
            final HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
            final HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Scrape(response.statusCode() == 200 ? response.body() : null);
        } catch (final IOException e) {
            return new Scrape(null);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Scrape(null);
        }
    }

    /** {count, p50, p90, p99, p999} in microseconds of the observations between two scrapes. */
    static JsonObject histogram(final Scrape before, final Scrape after, final String name, final String... labels) {
        final TreeMap<Double, Double> b = before.buckets(name, labels);
        final TreeMap<Double, Double> a = after.buckets(name, labels);
        final List<double[]> delta = new ArrayList<>();
        for (final Map.Entry<Double, Double> e : a.entrySet()) {
            delta.add(new double[] {e.getKey(), e.getValue() - b.getOrDefault(e.getKey(), 0.0)});
        }
        final double count = delta.isEmpty() ? 0 : delta.get(delta.size() - 1)[1];
        final JsonObject out = new JsonObject().put("count", (long) count);
        final double[] quantiles = {0.5, 0.9, 0.99, 0.999};
        final String[] keys = {"p50_us", "p90_us", "p99_us", "p999_us"};
        for (int q = 0; q < quantiles.length; q++) {
            if (count <= 0) {
                out.putNull(keys[q]);
                continue;
            }
            final double rank = quantiles[q] * count;
            for (final double[] bucket : delta) {
                if (bucket[1] >= rank) {
                    out.put(keys[q], Double.isInfinite(bucket[0]) ? null : round(bucket[0] * 1e6));
                    break;
                }
            }
        }
        return out;
    }

    /** The counter's growth between two scrapes (summed over the series matching {@code labels}). */
    static long delta(final Scrape before, final Scrape after, final String name, final String... labels) {
        return Math.round(after.sum(name, labels) - before.sum(name, labels));
    }

    static double round(final double value) {
        return Math.round(value * 10) / 10.0;
    }
}
