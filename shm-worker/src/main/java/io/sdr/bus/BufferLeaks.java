package io.sdr.bus;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the pooled buffers Netty's leak detector finds garbage-collected without their last
 * release (a frame reference someone forgot): in {@code sdr_buffer_leaks_total}, in the log at
 * ERROR with Netty's record of where the buffer went, and for tests, which fail on any.
 *
 * <p>Must be installed before the first buffer class is loaded (Netty creates its detectors then):
 * first thing in {@code Main}, and in tests by the suite's leak extension. The detector's level is
 * Netty's own setting ({@code -Dio.netty.leakDetection.level}: simple by default, a sample of 1 in
 * 128 buffers; the tests run at paranoid, every buffer tracked).
 */
public final class BufferLeaks {
    private static final LongAdder LEAKS = new LongAdder();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private BufferLeaks() {
    }

    /** Installs the counting detectors; later calls do nothing. */
    public static void install() {
        if (!INSTALLED.compareAndSet(false, true)) {
            return;
        }
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(final Class<T> resource, final int samplingInterval,
                                                                      final long maxActive) {
                return new Counting<>(resource, samplingInterval);
            }
        });
    }

    /** Leaks found so far in this JVM. */
    public static long count() {
        return LEAKS.sum();
    }

    public static boolean installed() {
        return INSTALLED.get();
    }

    private static final class Counting<T> extends ResourceLeakDetector<T> {
        Counting(final Class<T> resource, final int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(final String resourceType, final String records) {
            LEAKS.increment();
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(final String resourceType) {
            LEAKS.increment();
            super.reportUntracedLeak(resourceType);
        }
    }
}
