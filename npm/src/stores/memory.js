// memoryStore(): the state (plain snapshot) and the audit log in memory.
// Reusing one memoryStore in a later createKms({ store }) brings the keys
// back, and the audit log as it was when the KMS closed.

import { AUDIT_RETENTION, lastRecords } from './spi.js';

/**
 * Keeps the latest snapshot in memory: the default store.
 * @param {Uint8Array} [initial] a plain snapshot to start from
 */
export function memoryStore(initial) {
  let state = initial ? Uint8Array.from(initial) : null;
  let seq = 0;
  let appends = 0;
  /** @type {{ count: number, text: string }[]} */
  let frames = [];
  let records = 0;
  const head = () => ({ seq, mark: `${seq}:${appends}`, records });

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

  return {
    kind: 'memory',
    shared: false,
    form: 'plain',
    auditPolicy: 'none',
    warnings: [],
    open() {},
    lock: head,
    unlock() {},
    readState() {
      return state ? state.slice() : null;
    },
    readAudit(limit) {
      return lastRecords(frames, limit);
    },
    commit({ state: next, audit, count, reset }) {
      if (next) {
        const old = state;
        state = Uint8Array.from(next);
        // Best effort: the JS heap may still hold copies (see the README's Security section).
        if (old) old.fill(0);
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
