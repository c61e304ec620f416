package io.sdr.fault;

import io.sdr.testing.WireViewer;
import io.sdr.testing.ChildProcess;
import io.nats.client.Connection;
import io.sdr.nats.NatsServerProcess;
import io.sdr.nats.NatsTestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.sdr.testing.Await;
import io.sdr.testing.Ports;

/**
 * Faults of what feeds the server, against one fat-jar process: the ring writer SIGKILLed
 * mid-frame and restarted, the ring file deleted, truncated in place, re-created at another size,
 * scribbled over with garbage, and nats-server killed and restarted. Three viewers are measured
 * throughout.
 *
 * <p>Loss accounting, per viewer: a fault window runs from the last frame the viewer had before
 * the fault (its mark in the old writer generation) to the last frame it has of the new generation
 * once the stream is steady again. Expected = old-generation frames committed after the mark +
 * new-generation frames 1..end; lost = expected - received. Allowed loss is what the fault itself
 * destroys: old-generation frames committed after the file was deleted or truncated (counted from
 * the ring head at that moment), nothing for a writer stopped or killed between frames (its file
 * stays until replaced), and for the new generation the frames before the keyframe a re-mapping
 * reader starts at (less than one GOP).
 */
final class SourceFaults {
    static final int FPS = 30;
    static final int SIZE = 12_000;
    static final int GOP = 30;
    static final int SLOTS = 64;
    static final int SLOT_SIZE = 32_768;
    static final int VIEWERS = 3;
    /** Frames of the new generation every viewer must have before a window closes: about a second of steady video. */
    static final int STEADY_FRAMES = 30;
    static final Duration RECOVERY_LIMIT = Duration.ofSeconds(15);

    private final Vertx vertx;
    private final Path dir;
    private final FaultSummary summary;
    private final Path ring;
    private FaultGroup group;
    private NatsServerProcess nats;
    private ChildProcess writer;
    private long generation;

    SourceFaults(final Vertx vertx, final Path dir, final FaultSummary summary) {
        this.vertx = vertx;
        this.dir = dir;
        this.summary = summary;
        this.ring = dir.resolve("frames");
    }

    void run() throws Exception {
        nats = NatsServerProcess.startOnFreePort();
        try {
            writer = startTearableWriter();
            final int port = Ports.freePort();
            group = FaultGroup.start("source", FaultGroup.conf(ring, port, nats.url()), port, summary);
            final WebSocketClient client = WireViewer.wsClient(vertx, 0);
            for (int i = 0; i < VIEWERS; i++) {
                group.viewers.add(CheckedViewer.connect(client, port, "viewer-" + i));
            }
            group.awaitViewers(Await.PATIENCE, generation, 2 * GOP);
            group.assertSurvived();

            group.fault("writer SIGKILL mid-frame + restart", this::killMidFrame);
            group.fault("ring file deleted", this::deleteRing);
            group.fault("ring file truncated in place", this::truncateRing);
            group.fault("ring re-created at another size", this::recreateOtherSize);
            group.fault("garbage writer over the ring", this::garbage);
            group.fault("nats-server SIGKILL + restart", this::natsRestart);
            group.assertAllSurvived();
        } finally {
            if (group != null) {
                group.close();
            }
            if (writer != null) {
                writer.close();
            }
            nats.close();
        }
    }


    // ---- writers --------------------------------------------------------------------------------

    private ChildProcess startTearableWriter() throws Exception {
        generation++;
        final ChildProcess child = FaultKit.start("tear-writer-g" + generation, FaultKit.javaCommand(FaultWriterProcess.class,
            "tear", "--path", ring.toString(), "--slot-count", Integer.toString(SLOTS), "--slot-size", Integer.toString(SLOT_SIZE),
            "--fps", Integer.toString(FPS), "--size", Integer.toString(SIZE), "--gop", Integer.toString(GOP),
            "--generation", Long.toString(generation)));
        child.awaitLine("ready ", Await.PATIENCE);
        return child;
    }

