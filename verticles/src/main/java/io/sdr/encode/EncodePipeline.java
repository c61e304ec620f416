package io.sdr.encode;

import io.micrometer.core.instrument.Timer;
import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.RingWriter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The encoding loop of one stream, on a thread it owns: source -> {@link Picture} ->
 * {@link VideoEncoder} -> one access unit per ring frame ({@link RingWriter}, v2), keyframe flag
 * set when the access unit holds an IDR with its parameter sets.
 *
 * <p>Faults never stop it: when no candidate opens, or the encoder, the source or the ring fails
 * mid-stream, the failure is logged and counted, the encoder is closed, and everything is
 * reopened after a backoff (doubling from {@code retryInitialMs} to {@code retryMaxMs}, reset by
 * the next frame written). A reopened encoder starts with an IDR, so viewers recover at once. An
 * encoder that opens but fails before its first frame is skipped at the next selection (the next
 * candidate gets its turn) until every candidate has failed that way.
 *
 * <p>The encoder never takes a ring from another live writer (a simulator): when the ring file is
 * being written at start-up, or another writer re-creates it later, the encoder stands by for the
 * rest of its deployment ({@code yieldToOtherWriters}, default true).
 */
public final class EncodePipeline implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EncodePipeline.class.getName());
    private static final long SOURCE_WAIT_NS = 20_000_000L;
    /** How long an existing ring file is watched for another writer before the encoder takes it. */
    private static final long OTHER_WRITER_WINDOW_NS = 300_000_000L;
    private static final long OWNERSHIP_CHECK_NS = 1_000_000_000L;

    private final EncoderConfig config;
    private final EncoderStats stats;
    private final Timer encodeTimer;
    private final Timer captureToRing;
    private final AtomicReference<String> keyframeRequest = new AtomicReference<>();
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private volatile Consumer<VideoEncoder> listener = encoder -> { };
    private volatile boolean running;
    private volatile boolean faultInjected;
    /** frame_id of the last frame written to the ring (the test pattern's frame number); 0 before the first. */
    private volatile long lastFrameId;
    private Thread thread;

    // Confined to the encoding thread.
    private Picture picture;
    private AnnexB annexB;
    private UnsafeBuffer assembly;
    private RingWriter writer;
    private FrameSource source;
    private VideoEncoder encoder;
    private boolean everOpened;
    private Object ringKey;
    private long nextOwnershipCheckNs;
    private boolean standby;
    private long framesSinceOpen;
    /** Candidates that opened but failed before their first frame, with the reason; skipped when reselecting. */
    private final Map<String, String> demoted = new LinkedHashMap<>();
    private boolean forceNext;
    private long retryAtNs;
    private long backoffMs;
    private long failures;
    // Per frame, for the packet sink.
    private long encodeStartNs;
    private boolean forcedThisFrame;
    private int packetsThisFrame;

    /**
     * @param encodeTimer   time from submitting a picture to its packet (the encoder's latency)
     * @param captureToRing time from a picture's capture (raw: its ring commit) to its ring commit
     */
    public EncodePipeline(final EncoderConfig config, final EncoderStats stats, final Timer encodeTimer,
                          final Timer captureToRing) {
        this.config = config;
        this.stats = stats;
        this.encodeTimer = encodeTimer;
        this.captureToRing = captureToRing;
        stats.configured(config.codec(), config.source().equals(EncoderConfig.SOURCE_RING)
            ? "ring " + config.sourcePath() : EncoderConfig.SOURCE_TEST_PATTERN);
    }

    /** Starts the encoding thread. */
    public void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        running = true;
        thread = new Thread(this::run, "sdr-encoder-" + config.stream());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Called on the encoding thread with each encoder opened, and with null when it is closed
     * (for meters that name the encoder in use). Set before {@link #start()}.
     */
    public void onEncoderChange(final Consumer<VideoEncoder> newListener) {
        listener = newListener;
    }

    /** Completes once the first encoder selection is over, whatever its outcome. */
    public CompletableFuture<Void> firstAttempt() {
        return firstAttempt;
    }

    /** The next picture becomes an IDR (any thread; requests before it is encoded coalesce). */
    public void requestKeyframe(final String reason) {
        stats.keyframeRequested();
        keyframeRequest.set(reason == null ? "request" : reason);
    }

    /** frame_id of the last frame written to the ring, 0 before the first (any thread). */
    public long lastFrameId() {
        return lastFrameId;
    }

    /** Makes the next encode fail as a broken encoder would: exercises the recovery path. */
    void injectFault() {
        faultInjected = true;
    }

    private void run() {
        try {
            picture = new Picture(config.width(), config.height());
            annexB = new AnnexB(config.codec().equals("hevc"));
            while (running) {
                try {
                    if (ready() && source.next(picture, SOURCE_WAIT_NS)) {
                        encodeOne();
                    }
                } catch (final RuntimeException e) {
                    fail(e);
                }
            }
        } catch (final Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "encoder thread stopped: stream=" + config.stream(), t);
            stats.error("encoder thread stopped: " + t);
        } finally {
            release();
            stats.state(EncoderStats.State.STOPPED);
            firstAttempt.complete(null);
        }
    }

    /** Opens whatever is missing (ring, source, encoder) unless a retry is pending; true when all is open. */
    private boolean ready() {
        if (retryAtNs != 0) {
            final long wait = retryAtNs - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(Math.min(wait, 50_000_000L));
                return false;
            }
            retryAtNs = 0;
        }
        if (standby) {
            LockSupport.parkNanos(200_000_000L);
            return false;
        }
        if (writer == null) {
            final String other = config.yieldToOtherWriters() ? RingActivity.otherWriter(config.path(), OTHER_WRITER_WINDOW_NS) : null;
            if (other != null) {
                standBy(other);
                return false;
            }
            writer = RingWriter.createV2(config.path(), config.ringSlotCount(), config.ringSlotSize());
            ringKey = RingActivity.fileKey(config.path());
            nextOwnershipCheckNs = System.nanoTime() + OWNERSHIP_CHECK_NS;
        }
        if (source == null) {
            source = config.source().equals(EncoderConfig.SOURCE_RING)
                ? new RawRingSource(config.sourcePath(), config.sourceCrc(), config.rawMaxFrameBytes(), picture, stats)
                : new TestPatternSource(config.width(), config.height(), config.fps());
        }
        if (encoder == null) {
            try {
                if (demoted.size() >= config.candidates().size()) {
                    demoted.clear(); // every candidate failed once: give them all another chance
                }
                final EncoderSelection.Result result = EncoderSelection.open(config, demoted);
                stats.selected(result);
                if (result.encoder() == null) {
                    throw new EncoderException(result.summary());
                }
                encoder = result.encoder();
                framesSinceOpen = 0;
                if (everOpened) {
                    stats.restarted();
                }
                everOpened = true;
                stats.state(EncoderStats.State.RUNNING);
                LOG.log(System.Logger.Level.INFO, "encoder for stream " + config.stream() + ": " + encoder.settings()
                    + ", source: " + source.describe() + " -> " + config.path() + " (v2 ring, " + config.ringSlotCount()
                    + " x " + config.ringSlotSize() + " B)" + fallbacks(result)
                    + (encoder.ignoredOptions().isEmpty() ? "" : "; options not recognised: " + encoder.ignoredOptions()));
                listener.accept(encoder);
            } finally {
                firstAttempt.complete(null);
            }
        }
        return true;
    }

    private static String fallbacks(final EncoderSelection.Result result) {
        final StringBuilder text = new StringBuilder();
        for (final EncoderSelection.Attempt attempt : result.attempts()) {
            if (attempt.outcome() == EncoderSelection.Attempt.Outcome.FAILED) {
                text.append(text.length() == 0 ? "; fell back from " : ", ").append(attempt);
            }
        }
        return text.toString();
    }

    private void encodeOne() {
        final String requested = keyframeRequest.getAndSet(null);
        forcedThisFrame = forceNext || requested != null;
        forceNext = false;
        if (faultInjected) {
            faultInjected = false;
            throw new EncoderException(encoder.name() + ": injected fault");
        }
        packetsThisFrame = 0;
        encodeStartNs = System.nanoTime();
        encoder.encode(picture, forcedThisFrame, this::onPacket);
        final long now = System.nanoTime();
        if (now - nextOwnershipCheckNs >= 0) {
            checkOwnership(now); // after encode: it may close the encoder and the ring
        }
    }

    private void onPacket(final UnsafeBuffer data, final int length, final boolean keyFlag) {
        final long encodedNs = System.nanoTime();
        if (packetsThisFrame++ == 0) {
            encodeTimer.record(encodedNs - encodeStartNs, TimeUnit.NANOSECONDS);
        }
        annexB.parse(data, 0, length);
        annexB.rememberParameterSets(data);
        boolean keyframe = annexB.hasKeyframePicture();
        DirectBuffer out = data;
        int outLength = length;
        if (keyframe && !annexB.hasParameterSets()) {
            if (annexB.hasRememberedParameterSets()) {
                outLength = annexB.parameterSetsLength() + length;
                if (assembly == null || assembly.capacity() < outLength) {
                    assembly = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(outLength, config.ringSlotSize())));
                }
                final int headers = annexB.prependParameterSets(assembly, 0);
                assembly.putBytes(headers, data, 0, length);
                out = assembly;
            } else {
                keyframe = false;
                stats.error(encoder.name() + ": keyframe without parameter sets; not flagged as keyframe");
            }
        }
        if (forcedThisFrame && !keyframe) {
            stats.error(encoder.name() + ": forced keyframe not honoured (no IDR in the access unit)");
        }
        if (outLength > writer.maxPayloadLength()) {
            // Later frames would reference this one: the next picture must be an IDR.
            forceNext = true;
            stats.droppedPacket("access unit larger than a ring slot: length=" + outLength
                + ", maxPayloadLength=" + writer.maxPayloadLength() + " (raise encoder.ringSlotSize)");
            return;
        }
        writer.write(picture.frameId(), keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0, config.ringCodec(), out, 0, outLength);
        final long committedNs = System.nanoTime();
        stats.encoded(outLength, keyframe, forcedThisFrame, committedNs);
        lastFrameId = picture.frameId();
        framesSinceOpen++;
        captureToRing.record(Math.max(0, committedNs - picture.captureNs()), TimeUnit.NANOSECONDS);
        backoffMs = 0;
    }

    /** Once a second: is the ring path still our file? Another writer may have replaced it. */
    private void checkOwnership(final long nowNs) {
        nextOwnershipCheckNs = nowNs + OWNERSHIP_CHECK_NS;
        final RingActivity.Ownership owner = RingActivity.ownership(config.path(), ringKey);
        if (owner == RingActivity.Ownership.MISSING) {
            LOG.log(System.Logger.Level.WARNING, "ring " + config.path() + " was deleted: creating it again");
            writer.close();
            writer = null;
            forceNext = true; // readers of the new file start at a keyframe
        } else if (owner == RingActivity.Ownership.OTHER && config.yieldToOtherWriters()) {
            standBy("ring " + config.path() + " was re-created by another writer");
        }
    }

    /** Another writer owns the ring: stop encoding (and never rename the ring from under it). */
    private void standBy(final String reason) {
        standby = true;
        closeEncoder();
        if (source != null) {
            source.close();
            source = null;
        }
        if (writer != null) {
            writer.close();
            writer = null;
        }
        stats.standby(reason);
        firstAttempt.complete(null);
        LOG.log(System.Logger.Level.INFO, "encoder for stream " + config.stream() + " stands by: " + reason
            + "; that writer feeds the stream (set encoder.enabled=false to silence this, or restart to take the ring)");
    }

    private void fail(final RuntimeException e) {
        failures++;
        final String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (encoder != null && framesSinceOpen == 0) {
            // Opened but never produced a frame: let the next candidate have a go.
            demoted.put(encoder.name(), message);
        }
        stats.error(message);
        stats.state(EncoderStats.State.RETRYING);
        closeEncoder();
        backoffMs = backoffMs == 0 ? config.retryInitialMs() : Math.min(config.retryMaxMs(), backoffMs * 2);
        retryAtNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
        firstAttempt.complete(null); // e.g. the ring could not be created: start-up need not wait
        if (failures <= 20 || failures % 100 == 0) {
            LOG.log(System.Logger.Level.WARNING, "encoder failure (retry in " + backoffMs + " ms): stream=" + config.stream()
                + ", failures=" + failures + ", error=" + message,
                e instanceof EncoderException ? null : e);
        }
    }

    private void closeEncoder() {
        if (encoder != null) {
            encoder.close();
            encoder = null;
            listener.accept(null);
        }
    }

    private void release() {
        closeEncoder();
        if (source != null) {
            source.close();
            source = null;
        }
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    /** Stops the thread and frees the encoder (waits up to 10 s). */
    @Override
    public void close() {
        running = false;
        final Thread t = thread;
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        try {
            t.join(10_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "encoder thread did not stop within 10 s: stream=" + config.stream());
        }
    }
}
