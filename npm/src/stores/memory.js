// memoryStore(): the state and the audit log in memory.
// Reusing one memoryStore in a later createKms({ store }) brings the keys
// back, and the audit log as it was when the KMS closed.
//
// The state is kept as records (stores/spi.js): a base body and the bodies
// of the commits since, each holding only what its call changed. When the
// bodies since the base outgrow it, the head asks for a new base (`full`),
// so a commit costs what it changed (amortized), not what the KMS holds.

import { AUDIT_RETENTION, lastRecords } from './spi.js';

/** The bodies since the base may grow to this much, or the base's size if larger, before a new base. */
const MIN_LOG_BYTES = 256 * 1024;

/**
 * Keeps the state in memory: the default store.
 * @param {Uint8Array} [initial] a plain snapshot to start from
 */
export function memoryStore(initial) {
  /** A plain snapshot (given, or of an earlier version) or a full body. */
  let base = initial ? Uint8Array.from(initial) : null;
  /** @type {Uint8Array[]} bodies of the commits since the base */
  let changes = [];
  let changeBytes = 0;
  let seq = 0;
  let appends = 0;
  /** @type {{ count: number, text: string }[]} */
  let frames = [];
  let records = 0;
  // A snapshot given at the start becomes a base of records at the first commit.
  const wantsFull = () => base === null || base.length < 4 || base[3] !== 0x44 || changeBytes > Math.max(MIN_LOG_BYTES, base.length);
  const head = () => ({ seq, mark: `${seq}:${appends}`, records, full: wantsFull() });

  function add(audit, count) {
    if (!audit || !count) return;
    frames.push({ count, text: audit });
    records += count;
    // Keep what the wasm would keep: the newest AUDIT_RETENTION records.
    while (frames.length > 1 && records - frames[0].count >= AUDIT_RETENTION) {
      records -= frames.shift().count;
    }
    appends += 1;
  }

  // Best effort: the JS heap may still hold copies (see the README's Security section).
  const wipe = (b) => b && b.fill(0);

  return {
    kind: 'memory',
    shared: false,
    form: 'plain',
    recordLevel: true,
    auditPolicy: 'none',
    warnings: [],
    open() {},
    lock: head,
    unlock() {},
    readState() {
      return base ? base.slice() : null;
    },
    readChanges() {
      return changes.map((b) => b.slice());
    },
    readAudit(limit) {
      return lastRecords(frames, limit);
    },
    commit({ state: next, changes: body, full, audit, count, reset }) {
      const replacement = full ?? next;
      if (replacement) {
        wipe(base);
        changes.forEach(wipe);
        base = Uint8Array.from(replacement);
        changes = [];
        changeBytes = 0;
      } else if (body) {
        changes.push(Uint8Array.from(body));
        changeBytes += body.length;
      }
      if (reset) {
        frames = [];
        records = 0;
      }
      add(audit, count);
      seq += 1;
      return head();
    },
    append({ audit, count }) {
      add(audit, count);
      return head();
    },
    onExternalChange: () => () => {},
    close() {},
  };
}
