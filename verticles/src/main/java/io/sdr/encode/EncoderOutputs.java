package io.sdr.encode;

import io.sdr.ring.RingWriter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one {@link EncodePipeline} writes: the stream itself first, then its tiers, largest first,
 * each with its encoder, its ring and (a tier) its own picture and scaler; and the rings' life:
 * created together (after watching for another writer), checked together, re-created together, so
 * that every tier numbers its frames like the stream. Confined to the encoding thread.
 *
 * <p>Each picture is scaled (swscale) to every tier's size and encoded by that tier's own encoder
 * into that tier's own ring, so an adaptive viewer can be moved between them at a keyframe:
 * <pre>
 *   picture n --> top encoder ---------> ring main       frame_seq f (the top's next number;
 *       |                                                 taken only when the top writes n)
 *       +-- scale --> 360p encoder --> ring main~360p    frame_seq f, frame_id n  (that f or none:
 *       +-- scale --> 180p encoder --> ring main~180p    frame_seq f, frame_id n   a gap, never a shift)
 * </pre>
 * Three things keep the tiers interchangeable: the same GOP and one forced-keyframe decision per
 * picture for every encoder (so keyframes line up: a request from any tier, a dropped access unit
 * on any tier, a re-created ring all force the next picture to an IDR on all of them); the same
 * frame_seq for the same picture (the fan-out never takes a viewer back in frame_seq when it
 * switches); and every tier encoder sees every picture, even one it may not write, so their GOP
 * counters stay in step.
 */
final class EncoderOutputs {
    private static final System.Logger LOG = System.getLogger(EncoderOutputs.class.getName());
    /** How long an existing ring file is watched for another writer before the encoder takes it. */
    private static final long OTHER_WRITER_WINDOW_NS = 300_000_000L;

    /** One stream the pipeline writes. */
    static final class Output {
        final EncoderConfig config;
        /** Null for the stream itself (its counters are the pipeline's {@link EncoderStats}). */
        final EncoderStats.Tier counters;
        final AnnexB annexB;
        Picture picture;
        PictureScaler scaler;
        RingWriter writer;
        /** The file this output created last; a ring still holding it is ours to re-create without waiting. */
        Object ringKey;
        VideoEncoder encoder;
        int packets;
        private UnsafeBuffer assembly;
        // The access unit assembled from the last packet (assemble).
        DirectBuffer unit;
        int unitLength;
        boolean keyframe;

        Output(final EncoderConfig config, final EncoderStats.Tier counters) {
            this.config = config;
            this.counters = counters;
            this.annexB = new AnnexB(config.codec().equals("hevc"));
        }

        boolean top() {
            return counters == null;
        }

