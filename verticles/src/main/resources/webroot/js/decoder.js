// H.264 access units -> WebCodecs VideoDecoder -> canvas. Starts (and restarts after any loss or
// error) at a real IDR: WebCodecs rejects a first chunk that is not one. When the decoder falls
// behind, frames are skipped up to the next IDR rather than queued: the picture stays near live.
// "Behind" is measured in time, not queue length: a new viewer gets the server's cached GOP in
// one burst, which a decoder clears in a fraction of a second and must not count as lag.
import { codecStringFromSps, containsIdr, sameBytes, spsOf } from './h264.js';

/** A chunk still undecoded after this long means the decoder cannot keep up: skip to the next IDR. */
const MAX_DECODE_DELAY_MS = 1000;
/**
 * While the decoder holds more than CATCH_UP_BACKLOG newer chunks (catching up after the join
 * burst of the server's cached GOP), a picture is drawn only if none was for MIN_DRAW_INTERVAL_MS:
 * newer ones follow at once, and painting every stale one would only slow the catch-up. One or
 * two chunks in flight is the normal pipeline and never skips a picture.
 */
const CATCH_UP_BACKLOG = 3;
const MIN_DRAW_INTERVAL_MS = 100;
/** Used when an IDR arrives without an SPS (never from this server's encoder): Constrained Baseline 3.1. */
const FALLBACK_CODEC = 'avc1.42e01f';

export class H264Decoder {
  /**
   * @param canvas      where every decoded picture is drawn, resized to the picture
   * @param onDrawn     (frameSeq, width, height) after a picture was drawn
   * @param onFailure   (error, codec) when the decoder fails; NotSupportedError = this browser cannot decode it
   */
  constructor(canvas, { onDrawn, onFailure }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onDrawn = onDrawn;
    this.onFailure = onFailure;
    this.decoder = null;
    this.codec = null;
    /** The SPS the decoder was configured at (a copy): another one at an IDR means a reconfigure. */
    this.sps = null;
    this.reconfigures = 0;
    this.unsupportedCodec = null;
    this.waitingForKeyframe = true;
    this.decoded = 0;
    this.drawn = 0;
    this.undrawn = 0;
    this.lastDrawAt = -Infinity;
    this.skipped = 0;
    this.errors = 0;
    this.width = 0;
    this.height = 0;
    /** frame_seq -> performance.now() when handed to the decoder, in decode order. */
    this.pending = new Map();
  }

  get queueSize() {
    return this.decoder && this.decoder.state !== 'closed' ? this.decoder.decodeQueueSize : 0;
  }

  /** Next chunk must be an IDR (after a reconnect, a gap in frame_seq, a stream change). */
  resync() {
    this.waitingForKeyframe = true;
  }

  /** Feeds one parsed 0x01 message. */
  push(frame) {
    const idr = frame.keyframe && containsIdr(frame.payload);
    if (this.waitingForKeyframe && !idr) {
      this.skipped++;
      return;
    }
    if (!idr && this.oldestPendingAge() > MAX_DECODE_DELAY_MS) {
      this.skipped++;
      this.waitingForKeyframe = true;
      return;
    }
    const codec = idr ? codecStringFromSps(frame.payload) || this.codec || FALLBACK_CODEC : this.codec;
    if (codec === this.unsupportedCodec) {
      this.skipped++; // reported once by onFailure; retrying every IDR would only repeat it
      return;
    }
    try {
      if (idr) {
        this.configureFor(codec, spsOf(frame.payload));
      }
      this.pending.set(frame.frameSeq, performance.now());
      this.decoder.decode(new EncodedVideoChunk({
        type: idr ? 'key' : 'delta',
        // Only identifies the frame in the output callback; no B-frames, so output order = input order.
        timestamp: frame.frameSeq,
        data: frame.payload,
      }));
      this.waitingForKeyframe = false;
    } catch (error) {
      this.fail(error);
    }
  }

  oldestPendingAge() {
    for (const queuedAt of this.pending.values()) {
      return performance.now() - queuedAt;
    }
    return 0;
  }

  /**
   * Configures at an IDR when there is no decoder yet, or the codec string or the SPS changed: a
   * stream with quality tiers moves a viewer to another rendition at a keyframe, with another
   * picture size (and perhaps level) in its SPS. Chunks queued before the reconfigure are still
   * decoded with the old configuration (WebCodecs runs configure and decode in call order).
   */
  configureFor(codec, sps) {
    const configured = this.decoder && this.decoder.state === 'configured';
    if (configured && codec === this.codec && (!sps || sameBytes(sps, this.sps))) {
      return;
    }
    if (!this.decoder || this.decoder.state === 'closed') {
      this.decoder = new VideoDecoder({
        output: (picture) => this.draw(picture),
        error: (error) => this.fail(error),
      });
    } else if (configured) {
      this.reconfigures++;
    }
    // No `description`: Annex B with SPS/PPS in band.
    this.decoder.configure({ codec, optimizeForLatency: true });
    this.codec = codec;
    this.sps = sps ? sps.slice() : null;
  }

  draw(picture) {
    // Output comes in decode order: whatever was queued before this picture will not come any more.
    for (const frameSeq of this.pending.keys()) {
      this.pending.delete(frameSeq);
      if (frameSeq === picture.timestamp) {
        break;
      }
    }
    try {
      this.decoded++;
      const now = performance.now();
      if (this.pending.size > CATCH_UP_BACKLOG && now - this.lastDrawAt < MIN_DRAW_INTERVAL_MS) {
        this.undrawn++;
        return;
      }
      this.lastDrawAt = now;
      const width = picture.displayWidth;
      const height = picture.displayHeight;
      if (this.canvas.width !== width || this.canvas.height !== height) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
      this.ctx.drawImage(picture, 0, 0, width, height);
      this.width = width;
      this.height = height;
      this.drawn++;
      this.onDrawn(picture.timestamp, width, height);
    } finally {
      picture.close();
    }
  }

  fail(error) {
    this.errors++;
    this.waitingForKeyframe = true;
    if (this.decoder && this.decoder.state !== 'closed') {
      try {
        this.decoder.close();
      } catch (ignored) {
        // already closing
      }
    }
    this.decoder = null;
    this.pending.clear();
    if (error && error.name === 'NotSupportedError') {
      this.unsupportedCodec = this.codec;
    }
    this.onFailure(error, this.codec);
  }

  close() {
    if (this.decoder && this.decoder.state !== 'closed') {
      this.decoder.close();
    }
    this.decoder = null;
    this.pending.clear();
    this.waitingForKeyframe = true;
  }
}
