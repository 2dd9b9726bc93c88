// TEST FIXTURE: the indexedDbStore of format 1 (npm/src/stores/indexeddb.js
// as of commit 55eb131), verbatim but for these lines, its imports (through
// the import map) and its export's name. It writes databases the way
// earlier versions did (the whole plain snapshot sealed in two state copies
// per commit), so idb-suite.js can check that they open and are migrated.
// indexedDbStore(name): one IndexedDB database per store (browsers).
//
// Database `kms-wasm/NAME`, version 1, object stores:
//   keys   'root' → a non-extractable AES-GCM-256 CryptoKey made by WebCrypto
//          (stored by structured clone: its bytes are never exposed to JS or
//          to the wasm, and exportKey is refused)
//   state  0, 1   → { generation, iv, data, digest }: two generations of the
//          state (the plain snapshot sealed by the CryptoKey, AAD naming the
//          generation); `digest` is SHA-256(generation ‖ iv ‖ data), so a
//          damaged copy is told apart from one the key does not open
//   audit  N      → { generation, count, iv, data, digest }: frame N of the
//          audit log (a JSON array of records sealed the same way)
//   meta   'head' → { seq, slot, nextFrame, records }
// One readwrite transaction per commit writes the new copy (into the slot
// that does not hold the current one), the audit frame and the head
// together, with strict durability. Writers are serialized across tabs by
// the Web Locks API; a BroadcastChannel tells other tabs that something
// changed (they also compare the head under the lock before each call).

import { KmsError } from 'kms-wasm/src/errors.js';
import { storeError, warn, utf8, fromUtf8 } from 'kms-wasm/src/stores/spi.js';

const PREFIX = 'kms-wasm/';
const STATE_AAD = 'kms-wasm indexeddb state v1 ';
const AUDIT_AAD = 'kms-wasm indexeddb audit v1 ';

const request = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});
const finished = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
});

function u64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p instanceof Uint8Array ? p : new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

function equalBytes(a, b) {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  if (x.length !== y.length) return false;
  let d = 0;
  for (let i = 0; i < x.length; i++) d |= x[i] ^ y[i];
  return d === 0;
}

class IndexedDbStore {
  constructor(name) {
    if (typeof name !== 'string' || name === '') throw new KmsError('ValidationException', 'indexedDbStore needs a database name.');
    this.name = name;
    this.databaseName = PREFIX + name;
    this.kind = 'indexeddb';
    this.shared = true;
    this.form = 'plain';
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

  head() {
    return { seq: this.seq, mark: `${this.seq}:${this.nextFrame}`, records: this.records };
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
    const opening = idb.open(this.databaseName, 1);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      for (const s of ['keys', 'state', 'audit', 'meta']) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
    };
    opening.onblocked = () => this.warnOnce('blocked', `The IndexedDB database ${this.databaseName} is blocked by another tab holding an older version open.`);
    this.db = await request(opening);
    this.db.onversionchange = () => this.db.close();
    this.seq = 0;
    this.slot = -1;
    this.nextFrame = 0;
    this.records = 0;
    this.copy = null;
    this.metaMark = null;
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
      const tx = this.db.transaction(['keys', 'meta', 'state'], 'readonly');
      const [key, meta, count] = await Promise.all([
        request(tx.objectStore('keys').get('root')),
        request(tx.objectStore('meta').get('head')),
        request(tx.objectStore('state').count()),
      ]);
      if (!meta && count === 0) {
        // A new store: its key, made here, never leaves WebCrypto.
        this.key = key ?? await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
        if (!key) {
          const w = this.db.transaction(['keys'], 'readwrite', { durability: 'strict' });
          w.objectStore('keys').put(this.key, 'root');
          await finished(w);
        }
        this.metaMark = '0:0';
      } else {
        if (!key) {
          throw storeError(`The IndexedDB database ${this.databaseName} holds a KMS state but its key is gone (the 'keys' record was deleted); the state cannot be opened. Restore it from a backup.`);
        }
        this.key = key;
        await this.scan(meta);
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

  /** Reads both copies, checks their digests and picks the newest intact one. */
  async scan(meta) {
    const tx = this.db.transaction(['state', 'meta'], 'readonly');
    const [a, b, m] = await Promise.all([
      request(tx.objectStore('state').get(0)),
      request(tx.objectStore('state').get(1)),
      meta ? Promise.resolve(meta) : request(tx.objectStore('meta').get('head')),
    ]);
    const copies = [a, b].map((rec, slot) => ({ slot, rec }));
    for (const c of copies) {
      if (!c.rec) continue;
      c.generation = c.rec.generation;
      const ok = Number.isSafeInteger(c.rec.generation) && c.rec.iv && c.rec.data && c.rec.digest
        && equalBytes(await this.subtle.digest('SHA-256', concat(u64(c.rec.generation), c.rec.iv, c.rec.data)), c.rec.digest);
      if (!ok) c.damaged = 'its checksum does not match';
    }
    const present = copies.filter((c) => c.rec);
    const good = present.filter((c) => !c.damaged);
    const where = `the IndexedDB database ${this.databaseName}`;
    if (good.length === 0) {
      throw storeError(`${where} cannot be opened: ${present.length ? present.map((c) => `state copy ${c.slot} is damaged (${c.damaged})`).join('; ') : 'both state copies are missing'}. No intact copy of the state is left, and the store will not start empty over it; restore it from a backup.`);
    }
    good.sort((x, y) => y.generation - x.generation);
    this.candidates = good;
    this.copy = good[0];
    const other = copies[1 - this.copy.slot];
    if (other.damaged) {
      this.warnOnce(`damaged:${other.slot}:${other.generation}`, `State copy ${other.slot} of ${where} is damaged (${other.damaged}); using copy ${this.copy.slot} (generation ${this.copy.generation}). The next commit rewrites the damaged copy.`);
    } else if (!other.rec && this.copy.generation > 1) {
      this.warnOnce(`missing:${other.slot}:${this.copy.generation}`, `State copy ${other.slot} of ${where} is missing; using copy ${this.copy.slot} (generation ${this.copy.generation}).`);
    }
    this.seq = this.copy.generation;
    this.slot = this.copy.slot;
    this.nextFrame = m ? m.nextFrame : 0;
    this.records = m ? m.records : 0;
    this.metaMark = m ? `${m.seq}:${m.nextFrame}` : '0:0';
  }

  async lock() {
    await this.acquire();
    try {
      const tx = this.db.transaction(['meta'], 'readonly');
      const meta = await request(tx.objectStore('meta').get('head'));
      const now = meta ? `${meta.seq}:${meta.nextFrame}` : '0:0';
      if (now !== this.metaMark) await this.scan(meta);
    } catch (e) {
      this.release();
      throw e;
    }
    return this.head();
  }

  unlock() {
    this.release();
  }

  async readState() {
    while (this.copy) {
      const { rec, slot } = this.copy;
      try {
        const plain = await this.subtle.decrypt(
          { name: 'AES-GCM', iv: rec.iv, additionalData: utf8(STATE_AAD + rec.generation) }, this.key, rec.data,
        );
        return new Uint8Array(plain);
      } catch {
        // The digest matched but the key does not open it: altered, or another key.
        this.candidates = this.candidates.filter((c) => c !== this.copy);
        const next = this.candidates[0];
        if (!next) {
          throw storeError(`The IndexedDB database ${this.databaseName} cannot be opened: its state copies do not open with the database's key (altered, or the key was replaced). Restore it from a backup.`);
        }
        this.warnOnce(`undecryptable:${slot}:${rec.generation}`, `State copy ${slot} of the IndexedDB database ${this.databaseName} does not open with its key; using copy ${next.slot} (generation ${next.generation}).`);
        this.copy = next;
        this.seq = next.generation;
        this.slot = next.slot;
      }
    }
    return null;
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

  async seal(aad, plain) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await this.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(aad) }, this.key, plain);
    return { iv, data };
  }