    /** A new generation from RingWriterProcess (a new file, atomically renamed over the path: a new inode). */
    private ChildProcess startWriter(final int slots, final int slotSize) throws Exception {
        generation++;
        final ChildProcess child = FaultKit.start("writer-g" + generation, FaultKit.ringWriterCommand(
            "--layout", "v2", "--path", ring.toString(), "--slot-count", Integer.toString(slots),
            "--slot-size", Integer.toString(slotSize), "--fps", Integer.toString(FPS), "--size", Integer.toString(SIZE),
            "--gop", Integer.toString(GOP), "--frames", "0", "--frame-id-base", Long.toString(generation * FaultKit.GENERATION)));
        child.awaitLine("ready ", Await.PATIENCE);
        return child;
    }

    /** Stops the writer between frames; returns the frames it wrote ("done frames=N"), i.e. its last frame_seq. */
    private long stopWriter() {
        writer.finish();
        final String done = writer.awaitLine("done frames=", Duration.ofSeconds(10));
        return Long.parseLong(done.substring("done frames=".length()).trim());
    }

    // ---- accounting -----------------------------------------------------------------------------

    private Map<CheckedViewer, Long> marks(final long gen) {
        final Map<CheckedViewer, Long> marks = new HashMap<>();
        group.viewers.forEach(v -> marks.put(v, v.lastSeq(gen)));
        return marks;
    }

    /**
     * Starts the next writer, waits until every viewer streams it, and books the window: old
     * generation {@code oldGen} from each viewer's mark to {@code oldLast}, new generation from 1.
     */
    private void restartAndAccount(final FaultSummary.Row row, final long oldGen, final Map<CheckedViewer, Long> marks,
                                   final long oldLast, final long oldAllowed, final int slots, final int slotSize) throws Exception {
        writer = startWriter(slots, slotSize);
        final long restartNs = System.nanoTime();
        final long gen = generation;
        group.awaitViewers(RECOVERY_LIMIT, gen, 1);
        long firstNs = 0;
        for (final CheckedViewer v : group.viewers) {
            firstNs = Math.max(firstNs, v.firstArrivalNs(gen));
        }
        // From the restarted writer's "ready" line; its first frame may beat the line to the test.
        row.recoveryMs = Math.max(0, (firstNs - restartNs) / 1_000_000);
        final long steady = group.viewers.stream().mapToLong(v -> v.lastSeq(gen)).max().orElse(0) + STEADY_FRAMES;
        group.awaitViewers(RECOVERY_LIMIT, gen, steady);
        long expected = 0;
        long lost = 0;
        long allowed = 0;
        final StringBuilder detail = new StringBuilder();
        for (final CheckedViewer v : group.viewers) {
            final long mark = marks.get(v);
            final long end = v.lastSeq(gen);
            final long oldExpected = Math.max(0, oldLast - mark);
            final long oldLost = oldExpected - v.received(oldGen, mark + 1, oldLast);
            final long newLost = end - v.received(gen, 1, end);
            final long viewerAllowed = oldAllowed + (GOP - 1);
            detail.append(v.name).append(": old lost ").append(oldLost).append('/').append(oldExpected)
                .append(", new lost ").append(newLost).append('/').append(end).append("; ");
            assertTrue(oldLost <= oldAllowed, v.name + " lost " + oldLost + " frames of generation " + oldGen
                + " (allowed " + oldAllowed + "): " + detail);
            assertTrue(newLost <= GOP - 1, v.name + " lost " + newLost + " frames of generation " + gen
                + " before its first keyframe (allowed " + (GOP - 1) + "): " + detail);
            expected += oldExpected + end;
            lost += oldLost + newLost;
            allowed += viewerAllowed;
        }
        row.frames(expected, lost, allowed);
        System.out.println(row.fault + ": " + detail);
    }

    private static long delta(final String before, final String after, final String name, final String... labels) {
        return Math.round(FaultKit.metric(after, name, labels) - FaultKit.metric(before, name, labels));
    }

    private static long polls(final String before, final String after, final String outcome) {
        return delta(before, after, "sdr_ring_polls_total", "outcome=" + outcome);
    }

    // ---- the faults -----------------------------------------------------------------------------

