package io.sdr.ring;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Payloads with a checkable pattern: byte i of frame s is (s * 31 + i) mod 256, as in the Python
 * package; and the reader options of tests that replace the ring file between polls.
 */
final class RingTestSupport {
    /** A reader that checks the file on every poll (a test's writer restart is seen at once). */
    static final RingReader.Options NO_FILE_CHECK_DELAY = RingReader.Options.DEFAULTS.withFileCheckIntervalNs(0);

    private RingTestSupport() {
    }

    static UnsafeBuffer patternPayload(final long frameSeq, final int size) {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(size, 1)));
        for (int i = 0; i < size; i++) {
            buffer.putByte(i, (byte) (frameSeq * 31 + i));
        }
        return buffer;
    }

    static boolean patternMatches(final UnsafeBuffer buffer, final int offset, final long frameSeq, final int size) {
        for (int i = 0; i < size; i++) {
            if (buffer.getByte(offset + i) != (byte) (frameSeq * 31 + i)) {
                return false;
            }
        }
        return true;
    }

    static UnsafeBuffer destination(final int capacity) {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
    }
}
