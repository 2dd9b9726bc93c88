// indexedDbStore(name): one IndexedDB database per store (browsers).
//
// The state is kept as records (src/persist/records.rs): a commit writes
// the records its calls changed, not the whole state. Database
// `kms-wasm/NAME`, version 3 (2 before keys' last use had records), object stores:
//   keys   'root'   → a non-extractable AES-GCM-256 CryptoKey made by
//                     WebCrypto (stored by structured clone: its bytes are
//                     never exposed to JS or to the wasm; exportKey is refused)
//          'digest' → a non-extractable HMAC-SHA-256 CryptoKey (the head's
//                     digest below)
//   record.meta, record.key, record.alias, record.deleted, record.endpoint,
//   record.keyStore, record.externalKey, record.lastUsed, record.multiRegion
//          one object store per record kind (records.rs `Kind`), keyed by
//          the record's id (`REGION@ID`; a region's clock, in record.meta, has id `REGION@`):
//          { generation, iv, data } — the record's plain value (postcard)
//          sealed by the CryptoKey with a fresh IV; the associated data
//          names the database, the kind, the id and `generation`, the
//          commit that wrote it
//   meta   'head'   → { format: 2, seq, nextFrame, records, account, region,
//                     count, digest, tag }: `seq` the last commit, `count` the
//                     records held, `digest` the XOR over every record of
//                     HMAC(digest key, database ‖ kind ‖ id ‖ generation),
//                     `tag` an HMAC of seq, account, region, count and digest
//                     (not of nextFrame/records: audit appends rewrite those)
//   changes GEN     → { iv, data }: the plain body of commit GEN, sealed (AAD
//                     naming the database and GEN); the last CHANGES_KEPT,
//                     so another tab catches up without reading every record
//   audit  N        → { generation, count, iv, data, digest }: frame N of the
//                     audit log (a JSON array of records, sealed; a damaged
//                     frame is reported and skipped, as before)
//   state  0, 1     → the copies of format 1 (indexeddb-v1.js), read until the
//                     first commit, which deletes them
// A commit parses the body (records-codec.js), seals each record and makes
// the digest's new terms before opening the transaction (one awaited
// WebCrypto call would let it auto-commit); then ONE readwrite transaction
// with strict durability puts the present records, deletes the absent ones,
// writes the change, the audit frame and the head. A full body (the first
// commit of a new store or of a format-1 database, restoreBackup) clears the
// record stores, `changes` and `state` first, in the same transaction. The
// account and region of the full body rebuilt on open (a full plain body,
// as the wasm reads it) are the ones of the bodies written: kept in the head
// (authenticated by its tag); a changes body of another account is refused.
//
// Opening (and reloading after another tab committed, when the changes log
// does not reach back far enough) reads every record (indexeddb-records.js)
// and fails with KMSInvalidStoreException, changing nothing, when
//   - a record does not open: a flipped byte (data, tag or IV), a record
//     swapped with another id's or moved to another kind's object store,
//     its generation edited, or one from another database (AAD and key
//     differ) — the message names the object store and the id;
//   - the records do not match the head: an earlier version of a record put
//     back with its own generation (it opens: the digest differs), a record
//     deleted or added, a record of a commit after the head;
//   - the head was edited (its tag), or a key of `keys` is gone.
// The digest is an XOR of keyed terms whose key never leaves WebCrypto, and
// every commit rewrites the clock record, so no set of earlier records adds
// up to the head's digest but the one it was made from.
// Not detected:
//   - the database put back to an earlier moment as a whole, or the head
//     together with every record written after it: that is a consistent
//     earlier state, and nothing outside the database remembers a later
//     one (the audit log, if it was not put back too, then goes on past
//     the head: verifyAuditLog() still checks its chain);
//   - the head's audit counters (nextFrame, records) edited: they are not
//     in its tag, since appends of read-only calls rewrite them; frames are
//     checked one by one, and a damaged or lost one is reported (warnings);
//   - writes by a script of the origin: it can use the CryptoKeys as the
//     store does (they are non-extractable, not unusable);
//   - a damaged entry of the changes log is not state: it is reported and
//     every record is read instead.
// Writers are serialized across tabs by the Web Locks API; a
// BroadcastChannel tells other tabs that something changed (they also
// compare the head under the lock before each call).

import { KmsError } from '../errors.js';
import { storeError, warn, utf8, fromUtf8 } from './spi.js';
import { parseBody } from './records-codec.js';
import { request, finished, u64, concat, equalBytes, scanCopies, readCopy } from './indexeddb-v1.js';
import {
  FORMAT, STORES, RECORD_AAD, markOf, xorInto, changeAad, label, headTag, adopt, loadRecords, changesSince, changeTerms, GenerationsView,
} from './indexeddb-records.js';