    private void killMidFrame(final FaultSummary.Row row) throws Exception {
        final String before = group.metrics();
        final long oldGen = generation;
        final Map<CheckedViewer, Long> marks = marks(oldGen);
        writer.send("tear");
        final String line = writer.awaitLine("mid-frame seq=", Duration.ofSeconds(10));
        writer.kill();
        final long torn = Long.parseLong(line.substring("mid-frame seq=".length()).trim());
        final long oldLast = FaultKit.ringHead(ring);
        assertEquals(torn - 1, oldLast, "the ring head stays at the last committed frame");
        // The half-written frame must never reach a viewer (the viewers check CRC and pattern) and
        // everything committed before it must: wait until the server polled up to the head.
        FaultKit.within(Duration.ofSeconds(5), "server published up to the head " + oldLast,
            () -> group.health().getLong("shm_seq", 0L) >= oldLast);
        FaultKit.sleep(300);
        restartAndAccount(row, oldGen, marks, oldLast, 0, SLOTS, SLOT_SIZE);
        final String after = group.metrics();
        final long resync = polls(before, after, "resync");
        final long remaps = delta(before, after, "sdr_ring_remaps_total");
        row.metric = "ring_polls{resync} +" + resync + ", ring_remaps +" + remaps;
        assertTrue(resync >= 1 && remaps >= 1, "restart visible in /metrics: " + row.metric);
    }

    private void deleteRing(final FaultSummary.Row row) throws Exception {
        final String before = group.metrics();
        final long oldGen = generation;
        final Map<CheckedViewer, Long> marks = marks(oldGen);
        final long headAtDelete = FaultKit.ringHead(ring);
        Files.delete(ring);
        // The writer keeps writing into the unlinked file: those frames are gone for everyone.
        FaultKit.sleep(1000);
        final String during = group.metrics();
        final long oldLast = stopWriter();
        restartAndAccount(row, oldGen, marks, oldLast, oldLast - headAtDelete, SLOTS, SLOT_SIZE);
        final long resync = polls(before, during, "resync");
        final long notReady = polls(before, during, "not_ready");
        row.metric = "ring_polls{resync} +" + resync + ", {not_ready} +" + notReady;
        assertTrue(resync >= 1 && notReady >= 1, "deletion visible in /metrics: " + row.metric);
    }

    private void truncateRing(final FaultSummary.Row row) throws Exception {
        final String before = group.metrics();
        final long oldGen = generation;
        final Map<CheckedViewer, Long> marks = marks(oldGen);
        final long headAtTruncate = FaultKit.ringHead(ring);
        try (RandomAccessFile file = new RandomAccessFile(ring.toFile(), "rw")) {
            // Half the slots gone under both mappings: the next access past the end is a SIGBUS.
            file.setLength(file.length() / 2);
        }
        FaultKit.sleep(1000);
        final String during = group.metrics();
        writer.kill(); // it may have died of its own SIGBUS already
        final long oldLast = Math.max(headAtTruncate, FaultKit.ringHead(ring));
        restartAndAccount(row, oldGen, marks, oldLast, oldLast - headAtTruncate, SLOTS, SLOT_SIZE);
        final long fault = polls(before, during, "fault");
        final long badLayout = polls(before, during, "bad_layout") + polls(before, during, "not_ready");
        row.metric = "ring_polls{fault} +" + fault + ", {bad_layout,not_ready} +" + badLayout;
        assertTrue(fault >= 1, "truncation visible in /metrics as a fault poll: " + row.metric);
    }

    private void recreateOtherSize(final FaultSummary.Row row) throws Exception {
        final String before = group.metrics();
        final long oldGen = generation;
        final Map<CheckedViewer, Long> marks = marks(oldGen);
        final long oldLast = stopWriter();
        FaultKit.within(Duration.ofSeconds(5), "server published up to the last frame " + oldLast,
            () -> group.health().getLong("shm_seq", 0L) >= oldLast);
        // Fewer, larger slots: another file size and geometry at the same path.
        restartAndAccount(row, oldGen, marks, oldLast, 0, SLOTS / 4, SLOT_SIZE * 2);
        final String after = group.metrics();
        final long remaps = delta(before, after, "sdr_ring_remaps_total");
        row.metric = "ring_remaps +" + remaps + ", ring_polls{resync} +" + polls(before, after, "resync");
        assertTrue(remaps >= 1, "re-creation visible in /metrics: " + row.metric);
        assertEquals("v2", group.health().getJsonObject("streams").getJsonObject("main").getString("layout"));
    }

