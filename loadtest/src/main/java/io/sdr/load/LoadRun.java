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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One run: ring and (optionally) server up, writer started, clients joined, warm-up, the measured
 * window with CPU/RSS sampling and /metrics scraped at both ends, stalled clients resumed, then
 * everything stopped and the figures put together ({@link Report}). In peer mode ({@link PeerRun})
 * one run is one leg, against either the transport server or the Node relay ({@link Target}): the
 * same ring writer, the same clients, the same figures; the relay has no /metrics and no ring
 * poller, and is fed by a {@link RelayPublisher} from the ring the writer commits to.
 */
final class LoadRun {
    /** What a run drives. */
    enum Target {
        /** The transport server (the fat jar), or the one at --url. */
        OURS,
        /** The Node ws relay of loadtest/peer. */
        PEER
    }

    /** The server's ring-polling threads ("sdr-ring-poller-STREAM", cut to 15 characters by Linux). */
    private static final String POLLER_THREAD = "sdr-ring-poller";
    private final LoadCommand o;
    private final Target target;
    /** Appended to the log files' names: one log per leg in peer mode ("-r1-ours"). */
    private final String legName;
    /** {@code --edges}: -1 without; otherwise this leg's edge count (0: the origin alone, video.role=off). */
    private final int legEdges;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** {@code --clips}: this leg takes clips from its warm-up on (the window counts those it finishes) ({@link ClipTaker}). */
    private boolean takeClips;

    LoadRun(final LoadCommand options) {
        this(options, Target.OURS, "", -1);
    }

    LoadRun(final LoadCommand options, final Target target, final String legName, final int legEdges) {
        this.o = options;
        this.target = target;
        this.legName = legName;
        this.legEdges = legEdges;
    }

    LoadRun takingClips() {
        takeClips = true;
        return this;
    }

