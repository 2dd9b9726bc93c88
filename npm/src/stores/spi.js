// The store interface the client uses (browser-safe: no Node modules).
//
// A store keeps two things: the KMS state (a snapshot, sealed or plain) and
// the audit log (records appended in frames). The client talks to it only
// through these members; every method may return a promise.
//
//   kind     'memory' | 'file' | 'indexeddb' | 'custom'
//   shared   true when other processes or tabs may write the same store. The
//            client then holds the store's writer lock around its work (a
//            "lease": from the first call after the lock was free until its
//            audit records are flushed), and reloads the state and the log
//            when the head changed while it did not hold the lock.
//   form     'plain'  — the client hands over the plain snapshot (the store
//                       seals it itself, e.g. with WebCrypto, or keeps it in
//                       memory);
//            'sealed' — the client hands over `wasm.snapshotSealed(rootKey)`,
//                       and `rootKey` (32 bytes) is set once open() resolved.
//   releaseAfterCall  (optional, shared stores) true: no lease across
//            calls — the client writes a call's audit records and releases
//            the lock before the call resolves, so synchronous work after a
//            call never keeps other processes waiting (the file store).
//   auditPolicy  'commit' — the client persists audit records with every
//                       commit and in batches between them (durable stores);
//                'none'   — the store keeps no audit log (the memory store:
//                       persisting records means rendering each one, which
//                       would slow every call; the log lives in the wasm).
//
//   open({ deriveKey })   finds or creates the store; fails with a clear
//                         error (naming the file or database) when nothing
//                         intact is left, never starting empty over data.
//                         `deriveKey(passphrase, salt16)` is Argon2id in wasm.
//   lock()   → Head       takes the writer lock (shared stores; a no-op
//                         otherwise) and returns the current head.
//   unlock()              releases it.
//   readState() → Uint8Array | null    the current state (form above)
//   readAudit(limit) → object[]        the last `limit` records, oldest first
//   commit({ state, audit?, count?, reset? }) → Head
//                         all-or-nothing: the new state, the audit records
//                         (`audit`: JSON text of an array of `count`
//                         records) and the new head together; `reset`
//                         replaces the whole audit log (restoreBackup).
//   recordLevel  (optional) true: the store keeps records, not whole
//            snapshots (record-level persistence, src/persist/records.rs).
//            Its commits get `{ changes }` — a body holding only the records
//            the calls since the last commit changed, tagged with the
//            generation head.seq + 1 — or, when the head says `full: true`
//            (the store wants a new base: its log of changes outgrew its
//            base, or it was written by an earlier version), `{ full }`, a
//            body of every record that replaces the state. Bodies are in
//            the store's form (sealed under rootKey, or plain). Such a
//            store also has:
//     readChanges() → Uint8Array[]   the bodies to apply, in order, to
//                         what readState() returns (a full body, or a
//                         snapshot of an earlier version)
//     readChangesSince(seq) → Uint8Array[] | null   (optional) the bodies
//                         committed after generation `seq`, so a reader
//                         that is behind catches up without reloading
//                         everything; null when it cannot (its base moved)
//   append({ audit, count }) → Head    audit records of read-only calls
//                         (may be batched; not forced to disk)
//   warnings: string[]    what open() or a reload found and recovered from
//   onExternalChange(cb) → unsubscribe   cb() when another process or tab
//                         committed (a hint; the client checks the head
//                         under the lock anyway)
//   close()
//
// Head = { seq, mark, records }: `seq` counts commits, `mark` changes with
// every commit and every append (by anyone), `records` is the number of
// audit records the store holds.
//
// A plain `{ load(), save(bytes), close?() }` object (the store interface
// of earlier versions) still works: it keeps the plain snapshot and no
// audit records.

import { KmsError } from '../errors.js';
import { asBytes } from '../convert.js';

/** Audit records the wasm keeps in memory (src/audit.rs DEFAULT_RETENTION). */
export const AUDIT_RETENTION = 10_000;

/** Whether `store` implements the interface above. */
function isStore(store) {
  return store && typeof store.open === 'function' && typeof store.lock === 'function'
    && typeof store.commit === 'function' && typeof store.readState === 'function';
}

/** Wraps a legacy `{ load, save, close? }` store. */
function legacy(store) {
  let seq = 0;
  const head = () => ({ seq, mark: String(seq), records: 0 });
  return {
    kind: 'custom',
    shared: false,
    form: 'plain',
    auditPolicy: 'none',
    warnings: [],
    open() {},
    lock: head,
    unlock() {},
    async readState() {
      const loaded = await store.load();
      if (loaded === null || loaded === undefined) return null;
      const bytes = asBytes(loaded);
      if (!bytes) throw new KmsError('ValidationException', 'The store returned something other than bytes.');
      return bytes;
    },
    readAudit() {
      return [];
    },
    async commit({ state }) {
      if (state) await store.save(state);
      seq += 1;
      return head();
    },
    append: head,
    onExternalChange: () => () => {},
    async close() {
      if (typeof store.close === 'function') await store.close();
    },
  };
}

/** The store of `options.store`, checked. */
export function adoptStore(store) {
  if (isStore(store)) return store;
  if (store && typeof store.load === 'function' && typeof store.save === 'function') return legacy(store);
  throw new KmsError('ValidationException', 'options.store must be a store made by memoryStore(), fileStore() or indexedDbStore() (or an object with load() and save(bytes)).');
}

/** A KMSInvalidStoreException. */
export function storeError(message, cause) {
  return new KmsError('KMSInvalidStoreException', message, cause === undefined ? undefined : { cause });
}

/** Reports a recovered problem: kept in `warnings` and printed with console.warn. */
export function warn(store, message) {
  store.warnings.push(message);
  try {
    console.warn(`kms-wasm: ${message}`);
  } catch {
    // no console
  }
}

/** Whether `bytes` is a body of records (src/persist/records.rs), not a snapshot. */
export function isRecordBody(bytes) {
  return bytes.length >= 4 && bytes[0] === 0x4b && bytes[1] === 0x4d && bytes[2] === 0x53 && bytes[3] === 0x44; // "KMSD"
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const utf8 = (s) => encoder.encode(s);
export const fromUtf8 = (b) => decoder.decode(b);

/**
 * The last `limit` records of frames `{ count, text }` (oldest first),
 * parsing only the frames needed.
 */
export function lastRecords(frames, limit, parse = (f) => JSON.parse(f.text)) {
  const out = [];
  let need = limit;
  for (let i = frames.length - 1; i >= 0 && need > 0; i--) {
    const records = parse(frames[i]);
    const take = records.length <= need ? records : records.slice(records.length - need);
    out.unshift(take);
    need -= take.length;
  }
  return out.flat();
}
