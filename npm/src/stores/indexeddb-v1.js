// The IndexedDB store's helpers, and how it reads databases written by
// earlier versions (format 1: the whole plain snapshot sealed in two state
// copies per commit). Such a database opens as before; the store's first
// commit writes all records (format 2, indexeddb.js) and deletes the copies.
//
// Format 1 (database version 1):
//   state  0, 1   → { generation, iv, data, digest }: two generations of the
//          state (the plain snapshot sealed by the CryptoKey, AAD
//          "kms-wasm indexeddb state v1 GENERATION"); `digest` is
//          SHA-256(generation ‖ iv ‖ data), so a damaged copy is told apart
//          from one the key does not open
//   meta   'head' → { seq, slot, nextFrame, records }

import { storeError, utf8 } from './spi.js';

const STATE_AAD = 'kms-wasm indexeddb state v1 ';

export const request = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

export const finished = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
});

export function u64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p instanceof Uint8Array ? p : new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

export function equalBytes(a, b) {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  if (x.length !== y.length) return false;
  let d = 0;
  for (let i = 0; i < x.length; i++) d |= x[i] ^ y[i];
  return d === 0;
}

/**
 * Reads both state copies of a format-1 database, checks their digests and
 * picks the newest intact one (warning about the other when it is damaged
 * or missing); sets the store's head from it and from `meta`.
 */
export async function scanCopies(store, meta) {
  const tx = store.db.transaction(['state', 'meta'], 'readonly');
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
      && equalBytes(await store.subtle.digest('SHA-256', concat(u64(c.rec.generation), c.rec.iv, c.rec.data)), c.rec.digest);
    if (!ok) c.damaged = 'its checksum does not match';
  }
  const present = copies.filter((c) => c.rec);
  const good = present.filter((c) => !c.damaged);
  const where = `the IndexedDB database ${store.databaseName}`;
  if (good.length === 0) {
    throw storeError(`${where} cannot be opened: ${present.length ? present.map((c) => `state copy ${c.slot} is damaged (${c.damaged})`).join('; ') : 'both state copies are missing'}. No intact copy of the state is left, and the store will not start empty over it; restore it from a backup.`);
  }
  good.sort((x, y) => y.generation - x.generation);
  store.candidates = good;
  store.copy = good[0];
  const other = copies[1 - store.copy.slot];
  if (other.damaged) {
    store.warnOnce(`damaged:${other.slot}:${other.generation}`, `State copy ${other.slot} of ${where} is damaged (${other.damaged}); using copy ${store.copy.slot} (generation ${store.copy.generation}). The next commit rewrites the state in the current format.`);
  } else if (!other.rec && store.copy.generation > 1) {
    store.warnOnce(`missing:${other.slot}:${store.copy.generation}`, `State copy ${other.slot} of ${where} is missing; using copy ${store.copy.slot} (generation ${store.copy.generation}).`);
  }
  store.format = 1;
  store.seq = store.copy.generation;
  store.slot = store.copy.slot;
  store.nextFrame = m ? m.nextFrame : 0;
  store.records = m ? m.records : 0;
  store.metaMark = m ? `${m.seq}:${m.nextFrame}` : '0:0';
}

/** The plain snapshot of the copy scanCopies picked (or of the other, if the key does not open it). */
export async function readCopy(store) {
  while (store.copy) {
    const { rec, slot } = store.copy;
    try {
      const plain = await store.subtle.decrypt(
        { name: 'AES-GCM', iv: rec.iv, additionalData: utf8(STATE_AAD + rec.generation) }, store.key, rec.data,
      );
      return new Uint8Array(plain);
    } catch {
      // The digest matched but the key does not open it: altered, or another key.
      store.candidates = store.candidates.filter((c) => c !== store.copy);
      const next = store.candidates[0];
      if (!next) {
        throw storeError(`The IndexedDB database ${store.databaseName} cannot be opened: its state copies do not open with the database's key (altered, or the key was replaced). Restore it from a backup.`);
      }
      store.warnOnce(`undecryptable:${slot}:${rec.generation}`, `State copy ${slot} of the IndexedDB database ${store.databaseName} does not open with its key; using copy ${next.slot} (generation ${next.generation}).`);
      store.copy = next;
      store.seq = next.generation;
      store.slot = next.slot;
    }
  }
  return null;
}
