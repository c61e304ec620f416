package io.sdr.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The server as users run it: {@code java -jar verticles/target/sdr-transport.jar}. */
public final class FatJar {
    private FatJar() {
    }

    /** The fat jar the verticles module builds; fails saying how to build it when it is missing. */
    public static Path path() {
        final Path jar = RepoPaths.repoRoot().resolve("verticles/target/sdr-transport.jar").normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("fat jar not found: " + jar + " -- build it first (mvn -B verify builds it before "
                + "the tests module runs, or mvn -B -q install -DskipTests)");
        }
        return jar;
    }

    /** {@code java -Xmx256m -jar sdr-transport.jar ARGS} in the repository root, with only {@code env} as SDR_* settings. */
    public static ChildProcess start(final String name, final Map<String, String> env, final String... args)
        throws IOException {
        final List<String> command = new ArrayList<>(List.of(ChildProcess.javaExecutable(), "-Xmx256m", "-jar",
            path().toString()));
        command.addAll(List.of(args));
        return ChildProcess.start(name, command, env);
    }
}
