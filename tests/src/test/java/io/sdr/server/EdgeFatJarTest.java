package io.sdr.server;

import io.sdr.testing.Http;
import io.sdr.testing.FatJar;
import io.sdr.testing.ChildProcess;
import io.sdr.nats.NatsServerProcess;
import io.sdr.nats.NatsTestKit;
import io.sdr.server.ServerTestKit.VideoFrame;
import io.sdr.server.ServerTestKit.Viewer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.sdr.server.ServerTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.testing.RepoPaths.repoRoot;

/**
 * One origin and two edges, all the shipped fat jar with the shipped confs ({@code conf/conf.json},
 * {@code conf/edge.json}; only the viewers' lag allowance raised), a real nats-server with the shipped {@code conf/nats.conf}, the Python
 * writer feeding the origin's ring in /dev/shm, and WebSocket viewers on every node. Each fault is
 * a real signal to a real PID.
 */
@Timeout(240)
class EdgeFatJarTest extends ShippedJarTest {
    /** 100 KB at 60 fps (6 MB/s): a stopped edge's backlog outgrows the socket buffers within the 5 s stop. */
    private static final int SIZE = 100_000;
    private static final int FPS = 60;
    private static final int GOP = 30;

    private Path ring;

    @Test
    void edgesServeTheOriginsFramesAndSurviveEdgeOriginAndNatsFailures(final Vertx vertx) throws Exception {
        ring = Path.of("/dev/shm", "sdr-edge-test-" + ProcessHandle.current().pid());
        // Tracked first, so closed last: the ring goes once its writer and readers have.
        final Path shmRing = ring;
        closer.track(() -> Files.deleteIfExists(shmRing));
        final NatsServerProcess nats = closer.track(NatsServerProcess.startOnFreePort());
        closer.track(startPythonWriter("writer", "--layout", "v2", "--path", ring.toString(), "--fps", String.valueOf(FPS),
            "--size", String.valueOf(SIZE), "--slot-size", "262144", "--slot-count", "64", "--gop", String.valueOf(GOP),
            "--frames", "0"));
        final int originPort = freePort();
        ChildProcess origin = startOrigin(nats, originPort);
        final int portA = freePort();
        final int portB = freePort();
        ChildProcess edgeA = startEdge("edge-a", nats, portA);
        final ChildProcess edgeB = startEdge("edge-b", nats, portB);

        // ---- every node's viewers get the origin's frames, byte-exact and in order ----------------
        final Viewer onOrigin = Viewer.connect(vertx, originPort, "origin-viewer");
        final Viewer onA = Viewer.connect(vertx, portA, "edge-a-viewer");
        final Viewer onB = Viewer.connect(vertx, portB, "edge-b-viewer");
        onOrigin.awaitFrames(120);
        onA.awaitFrames(120);
        onB.awaitFrames(120);
        for (final int port : new int[] {originPort, portA, portB}) {
            System.out.println("edge: drops on port " + port + ": " + drops(port));
        }
        for (final Viewer viewer : List.of(onOrigin, onA, onB)) {
            // CRC and the writer's payload pattern per frame: the bytes the writer committed.
            viewer.assertStream(true);
        }
        assertSameFrames(onOrigin, onA);
        assertSameFrames(onOrigin, onB);
        final JsonObject originHealth = Http.get(originPort, "/health").json();
        assertEquals("origin", originHealth.getJsonObject("video").getString("role"), originHealth.encode());
        final JsonObject edgeHealth = Http.get(portA, "/health").json();
        assertEquals("ok", edgeHealth.getString("status"), edgeHealth.encode());
        assertEquals("edge", edgeHealth.getJsonObject("video").getString("role"), edgeHealth.encode());
        assertEquals("nats:sdr.video.main", edgeHealth.getJsonObject("streams").getJsonObject("main").getString("path"));
        eventually("edge-a saw the origin's announcement", () ->
            Http.get(portA, "/health").json().getJsonObject("video").getJsonObject("origin") != null);
        // One subscription per edge for the stream, not one per viewer: two edges, two subscriptions.
        final Viewer secondOnA = Viewer.connect(vertx, portA, "edge-a-second-viewer");
        secondOnA.awaitFrames(10);
        assertEquals(2, subscriptions(nats, "sdr.video.main", "sdr-transport-edge"), "subscriptions on sdr.video.main");

        // ---- kill -9 one edge: the other has no gap ---------------------------------------------
        final int beforeKill = onB.count();
        edgeA.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        onB.awaitFrames(beforeKill + 90);
        onB.assertStream(true);

        // ---- a new edge's first viewer gets a picture at once -----------------------------------
        edgeA = startEdge("edge-a2", nats, portA);
        final ChildProcess restartedA = edgeA;
        eventually("edge-a2 has frames", () -> Http.get(portA, "/health").json().getJsonObject("streams")
            .getJsonObject("main").getLong("frames", 0L) > 0);
        final long connectNs = System.nanoTime();
        final Viewer onA2 = Viewer.connect(vertx, portA, "edge-a2-viewer");
        onA2.awaitFrames(1);
        final long firstPictureMs = (System.nanoTime() - connectNs) / 1_000_000;
        System.out.println("edge: new edge's first viewer got its first frame " + firstPictureMs + " ms after connecting");
        assertTrue(onA2.frames().get(0).keyframe(), "the first frame on a new edge is a keyframe");
        assertTrue(firstPictureMs < 1000, "first picture on a new edge after " + firstPictureMs + " ms");

        // ---- SIGSTOP an edge for 5 s: nats-server cuts it; origin and the other edge unaffected ---
        onA2.awaitFrames(60);
        final long originRssBefore = rssKb(origin);
        final int bBeforeStop = onB.count();
        signal(restartedA, "STOP");
        Thread.sleep(5000);
        final long originRssStopped = rssKb(origin);
        signal(restartedA, "CONT");
        final int aAfterCont = onA2.count();
        onB.awaitFrames(bBeforeStop + 5 * FPS);
        onB.assertStream(true);
        System.out.println("edge: origin VmRSS " + originRssBefore / 1024 + " MB before the stop, "
            + originRssStopped / 1024 + " MB after 5 s of a stopped edge");
        assertTrue(originRssStopped - originRssBefore < 64 * 1024,
            "origin RSS grew from " + originRssBefore + " kB to " + originRssStopped + " kB while an edge was stopped");
        eventually("nats-server cut the stopped edge (slow consumer)", () -> slowConsumers(nats) > 0);
        onA2.awaitFrames(aAfterCont + 2 * FPS);
        // Gaps while stopped, each followed by a keyframe: never a broken picture.
        onA2.assertStream(false);

        // ---- restart the origin, then nats-server: both edges resume within 2 s of frames flowing ----
        origin.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        final double[] receivedBefore = {received(portA), received(portB)};
        final int aBeforeOrigin = onA2.count();
        final int bBeforeOrigin = onB.count();
        origin = startOrigin(nats, originPort);
        final long originResumeA = awaitResumed(onA2, aBeforeOrigin, awaitFlowing(portA, receivedBefore[0]));
        final long originResumeB = awaitResumed(onB, bBeforeOrigin, awaitFlowing(portB, receivedBefore[1]));
        System.out.println("edge: after an origin restart, edge viewers streaming again " + originResumeA + " / "
            + originResumeB + " ms after frames reached the edges");
        assertTrue(Math.max(originResumeA, originResumeB) <= 2000,
            "edges resumed " + originResumeA + " / " + originResumeB + " ms after frames flowed again");

        nats.stop();
        final double[] beforeNats = {received(portA), received(portB)};
        final int aBeforeNats = onA2.count();
        final int bBeforeNats = onB.count();
        Thread.sleep(1000);
        nats.start();
        final long natsBackNs = System.nanoTime();
        final long flowingA = awaitFlowing(portA, beforeNats[0]);
        final long flowingB = awaitFlowing(portB, beforeNats[1]);
        final long natsResumeA = awaitResumed(onA2, aBeforeNats, flowingA);
        final long natsResumeB = awaitResumed(onB, bBeforeNats, flowingB);
        System.out.println("edge: after a nats-server restart, frames reached the edges again after "
            + (flowingA - natsBackNs) / 1_000_000 + " / " + (flowingB - natsBackNs) / 1_000_000
            + " ms, edge viewers streaming again " + natsResumeA + " / " + natsResumeB + " ms after that");
        assertTrue(Math.max(natsResumeA, natsResumeB) <= 2000,
            "edges resumed " + natsResumeA + " / " + natsResumeB + " ms after frames flowed again");

        onA2.awaitFrames(onA2.count() + 30);
        onB.awaitFrames(onB.count() + 30);
        onA2.assertStream(false);
        onB.assertStream(false);
        for (final int port : new int[] {originPort, portA, portB}) {
            assertEquals(0.0, NatsTestKit.metric(port, "sdr_buffer_leaks_total"), "pooled buffers leaked on port " + port);
        }
        assertTrue(edgeB.process.isAlive() && restartedA.process.isAlive() && origin.process.isAlive());
    }