    private void garbage(final FaultSummary.Row row) throws Exception {
        final String before = group.metrics();
        final long oldGen = generation;
        final Map<CheckedViewer, Long> marks = marks(oldGen);
        final long oldLast = stopWriter();
        FaultKit.within(Duration.ofSeconds(5), "server published up to the last frame " + oldLast,
            () -> group.health().getLong("shm_seq", 0L) >= oldLast);
        try (ChildProcess garbage = FaultKit.start("garbage-writer", FaultKit.javaCommand(FaultWriterProcess.class,
            "garbage", "--path", ring.toString(), "--duration-ms", "2500", "--seed", Long.toString(System.nanoTime())))) {
            garbage.awaitLine("garbage writes=", Duration.ofSeconds(30));
        }
        final String during = group.metrics();
        restartAndAccount(row, oldGen, marks, oldLast, 0, SLOTS, SLOT_SIZE);
        long damage = 0;
        final StringBuilder shown = new StringBuilder();
        for (final String outcome : List.of("crc_error", "bad_layout", "bad_length", "resync", "lapped", "torn")) {
            final long n = polls(before, during, outcome);
            damage += n;
            if (n > 0) {
                shown.append(shown.length() == 0 ? "ring_polls{" : ",").append(outcome);
            }
        }
        row.metric = shown + "} +" + damage;
        assertTrue(damage >= 1, "garbage visible in /metrics: " + row.metric);
    }

    private void natsRestart(final FaultSummary.Row row) throws Exception {
        final String before = group.metrics();
        final long gen = generation;
        final Connection publisher = NatsTestKit.connect(nats.url());
        final Thread ticks = new Thread(() -> {
            for (long n = 1; !Thread.currentThread().isInterrupted(); n++) {
                try {
                    publisher.publish("telemetry.fault.tick", ("tick " + n).getBytes(StandardCharsets.UTF_8));
                } catch (final IllegalStateException closed) {
                    return;
                }
                FaultKit.sleep(50);
            }
        }, "telemetry-ticks");
        ticks.setDaemon(true);
        ticks.start();
        try {
            FaultKit.within(Duration.ofSeconds(10), "telemetry reaches every viewer",
                () -> group.viewers.stream().allMatch(v -> v.telemetryCount() >= 3));
            final Map<CheckedViewer, Long> marks = marks(gen);
            nats.kill();
            FaultKit.within(Duration.ofSeconds(10), "the server notices NATS is gone (sdr_nats_connected 0)",
                () -> FaultKit.metric(group.metrics(), "sdr_nats_connected") == 0);
            FaultKit.sleep(1000);
            nats.start();
            final long restartNs = System.nanoTime();
            FaultKit.within(Duration.ofSeconds(20), "telemetry flows to every viewer again after the restart",
                () -> group.viewers.stream().allMatch(v -> v.lastTelemetryNs() > restartNs));
            row.recoveryMs = (group.viewers.stream().mapToLong(CheckedViewer::lastTelemetryNs).max().orElse(0) - restartNs) / 1_000_000;
            final long steady = group.viewers.stream().mapToLong(v -> v.lastSeq(gen)).max().orElse(0) + STEADY_FRAMES / 2;
            group.awaitViewers(RECOVERY_LIMIT, gen, steady);
            long expected = 0;
            long lost = 0;
            for (final CheckedViewer v : group.viewers) {
                final long end = v.lastSeq(gen);
                final long viewerLost = (end - marks.get(v)) - v.received(gen, marks.get(v) + 1, end);
                assertEquals(0, viewerLost, v.name + ": video frames lost while NATS was down");
                expected += end - marks.get(v);
                lost += viewerLost;
            }
            row.frames(expected, lost, 0);
            final String after = group.metrics();
            final long reconnects = delta(before, after, "sdr_nats_reconnects_total");
            row.metric = "nats_connected 1->0->" + Math.round(FaultKit.metric(after, "sdr_nats_connected"))
                + ", nats_reconnects +" + reconnects;
            assertEquals(1, FaultKit.metric(after, "sdr_nats_connected"), "reconnected: " + row.metric);
        } finally {
            ticks.interrupt();
            NatsTestKit.close(publisher);
        }
    }
}
