package io.sdr.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --edges N}, the leg with edges: N edge servers (the same fat jar with
 * {@code video.role=edge}) subscribed through the tool's {@link NatsProcess} to the origin's
 * frames, each with {@code --clients} healthy viewers of its own, measured in the same window as
 * the origin's viewers. What it adds to a leg's result: per edge the viewers' figures
 * ({@link Report}), the edge's CPU and RSS, and from nats-server's {@code /connz} the bytes it sent
 * each edge (the network cost of one edge) and the bytes the origin published, both per frame.
 */
final class EdgeSet implements AutoCloseable {
    /** The connection names the server gives its video link (io.sdr.edge.VideoLinkVerticle). */
    private static final String EDGE_CONNECTION = "sdr-transport-edge";
    private static final String ORIGIN_CONNECTION = "sdr-transport-origin";

    private final List<ServerProcess> edges = new ArrayList<>();
    private final List<LoadClients> viewers = new ArrayList<>();
    private final NatsProcess nats;
    private final HttpClient http;
    private double[] cpuBefore;
    private double natsCpuBefore;
    private JsonObject connzBefore;

    private EdgeSet(final NatsProcess nats, final HttpClient http) {
        this.nats = nats;
        this.http = http;
    }

    /** The conf of an edge: the code defaults with video.role=edge and the tool's nats-server. */
    static JsonObject edgeConf(final String natsUrl, final int maxClients) {
        return new JsonObject()
            .put("streams", new JsonObject().put("main", new JsonObject()))
            .put("video", new JsonObject().put("role", "edge"))
            .put("websocket", new JsonObject().put("maxClients", maxClients))
            .put("encoder", new JsonObject().put("enabled", false))
            .put("nats", new JsonObject().put("enabled", true).put("url", natsUrl));
    }

    /** Starts {@code count} edges and waits until each serves /health; null and the reason in {@code error} otherwise. */
    static EdgeSet start(final LoadCommand o, final int count, final NatsProcess nats, final HttpClient http,
                         final Path ring, final String legName, final StringBuilder error) throws IOException {
        final EdgeSet set = new EdgeSet(nats, http);
        for (int i = 0; i < count; i++) {
            final Path log = Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("sdr-load-edge" + (i + 1) + "-" + ProcessHandle.current().pid() + legName + ".log");
            set.edges.add(ServerProcess.start(o.serverJar.toAbsolutePath(), o.serverJvmOptions, o.serverArgs,
                edgeConf(nats.url(), Math.max(1000, o.clients + 10)), ring, log));
        }
        for (final ServerProcess edge : set.edges) {
            if (!edge.awaitReady(http, Duration.ofSeconds(60))) {
                error.append("edge did not become ready; log: ").append(edge.log);
                set.close();
                return null;
            }
        }
        return set;
    }

    /** Connects {@code --clients} healthy viewers to every edge; call after the origin's are connecting. */
    void connect(final LoadCommand o, final long staleAgeNs, final CommitClock clock) {
        for (final ServerProcess edge : edges) {
            final LoadClients clients = new LoadClients(new InetSocketAddress("127.0.0.1", edge.port), "/stream/ws",
                o.clients, 0, 0, 0, 0, 1, o.rcvBuf, o.rcvBuf, o.readChunk, staleAgeNs, clock);
            viewers.add(clients);
            clients.connectAll(o.connectRate);
        }
    }

    int joined() {
        return viewers.stream().mapToInt(v -> v.joined.get() + v.closed.get()).sum();
    }

    int expected(final LoadCommand o) {
        return edges.size() * o.clients;
    }

    void startWindow() {
        connzBefore = nats.connz(http);
        natsCpuBefore = ProcStats.cpuSeconds(nats.pid());
        cpuBefore = new double[edges.size()];
        for (int i = 0; i < edges.size(); i++) {
            cpuBefore[i] = ProcStats.cpuSeconds(edges.get(i).pid());
        }
        viewers.forEach(v -> v.startWindow(0));
    }

    /** Closes the window and puts the edges' figures together; {@code frames}: frames written in the window. */
    JsonObject endWindow(final double windowS, final double fps, final long frames) {
        viewers.forEach(LoadClients::endWindow);
        final JsonObject connzAfter = nats.connz(http);
        final double natsCpuAfter = ProcStats.cpuSeconds(nats.pid());
        final JsonArray perEdge = new JsonArray();
        for (int i = 0; i < edges.size(); i++) {
            final ServerProcess edge = edges.get(i);
            perEdge.add(new JsonObject().put("port", edge.port)
                .put("cpu_cores", LoadRun.round((ProcStats.cpuSeconds(edge.pid()) - cpuBefore[i]) / windowS, 3))
                .put("rss_mb", LoadRun.round(ProcStats.rssBytes(edge.pid()) / 1048576.0, 1))
                .put("kinds", new Report(viewers.get(i), windowS, fps).kinds())
                .put("alive", edge.isAlive()));
        }
        final JsonObject out = new JsonObject().put("count", edges.size()).put("edges", perEdge);
        final JsonObject natsOut = new JsonObject().put("cpu_cores", LoadRun.round((natsCpuAfter - natsCpuBefore) / windowS, 3));
        if (connzBefore != null && connzAfter != null && frames > 0) {
            final double[] edgeOut = bytes(connzBefore, connzAfter, EDGE_CONNECTION, "out_bytes");
            final double[] originIn = bytes(connzBefore, connzAfter, ORIGIN_CONNECTION, "in_bytes");
            natsOut.put("edge_connections", (int) edgeOut[1])
                .put("bytes_per_frame_per_edge", edgeOut[1] > 0 ? Math.round(edgeOut[0] / edgeOut[1] / frames) : null)
                .put("origin_published_bytes_per_frame", originIn[1] > 0 ? Math.round(originIn[0] / frames) : null);
        } else {
            natsOut.put("error", "nats-server /connz not readable");
        }
        return out.put("nats_server", natsOut);
    }

    /**
     * The difference of {@code field} summed over the connections named {@code name} between two
     * /connz reads, and how many such connections the second read has. A connection is matched by
     * its cid, so one that reconnected in the window counts from zero (its bytes are all in the window).
     */
    private static double[] bytes(final JsonObject before, final JsonObject after, final String name, final String field) {
        double total = 0;
        int count = 0;
        for (final Object a : after.getJsonArray("connections", new JsonArray())) {
            final JsonObject conn = (JsonObject) a;
            if (!name.equals(conn.getString("name"))) {
                continue;
            }
            count++;
            double start = 0;
            for (final Object b : before.getJsonArray("connections", new JsonArray())) {
                final JsonObject old = (JsonObject) b;
                if (old.getLong("cid").equals(conn.getLong("cid"))) {
                    start = old.getDouble(field, 0.0);
                }
            }
            total += conn.getDouble(field, 0.0) - start;
        }
        return new double[] {total, count};
    }

    String deadEdge() {
        for (final ServerProcess edge : edges) {
            if (!edge.isAlive()) {
                return "edge exited during the run; log: " + edge.log;
            }
        }
        return null;
    }

    void quiesce() {
        viewers.forEach(LoadClients::quiesce);
    }

    @Override
    public void close() {
        viewers.forEach(LoadClients::close);
        edges.forEach(ServerProcess::close);
    }
}
