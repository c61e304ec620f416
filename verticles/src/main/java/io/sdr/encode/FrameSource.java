package io.sdr.encode;

/** Where the encoder's pictures come from. Used by the encoding thread only. */
public interface FrameSource extends AutoCloseable {
    /**
     * Fills {@code picture} with the next frame (and {@link Picture#stamp stamps} it), waiting at
     * most {@code maxWaitNs}; false when no frame is due or available yet.
     */
    boolean next(Picture picture, long maxWaitNs);

    /** For logs: "test pattern 1280x720@30", "raw ring /dev/shm/...". */
    String describe();

    @Override
    void close();
}
