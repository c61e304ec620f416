package io.sdr.load;

import io.sdr.ring.RingV2Descriptor;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The v2 {@code commit_ns} of a frame, read back from the tool's own ring: the WebSocket message
 * carries only the frame header, so a client looks its frame_seq up in the slot it was written to.
 * The slot's seqlock must still hold that frame (even {@code seq = 2 * frame_seq} before and after
 * the read); when the writer has lapped it already, the writer's timestamp in the payload (taken
 * just before the write, so earlier by the write's duration) is used instead and counted.
 * Read by every event loop; the mapping is read-only and never changes after the writer made it.
 */
final class CommitClock implements AutoCloseable {
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer ring;
    private final int slotCount;
    private final int slotSize;

    CommitClock(final Path ringPath) throws IOException {
        try (FileChannel channel = FileChannel.open(ringPath, StandardOpenOption.READ)) {
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        ring = new UnsafeBuffer(mapping);
        slotCount = ring.getInt(RingV2Descriptor.SLOT_COUNT_OFFSET);
        slotSize = ring.getInt(RingV2Descriptor.SLOT_SIZE_OFFSET);
    }

    /** The commit time of {@code frameSeq}, or -1 when its slot has been reused since. */
    long commitNs(final long frameSeq) {
        final int slot = RingV2Descriptor.slotOffset(frameSeq, slotCount, slotSize);
        final long before = ring.getLongVolatile(slot + RingV2Descriptor.SLOT_SEQ_OFFSET);
        final long commitNs = ring.getLong(slot + RingV2Descriptor.SLOT_COMMIT_NS_OFFSET);
        VarHandle.loadLoadFence();
        final long after = ring.getLongVolatile(slot + RingV2Descriptor.SLOT_SEQ_OFFSET);
        return before == 2 * frameSeq && after == before ? commitNs : -1;
    }

    @Override
    public void close() {
        IoUtil.unmap(mapping);
    }
}