        /**
         * The access unit of one encoder packet ({@link #unit}, {@link #unitLength}, {@link #keyframe}):
         * the packet itself, or, for a keyframe that came without its parameter sets, the packet
         * behind the ones remembered from an earlier keyframe (a viewer joining there must decode
         * it alone). Returns a problem to report, or null.
         */
        String assemble(final UnsafeBuffer data, final int length, final int minCapacity) {
            annexB.parse(data, 0, length);
            annexB.rememberParameterSets(data);
            keyframe = annexB.hasKeyframePicture();
            unit = data;
            unitLength = length;
            if (!keyframe || annexB.hasParameterSets()) {
                return null;
            }
            if (!annexB.hasRememberedParameterSets()) {
                keyframe = false;
                return encoder.name() + " (" + config.stream() + "): keyframe without parameter sets; not flagged as keyframe";
            }
            unitLength = annexB.parameterSetsLength() + length;
            if (assembly == null || assembly.capacity() < unitLength) {
                assembly = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(unitLength, minCapacity)));
            }
            final int headers = annexB.prependParameterSets(assembly, 0);
            assembly.putBytes(headers, data, 0, length);
            unit = assembly;
            return null;
        }

        /**
         * Writes a tier's access unit under the number the top gave the same picture; returns why it
         * could not (nothing written: a gap in this tier's ring), or null.
         */
        String writeTier(final long pictureSeq, final int flags, final int ringCodec, final boolean dropThis) {
            if (packets++ > 0) {
                return "tier " + config.stream() + ": a second access unit for one picture (frame_seq " + pictureSeq + ")";
            }
            if (unitLength > writer.maxPayloadLength() || dropThis) {
                return "tier " + config.stream() + ": access unit larger than a ring slot: length=" + unitLength
                    + ", maxPayloadLength=" + writer.maxPayloadLength() + " (raise encoder.ringSlotSize)";
            }
            writer.writeAt(pictureSeq, picture.frameId(), flags, ringCodec, unit, 0, unitLength);
            counters.encoded(unitLength, keyframe);
            return null;
        }
    }

    /** Why the rings are not all ours any more: one was deleted (re-create them all), or another writer took one. */
    record Loss(boolean deleted, String reason) {
    }

    final List<Output> all = new ArrayList<>();

    EncoderOutputs(final EncoderConfig config, final EncoderStats stats) {
        all.add(new Output(config, null));
        for (final EncoderConfig.Tier tier : config.tiers()) {
            all.add(new Output(config.forTier(tier), stats.tier(config.tierStream(tier))));
        }
    }

    Output top() {
        return all.get(0);
    }

    List<Output> tiers() {
        return all.subList(1, all.size());
    }

    /** Each output's picture (the top's is the source's) and each tier's scaler from it. */
    void pictures(final Picture source) {
        top().picture = source;
        for (final Output tier : tiers()) {
            tier.picture = new Picture(tier.config.width(), tier.config.height());
        }
    }

    void openScalers() {
        for (final Output tier : tiers()) {
            if (tier.scaler == null) {
                tier.scaler = new PictureScaler(top().picture, tier.picture);
            }
        }
    }

    /**
     * Creates every missing ring, unless another writer is found on one (returned; nothing created).
     * Rings still holding the file this pipeline created are its own; any other is watched (all in
     * one window) for a live writer first, when {@code yieldToOtherWriters}.
     */
    String openRings(final EncoderConfig config) {
        final List<Path> watch = new ArrayList<>();
        for (final Output out : all) {
            final Path path = out.config.path();
            if (out.writer == null && (out.ringKey == null || !out.ringKey.equals(RingActivity.fileKey(path)))) {
                watch.add(path);
            }
        }
        final String other = config.yieldToOtherWriters() && !watch.isEmpty()
            ? RingActivity.otherWriter(watch, OTHER_WRITER_WINDOW_NS) : null;
        if (other != null) {
            return other;
        }
        for (final Output out : all) {
            if (out.writer == null) {
                out.writer = RingWriter.createV2(out.config.path(), config.ringSlotCount(), config.ringSlotSize());
                out.ringKey = RingActivity.fileKey(out.config.path());
            }
        }
        return null;
    }

    boolean ringsOpen() {
        return all.stream().allMatch(out -> out.writer != null);
    }

    /** Is each ring path still our file? Null when all are. */
    Loss checkRings(final boolean yieldToOtherWriters) {
        for (final Output out : all) {
            final RingActivity.Ownership owner = RingActivity.ownership(out.config.path(), out.ringKey);
            if (owner == RingActivity.Ownership.MISSING) {
                LOG.log(System.Logger.Level.WARNING, "ring " + out.config.path() + " was deleted: creating it again"
                    + (all.size() > 1 ? " (and the other tiers' rings, so that all number their frames alike from 1)" : ""));
                return new Loss(true, "deleted");
            }
            if (owner == RingActivity.Ownership.OTHER && yieldToOtherWriters) {
                return new Loss(false, "ring " + out.config.path() + " was re-created by another writer");
            }
        }
        return null;
    }

    /**
     * Opens each tier's encoder and returns their description for the log: the encoder the stream
     * itself opened with ({@code name}), at the tier's size; else the first candidate that opens (a
     * GPU may allow fewer sessions than there are tiers).
     */
    String openTierEncoders(final String name, final Map<String, String> demoted) {
        final StringBuilder text = new StringBuilder();
        for (final Output tier : tiers()) {
            tier.encoder = openTier(tier, name, demoted);
            tier.counters.opened(tier.encoder.name(), tier.encoder.settings());
            text.append(text.length() == 0 ? "; tiers: " : ", ").append(tier.config.stream()).append(' ')
                .append(tier.encoder.settings()).append(" -> ").append(tier.config.path());
        }
        return text.toString();
    }

    private static VideoEncoder openTier(final Output tier, final String name, final Map<String, String> demoted) {
        try {
            return VideoEncoder.open(name, tier.config);
        } catch (final EncoderException e) {
            final EncoderSelection.Result result = EncoderSelection.open(tier.config, demoted);
            if (result.encoder() == null) {
                throw new EncoderException("tier " + tier.config.stream() + ": " + result.summary());
            }
            LOG.log(System.Logger.Level.INFO, "tier " + tier.config.stream() + ": " + name + " did not open (" + e.getMessage()
                + "); using " + result.summary());
            return result.encoder();
        }
    }

    /** Closes the tiers' encoders and forgets the top's ({@code shared}, which the pipeline closes). */
    void closeEncoders(final VideoEncoder shared) {
        for (final Output out : all) {
            if (out.encoder != null && out.encoder != shared) {
                out.encoder.close();
            }
            out.encoder = null;
        }
    }

    void closeWriters() {
        for (final Output out : all) {
            if (out.writer != null) {
                out.writer.close();
                out.writer = null;
            }
        }
    }

    void closeScalers() {
        for (final Output out : all) {
            if (out.scaler != null) {
                out.scaler.close();
                out.scaler = null;
            }
        }
    }
}
