package io.sdr.load;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code --clips}: takes a clip ({@code GET /record/clip}) every {@code everyMs} from a leg's
 * warm-up on, one at a time, reading each answer to its end as a user's download would; what it
 * reports (count, sizes, times, failures) counts the clips finished in the window
 * ({@link #startWindow}) and goes next to the viewers' figures of the same window. Clips in the
 * warm-up let the server's JIT compile the clip path there, as it does the scrape path: a first
 * clip costs ~1 s of C2 time, which is not what repeated clips cost.
 */
final class ClipTaker {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI uri;
    private final long everyMs;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<long[]> taken = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final Thread thread;

    ClipTaker(final int port, final String stream, final int seconds, final long everyMs) {
        this.uri = URI.create("http://127.0.0.1:" + port + "/record/clip?stream=" + stream + "&seconds=" + seconds);
        this.everyMs = everyMs;
        this.thread = new Thread(this::run, "sdr-load-clips");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long next = System.nanoTime();
        while (running.get()) {
            final long start = System.nanoTime();
            try {
                final HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
                long bytes = 0;
                try (InputStream body = response.body()) {
                    final byte[] buffer = new byte[64 * 1024];
                    for (int n; (n = body.read(buffer)) > 0; ) {
                        bytes += n;
                    }
                }
                synchronized (this) {
                    if (response.statusCode() == 200) {
                        taken.add(new long[] {bytes, System.nanoTime() - start});
                    } else {
                        failures.add("HTTP " + response.statusCode());
                    }
                }
            } catch (final IOException e) {
                synchronized (this) {
                    failures.add(e.toString());
                }
            } catch (final InterruptedException e) {
                return;
            }
            next += everyMs * 1_000_000L;
            final long waitNs = next - System.nanoTime();
            if (waitNs > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(waitNs);
            }
        }
    }

    /** Stops at once, a clip in progress abandoned (a leg that ended early); nothing is reported. */
    void cancel() {
        running.set(false);
        thread.interrupt();
    }

    /** The window starts: what was taken so far (the warm-up's clips) is forgotten. */
    synchronized void startWindow() {
        taken.clear();
        failures.clear();
    }

    /** Stops after the clip in progress; {clips, mean_bytes, mean_ms, max_ms, failures, first_failure}. */
    JsonObject stop() throws InterruptedException {
        running.set(false);
        thread.join(35_000);
        synchronized (this) {
            double bytes = 0;
            double ms = 0;
            double maxMs = 0;
            for (final long[] t : taken) {
                bytes += t[0];
                ms += t[1] / 1e6;
                maxMs = Math.max(maxMs, t[1] / 1e6);
            }
            final int n = taken.size();
            return new JsonObject().put("clips", n)
                .put("mean_bytes", n == 0 ? null : Math.round(bytes / n))
                .put("mean_ms", n == 0 ? null : Math.round(ms / n * 10) / 10.0)
                .put("max_ms", n == 0 ? null : Math.round(maxMs * 10) / 10.0)
                .put("failures", failures.size())
                .put("first_failure", failures.isEmpty() ? null : failures.get(0));
        }
    }
}
