package io.sdr.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where a test runs (its module) and the checkout it belongs to. */
public final class RepoPaths {
    private RepoPaths() {
    }

    /** The running module's directory: surefire sets {@code basedir}, an IDE runs in it. */
    public static Path moduleDir() {
        return Paths.get(System.getProperty("basedir", "")).toAbsolutePath();
    }

    /** The checkout's root: the nearest directory above the module that holds conf/nats.conf and pom.xml. */
    public static Path repoRoot() {
        final Path start = moduleDir();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("conf").resolve("nats.conf")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("repository root (conf/nats.conf and pom.xml) not found above " + start);
    }

    /** This module's target/process-logs, where every child's output is kept for diagnosis. */
    public static Path processLogs() {
        return moduleDir().resolve("target").resolve("process-logs");
    }
}
