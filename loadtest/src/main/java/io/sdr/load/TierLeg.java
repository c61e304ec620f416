package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.sdr.load.LoadRun.round;

/**
 * One leg of a quality-tier run ({@link TierRun}): the server started with one ring per tier
 * ({@code main}, {@code main~360p}, ...; {@code websocket.tiers} naming them), a {@link RingFeeder}
 * writing every picture to each ring (same frame_seq, keyframes aligned, sizes by the tier shares),
 * {@code --clients} healthy viewers and {@code --narrow} viewers per rate class, each class reading at
 * its share of the top tier's bitrate with a {@code --narrow-rcvbuf} receive buffer. In the adaptive
 * leg every viewer asks for {@code main} (adaptive by default); in the other ({@code adaptive=false})
 * the same viewers pin the top tier ({@code ?tier=LABEL}): the same server, rings and links, one
 * stream for everyone, as without tiers. Figures per rate class: {@link TierReport}.
 */
final class TierLeg {
    private final LoadCommand o;
    private final boolean adaptive;
    private final String legName;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TierLeg(final LoadCommand options, final boolean adaptive, final String legName) {
        this.o = options;
        this.adaptive = adaptive;
        this.legName = legName;
    }

    /** Stream names by tier: main, then main~LABEL. */
    List<String> streams() {
        final List<String> streams = new ArrayList<>();
        for (int i = 0; i < o.tierLabels.size(); i++) {
            streams.add(i == 0 ? "main" : "main~" + o.tierLabels.get(i));
        }
        return streams;
    }

