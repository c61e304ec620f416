// The telemetry panel: one card per subject with its latest value (the text when the payload is
// printable UTF-8, else its size in bytes), how many arrived and how long ago the last one did,
// and a live plot of each numeric field of a JSON payload beside its latest value.
// Values are put in with textContent only: a payload can never become markup.
import { Series, drawSparkline, formatNumber, numericFields } from './plot.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Control characters other than tab, line feed and carriage return make a payload "binary". */
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const MAX_TEXT = 240;
const MAX_SUBJECTS = 500;
/** Subjects beyond this many are listed with their values but not plotted (canvases cost memory). */
const MAX_PLOTTED_SUBJECTS = 24;
const PLOT_WINDOW_MS = 30000;

/** What the panel shows for a payload: {text, binary}. */
export function describePayload(payload) {
  if (payload.length === 0) {
    return { text: '(empty)', binary: false };
  }
  try {
    const text = strictUtf8.decode(payload);
    if (!NON_PRINTABLE.test(text)) {
      return { text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text, binary: false };
    }
  } catch (notUtf8) {
    // binary below
  }
  return { text: `${payload.length} bytes (binary)`, binary: true };
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) {
    e.className = className;
  }
  if (text !== undefined) {
    e.textContent = text;
  }
  return e;
}

export class TelemetryPanel {
  /**
   * @param list       the element that holds one card per subject
   * @param emptyNote  shown while no telemetry has arrived
   */
  constructor(list, emptyNote) {
    this.list = list;
    this.emptyNote = emptyNote;
    this.subjects = new Map();
    this.plotted = 0;
    this.dirty = false;
    this.ignored = 0;
  }

  update(subject, payload, nowMs) {
    let entry = this.subjects.get(subject);
    if (!entry) {
      if (this.subjects.size >= MAX_SUBJECTS) {
        this.ignored++;
        return;
      }
      entry = { count: 0, fields: new Map(), plot: this.plotted < MAX_PLOTTED_SUBJECTS, card: null };
      this.subjects.set(subject, entry);
      this.dirty = true;
    }
    const { text, binary } = describePayload(payload);
    entry.text = text;
    entry.binary = binary;
    entry.bytes = payload.length;
    entry.count++;
    entry.at = nowMs;
    if (entry.plot && !binary) {
      for (const [name, value] of numericFields(text)) {
        let series = entry.fields.get(name);
        if (!series) {
          if (entry.fields.size === 0) {
            this.plotted++;
          }
          series = new Series(PLOT_WINDOW_MS);
          entry.fields.set(name, series);
          this.dirty = true;
        }
        series.add(nowMs, value);
      }
    }
  }

  /** Latest values as a plain object {subject: text} (used by tests and the console). */
  snapshot() {
    const out = {};
    for (const [subject, entry] of this.subjects) {
      out[subject] = entry.text;
    }
    return out;
  }

  /** The plotted fields: {subject: {field: {points, total, last, min, max}}} (tests and the console). */
  plots() {
    const out = {};
    for (const [subject, entry] of this.subjects) {
      if (entry.fields.size === 0) {
        continue;
      }
      const fields = {};
      for (const [name, series] of entry.fields) {
        const range = series.range();
        fields[name] = { points: series.length, total: series.total, last: series.last,
          min: range ? range.min : null, max: range ? range.max : null, drawn: series.drawn || 0 };
      }
      out[subject] = fields;
    }
    return out;
  }

  /** Refreshes the text (4 times a second is plenty). */
  render(nowMs) {
    this.emptyNote.hidden = this.subjects.size > 0;
    if (this.dirty) {
      // A new subject or field: rebuild the cards, sorted by subject.
      this.dirty = false;
      const subjects = [...this.subjects.keys()].sort();
      this.list.replaceChildren(...subjects.map((subject) => this.card(subject, this.subjects.get(subject))));
    }
    for (const entry of this.subjects.values()) {
      const card = entry.card;
      card.value.textContent = entry.text;
      card.value.classList.toggle('binary', entry.binary);
      card.count.textContent = String(entry.count);
      card.age.textContent = age(nowMs - entry.at);
      for (const [name, series] of entry.fields) {
        const row = card.fields.get(name);
        if (!row) {
          continue;
        }
        const range = series.range();
        row.latest.textContent = formatNumber(series.last);
        row.range.textContent = range ? `${formatNumber(range.min)} … ${formatNumber(range.max)}` : '';
      }
    }
  }

  /** Redraws the plots (often: they move). */
  draw(nowMs) {
    for (const entry of this.subjects.values()) {
      if (!entry.card) {
        continue;
      }
      for (const [name, series] of entry.fields) {
        const row = entry.card.fields.get(name);
        if (row) { // a field that arrived since the last render has no canvas yet
          series.drawn = drawSparkline(row.canvas, series, nowMs);
        }
      }
    }
  }

  card(subject, entry) {
    const section = element('section', 'subject');
    section.dataset.subject = subject;
    const head = element('div', 'subject-head');
    const count = element('span', 'count');
    const ageText = element('span', 'age');
    head.append(element('span', 'subject-name', subject), element('span', 'meta'));
    head.lastChild.append(count, ' · ', ageText);
    const value = element('div', entry.binary ? 'value binary' : 'value');
    section.append(head, value);
    const fields = new Map();
    if (entry.fields.size > 0) {
      const grid = element('div', 'fields');
      for (const name of entry.fields.keys()) {
        const row = element('div', 'field');
        row.dataset.field = name;
        const latest = element('span', 'latest');
        const canvas = element('canvas', 'plot');
        canvas.width = 240;
        canvas.height = 32;
        canvas.setAttribute('aria-label', `${subject} ${name}, last ${PLOT_WINDOW_MS / 1000} s`);
        const range = element('span', 'range');
        row.append(element('span', 'name', name), latest, canvas, range);
        grid.append(row);
        fields.set(name, { latest, canvas, range });
      }
      section.append(grid);
    }
    entry.card = { value, count, age: ageText, fields };
    return section;
  }

  clear() {
    this.subjects.clear();
    this.plotted = 0;
    this.dirty = true;
  }
}

function age(ms) {
  if (ms < 1000) {
    return 'now';
  }
  return ms < 60000 ? `${Math.floor(ms / 1000)} s` : `${Math.floor(ms / 60000)} min`;
}
