// The telemetry panel: one row per subject with its latest value (the text when the payload is
// printable UTF-8, else its size in bytes), how many arrived and how long ago the last one did.
// Values are put in with textContent only: a payload can never become markup.

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Control characters other than tab, line feed and carriage return make a payload "binary". */
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const MAX_TEXT = 240;
const MAX_SUBJECTS = 500;

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

export class TelemetryPanel {
  constructor(tbody, emptyNote) {
    this.tbody = tbody;
    this.emptyNote = emptyNote;
    this.subjects = new Map();
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
      entry = { count: 0 };
      this.subjects.set(subject, entry);
    }
    const { text, binary } = describePayload(payload);
    entry.text = text;
    entry.binary = binary;
    entry.bytes = payload.length;
    entry.count++;
    entry.at = nowMs;
    this.dirty = true;
  }

  /** Latest values as a plain object {subject: text} (used by tests and the console). */
  snapshot() {
    const out = {};
    for (const [subject, entry] of this.subjects) {
      out[subject] = entry.text;
    }
    return out;
  }

  render(nowMs) {
    this.emptyNote.hidden = this.subjects.size > 0;
    this.tbody.parentElement.hidden = this.subjects.size === 0;
    const subjects = [...this.subjects.keys()].sort();
    // Rebuild only when the set of subjects changed; otherwise refresh the cells in place.
    if (this.tbody.rows.length !== subjects.length || this.dirty) {
      this.dirty = false;
      const rows = subjects.map((subject) => this.row(subject, this.subjects.get(subject), nowMs));
      this.tbody.replaceChildren(...rows);
      return;
    }
    for (const row of this.tbody.rows) {
      const entry = this.subjects.get(row.dataset.subject);
      row.cells[3].textContent = age(nowMs - entry.at);
    }
  }

  row(subject, entry, nowMs) {
    const tr = document.createElement('tr');
    tr.dataset.subject = subject;
    const cells = [subject, entry.text, String(entry.count), age(nowMs - entry.at)];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i === 1) {
        td.className = entry.binary ? 'value binary' : 'value';
      }
      tr.appendChild(td);
    });
    return tr;
  }

  clear() {
    this.subjects.clear();
    this.dirty = true;
  }
}

function age(ms) {
  if (ms < 1000) {
    return 'now';
  }
  return ms < 60000 ? `${Math.floor(ms / 1000)} s` : `${Math.floor(ms / 60000)} min`;
}