    /** What the started server runs besides {@link ServerProcess#conf}: the tier rings and their facts. */
    JsonObject overrides(final Path dir) {
        final JsonObject streams = new JsonObject();
        final JsonObject tiers = new JsonObject();
        final List<String> names = streams();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                streams.put(names.get(i), new JsonObject().put("path", dir.resolve("frames-" + o.tierLabels.get(i)).toString()).put("crc", true));
            }
            tiers.put(names.get(i), new JsonObject().put("label", o.tierLabels.get(i))
                .put("bitrateKbps", Math.max(1, Math.round(o.streamBytesPerSecond() * o.tierShares.get(i) * 8 / 1000))));
        }
        return new JsonObject().put("streams", streams).put("websocket", new JsonObject().put("tiers", tiers));
    }

    JsonObject run() throws IOException {
        final JsonObject result = new JsonObject().put("leg", adaptive ? "tiers" : "main_only");
        final Path tempDir = Files.createTempDirectory(Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm")
            : Path.of(System.getProperty("java.io.tmpdir")), "sdr-load-tiers-");
        final List<Path> rings = new ArrayList<>();
        for (int i = 0; i < o.tierLabels.size(); i++) {
            rings.add(i == 0 ? tempDir.resolve("frames") : tempDir.resolve("frames-" + o.tierLabels.get(i)));
        }
        final double[] shares = o.tierShares.stream().mapToDouble(Double::doubleValue).toArray();
        final int narrowCount = o.narrow * o.narrowRates.size();
        RingFeeder feeder = null;
        ServerProcess server = null;
        CommitClock commitClock = null;
        LoadClients clients = null;
        try {
            feeder = new RingFeeder(rings, shares, o.fps, o.frameBytes, o.keyframeBytes, o.gop, o.ringSlots);
            final Path log = Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("sdr-load-server-" + ProcessHandle.current().pid() + legName + ".log");
            final JsonObject conf = ServerProcess.conf(rings.get(0), Math.max(1000, o.clients + narrowCount + 10), overrides(tempDir));
            server = ServerProcess.start(o.serverJar.toAbsolutePath(), o.serverJvmOptions, o.serverArgs, conf, rings.get(0), log);
            result.put("server", new JsonObject().put("conf", conf).put("log", log.toString()));
            if (!server.awaitReady(http, Duration.ofSeconds(60))) {
                return result.put("error", "server did not become ready; log: " + server.log);
            }
            feeder.start();
            final String path = "/stream/ws?stream=main" + (adaptive ? "" : "&tier=" + o.tierLabels.get(0));
            result.put("path", path);
            final int total = o.clients + narrowCount;
            clients = new LoadClients(new InetSocketAddress("127.0.0.1", server.port), path, total, 0, 0, 0,
                Math.max(1024, (long) o.streamBytesPerSecond()), o.eventLoops, o.rcvBuf, 0, o.readChunk,
                (long) (2e9 / Math.max(o.fps, 1)), commitClock = new CommitClock(rings.get(0)));
            // Narrow viewers interleaved with the healthy ones: every event loop (both sides) carries some of each.
            final long topBytesPerSecond = (long) (o.streamBytesPerSecond() * shares[0]);
            for (int k = 0; k < narrowCount; k++) {
                final int id = (int) ((long) k * total / narrowCount);
                final int rateClass = k % o.narrowRates.size();
                clients.narrow(id, rateClass, Math.max(1024, (long) (topBytesPerSecond * o.narrowRates.get(rateClass))), o.narrowRcvBuf);
            }
            for (final ClientStats c : clients.clients) {
                c.trackSeconds(o.durationS);
            }
            final long joinStartNs = System.nanoTime();
            clients.connectAll(o.connectRate);
            final long deadline = joinStartNs + TimeUnit.SECONDS.toNanos(o.connectTimeoutS);
            while (clients.joined.get() + clients.closed.get() < total && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(20_000_000L);
            }
            result.put("join_phase_s", round((System.nanoTime() - joinStartNs) / 1e9, 2));
            for (int s = 0; s < o.warmupS; s++) {
                ServerMetrics.scrape(http, server.port);
                Thread.sleep(1000);
            }

            final ServerMetrics.Scrape before = ServerMetrics.scrape(http, server.port);
            final double cpuBefore = ProcStats.cpuSeconds(server.pid());
            final long framesBefore = feeder.framesWritten();
            final double loadAtStart = ProcStats.loadAverage();
            final long startNs = System.nanoTime();
            clients.startWindow(0);
            Thread.sleep(o.durationS * 1000L);
            final long endNs = System.nanoTime();
            clients.endWindow();
            final double cpuAfter = ProcStats.cpuSeconds(server.pid());
            final ServerMetrics.Scrape after = ServerMetrics.scrape(http, server.port);
            final double windowS = (endNs - startNs) / 1e9;
            final double writerFps = (feeder.framesWritten() - framesBefore) / windowS;

            result.put("window_s", round(windowS, 3)).put("load_average_1m_at_start", loadAtStart);
            result.put("writer", new JsonObject().put("fps", round(writerFps, 2)).put("late_frames_total", feeder.lateFrames()));
            result.put("classes", TierReport.classes(clients.clients, o.durationS, windowS, writerFps, o.tierLabels,
                TierReport.classNames(o.narrowRates)));
            result.put("server_cpu_cores", round((cpuAfter - cpuBefore) / windowS, 3));
            result.put("server_metrics", switches(before, after));
            if (!server.isAlive()) {
                result.put("error", "server exited during the run; log: " + server.log);
            }
            return result;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return result.put("error", "interrupted");
        } finally {
            if (clients != null) {
                clients.close();
            }
            if (feeder != null) {
                feeder.close();
            }
            if (commitClock != null) {
                commitClock.close();
            }
            if (server != null) {
                server.close();
            }
            LoadRun.deleteQuietly(tempDir);
        }
    }

    /** Tier switches in the window per stream and direction, and the frames dropped (lagging, switching). */
    private JsonObject switches(final ServerMetrics.Scrape before, final ServerMetrics.Scrape after) {
        if (!before.ok || !after.ok) {
            return new JsonObject().put("error", "/metrics not readable");
        }
        final JsonArray perTier = new JsonArray();
        for (final String stream : streams()) {
            final String label = "stream=\"" + stream + "\"";
            perTier.add(new JsonObject().put("stream", stream)
                .put("down", ServerMetrics.delta(before, after, "sdr_ws_tier_switches_total", label, "direction=\"down\""))
                .put("up", ServerMetrics.delta(before, after, "sdr_ws_tier_switches_total", label, "direction=\"up\"")));
        }
        return new JsonObject().put("tier_switches", perTier)
            .put("dropped_lagging", ServerMetrics.delta(before, after, "sdr_ws_frames_dropped_total", "reason=\"lagging\""))
            .put("dropped_awaiting_keyframe", ServerMetrics.delta(before, after, "sdr_ws_frames_dropped_total", "reason=\"awaiting_keyframe\""));
    }
}