const PREFIX = 'kms-wasm/';
const DB_VERSION = 3;
const AUDIT_AAD = 'kms-wasm indexeddb audit v1 ';
/** Commit bodies kept for other tabs to catch up with (readChangesSince). */
const CHANGES_KEPT = 128;
const HMAC = { name: 'HMAC', hash: 'SHA-256' };

class IndexedDbStore {
  constructor(name) {
    if (typeof name !== 'string' || name === '') throw new KmsError('ValidationException', 'indexedDbStore needs a database name.');
    this.name = name;
    this.databaseName = PREFIX + name;
    this.kind = 'indexeddb';
    this.shared = true;
    this.form = 'plain';
    this.recordLevel = true;
    this.auditPolicy = 'commit';
    this.warnings = [];
    this.warned = new Set();
    this.listeners = new Set();
    this.opened = false;
  }

  warnOnce(key, message) {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    warn(this, message);
  }

  /** `full` until the database holds records (a new store, or one of format 1). */
  head() {
    return { seq: this.seq, mark: `${this.seq}:${this.nextFrame}`, records: this.records, full: this.format !== FORMAT };
  }

  get subtle() {
    const s = globalThis.crypto && globalThis.crypto.subtle;
    if (!s) throw storeError('indexedDbStore needs WebCrypto (crypto.subtle): serve the page over https or from localhost.');
    return s;
  }

