package io.sdr.support;

import io.netty.buffer.ByteBuf;
import io.sdr.bus.BufferLeaks;
import io.sdr.bus.Frame;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fails a test class after which Netty's leak detector (paranoid in the tests: every buffer
 * tracked) found a pooled buffer collected without its last release. Registered for every test
 * class of the module (autodetection, META-INF/services); it installs the counting detector
 * ({@link BufferLeaks}) when JUnit loads it, before any test touches a buffer.
 *
 * <p>Leaks are found when the garbage collector has collected the buffer and a later allocation
 * polls the detector's queue: after each class, a GC and a few allocations make that happen.
 */
public final class LeakFreeExtension implements AfterAllCallback {
    static {
        BufferLeaks.install();
    }

    private static long seen;

    @Override
    public void afterAll(final ExtensionContext context) throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50);
            for (int i = 0; i < 64; i++) {
                final ByteBuf probe = Frame.ALLOCATOR.directBuffer(64);
                probe.release();
            }
        }
        final long now = BufferLeaks.count();
        final long found = now - seen;
        seen = now;
        assertEquals(0, found, "pooled buffers leaked in " + context.getDisplayName()
            + " (Netty's LEAK report in the log says where they were last touched)");
    }
}
