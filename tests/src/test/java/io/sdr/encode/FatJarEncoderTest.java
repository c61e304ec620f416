package io.sdr.encode;

import io.sdr.testing.ChildProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

import static io.sdr.encode.EncoderTestKit.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static io.sdr.testing.Ports.freePort;
import static io.sdr.testing.Await.eventually;
import static io.sdr.testing.Await.PATIENCE;
import static io.sdr.testing.RepoPaths.repoRoot;

/**
 * The fat jar as a user runs it: its shaded FFmpeg natives load, {@code encoders} reports and exits
 * 0 before the Vert.x launcher sees the arguments, and {@code -conf conf/conf.json} with the
 * {@code SDR_*} overrides serves a live encoded stream.
 */
class FatJarEncoderTest {
    @TempDir
    Path dir;

    private static Path jar() {
        final Path jar = repoRoot().resolve("verticles/target/sdr-transport.jar");
        assumeTrue(Files.isRegularFile(jar), "build the fat jar first (mvn package)");
        return jar;
    }

    private static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Test
    void shouldReportEncodersAndExitZero() throws Exception {
        try (ChildProcess child = ChildProcess.start("encoders", List.of(java(), "-jar", jar().toString(), "encoders",
                 "--width", "320", "--height", "180"), Map.of(), dir)) {
            final int exit = child.awaitExit(PATIENCE);
            final String out = child.output();
            assertEquals(0, exit, out);
            assertTrue(out.contains("H.264/HEVC encoders in the linked FFmpeg"), out);
            assertTrue(out.matches("(?s).*\\n  libx264 +h264 +yes .*"), out);
            assertTrue(out.matches("(?s).*\\n  h264_nvenc +h264 +(yes|no) .*"), out);
            assertTrue(out.contains("default order h264: h264_nvenc -> libx264 -> libopenh264  =>  "), out);
        }
        try (ChildProcess help = ChildProcess.start("encoders-help", List.of(java(), "-jar", jar().toString(), "encoders", "--help"),
                 Map.of(), dir)) {
            assertEquals(0, help.awaitExit(PATIENCE), help.tail());
            assertTrue(help.output().startsWith("Usage: encoders"), help.output());
        }
    }

    @Test
    void shouldServeTheEncodedTestPatternFromTheJarWithTheShippedConf() throws Exception {
        final int port = freePort();
        try (ChildProcess server = ChildProcess.start("encoder-server", List.of(java(), "-jar", jar().toString(), "-conf",
                 repoRoot().resolve("conf/conf.json").toString()),
                 Map.of("SDR_LISTEN_ADDR", "127.0.0.1:" + port, "SDR_SHM_PATH", dir.resolve("frames").toString()), dir)) {
            eventually("encoded frames published", () -> {
                assertTrue(server.process.isAlive(), server.output());
                final JsonObject health = health(port);
                return health.getLong("shm_seq", 0L) > 10 && health.getJsonObject("encoder", new JsonObject()).getLong("frames", 0L) > 10;
            });
            final JsonObject health = health(port);
            // The shipped conf names no NATS server (compose sets SDR_NATS_URL): no bridge, healthy.
            assertEquals("ok", health.getString("status"), health.encodePrettily());
            assertNull(health.getJsonObject("nats"), health.encodePrettily());
            assertTrue(server.output().contains("SDR transport ready: http://127.0.0.1:" + port + "/"), server.output());
            assertTrue(server.output().contains("encoder for stream main: "), server.output());
        }
    }
}
