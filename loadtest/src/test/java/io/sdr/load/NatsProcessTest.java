package io.sdr.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NatsProcessTest {

    @Test
    void shouldTakeTheFrameLimitsFromTheShippedConf() throws IOException {
        // The tests run in loadtest/: the repository's conf/nats.conf is one up.
        assertEquals("max_payload: 8MB\nwrite_deadline: \"2s\"\nmax_pending: 64MB\n",
            NatsProcess.frameLimits(Path.of("../conf/nats.conf")));
    }

    @Test
    void shouldNameTheLimitAConfLacks(@TempDir final Path dir) throws IOException {
        final Path conf = Files.writeString(dir.resolve("nats.conf"), "max_payload: 1MB\nmax_pending: 8MB\n");
        final IOException e = assertThrows(IOException.class, () -> NatsProcess.frameLimits(conf));
        assertTrue(e.getMessage().contains("write_deadline"), e.getMessage());
    }
}
