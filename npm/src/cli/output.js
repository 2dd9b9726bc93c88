// Output of the kms-wasm command line: tables, JSON, dates, byte counts,
// the progress bar, and the one-line error report.

/** An ISO 8601 time without milliseconds, `2030-01-02T03:04:05Z`; '-' for none. */
export function isoTime(value) {
  if (value === undefined || value === null || value === '') return '-';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `1.5 MiB`. */
export function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** `1m05s`. */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Replaces control characters (a hostile description must not move the cursor). */
export function clean(value) {
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/**
 * A table with a header row: columns padded to their widest cell, the last
 * column not padded.
 * @param {string[]} headers
 * @param {Array<Array<string | number>>} rows
 */
export function table(headers, rows) {
  const cells = [headers, ...rows.map((r) => r.map((c) => clean(c ?? '-')))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  return `${cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? String(c) : String(c).padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n')}\n`;
}

/**
 * Name / value lines, names padded: for one object (describe-key).
 * @param {Array<[string, string | number | undefined | null]>} pairs
 */
export function fields(pairs) {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null);
  const width = Math.max(...shown.map(([k]) => k.length));
  return `${shown.map(([k, v]) => `${k.padEnd(width)}  ${clean(v)}`).join('\n')}\n`;
}

/** JSON for humans and machines: dates as ISO strings, bytes as base64. */
export function toJson(value, indent = 2) {
  return JSON.stringify(value, (key, v) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    return v;
  }, indent);
}

/** Writes `text` to a Node writable, waiting for it to drain when it must. */
export function writeOut(stream, text) {
  return new Promise((resolve, reject) => {
    const ok = stream.write(text, (e) => {
      if (e) reject(e);
    });
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}

/**
 * The progress bar of encrypt-file / decrypt-file, on stderr: bytes done,
 * the percentage and an ETA when the input's size is known, and the
 * throughput. Redrawn at most every 100 ms, with a carriage return.
 */
export class Progress {
  /**
   * @param {NodeJS.WriteStream} stream stderr
   * @param {{ label: string, total?: number | null, now?: () => number }} options
   */
  constructor(stream, { label, total = null, now = () => performance.now() }) {
    this.stream = stream;
    this.label = label;
    this.total = total;
    this.now = now;
    this.start = now();
    this.done = 0;
    this.lastDraw = -Infinity;
    this.width = 0;
    this.finished = false;
  }

  /** `n` more input bytes were processed. */
  add(n) {
    this.done += n;
    const t = this.now();
    if (t - this.lastDraw >= 100) this.draw(t);
  }

  line(t) {
    const secs = Math.max((t - this.start) / 1000, 1e-3);
    const rate = this.done / secs;
    const parts = [this.label];
    const columns = this.stream.columns || 80;
    if (this.total) {
      const frac = Math.min(this.done / this.total, 1);
      const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
      const barWidth = Math.max(10, Math.min(30, columns - 70));
      const filled = Math.round(frac * barWidth);
      parts.push(pct, `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`,
        `${formatBytes(this.done)} / ${formatBytes(this.total)}`);
    } else {
      parts.push(formatBytes(this.done));
    }
    parts.push(`${formatBytes(rate)}/s`);
    if (this.finished) parts.push(`in ${formatDuration(secs)}`);
    else if (this.total && rate > 0) parts.push(`ETA ${formatDuration((this.total - this.done) / rate)}`);
    return parts.join('  ');
  }

  draw(t) {
    this.lastDraw = t;
    const text = this.line(t);
    const pad = this.width > text.length ? ' '.repeat(this.width - text.length) : '';
    this.width = text.length;
    this.stream.write(`\r${text}${pad}`);
  }

  /** The last redraw and a newline (`ok`: the run succeeded). */
  finish(ok = true) {
    if (this.finished) return;
    this.finished = ok;
    if (ok) this.draw(this.now());
    this.finished = true;
    if (this.width > 0) this.stream.write('\n');
  }
}
