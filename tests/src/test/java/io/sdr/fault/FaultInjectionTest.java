package io.sdr.fault;

import io.sdr.nats.NatsServerProcess;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;


/**
 * The fault-injection suite: real processes on loopback (the fat jar, ring writers, nats-server,
 * raw and Vert.x WebSocket clients), every wait bounded. For each fault the server must stay up
 * and answer /health, healthy viewers must receive again (every frame checked by CRC, pattern and
 * sequence) having lost no more than the fault itself destroyed, RSS, open descriptors, event-bus
 * backlog and buffers must stay bounded, and the fault must show in /metrics. The summary table
 * goes to the log and to target/fault-summary.txt.
 */
@ExtendWith(VertxExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionTest {
    private static final FaultSummary SUMMARY = new FaultSummary();

    @BeforeAll
    static void requirements() throws java.io.IOException {
        FaultKit.serverJar();
        FaultKit.childClassPath();
        NatsServerProcess.binary(); // fails naming the package to install when nats-server is missing
    }

    @AfterAll
    static void printSummary() {
        SUMMARY.publish();
        FaultKit.deleteCopies();
    }

    @Test
    @Order(1)
    @Timeout(150)
    void shouldSurviveRingWriterAndNatsFaultsWithoutLosingUndamagedFrames(final Vertx vertx) throws Exception {
        final Path dir = Files.createTempDirectory(shmRoot(), "sdr-fault-source-");
        try {
            new SourceFaults(vertx, dir, SUMMARY).run();
        } finally {
            FaultKit.deleteRecursively(dir);
        }
    }

    @Test
    @Order(2)
    @Timeout(120)
    void shouldKeepHealthyViewersWholeWhileOtherClientsMisbehave(final Vertx vertx) throws Exception {
        final Path dir = Files.createTempDirectory(shmRoot(), "sdr-fault-clients-");
        try {
            new ClientFaults(vertx, dir, SUMMARY).run();
        } finally {
            FaultKit.deleteRecursively(dir);
        }
    }

    @Test
    @Order(3)
    @Timeout(150)
    void shouldRefuseMalformedConfValuesAtStartWithoutHalfStarting() throws Exception {
        final Path dir = Files.createTempDirectory("sdr-fault-conf-");
        try {
            new ConfFaults(dir, SUMMARY).run();
        } finally {
            FaultKit.deleteRecursively(dir);
        }
    }

    /** /dev/shm when there is one (the ring's real home), else the temp directory. */
    private static Path shmRoot() {
        final Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }
}
