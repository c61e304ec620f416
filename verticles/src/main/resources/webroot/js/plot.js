// Live plots on plain canvases, no chart library: a time-windowed series of numbers, a sparkline
// painter, and the numeric fields of a telemetry payload. Pure apart from drawSparkline (which
// needs a canvas), so page-units.js can check them.

/** Samples [timeMs, value] kept for windowMs, at most maxPoints (oldest dropped first). */
export class Series {
  constructor(windowMs = 30000, maxPoints = 1200) {
    this.windowMs = windowMs;
    this.maxPoints = maxPoints;
    this.times = [];
    this.values = [];
    this.total = 0;
  }

  add(timeMs, value) {
    if (!Number.isFinite(value)) {
      return;
    }
    this.times.push(timeMs);
    this.values.push(value);
    this.total++;
    if (this.times.length > this.maxPoints) {
      this.times.shift();
      this.values.shift();
    }
  }

  /** Forgets samples older than the window before nowMs. */
  prune(nowMs) {
    let drop = 0;
    while (drop < this.times.length && this.times[drop] < nowMs - this.windowMs) {
      drop++;
    }
    if (drop > 0) {
      this.times.splice(0, drop);
      this.values.splice(0, drop);
    }
  }

  get length() {
    return this.values.length;
  }

  get last() {
    return this.values.length ? this.values[this.values.length - 1] : null;
  }

  /** {min, max} of the samples kept, or null when empty. */
  range() {
    if (this.values.length === 0) {
      return null;
    }
    let min = Infinity;
    let max = -Infinity;
    for (const v of this.values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return { min, max };
  }
}

const MAX_FIELDS_PER_SUBJECT = 8;
const MAX_DEPTH = 2;

/**
 * The numbers in a telemetry payload's text, as [[name, value], ...]: a bare number is "value";
 * in a JSON object, numeric leaves (nested objects to depth 2 as "a.b", array items as "a.0"),
 * at most 8, in the order they appear. Booleans, strings and nulls are not plotted. [] for
 * anything else (binary, not JSON, no numbers).
 */
export function numericFields(text) {
  if (typeof text !== 'string' || text.length === 0 || text.length > 4096) {
    return [];
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (notJson) {
    return [];
  }
  if (typeof parsed === 'number') {
    return Number.isFinite(parsed) ? [['value', parsed]] : [];
  }
  const out = [];
  const walk = (value, prefix, depth) => {
    if (out.length >= MAX_FIELDS_PER_SUBJECT || value === null || typeof value !== 'object' || depth > MAX_DEPTH) {
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      if (out.length >= MAX_FIELDS_PER_SUBJECT) {
        return;
      }
      const name = prefix ? `${prefix}.${key}` : key;
      if (typeof v === 'number' && Number.isFinite(v)) {
        out.push([name, v]);
      } else if (v !== null && typeof v === 'object') {
        walk(v, name, depth + 1);
      }
    }
  };
  walk(parsed, '', 0);
  return out;
}

/** A short, stable rendering of a plotted number: 4 significant digits, no exponent below 1e9. */
export function formatNumber(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) {
    return '–';
  }
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e9 || abs < 1e-3)) {
    return v.toExponential(3);
  }
  if (Number.isInteger(v)) {
    return String(v);
  }
  return Number(v.toPrecision(4)).toString();
}

/**
 * Paints series on canvas as a line over the last windowMs before nowMs (or since its first
 * sample, when that is more recent), scaled to its own
 * range (a flat series is drawn at mid height), with a dot on the latest point. Returns the
 * number of points drawn. The canvas backing store follows its CSS size and the device pixel
 * ratio, so the line stays sharp on phones.
 */
export function drawSparkline(canvas, series, nowMs, { color = '#5cc8ff', fill = 'rgba(92, 200, 255, 0.12)' } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth || canvas.width;
  const cssHeight = canvas.clientHeight || canvas.height;
  const width = Math.max(1, Math.round(cssWidth * ratio));
  const height = Math.max(1, Math.round(cssHeight * ratio));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, width, height);
  series.prune(nowMs);
  const range = series.range();
  if (!range) {
    return 0;
  }
  const pad = 2 * ratio;
  const span = range.max - range.min;
  // The time axis spans the window, or only the time since the first sample while that is shorter:
  // a new plot fills its width at once instead of starting as a sliver at the right.
  const start = Math.max(nowMs - series.windowMs, Math.min(series.times[0], nowMs - 1000));
  const x = (t) => ((t - start) / (nowMs - start)) * (width - 2 * pad) + pad;
  const y = (v) => (span === 0 ? height / 2 : height - pad - ((v - range.min) / span) * (height - 2 * pad));
  ctx.beginPath();
  for (let i = 0; i < series.length; i++) {
    const px = x(series.times[i]);
    const py = y(series.values[i]);
    if (i === 0) {
      ctx.moveTo(px, py);
    } else {
      ctx.lineTo(px, py);
    }
  }
  ctx.lineWidth = 1.5 * ratio;
  ctx.strokeStyle = color;
  ctx.stroke();
  if (series.length > 1) {
    ctx.lineTo(x(series.times[series.length - 1]), height);
    ctx.lineTo(x(series.times[0]), height);
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
  }
  const lastX = x(series.times[series.length - 1]);
  const lastY = y(series.last);
  ctx.beginPath();
  ctx.arc(lastX, lastY, 2.5 * ratio, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  return series.length;
}