  async open() {
    if (this.opened) throw new KmsError('ValidationException', `This indexedDbStore('${this.name}') is already open in a KMS; make another indexedDbStore for a second KMS.`);
    const idb = globalThis.indexedDB;
    if (!idb) throw storeError('indexedDbStore needs IndexedDB (a browser, or a worker of one).');
    const subtle = this.subtle;
    const opening = idb.open(this.databaseName, DB_VERSION);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      for (const s of ['keys', 'state', 'audit', 'meta', 'changes', ...STORES]) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
    };
    opening.onblocked = () => this.warnOnce('blocked', `The IndexedDB database ${this.databaseName} is blocked by another tab holding an older version open.`);
    this.db = await request(opening);
    this.db.onversionchange = () => this.db.close();
    Object.assign(this, { format: 0, seq: 0, viewSeq: 0, slot: -1, nextFrame: 0, records: 0, metaMark: '0:0', copy: null, loaded: null });
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(this.databaseName);
      this.channel.onmessage = () => {
        for (const l of this.listeners) {
          try {
            l();
          } catch {
            // a listener's failure is its own
          }
        }
      };
    }
    await this.acquire();
    try {
      const tx = this.db.transaction(['keys', 'meta', 'state', ...STORES], 'readonly');
      const [key, digestKey, meta, copies, ...held] = await Promise.all([
        request(tx.objectStore('keys').get('root')),
        request(tx.objectStore('keys').get('digest')),
        request(tx.objectStore('meta').get('head')),
        request(tx.objectStore('state').count()),
        ...STORES.map((s) => request(tx.objectStore(s).count())),
      ]);
      const records = held.reduce((a, b) => a + b, 0);
      const where = `The IndexedDB database ${this.databaseName}`;
      if (!meta && copies === 0 && records === 0) {
        // A new store: its key, made here, never leaves WebCrypto.
        this.key = key ?? await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
        this.digestKey = digestKey;
        if (!key) {
          const w = this.db.transaction(['keys'], 'readwrite', { durability: 'strict' });
          w.objectStore('keys').put(this.key, 'root');
          await finished(w);
        }
      } else if (!key) {
        throw storeError(`${where} holds a KMS state but its key is gone (the 'keys' record 'root' was deleted); the state cannot be opened. Restore it from a backup.`);
      } else if (meta?.format === FORMAT) {
        this.key = key;
        this.digestKey = digestKey;
        this.loaded = await loadRecords(this);
      } else if (records > 0) {
        throw storeError(`${where} holds records but no head of their format (the 'meta' record 'head' was deleted or replaced); they cannot be checked. Restore it from a backup.`);
      } else {
        this.key = key;
        this.digestKey = digestKey;
        await scanCopies(this, meta);
      }
    } finally {
      this.release();
    }
    this.opened = true;
  }

  acquire() {
    if (this.releaseLock) return Promise.resolve();
    const locks = globalThis.navigator && globalThis.navigator.locks;
    if (!locks) {
      // No Web Locks (not a browser): serialize within this realm only.
      const prev = IndexedDbStore.local.get(this.databaseName) ?? Promise.resolve();
      let release;
      const held = new Promise((r) => { release = r; });
      IndexedDbStore.local.set(this.databaseName, prev.then(() => held));
      return prev.then(() => { this.releaseLock = release; });
    }
    return new Promise((acquired, failed) => {
      locks.request(this.databaseName, () => new Promise((release) => {
        this.releaseLock = release;
        acquired();
      })).catch(failed);
    });
  }

  release() {
    const r = this.releaseLock;
    this.releaseLock = null;
    if (r) r();
  }

  async lock() {
    await this.acquire();
    try {
      const tx = this.db.transaction(['meta'], 'readonly');
      const meta = await request(tx.objectStore('meta').get('head'));
      if (markOf(meta) !== this.metaMark) {
        if (meta?.format === FORMAT) await adopt(this, meta);
        else await scanCopies(this, meta);
      }
    } catch (e) {
      this.release();
      throw e;
    }
    return this.head();
  }

  unlock() {
    this.release();
  }

  async seal(aad, plain) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await this.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, this.key, plain);
    return { iv, data };
  }

  // ---- reading ----------------------------------------------------------------

  async readState() {
    if (this.format === 1) return readCopy(this);
    if (this.format !== FORMAT) return null;
    const kept = this.loaded;
    this.loaded = null;
    if (kept && this.viewSeq === this.seq) return kept;
    if (kept) kept.fill(0);
    return loadRecords(this);
  }

  readChanges() {
    return [];
  }

  /** The bodies of the commits after `seq` from the changes log, or null (see indexeddb-records.js). */
  readChangesSince(seq) {
    return changesSince(this, seq);
  }

  async readFrame(n, rec) {
    const ok = rec && rec.iv && rec.data && rec.digest
      && equalBytes(await this.subtle.digest('SHA-256', concat(u64(n), rec.iv, rec.data)), rec.digest);
    if (!ok) {
      this.warnOnce(`frame:${n}`, `Audit frame ${n} of the IndexedDB database ${this.databaseName} is damaged; its ${rec?.count ?? 'unknown number of'} records are lost (verifyAuditLog() shows where the chain breaks).`);
      return [];
    }
    try {
      const plain = await this.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv, additionalData: utf8(AUDIT_AAD + n) }, this.key, rec.data);
      return JSON.parse(fromUtf8(new Uint8Array(plain)));
    } catch {
      this.warnOnce(`frame:${n}`, `Audit frame ${n} of the IndexedDB database ${this.databaseName} does not open with its key; its records are lost.`);
      return [];
    }
  }

  async readAudit(limit) {
    // Frame records first (one transaction, newest first), then decrypt.
    const tx = this.db.transaction(['audit'], 'readonly');
    const frames = [];
    let have = 0;
    await new Promise((resolve, reject) => {
      const cursor = tx.objectStore('audit').openCursor(null, 'prev');
      cursor.onerror = () => reject(cursor.error);
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c || have >= limit) return resolve();
        frames.push({ n: c.key, rec: c.value });
        have += c.value?.count ?? 0;
        c.continue();
      };
    });
    const out = [];
    let need = limit;
    for (const { n, rec } of frames) {
      if (need <= 0) break;
      const records = await this.readFrame(n, rec);
      const take = records.length <= need ? records : records.slice(records.length - need);
      out.push(take);
      need -= take.length;
    }
    return out.reverse().flat();
  }

  // ---- writing ----------------------------------------------------------------

  async frameRecord(n, generation, audit, count) {
    const { iv, data } = await this.seal(utf8(AUDIT_AAD + n), utf8(audit));
    const digest = await this.subtle.digest('SHA-256', concat(u64(n), iv, data));
    return { generation, count, iv, data, digest };
  }

  async commit({ state, changes, full, audit, count, reset }) {
    const bug = (what) => new KmsError('KMSInternalException', `The IndexedDB store was given ${what} (a bug in kms-wasm).`);
    if (!this.releaseLock) throw bug('a commit without its lock');
    const body = full ?? changes;
    if (!body) throw bug(state ? 'a whole snapshot instead of a body of records' : 'a commit without a body of records');
    const parsed = parseBody(body);
    const generation = this.seq + 1;
    if (parsed.sealed || parsed.full !== Boolean(full) || parsed.generation !== generation) throw bug(`a body that is not ${full ? 'a full' : 'a changes'} plain body of generation ${generation}`);
    let newDigestKey = null;
    if (full) {
      if (!this.digestKey) {
        const tx = this.db.transaction(['keys'], 'readonly');
        this.digestKey = await request(tx.objectStore('keys').get('digest'));
        if (!this.digestKey) this.digestKey = newDigestKey = await this.subtle.generateKey({ ...HMAC, length: 256 }, false, ['sign', 'verify']);
      }
    } else {
      if (this.format !== FORMAT) throw bug('changes for a store that holds no records yet');
      if (!this.gens || this.viewSeq !== this.seq) (await loadRecords(this)).fill(0);
      if (parsed.account !== this.account || parsed.region !== this.region) {
        throw storeError(`The IndexedDB database ${this.databaseName} holds the KMS of account ${this.account} in ${this.region}, not of ${parsed.account} in ${parsed.region}.`);
      }
    }
    // All crypto before the transaction (it would commit while we await WebCrypto).
    // The records' generations after this commit: this.gens with the
    // changes on top, applied only once the transaction committed (no copy
    // of every record's entry per commit).
    const gens = new GenerationsView(full ? new Map() : this.gens);
    const digest = full ? new Uint8Array(32) : Uint8Array.from(this.digest);
    const [terms, sealed] = await Promise.all([
      changeTerms(this, parsed, gens),
      Promise.all(parsed.records.map((r) => (r.present ? this.seal(label(this, RECORD_AAD, r.kind, r.id, generation), r.value) : null))),
    ]);
    for (const t of terms) xorInto(digest, t);
    const change = full ? null : await this.seal(changeAad(this, generation), body);
    const frameNo = this.nextFrame;
    const frame = audit && count ? await this.frameRecord(frameNo, generation, audit, count) : null;
    const records = (reset ? 0 : this.records) + (frame ? count : 0);
    const nextFrame = frameNo + (frame ? 1 : 0);
    const head = { format: FORMAT, seq: generation, nextFrame, records, account: parsed.account, region: parsed.region, count: gens.size(), digest };
    head.tag = await headTag(this, head);
    const names = [...STORES, 'changes', 'audit', 'meta', ...(full ? ['state'] : []), ...(newDigestKey ? ['keys'] : [])];
    const tx = this.db.transaction(names, 'readwrite', { durability: 'strict' });
    if (full) for (const s of [...STORES, 'changes', 'state']) tx.objectStore(s).clear();
    if (newDigestKey) tx.objectStore('keys').put(newDigestKey, 'digest');
    parsed.records.forEach((r, i) => {
      const store = tx.objectStore(STORES[r.kind]);
      if (r.present) store.put({ generation, iv: sealed[i].iv, data: sealed[i].data }, r.id);
      else store.delete(r.id);
    });
    if (change) {
      tx.objectStore('changes').put(change, generation);
      if (generation > CHANGES_KEPT) tx.objectStore('changes').delete(IDBKeyRange.upperBound(generation - CHANGES_KEPT));
    }
    if (reset) tx.objectStore('audit').clear();
    if (frame) tx.objectStore('audit').put(frame, frameNo);
    tx.objectStore('meta').put(head, 'head');
    try {
      await finished(tx);
    } catch (e) {
      if (newDigestKey) this.digestKey = null;
      throw e;
    }
    Object.assign(this, { format: FORMAT, seq: generation, viewSeq: generation, gens: gens.apply(), digest, headRec: head, nextFrame, records });
    Object.assign(this, { account: head.account, region: head.region, metaMark: markOf(head), copy: null, candidates: null });
    if (this.loaded) this.loaded.fill(0);
    this.loaded = null;
    this.announce();
    return this.head();
  }

  async append({ audit, count }) {
    if (!this.releaseLock) throw new KmsError('KMSInternalException', 'The IndexedDB store is written without its lock (a bug in kms-wasm).');
    if (!audit || !count) return this.head();
    const frameNo = this.nextFrame;
    const frame = await this.frameRecord(frameNo, this.seq, audit, count);
    const nextFrame = frameNo + 1;
    const records = this.records + count;
    const meta = this.format === FORMAT ? { ...this.headRec, nextFrame, records } : { seq: this.seq, slot: this.slot, nextFrame, records };
    const tx = this.db.transaction(['audit', 'meta'], 'readwrite', { durability: 'relaxed' });
    tx.objectStore('audit').put(frame, frameNo);
    tx.objectStore('meta').put(meta, 'head');
    await finished(tx);
    if (this.format === FORMAT) this.headRec = meta;
    this.nextFrame = nextFrame;
    this.records = records;
    this.metaMark = markOf(meta);
    this.announce();
    return this.head();
  }

  announce() {
    try {
      if (this.channel) this.channel.postMessage({ seq: this.seq, nextFrame: this.nextFrame });
    } catch {
      // the other tabs check the head before their next call anyway
    }
  }

  onExternalChange(cb) {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  close() {
    this.release();
    if (this.loaded) this.loaded.fill(0);
    this.loaded = null;
    if (this.channel) this.channel.close();
    this.channel = undefined;
    if (this.db) this.db.close();
    this.db = undefined;
    this.listeners.clear();
    this.opened = false;
  }
}
IndexedDbStore.local = new Map();

/**
 * A store in the IndexedDB database `kms-wasm/NAME` (browsers). The records
 * are sealed by a non-extractable AES-GCM CryptoKey kept in the same database.
 * @param {string} name
 */
export function indexedDbStore(name) {
  return new IndexedDbStore(name);
}
