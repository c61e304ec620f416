// Figures for the overlay: rates over a sliding window, the offset between this browser's clock
// and the server's, and end-to-end latency from the server's 0x03 stats messages.

/** Sum of values added within the last windowMs, per second. Times are performance.now() ms. */
export class RateMeter {
  constructor(windowMs = 2000) {
    this.windowMs = windowMs;
    this.samples = [];
    this.sum = 0;
    this.startedAt = null;
  }

  add(now, value = 1) {
    if (this.startedAt === null) {
      this.startedAt = now;
    }
    this.samples.push([now, value]);
    this.sum += value;
  }

  perSecond(now) {
    while (this.samples.length && this.samples[0][0] < now - this.windowMs) {
      this.sum -= this.samples.shift()[1];
    }
    if (this.startedAt === null) {
      return 0;
    }
    const span = Math.min(this.windowMs, Math.max(now - this.startedAt, 250));
    return (this.sum * 1000) / span;
  }

  reset() {
    this.samples = [];
    this.sum = 0;
    this.startedAt = null;
  }
}

/**
 * Server clock minus this browser's clock, from ping/pong pairs: the exchange with the smallest
 * round trip among the recent ones bounds the offset to [measured - rtt/2, measured + rtt/2].
 * The value used is the point of that interval closest to zero: clocks are taken as in sync
 * (NTP, or the same host) unless the pings prove otherwise. Taking the midpoint instead turns a
 * pong queued behind a video message into a clock error of tens of milliseconds.
 */
export class ClockOffset {
  constructor(keep = 16) {
    this.keep = keep;
    this.samples = [];
  }

  /** sentEpochMs / receivedEpochMs: this browser's wall clock around the exchange. */
  add(sentEpochMs, receivedEpochMs, serverTimeMs) {
    const rtt = receivedEpochMs - sentEpochMs;
    if (!(rtt >= 0) || !Number.isFinite(serverTimeMs)) {
      return;
    }
    this.samples.push({ rtt, offset: serverTimeMs - (sentEpochMs + receivedEpochMs) / 2 });
    if (this.samples.length > this.keep) {
      this.samples.shift();
    }
  }

  /** {offsetMs, rttMs, measuredOffsetMs}, or null before the first pong (then clocks are taken as equal). */
  best() {
    let best = null;
    for (const s of this.samples) {
      if (best === null || s.rtt < best.rtt) {
        best = s;
      }
    }
    if (best === null) {
      return null;
    }
    const bound = best.rtt / 2;
    const offsetMs = Math.sign(best.offset) * Math.max(0, Math.abs(best.offset) - bound);
    return { offsetMs, rttMs: best.rtt, measuredOffsetMs: best.offset };
  }

  reset() {
    this.samples = [];
  }
}

function median(values) {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Latency from the server's commit (or publish) time of a frame to its arrival here and to its
 * picture being drawn. The server says when each frame was committed (0x03 stats, about once a
 * second, by frame_seq); arrivals and draws are remembered here by frame_seq; whichever comes
 * second completes a sample (local time minus commit time; the server-minus-local clock offset is
 * added when summarising, so the latest estimate applies). Arrival and draw times are this
 * browser's epoch milliseconds, commit times the server's.
 */
export class LatencyTracker {
  constructor(clock, keepMs = 5000, keepSamples = 60) {
    this.clock = clock;
    this.keepMs = keepMs;
    this.keepSamples = keepSamples;
    this.arrivals = new Map();
    this.draws = new Map();
    this.commits = new Map();
    this.arrivalSamples = [];
    this.drawSamples = [];
    this.source = null;
    this.lastSampleAt = 0;
    this.sinceEpochMs = 0;
  }

  static nowEpochMs() {
    return performance.timeOrigin + performance.now();
  }

  arrived(frameSeq, epochMs) {
    this.arrivals.set(frameSeq, epochMs);
    this.join(frameSeq);
  }

  drawn(frameSeq, epochMs) {
    this.draws.set(frameSeq, epochMs);
    this.join(frameSeq);
  }

  /** A 0x03 {"type":"stats"} body: frames = [[frame_seq, time_ms], ...] in server wall-clock time. */
  onStats(body) {
    this.source = body.clock || null;
    for (const entry of body.frames || []) {
      if (Array.isArray(entry) && entry.length === 2 && Number.isFinite(entry[1])) {
        this.commits.set(entry[0], entry[1]);
        this.join(entry[0]);
      }
    }
    this.prune(LatencyTracker.nowEpochMs());
  }

  join(frameSeq) {
    const commit = this.commits.get(frameSeq);
    if (commit === undefined) {
      return;
    }
    const best = this.clock.best();
    if (commit - (best ? best.offsetMs : 0) < this.sinceEpochMs) {
      // Committed before we connected: the server's cached GOP, sent in a burst to let us start at
      // once. Its age says nothing about the live latency.
      this.arrivals.delete(frameSeq);
      this.draws.delete(frameSeq);
      return;
    }
    // Kept without the clock offset, which is applied when summarising: its estimate improves.
    const arrival = this.arrivals.get(frameSeq);
    if (arrival !== undefined || this.draws.has(frameSeq)) {
      this.lastSampleAt = LatencyTracker.nowEpochMs();
    }
    if (arrival !== undefined) {
      this.arrivalSamples.push(arrival - commit);
      this.arrivals.delete(frameSeq);
    }
    const draw = this.draws.get(frameSeq);
    if (draw !== undefined) {
      this.drawSamples.push(draw - commit);
      this.draws.delete(frameSeq);
    }
  }

  /** Forgets what is older than keepMs (commit times are kept until then: a draw may follow the stats). */
  prune(now) {
    const cutoff = now - this.keepMs;
    for (const map of [this.arrivals, this.draws, this.commits]) {
      for (const [key, value] of map) {
        if (value < cutoff) {
          map.delete(key);
        }
      }
    }
    const stale = this.lastSampleAt < cutoff; // no frame for a while: old figures would mislead
    const recent = (samples) => (stale ? [] : samples.slice(-this.keepSamples));
    this.arrivalSamples = recent(this.arrivalSamples);
    this.drawSamples = recent(this.drawSamples);
  }

  /** Medians of the latest samples: {arrivalMs, drawnMs} (null when there is no sample yet). */
  summary() {
    this.prune(LatencyTracker.nowEpochMs());
    const best = this.clock.best();
    const offset = best ? best.offsetMs : 0;
    const withOffset = (value) => (value === null ? null : value + offset);
    return {
      arrivalMs: withOffset(median(this.arrivalSamples)),
      drawnMs: withOffset(median(this.drawSamples)),
      source: this.source,
    };
  }

  /** Starts over for a new connection made at sinceEpochMs (frames committed before it are ignored). */
  reset(sinceEpochMs = 0) {
    this.sinceEpochMs = sinceEpochMs;
    this.arrivals.clear();
    this.draws.clear();
    this.commits.clear();
    this.arrivalSamples = [];
    this.drawSamples = [];
  }
}
