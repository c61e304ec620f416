package io.sdr.nats;

import io.sdr.testing.ChildProcess;
import io.sdr.testing.FatJar;
import io.sdr.testing.Http;
import io.sdr.testing.WireViewer;
import io.nats.client.Connection;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static io.sdr.nats.NatsTestKit.*;
import io.sdr.testing.Ports;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.await;

/**
 * Relay throughput and latency, NATS publish to WebSocket receive: a jnats publisher in this JVM
 * sends {@code rate} messages/s (round robin over {@code subjects}) through a real nats-server and
 * the fat jar (a separate process) to {@code K} WebSocket clients in this JVM. Each payload carries
 * its publish {@code System.nanoTime()}, so latency is measured on one clock. Prints a table per
 * (clients, rate): messages/s delivered over all clients, the share delivered (the rest was
 * dropped latest-wins for a lagging client), latency p50/p99/max.
 *
 * <p>Not a test (no assertions, not run by {@code mvn verify}). From the repository root, after
 * {@code mvn -B -q install -DskipTests}:
 * <pre>
 * scripts/nats-bench.sh --clients 1,10 --rates 1000,10000,50000 --seconds 5 --size 128 --subjects 50 [--client-rcvbuf BYTES]
 * </pre>
 */
public final class NatsRelayBenchmark {
    /** Payload layout: | run id i32 | publish nanoTime i64 | padding |. */
    private static final int STAMP_BYTES = 12;

    private NatsRelayBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> opts = parse(args);
        final int[] clientCounts = ints(opts.getOrDefault("clients", "1,10"));
        final int[] rates = ints(opts.getOrDefault("rates", "1000,10000,50000"));
        final int seconds = Integer.parseInt(opts.getOrDefault("seconds", "5"));
        final int size = Math.max(STAMP_BYTES, Integer.parseInt(opts.getOrDefault("size", "128")));
        final int subjects = Integer.parseInt(opts.getOrDefault("subjects", "50"));
        // 0: the OS default (Linux autotunes it up to megabytes, where a slow client's backlog then waits).
        final int receiveBuffer = Integer.parseInt(opts.getOrDefault("client-rcvbuf", "0"));

