package io.sdr.encode;

import io.micrometer.core.instrument.Timer;
import io.sdr.ring.FrameHeaderDescriptor;
import io.sdr.ring.RingWriter;
import org.agrona.concurrent.UnsafeBuffer;

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
 *
 * <p><b>Quality tiers</b> ({@code encoder.tiers}): each picture is also scaled to every tier's size
 * and encoded by that tier's own encoder into that tier's own ring ({@link EncoderOutputs} holds
 * them and says what keeps them interchangeable): one forced-keyframe decision per picture for
 * every encoder, and a tier writes a picture under the frame_seq the top gave it, or not at all.
 */
public final class EncodePipeline implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EncodePipeline.class.getName());
    private static final long SOURCE_WAIT_NS = 20_000_000L;
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

    /** Test hook: the stream of a tier whose next access unit is dropped as if it did not fit its ring. */
    private volatile String dropNextOf;

    // Confined to the encoding thread.
    private Picture picture;
    /** The stream itself first, then its tiers, largest first. */
    private final EncoderOutputs outputs;
    /** The output whose encoder is running (the packet sink's target). */
    private EncoderOutputs.Output current;
    /** frame_seq the top wrote for the picture being encoded; 0: none, so no tier writes it either. */
    private long pictureSeq;
    private FrameSource source;
    private VideoEncoder encoder;
    private boolean everOpened;
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
        this.outputs = new EncoderOutputs(config, stats);
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

    /** The next access unit of tier {@code stream} is dropped as one too large for its ring would be. */
    void dropNextOf(final String stream) {
        dropNextOf = stream;
    }

    /** Makes the next encode fail as a broken encoder would: exercises the recovery path. */
    void injectFault() {
        faultInjected = true;
    }

    private void run() {
        try {
            picture = new Picture(config.width(), config.height());
            outputs.pictures(picture);
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
        if (!outputs.ringsOpen()) {
            final String other = outputs.openRings(config);
            if (other != null) {
                standBy(other);
                return false;
            }
            nextOwnershipCheckNs = System.nanoTime() + OWNERSHIP_CHECK_NS;
        }
        outputs.openScalers();
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
                outputs.top().encoder = encoder;
                final String tiers = outputs.openTierEncoders(encoder.name(), demoted);
                framesSinceOpen = 0;
                if (everOpened) {
                    stats.restarted();
                }
                everOpened = true;
                stats.state(EncoderStats.State.RUNNING);
                LOG.log(System.Logger.Level.INFO, "encoder for stream " + config.stream() + ": " + encoder.settings()
                    + ", source: " + source.describe() + " -> " + config.path() + " (v2 ring, " + config.ringSlotCount()
                    + " x " + config.ringSlotSize() + " B)" + result.fallbacks()
                    + (encoder.ignoredOptions().isEmpty() ? "" : "; options not recognised: " + encoder.ignoredOptions()) + tiers);
                listener.accept(encoder);
            } finally {
                firstAttempt.complete(null);
            }
        }
        return true;
    }

    private void encodeOne() {
        final String requested = keyframeRequest.getAndSet(null);
        // One decision for every tier: their keyframes line up.
        forcedThisFrame = forceNext || requested != null;
        forceNext = false;
        if (faultInjected) {
            faultInjected = false;
            throw new EncoderException(encoder.name() + ": injected fault");
        }
        packetsThisFrame = 0;
        pictureSeq = 0;
        encodeStartNs = System.nanoTime();
        for (final EncoderOutputs.Output out : outputs.all) {
            current = out;
            out.packets = 0;
            if (out.scaler != null) {
                out.scaler.scale();
            }
            out.encoder.encode(out.picture, forcedThisFrame, this::onPacket);
        }
        current = null;
        final long now = System.nanoTime();
        if (now - nextOwnershipCheckNs >= 0) {
            checkOwnership(now); // after encode: it may close the encoder and the rings
        }
    }

    private void onPacket(final UnsafeBuffer data, final int length, final boolean keyFlag) {
        final EncoderOutputs.Output out = current;
        final long encodedNs = System.nanoTime();
        if (out.top() && packetsThisFrame++ == 0) {
            encodeTimer.record(encodedNs - encodeStartNs, TimeUnit.NANOSECONDS);
        }
        final String problem = out.assemble(data, length, config.ringSlotSize());
        if (problem != null) {
            stats.error(problem);
        }
        final boolean keyframe = out.keyframe;
        if (forcedThisFrame && !keyframe) {
            stats.error(out.encoder.name() + " (" + out.config.stream() + "): forced keyframe not honoured (no IDR in the access unit)");
        }
        final int flags = keyframe ? FrameHeaderDescriptor.FLAG_KEYFRAME : 0;
        if (!out.top()) {
            writeTier(out, flags);
            return;
        }
        final RingWriter writer = out.writer;
        final int unitLength = out.unitLength;
        if (unitLength > writer.maxPayloadLength()) {
            // Later frames would reference this one: the next picture must be an IDR (on every tier).
            forceNext = true;
            stats.droppedPacket("access unit larger than a ring slot: length=" + unitLength
                + ", maxPayloadLength=" + writer.maxPayloadLength() + " (raise encoder.ringSlotSize)");
            return;
        }
        pictureSeq = writer.writeAt(writer.lastFrameSeq() + 1, picture.frameId(), flags, config.ringCodec(), out.unit, 0, unitLength);
        final long committedNs = System.nanoTime();
        stats.encoded(unitLength, keyframe, forcedThisFrame, committedNs);
        lastFrameId = picture.frameId();
        framesSinceOpen++;
        captureToRing.record(Math.max(0, committedNs - picture.captureNs()), TimeUnit.NANOSECONDS);
        backoffMs = 0;
    }

    /**
     * A tier's access unit goes to its ring under the number the top gave the same picture, or
     * nowhere: a picture the top did not write is written by no tier, and one a tier cannot write
     * leaves a gap in that tier's ring (readers count it lost and resync at the next keyframe,
     * which is forced on every tier) rather than shifting its later numbers off the top's.
     */
    private void writeTier(final EncoderOutputs.Output out, final int flags) {
        if (pictureSeq == 0) {
            return;
        }
        final boolean dropThis = out.config.stream().equals(dropNextOf);
        if (dropThis) {
            dropNextOf = null;
        }
        final String problem = out.writeTier(pictureSeq, flags, config.ringCodec(), dropThis);
        if (problem != null) {
            forceNext = true;
            out.counters.droppedOne();
            stats.droppedPacket(problem);
        }
    }

    /** Once a second: is each ring path still our file? Another writer may have replaced it. */
    private void checkOwnership(final long nowNs) {
        nextOwnershipCheckNs = nowNs + OWNERSHIP_CHECK_NS;
        final EncoderOutputs.Loss loss = outputs.checkRings(config.yieldToOtherWriters());
        if (loss != null && loss.deleted()) {
            // Every ring anew (new epochs, frame_seq from 1 on each): the tiers' numbers stay equal.
            outputs.closeWriters();
            forceNext = true; // readers of the new files start at a keyframe
        } else if (loss != null) {
            standBy(loss.reason());
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
        outputs.closeWriters();
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
        outputs.closeEncoders(encoder);
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
        outputs.closeWriters();
        outputs.closeScalers();
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
