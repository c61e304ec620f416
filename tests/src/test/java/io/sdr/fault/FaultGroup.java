package io.sdr.fault;

import io.sdr.testing.Http;
import io.sdr.testing.ChildProcess;
import io.sdr.nats.NatsTestKit;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One server process (the fat jar) and the healthy viewers measured while faults are injected into
 * it one after another. Each fault becomes a {@link FaultSummary.Row}; a fault that is not survived
 * is recorded and the next one still runs while the server lives, and {@link #assertAllSurvived()}
 * fails the scenario group at the end.
 */
final class FaultGroup implements AutoCloseable {
    /** Server RSS the faults may never push it past: -Xmx256m heap, metaspace, direct buffers, the ring mapping. */
    static final long RSS_LIMIT_BYTES = 768L << 20;
    /** Growth of open descriptors over one fault that means a leak (ring mappings, sockets). */
    static final int DESCRIPTOR_SLACK = 40;

    interface Fault {
        void inject(FaultSummary.Row row) throws Exception;
    }

    final String name;
    final int port;
    final ChildProcess server;
    final List<CheckedViewer> viewers = new ArrayList<>();
    private final FaultSummary summary;
    private final List<Throwable> failures = new ArrayList<>();
    private int baselineDescriptors = -1;

    private FaultGroup(final String name, final int port, final ChildProcess server, final FaultSummary summary) {
        this.name = name;
        this.port = port;
        this.server = server;
        this.summary = summary;
    }

    /** Starts {@code java -jar sdr-transport.jar -conf CONF} and waits until it answers /health. */
    static FaultGroup start(final String name, final JsonObject conf, final int port, final FaultSummary summary) throws IOException {
        final ChildProcess server = FaultKit.startServer("server-" + name, Map.of(), "-conf", conf.encode());
        final FaultGroup group = new FaultGroup(name, port, server, summary);
        try {
            FaultKit.awaitServing(server, port);
        } catch (final Throwable e) {
            server.close();
            throw e;
        }
        return group;
    }

    /** The base configuration: NatsTestKit's test server, with realistic per-client budgets. */
    static JsonObject conf(final Path ring, final int port, final String natsUrl) {
        final JsonObject conf = NatsTestKit.conf(ring, port, natsUrl);
        conf.getJsonObject("poller").put("fileCheckIntervalMs", 20);
        // Realistic: the default lag rule (about two frame intervals), not the kit's 60 s.
        conf.getJsonObject("websocket").remove("maxLagMs");
        conf.getJsonObject("websocket")
            .put("maxClients", 64)
            .put("clientBudgetBytes", 1 << 20)
            .put("maxQueuedFrames", 64)
            .put("idrTimeoutMs", 5000)
            .put("sendBufferBytes", 128 * 1024)
            .put("healthStaleMs", 2000);
        conf.put("encoder", new JsonObject().put("enabled", false));
        conf.put("bridge", new JsonObject().put("enabled", false));
        return conf;
    }

    long pid() {
        return server.process.pid();
    }

    /** The Prometheus scrape; fails unless it answers 200 (one bad meter makes Micrometer fail the whole scrape). */
    String metrics() {
        final Http.Result scrape = Http.get(port, "/metrics");
        assertEquals(200, scrape.status(), "/metrics answers: " + scrape.body());
        return scrape.body();
    }

    JsonObject health() {
        return Http.get(port, "/health").json();
    }

    /** Runs one fault; records it in the summary whether or not it was survived. */
    void fault(final String fault, final Fault body) {
        final FaultSummary.Row row = summary.add(fault);
        row.rssBeforeBytes = FaultKit.rssBytes(pid());
        if (baselineDescriptors < 0) {
            baselineDescriptors = FaultKit.openDescriptors(pid());
        }
        final long start = System.nanoTime();
        try {
            if (!server.process.isAlive()) {
                fail("server already gone before this fault (exit " + server.process.exitValue() + ")");
            }
            body.inject(row);
            assertSurvived();
            row.survived = true;
        } catch (final Throwable e) {
            row.failure = e.toString();
            failures.add(new AssertionError(name + " / " + fault + ": " + e.getMessage() + "\nserver output:\n" + server.tail(), e));
        } finally {
            row.rssAfterBytes = FaultKit.rssBytes(pid());
            System.out.printf("fault %-44s %s in %d ms%n", fault, row.survived ? "survived" : "NOT survived: " + row.failure,
                (System.nanoTime() - start) / 1_000_000);
        }
    }

    /**
     * The server process is alive and answers /health; nothing grew without bound (RSS, open
     * descriptors, event-bus backlog, mapped and direct buffers, threads); every healthy viewer is still
     * connected and never got a malformed, corrupt or out-of-order frame.
     */
    void assertSurvived() {
        assertTrue(server.process.isAlive(), "server process alive");
        final Http.Result health = Http.get(port, "/health");
        assertTrue(health.status() == 200 || health.status() == 503, "/health answers: " + health.status() + " " + health.body());
        final long rss = FaultKit.rssBytes(pid());
        assertTrue(rss > 0 && rss < RSS_LIMIT_BYTES, "server RSS " + (rss >> 20) + " MB < " + (RSS_LIMIT_BYTES >> 20) + " MB");
        final int descriptors = FaultKit.openDescriptors(pid());
        if (baselineDescriptors < 0) {
            // Checked before the first fault (the group's set-up): that is the baseline.
            baselineDescriptors = descriptors;
        }
        assertTrue(descriptors <= baselineDescriptors + DESCRIPTOR_SLACK,
            "open descriptors " + descriptors + " <= baseline " + baselineDescriptors + " + " + DESCRIPTOR_SLACK);
        final String metrics = metrics();
        final double pending = FaultKit.metric(metrics, "vertx_eventbus_pending");
        assertTrue(pending < 1000, "event-bus pending messages bounded: " + pending);
        // Netty's leak detector in the server (its default sampling): a frame reference lost by a
        // fault path shows here.
        final double leaks = FaultKit.metric(metrics, "sdr_buffer_leaks_total");
        assertEquals(0.0, leaks, "pooled buffers leaked (sdr_buffer_leaks_total)");
        final double mapped = FaultKit.metric(metrics, "jvm_buffer_count_buffers", "id=mapped");
        assertTrue(mapped <= 2, "ring mappings released on re-map: mapped buffers=" + mapped);
        final double direct = FaultKit.metric(metrics, "jvm_buffer_memory_used_bytes", "id=direct");
        assertTrue(direct < 256 << 20, "direct buffers bounded: " + direct);
        final double threads = FaultKit.metric(metrics, "jvm_threads_live_threads");
        assertTrue(threads < 200, "threads bounded: " + threads);
        for (final CheckedViewer viewer : viewers) {
            assertEquals(List.of(), viewer.problems(), viewer.name + ": frames checked by CRC, pattern and sequence");
            assertTrue(!viewer.closed(), viewer.name + " still connected");
        }
    }

    /** Fails the group with every fault that was not survived. */
    void assertAllSurvived() {
        if (!failures.isEmpty()) {
            final AssertionError error = new AssertionError(failures.size() + " fault(s) not survived in group " + name
                + "; first: " + failures.get(0).getMessage(), failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }

    /** Waits until every viewer has a frame of generation {@code gen} with frame_seq >= {@code seq}. */
    Duration awaitViewers(final Duration limit, final long gen, final long seq) {
        return FaultKit.within(limit, "every viewer reached generation " + gen + " frame " + seq + ": " + positions(gen),
            () -> viewers.stream().allMatch(v -> v.lastSeq(gen) >= seq));
    }

    String positions(final long gen) {
        final StringBuilder out = new StringBuilder();
        for (final CheckedViewer v : viewers) {
            out.append(v.name).append('=').append(v.lastSeq(gen)).append(' ');
        }
        return out.toString().trim();
    }

    @Override
    public void close() {
        viewers.forEach(CheckedViewer::close);
        server.close();
    }
}
