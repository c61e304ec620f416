package io.sdr.ring;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Coverage-guided fuzzing of {@link RingReader}: the ring file's bytes come from another process
 * and are untrusted. Each input is a {@link RingFuzzScenario}: a ring built by {@link RingWriter}
 * or from raw bytes, then writes, field and byte mutations, writer restarts, truncation, growth and
 * deletion interleaved with polls, every poll checked by {@link RingReaderInvariants}.
 *
 * <p>{@code mvn test} replays the kept inputs in {@code RingReaderFuzzTestInputs/fuzzRingReader}
 * (seeds and every crash reproducer) as regression tests; {@code mvn verify} also fuzzes for
 * {@code fuzz.seconds} (the {@code fuzz-ring-reader} surefire execution, JAZZER_FUZZ=1).
 */
class RingReaderFuzzTest {
    /** Every execution maps a new file: a broken-writer warning per execution would flood the output. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger(V2LayoutReader.class.getName());
    private static long executions;
    private static long startNs;

    @TempDir
    Path dir;

    @BeforeAll
    static void startClock() {
        QUIET.setLevel(java.util.logging.Level.OFF);
        startNs = System.nanoTime();
    }

    @FuzzTest(maxDuration = "60s")
    void fuzzRingReader(final FuzzedDataProvider data) throws IOException {
        executions++;
        new RingFuzzScenario(dir, data).run();
    }

    @AfterAll
    static void printFigures() {
        System.out.println("fuzz RingReader: executions=" + executions + ", seconds="
            + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs) + ", polls=" + RingReaderInvariants.OUTCOMES);
    }
}