  async frameRecord(n, generation, audit, count) {
    const { iv, data } = await this.seal(AUDIT_AAD + n, utf8(audit));
    const digest = await this.subtle.digest('SHA-256', concat(u64(n), iv, data));
    return { generation, count, iv, data, digest };
  }

  async commit({ state, audit, count, reset }) {
    if (!this.releaseLock) throw new KmsError('KMSInternalException', 'The IndexedDB store is written without its lock (a bug in kms-wasm).');
    const generation = this.seq + 1;
    const slot = this.slot === 0 ? 1 : 0;
    // All crypto before the transaction (it would commit while we await WebCrypto).
    if (!state) throw new KmsError('KMSInternalException', 'A commit without a state (a bug in kms-wasm).');
    const sealed = await this.seal(STATE_AAD + generation, state);
    const digest = await this.subtle.digest('SHA-256', concat(u64(generation), sealed.iv, sealed.data));
    const copy = { generation, iv: sealed.iv, data: sealed.data, digest };
    const frameNo = this.nextFrame;
    const frame = audit && count ? await this.frameRecord(frameNo, generation, audit, count) : null;
    const records = (reset ? 0 : this.records) + (frame ? count : 0);
    const nextFrame = frameNo + (frame ? 1 : 0);
    const tx = this.db.transaction(['state', 'audit', 'meta'], 'readwrite', { durability: 'strict' });
    if (reset) tx.objectStore('audit').clear();
    tx.objectStore('state').put(copy, slot);
    if (frame) tx.objectStore('audit').put(frame, frameNo);
    tx.objectStore('meta').put({ seq: generation, slot, nextFrame, records }, 'head');
    await finished(tx);
    this.seq = generation;
    this.slot = slot;
    this.copy = { slot, rec: copy, generation };
    this.candidates = [this.copy];
    this.nextFrame = nextFrame;
    this.records = records;
    this.metaMark = `${generation}:${nextFrame}`;
    this.announce();
    return this.head();
  }

  async append({ audit, count }) {
    if (!this.releaseLock) throw new KmsError('KMSInternalException', 'The IndexedDB store is written without its lock (a bug in kms-wasm).');
    if (!audit || !count) return this.head();
    const frameNo = this.nextFrame;
    const frame = await this.frameRecord(frameNo, this.seq, audit, count);
    const tx = this.db.transaction(['audit', 'meta'], 'readwrite', { durability: 'relaxed' });
    tx.objectStore('audit').put(frame, frameNo);
    tx.objectStore('meta').put({ seq: this.seq, slot: this.slot, nextFrame: frameNo + 1, records: this.records + count }, 'head');
    await finished(tx);
    this.nextFrame = frameNo + 1;
    this.records += count;
    this.metaMark = `${this.seq}:${this.nextFrame}`;
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
 * A store in the IndexedDB database `kms-wasm/NAME` (browsers). The state is
 * sealed by a non-extractable AES-GCM CryptoKey kept in the same database.
 * @param {string} name
 */
export function indexedDbStoreV1(name) {
  return new IndexedDbStore(name);
}
