package io.sdr.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test started (servers, writers, NATS, threads) closed after it, newest first, each one
 * even when an earlier close failed (the first failure is thrown, the others suppressed on it): a
 * test that fails halfway leaves no process or thread behind. Register per test instance:
 *
 * <pre>{@code @RegisterExtension final Closer closer = new Closer();
 * final ChildProcess server = closer.track(FatJar.start(...));}</pre>
 */
public final class Closer implements AfterEachCallback {
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Closed after the test, before what was tracked earlier; returns {@code resource}. */
    public <T extends AutoCloseable> T track(final T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void afterEach(final ExtensionContext context) throws Exception {
        closeAll();
    }

    /** Closes everything tracked so far, newest first (a test may call it to stop early). */
    public void closeAll() throws Exception {
        Exception first = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (final Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        resources.clear();
        if (first != null) {
            throw first;
        }
    }
}
