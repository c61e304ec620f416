package io.sdr.server;

import io.sdr.testing.FatJar;
import io.sdr.testing.ChildProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.sdr.testing.Ports.freePort;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bad setting, from an SDR_* variable or the conf file, stops the shipped jar at start-up with a
 * non-zero exit and a message naming the key, the value and (for variables) the variable.
 */
class FatJarConfigTest extends ShippedJarTest {
    static Stream<Arguments> badSettings() {
        return Stream.of(
            Arguments.of("SDR_IDR_TIMEOUT_MS=abc", Map.of("SDR_IDR_TIMEOUT_MS", "abc"), null,
                List.of("websocket.idrTimeoutMs", "abc", "SDR_IDR_TIMEOUT_MS")),
            Arguments.of("SDR_LISTEN_ADDR=nohost", Map.of("SDR_LISTEN_ADDR", "nohost"), null,
                List.of("websocket.listen", "nohost", "SDR_LISTEN_ADDR")),
            Arguments.of("SDR_CRC_ENABLED=maybe", Map.of("SDR_CRC_ENABLED", "maybe"), null,
                List.of("streams.main.crc", "maybe", "SDR_CRC_ENABLED")),
            Arguments.of("inline poller.idleStrategy=bogus", Map.of(), "{\"poller\":{\"idleStrategy\":\"bogus\"}}",
                List.of("poller.idleStrategy", "bogus", "backoff, sleeping, yielding, busy-spin")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void shouldExitNonZeroNamingKeyValueAndSource(final String name, final Map<String, String> env, final String inlineConf,
                                                  final List<String> expected) throws Exception {
        final Map<String, String> settings = new HashMap<>(env);
        settings.putIfAbsent("SDR_SHM_PATH", dir.resolve("frames").toString());
        settings.putIfAbsent("SDR_LISTEN_ADDR", "127.0.0.1:" + freePort());
        final ChildProcess server = FatJar.start("bad-config", settings, "-conf", inlineConf != null ? inlineConf : "conf/conf.json");
        closer.track(server);
        final int exit = server.awaitExit();
        final String output = server.output();
        assertNotEquals(0, exit, "exit code; output:\n" + server.tail());
        assertTrue(output.contains("invalid configuration"), "says the configuration is invalid:\n" + server.tail());
        for (final String part : expected) {
            assertTrue(output.contains(part), "output names " + part + ":\n" + server.tail());
        }
    }
}