    private ChildProcess startOrigin(final NatsServerProcess nats, final int port) throws IOException {
        final ChildProcess origin = FatJar.start("origin", Map.of("SDR_SHM_PATH", ring.toString(),
            "SDR_LISTEN_ADDR", "127.0.0.1:" + port, "SDR_NATS_URL", nats.url()), "-conf", shipped("conf.json"));
        closer.track(origin);
        Http.awaitServing(origin, port);
        return origin;
    }

    private ChildProcess startEdge(final String name, final NatsServerProcess nats, final int port) throws IOException {
        final ChildProcess edge = FatJar.start(name, Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port, "SDR_NATS_URL", nats.url()),
            "-conf", shipped("edge.json"));
        closer.track(edge);
        Http.awaitServing(edge, port);
        return edge;
    }

    /**
     * The shipped conf with one change: the test's viewers, in this JVM on a busy 2-core machine,
     * may fall 3 s behind without being dropped to a keyframe (websocket.maxLagMs and the byte and
     * frame budgets that bound the same backlog).
     * The gaps this test looks for are the edges', not a slow viewer's.
     */
    private String shipped(final String name) throws IOException {
        final Path copy = dir.resolve(name);
        if (!Files.exists(copy)) {
            final JsonObject conf = new JsonObject(Files.readString(repoRoot().resolve("conf").resolve(name)));
            conf.getJsonObject("websocket").put("maxLagMs", 3000).put("clientBudgetBytes", 32 << 20).put("maxQueuedFrames", 256);
            Files.writeString(copy, conf.encodePrettily());
        }
        return copy.toString();
    }

    /** Every frame both viewers received is the same frame: same frame_id, size, flags and CRC per frame_seq. */
    private static void assertSameFrames(final Viewer origin, final Viewer edge) {
        final Map<Long, VideoFrame> bySeq = new HashMap<>();
        origin.frames().forEach(f -> bySeq.put(f.frameSeq(), f));
        int compared = 0;
        for (final VideoFrame f : edge.frames()) {
            final VideoFrame o = bySeq.get(f.frameSeq());
            if (o != null) {
                assertEquals(o, f, edge.name + " got frame_seq " + f.frameSeq() + " unlike the origin's viewer");
                compared++;
            }
        }
        assertTrue(compared >= 60, edge.name + ": only " + compared + " frames in common with the origin's viewer");
    }

    /** Frames that reached an edge from NATS, whatever became of them (delivered or skipped to a keyframe). */
    private static double received(final int edgePort) {
        final String metrics = Http.get(edgePort, "/metrics").body();
        return NatsTestKit.metric(metrics, "sdr_edge_frames_total", "outcome=frame")
            + NatsTestKit.metric(metrics, "sdr_edge_frames_total", "outcome=skipped_awaiting_keyframe");
    }

    /** When frames reach the edge again (polled every 20 ms), as System.nanoTime(). */
    private static long awaitFlowing(final int edgePort, final double before) {
        final long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (received(edgePort) <= before) {
            if (System.nanoTime() - deadline > 0) {
                fail("no frame reached the edge on port " + edgePort + " within " + PATIENCE);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
        return System.nanoTime();
    }

    /** Milliseconds from {@code sinceNs} until {@code viewer} has more than {@code before} frames again. */
    private static long awaitResumed(final Viewer viewer, final int before, final long sinceNs) {
        viewer.awaitFrames(before + 1);
        return (System.nanoTime() - sinceNs) / 1_000_000;
    }

    /** What a node dropped and why, for the test log: the first thing to read when a gap appears. */
    private static String drops(final int port) {
        final String metrics = Http.get(port, "/metrics").body();
        final StringBuilder out = new StringBuilder();
        for (final String line : metrics.split("\n")) {
            if (line.matches("sdr_(ws_frames_dropped|ring_frames_lost|edge_frames_lost|edge_frames|ring_polls|video_uplink_frames)_total.*")
                && !line.endsWith(" 0.0")) {
                out.append(line).append("; ");
            }
        }
        return out.toString();
    }

    private static long rssKb(final ChildProcess child) throws IOException {
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(child.process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return fail("no VmRSS for " + child.name);
    }

    private static void signal(final ChildProcess child, final String signal) throws Exception {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(child.process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + child.name);
    }

    private static long slowConsumers(final NatsServerProcess nats) {
        final var varz = io.sdr.testing.Http.get(nats.monitorPort(), "/varz");
        return new JsonObject(varz.body()).getLong("slow_consumers", 0L);
    }

    /** Subscriptions on {@code subject} of all connections named {@code name}, from the server's /connz. */
    private static int subscriptions(final NatsServerProcess nats, final String subject, final String name) {
        final JsonObject connz = new JsonObject(Http.get(nats.monitorPort(), "/connz?subs=1").body());
        int count = 0;
        for (final Object c : connz.getJsonArray("connections")) {
            final JsonObject conn = (JsonObject) c;
            if (name.equals(conn.getString("name")) && conn.getJsonArray("subscriptions_list") != null) {
                for (final Object sub : conn.getJsonArray("subscriptions_list")) {
                    count += subject.equals(sub) ? 1 : 0;
                }
            }
        }
        return count;
    }
}