    JsonObject run() throws IOException {
        final JsonObject result = new JsonObject().put("label", o.label).put("machine", machine());
        result.put("scenario", scenario());
        final Path tempDir = Files.createTempDirectory(Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm")
            : Path.of(System.getProperty("java.io.tmpdir")), "sdr-load-");
        final Path ringPath = o.url == null ? tempDir.resolve("frames") : o.ring;
        ServerProcess server = null;
        PeerRelay relay = null;
        RelayPublisher publisher = null;
        RingFeeder feeder = null;
        LoadClients clients = null;
        CommitClock commitClock = null;
        NatsProcess nats = null;
        EdgeSet edges = null;
        ClipTaker clipTaker = null;
        final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "sdr-load-sampler");
            t.setDaemon(true);
            return t;
        });
        try {
            feeder = new RingFeeder(ringPath, o.fps, o.frameBytes, o.keyframeBytes, o.gop, o.ringSlots);
            final int port;
            final long pid;
            if (target == Target.PEER) {
                final Path log = Path.of(System.getProperty("java.io.tmpdir"))
                    .resolve("sdr-load-relay-" + ProcessHandle.current().pid() + legName + ".log");
                relay = PeerRelay.start(o.peerDir.toAbsolutePath(), o.node, log);
                result.put("server", new JsonObject().put("started", true).put("kind", "node-ws-relay")
                    .put("relay", o.peerDir.resolve("relay.js").toString()).put("pid", relay.pid()));
                if (!relay.awaitReady(Duration.ofSeconds(30))) {
                    return result.put("error", "relay did not become ready; log: " + relay.log);
                }
                port = relay.port;
                pid = relay.pid();
                publisher = RelayPublisher.connect(port, ringPath);
                feeder.onCommit(publisher);
            } else if (o.url == null) {
                // Not under tempDir (deleted at the end): the log is kept for diagnosis.
                final Path log = o.serverLog != null ? o.serverLog : Path.of(System.getProperty("java.io.tmpdir"))
                    .resolve("sdr-load-server-" + ProcessHandle.current().pid() + legName + ".log");
                final JsonObject overrides = serverOverrides();
                if (legEdges >= 0) {
                    // Both legs of an edge run have the nats-server, so the origin alone differs only by its uplink.
                    nats = NatsProcess.start(o.natsServer, o.natsConf, tempDir, Path.of(System.getProperty("java.io.tmpdir"))
                        .resolve("sdr-load-nats-" + ProcessHandle.current().pid() + legName + ".log"));
                    result.put("nats_server", new JsonObject().put("pid", nats.pid()).put("log", nats.log.toString()));
                    if (!nats.awaitReady(Duration.ofSeconds(30))) {
                        return result.put("error", "nats-server did not become ready; log: " + nats.log);
                    }
                    overrides.put("nats", new JsonObject().put("enabled", true).put("url", nats.url()));
                    overrides.put("video", new JsonObject().put("role", legEdges > 0 ? "origin" : "off"));
                }
                final JsonObject conf = ServerProcess.conf(ringPath, Math.max(1000, o.clients + 10), overrides);
                server = ServerProcess.start(o.serverJar.toAbsolutePath(), o.serverJvmOptions, o.serverArgs, conf, ringPath, log);
                result.put("server", new JsonObject().put("started", true).put("conf", conf).put("jvm_options", new JsonArray(o.serverJvmOptions))
                    .put("args", new JsonArray(o.serverArgs)));
                if (!server.awaitReady(http, Duration.ofSeconds(60))) {
                    return result.put("error", "server did not become ready; log: " + server.log);
                }
                port = server.port;
                pid = server.pid();
                if (legEdges > 0) {
                    final StringBuilder problem = new StringBuilder();
                    edges = EdgeSet.start(o, legEdges, nats, http, ringPath, legName, problem);
                    if (edges == null) {
                        return result.put("error", problem.toString());
                    }
                }
            } else {
                port = o.url.getPort();
                pid = o.serverPid;
                result.put("server", new JsonObject().put("started", false).put("url", o.url.toString()));
            }
            if (o.fps > 0) {
                feeder.start();
            }
            clients = new LoadClients(new InetSocketAddress("127.0.0.1", port),
                target == Target.PEER ? PeerRelay.VIEWER_PATH : o.url == null ? "/stream/ws" : pathOf(o.url), o.clients, o.slow, o.stalled, o.joiners,
                o.slowRate > 0 ? o.slowRate : (long) Math.max(1024, o.streamBytesPerSecond() / 2), o.eventLoops,
                o.rcvBuf, o.stalledRcvBuf > 0 ? o.stalledRcvBuf : o.rcvBuf, o.readChunk, (long) (2e9 / Math.max(o.fps, 1)),
                commitClock = new CommitClock(ringPath));
            final long joinStartNs = System.nanoTime();
            clients.connectAll(o.connectRate);
            if (edges != null) {
                edges.connect(o, (long) (2e9 / Math.max(o.fps, 1)), commitClock);
            }
            final int edgeViewers = edges == null ? 0 : edges.expected(o);
            final long deadline = joinStartNs + TimeUnit.SECONDS.toNanos(o.connectTimeoutS);
            while (o.fps > 0 && (clients.joined.get() + clients.closed.get() < o.clients
                || edges != null && edges.joined() < edgeViewers) && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(20_000_000L);
            }
            result.put("join_phase_s", round((System.nanoTime() - joinStartNs) / 1e9, 2));
            // Scraped once a second while warming up: the server's JIT compiles the scrape path now,
            // not inside the window (a first scrape costs the server ~1 s of C2 time).
            final boolean scrapes = target == Target.OURS;
            clipTaker = takeClips ? new ClipTaker(port, "main", o.clipSeconds, o.clipEveryMs) : null;
            for (int s = 0; s < o.warmupS; s++) {
                if (scrapes) {
                    ServerMetrics.scrape(http, port);
                }
                sleepSeconds(1);
            }

            // ---- the window ----
            final double loadAtStart = ProcStats.loadAverage();
            final ServerMetrics.Scrape before = scrapes ? ServerMetrics.scrape(http, port) : null;
            final List<double[]> samples = new ArrayList<>();
            final long[] machineBefore = ProcStats.machineTicks();
            final double toolCpuBefore = ProcStats.cpuSeconds(ProcessHandle.current().pid());
            // The ring poller's own share: its idle strategy decides how often it wakes between frames.
            final double pollerCpuBefore = pid > 0 && target == Target.OURS ? ProcStats.threadCpuSeconds(pid, POLLER_THREAD) : -1;
            final long framesBefore = feeder.framesWritten();
            final long windowStartNs = System.nanoTime();
            final long stallMs = o.stallMs > 0 ? o.stallMs : o.durationS * 1000L;
            clients.startWindow(stallMs);
            clients.startJoiners(o.durationS * 1000L * 3 / 4);
            if (edges != null) {
                edges.startWindow();
            }
            if (clipTaker != null) {
                clipTaker.startWindow();
            }
            sample(samples, pid, windowStartNs);
            sampler.scheduleAtFixedRate(() -> sample(samples, pid, windowStartNs), o.sampleMs, o.sampleMs, TimeUnit.MILLISECONDS);
            sleepSeconds(o.durationS);
            final long windowEndNs = System.nanoTime();
            clients.endWindow();
            if (clipTaker != null) {
                result.put("clips", clipTaker.stop());
            }
            final JsonObject edgeFigures = edges == null ? null
                : edges.endWindow((windowEndNs - windowStartNs) / 1e9, o.fps, feeder.framesWritten() - framesBefore);
            sampler.shutdownNow();
            sampler.awaitTermination(2, TimeUnit.SECONDS);
            sample(samples, pid, windowStartNs);
            final long framesAfter = feeder.framesWritten();
            final double toolCpuAfter = ProcStats.cpuSeconds(ProcessHandle.current().pid());
            final double pollerCpuAfter = pid > 0 && target == Target.OURS ? ProcStats.threadCpuSeconds(pid, POLLER_THREAD) : -1;
            final long[] machineAfter = ProcStats.machineTicks();
            final ServerMetrics.Scrape after = scrapes ? ServerMetrics.scrape(http, port) : null;
            final double windowS = (windowEndNs - windowStartNs) / 1e9;

            if (o.stalled > 0) {
                // The last stalled clients resume at the window's end (or later with --stall-ms): let them read.
                final long leftMs = Math.max(0, stallMs - (windowEndNs - windowStartNs) / 1_000_000);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(leftMs + o.resumeMs));
            }
            clients.quiesce();
            if (edgeFigures != null) {
                result.put("edges", edgeFigures);
            } else if (legEdges == 0) {
                result.put("edges", new JsonObject().put("count", 0));
            }

            result.put("window_s", round(windowS, 3)).put("load_average_1m_at_start", loadAtStart);
            result.put("writer", new JsonObject()
                .put("fps", round((framesAfter - framesBefore) / windowS, 2))
                .put("frames", framesAfter - framesBefore)
                .put("late_frames_total", feeder.lateFrames())
                .put("write_mean_us", round(feeder.meanWriteNs() / 1e3, 1))
                .put("write_max_us", round(feeder.maxWriteNs() / 1e3, 1)));
            if (publisher != null) {
                // The relay's ingest: each frame's send to it, awaited before the next frame.
                result.getJsonObject("writer").put("published_total", publisher.published())
                    .put("publish_mean_us", round(publisher.meanSendNs() / 1e3, 1))
                    .put("publish_max_us", round(publisher.maxSendNs() / 1e3, 1));
            }
            final Report report = new Report(clients, windowS, o.fps);
            result.put("kinds", report.kinds());
            result.put("delivered", report.delivered());
            result.put("healthy_max_latency_ms_by_second", report.maxLatencyBySecond());
            result.put("other_messages", clients.otherMessages.get());
            result.put("frames_timed_by_writer_clock", clients.writerClockFrames.get());
            final double delivered = result.getJsonObject("delivered").getDouble("bytes");
            result.put("server_process", ProcessFigures.serverProcess(samples, pid, windowS, delivered));
            if (pollerCpuBefore >= 0 && pollerCpuAfter >= 0) {
                result.getJsonObject("server_process").put("poller_cpu_cores", round((pollerCpuAfter - pollerCpuBefore) / windowS, 3));
            }
            result.put("server_metrics", scrapes ? serverMetrics(before, after, windowS)
                : new JsonObject().put("none", "the relay has no /metrics"));
            result.put("load_tool", new JsonObject().put("cpu_cores", round((toolCpuAfter - toolCpuBefore) / windowS, 3)));
            result.put("machine_cpu_cores", ProcessFigures.machineCpu(machineBefore, machineAfter, windowS));
            if (server != null && !server.isAlive()) {
                result.put("error", "server exited during the run; log: " + server.log);
            }
            if (edges != null && edges.deadEdge() != null) {
                result.put("error", edges.deadEdge());
            }
            if (nats != null && !nats.isAlive()) {
                result.put("error", "nats-server exited during the run; log: " + nats.log);
            }
            if (relay != null && !relay.isAlive()) {
                result.put("error", "relay exited during the run; log: " + relay.log);
            } else if (publisher != null && publisher.failure() != null) {
                result.put("error", publisher.failure() + "; relay log: " + relay.log);
            }
            return result;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return result.put("error", "interrupted");
        } finally {
            sampler.shutdownNow();
            if (clipTaker != null) {
                clipTaker.cancel();
            }
            if (clients != null) {
                clients.close();
            }
            if (edges != null) {
                edges.close();
            }
            if (feeder != null) {
                feeder.close();
            }
            if (publisher != null) {
                publisher.close();
            }
            if (commitClock != null) {
                commitClock.close();
            }
            if (server != null) {
                server.close();
                result.getJsonObject("server").put("log", server.log.toString());
            }
            if (nats != null) {
                nats.close();
            }
            if (relay != null) {
                relay.close();
                result.getJsonObject("server").put("log", relay.log.toString());
            }
            deleteQuietly(tempDir);
        }
    }

    private JsonObject serverOverrides() throws IOException {
        if (o.serverConf == null) {
            return new JsonObject();
        }
        final String text = o.serverConf.startsWith("@") ? Files.readString(Path.of(o.serverConf.substring(1))) : o.serverConf;
        return new JsonObject(text);
    }

    private static String pathOf(final java.net.URI url) {
        final String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/stream/ws" : url.getRawPath();
        return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    }

    JsonObject scenario() {
        return new JsonObject()
            .put("clients", o.clients).put("healthy", o.clients - o.slow - o.stalled).put("slow", o.slow).put("stalled", o.stalled)
            .put("joiners", o.joiners)
            .put("slow_rate_bytes_per_s", o.slowRate > 0 ? o.slowRate : (long) Math.max(1024, o.streamBytesPerSecond() / 2))
            .put("fps", o.fps).put("frame_bytes", o.frameBytes).put("keyframe_bytes", o.keyframeBytes).put("gop", o.gop)
            .put("stream_mbit_per_s", round(o.streamBytesPerSecond() * 8 / 1e6, 2))
            .put("rcvbuf", o.rcvBuf).put("stalled_rcvbuf", o.stalledRcvBuf)
            .put("duration_s", o.durationS).put("warmup_s", o.warmupS).put("event_loops", o.eventLoops);
    }

    private static synchronized void sample(final List<double[]> samples, final long pid, final long startNs) {
        if (pid <= 0) {
            return;
        }
        samples.add(new double[] {(System.nanoTime() - startNs) / 1e9, ProcStats.cpuSeconds(pid), ProcStats.rssBytes(pid)});
    }

    private static JsonObject serverMetrics(final ServerMetrics.Scrape before, final ServerMetrics.Scrape after,
                                            final double windowS) {
        if (!before.ok || !after.ok) {
            return new JsonObject().put("error", "/metrics not readable");
        }
        final String main = "stream=\"main\"";
        return new JsonObject()
            .put("commit_to_publish", ServerMetrics.histogram(before, after, "sdr_ring_commit_to_publish_seconds", main))
            .put("publish_to_written", ServerMetrics.histogram(before, after, "sdr_ws_publish_to_written_seconds", main))
            .put("commit_to_written", ServerMetrics.histogram(before, after, "sdr_ws_commit_to_written_seconds", main))
            .put("frames_sent", ServerMetrics.delta(before, after, "sdr_ws_frames_sent_total"))
            .put("bytes_sent_gb_per_s", round(ServerMetrics.delta(before, after, "sdr_ws_bytes_sent_bytes_total") / 1e9 / windowS, 3))
            .put("dropped_lagging", ServerMetrics.delta(before, after, "sdr_ws_frames_dropped_total", "reason=\"lagging\""))
            .put("dropped_awaiting_keyframe", ServerMetrics.delta(before, after, "sdr_ws_frames_dropped_total", "reason=\"awaiting_keyframe\""))
            .put("closed_idr_timeout", ServerMetrics.delta(before, after, "sdr_ws_closed_total", "reason=\"idr_timeout\""))
            .put("ring_frames_lost", ServerMetrics.delta(before, after, "sdr_ring_frames_lost_total"))
            .put("uplink_published", ServerMetrics.delta(before, after, "sdr_video_uplink_frames_total", "outcome=\"published\""))
            .put("uplink_queue_full", ServerMetrics.delta(before, after, "sdr_video_uplink_frames_total", "outcome=\"queue_full\""));
    }

    static JsonObject machine() {
        String model = "";
        try {
            model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("");
        } catch (final IOException ignored) {
            // Not Linux: left empty.
        }
        return new JsonObject().put("nproc", Runtime.getRuntime().availableProcessors()).put("cpu", model)
            .put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    }

    private static void sleepSeconds(final int seconds) throws InterruptedException {
        Thread.sleep(seconds * 1000L);
    }

    static double round(final double value, final int digits) {
        final double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }

    static void deleteQuietly(final Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException ignored) {
            // A temp dir left in /dev/shm is harmless and small once the ring file is gone.
        }
    }
}