        final Path dir = Files.createTempDirectory("sdr-nats-bench-");
        final int port = Ports.freePort();
        final Vertx vertx = Vertx.vertx();
        try (NatsServerProcess nats = NatsServerProcess.startOnFreePort();
             ChildProcess server = FatJar.start("sdr-nats-bench", Map.of(
                 "SDR_NATS_URL", nats.url(), "SDR_LISTEN_ADDR", "127.0.0.1:" + port), "-conf", new JsonObject()
                 .put("streams", new JsonObject().put("main", new JsonObject().put("path", dir.resolve("frames").toString())))
                 .put("websocket", new JsonObject().put("healthStaleMs", 3_600_000).put("maxClients", 1000))
                 .put("encoder", new JsonObject().put("enabled", false)).encode())) {
            Http.awaitServing(server, port);
            eventually("bridge connected", () -> "connected".equals(natsStatus(port)));
            final Connection publisher = connect(nats.url());
            System.out.printf("relay benchmark: payload %d B, %d subjects, %d s per run, client receive buffer %s, nats-server %s, "
                    + "server pid %d, %d cores%n", size, subjects, seconds, receiveBuffer == 0 ? "OS default" : receiveBuffer + " B",
                nats.url(), server.process.pid(), Runtime.getRuntime().availableProcessors());
            final List<String> rows = new ArrayList<>();
            rows.add(String.format("| %7s | %12s | %14s | %15s | %9s | %8s | %8s | %8s |", "clients", "target msg/s",
                "published/s", "delivered/s", "delivered", "p50 ms", "p99 ms", "max ms"));
            rows.add("|--------:|-------------:|---------------:|----------------:|----------:|---------:|---------:|---------:|");
            int runId = 0;
            for (final int k : clientCounts) {
                final List<Receiver> receivers = new ArrayList<>();
                final WebSocketClient client = WireViewer.wsClient(vertx, receiveBuffer);
                for (int i = 0; i < k; i++) {
                    receivers.add(new Receiver(await(client.connect(port, "127.0.0.1", "/stream/ws"))));
                }
                // Warm-up (JIT on both sides), not reported.
                run(publisher, receivers, ++runId, rates[0], 2, size, subjects);
                for (final int rate : rates) {
                    final Result r = run(publisher, receivers, ++runId, rate, seconds, size, subjects);
                    final String row = String.format("| %7d | %12d | %14.0f | %15.0f | %8.1f%% | %8.2f | %8.2f | %8.2f |", k, rate,
                        r.publishedPerSecond, r.deliveredPerSecond, 100.0 * r.deliveredShare, r.p50Ms, r.p99Ms, r.maxMs);
                    rows.add(row);
                    System.out.println(row);
                }
                for (final Receiver receiver : receivers) {
                    await(receiver.socket.close());
                }
            }
            close(publisher);
            final String metrics = Http.get(port, "/metrics").body();
            System.out.println();
            rows.forEach(System.out::println);
            System.out.printf("%nserver counters: relayed %.0f, dropped latest-wins %.0f (per client: superseded %.0f, overflow %.0f; "
                    + "per group while behind: superseded %.0f, overflow %.0f), NATS slow consumer %.0f, discarded %.0f%n",
                metric(metrics, "sdr_nats_messages_relayed_total"), metric(metrics, "sdr_ws_telemetry_dropped_total"),
                metric(metrics, "sdr_ws_telemetry_dropped_total", "reason=superseded"),
                metric(metrics, "sdr_ws_telemetry_dropped_total", "reason=overflow"),
                metric(metrics, "sdr_ws_telemetry_dropped_total", "reason=group_superseded"),
                metric(metrics, "sdr_ws_telemetry_dropped_total", "reason=group_overflow"),
                metric(metrics, "sdr_nats_slow_consumers_total"),
                metric(metrics, "sdr_nats_messages_dropped_total", "reason=discarded_slow_consumer"));
        } finally {
            await(vertx.close());
            Files.deleteIfExists(dir);
        }
    }

    private record Result(double publishedPerSecond, double deliveredPerSecond, double deliveredShare,
                          double p50Ms, double p99Ms, double maxMs) {
    }

    /** Publishes at {@code rate}/s for {@code seconds}, then waits for stragglers and collects the receivers' latencies. */
    private static Result run(final Connection publisher, final List<Receiver> receivers, final int runId, final int rate,
                              final int seconds, final int size, final int subjects) throws InterruptedException {
        receivers.forEach(r -> r.reset(runId));
        final String[] names = new String[subjects];
        for (int i = 0; i < subjects; i++) {
            names[i] = "telemetry.bench.s" + i;
        }
        final byte[] payload = new byte[size];
        final ByteBuffer stamp = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        final long total = (long) rate * seconds;
        final long start = System.nanoTime();
        long sent = 0;
        while (sent < total) {
            final long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
            while (sent < due) {
                stamp.putInt(0, runId).putLong(4, System.nanoTime());
                publisher.publish(names[(int) (sent % subjects)], payload);
                sent++;
            }
            LockSupport.parkNanos(200_000L);
        }
        flush(publisher);
        final double elapsed = (System.nanoTime() - start) / 1e9;
        // Stragglers: wait until nothing arrived for 500 ms (or 10 s in all).
        final long deadline = System.nanoTime() + 10_000_000_000L;
        long last = -1;
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            final long now = receivers.stream().mapToLong(Receiver::count).sum();
            if (now == last) {
                break;
            }
            last = now;
        }
        long delivered = 0;
        final List<long[]> all = new ArrayList<>();
        for (final Receiver r : receivers) {
            final long[] l = r.latencies();
            all.add(l);
            delivered += l.length;
        }
        final long[] merged = new long[(int) delivered];
        int at = 0;
        for (final long[] l : all) {
            System.arraycopy(l, 0, merged, at, l.length);
            at += l.length;
        }
        Arrays.sort(merged);
        return new Result(total / elapsed, delivered / elapsed, (double) delivered / (total * receivers.size()),
            percentile(merged, 0.50), percentile(merged, 0.99), merged.length == 0 ? Double.NaN : merged[merged.length - 1] / 1e6);
    }

    private static double percentile(final long[] sorted, final double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    /** One WebSocket client: the latency of every telemetry message of the current run. */
    private static final class Receiver {
        final WebSocket socket;
        private volatile int runId;
        private long[] latencies = new long[1 << 16];
        private int count;

        Receiver(final WebSocket socket) {
            this.socket = socket;
            socket.binaryMessageHandler(this::onMessage);
        }

        private void onMessage(final Buffer m) {
            final long now = System.nanoTime();
            if (m.length() < 3 || m.getByte(0) != 0x02) {
                return;
            }
            final int payload = 3 + m.getUnsignedShortLE(1);
            if (m.length() < payload + STAMP_BYTES || m.getIntLE(payload) != runId) {
                return;
            }
            final long latency = now - m.getLongLE(payload + 4);
            synchronized (this) {
                if (count == latencies.length) {
                    latencies = Arrays.copyOf(latencies, count * 2);
                }
                latencies[count++] = latency;
            }
        }

        synchronized void reset(final int run) {
            runId = run;
            count = 0;
        }

        synchronized long count() {
            return count;
        }

        synchronized long[] latencies() {
            return Arrays.copyOf(latencies, count);
        }
    }

    private static Map<String, String> parse(final String[] args) {
        final java.util.HashMap<String, String> out = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got: " + args[i]);
            }
            out.put(args[i].substring(2), args[i + 1]);
        }
        return out;
    }

    private static int[] ints(final String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }
}
