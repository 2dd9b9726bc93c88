// The records of an IndexedDB store of format 2 (layout: indexeddb.js): the
// associated data and digest terms of records, the head's tag, and reading
// them back — every record checked against the head on open, or the
// commits since a generation from the changes log. Functions of the store
// (its db, keys and view: gens, digest, viewSeq).

import { storeError, utf8 } from './spi.js';
import { KINDS, parseBody, fullBody, recordKey } from './records-codec.js';
import { request, u64, concat, equalBytes } from './indexeddb-v1.js';

/** The id of a meta record: its region and '@', or '' (written before regions). */
const META_ID = /^(?:[a-z0-9-]{1,32}@)?$/;

export const FORMAT = 2;
/** The object store of each record kind (by its byte). */
export const STORES = KINDS.map((k) => `record.${k}`);
export const RECORD_AAD = 'kms-wasm indexeddb record v2';
const DIGEST_TERM = 'kms-wasm indexeddb digest v2';
const HEAD_TAG = 'kms-wasm indexeddb head v2';
const CHANGE_AAD = 'kms-wasm indexeddb change v2';

export const markOf = (m) => (m ? `${m.seq}:${m.nextFrame}` : '0:0');
const u16 = (n) => new Uint8Array([n >> 8, n & 255]);
const lengthed = (s) => { const b = utf8(s); return concat(u16(b.length), b); };
export function xorInto(acc, term) {
  const t = new Uint8Array(term);
  for (let i = 0; i < acc.length; i++) acc[i] ^= t[i];
}

/** The associated data of the changes log's entry for commit `generation`. */
export const changeAad = (store, generation) => concat(utf8(CHANGE_AAD), lengthed(store.databaseName), u64(generation));

/** `tag` ‖ database ‖ kind ‖ id ‖ generation: a record's AAD, or the input of its digest term. */
export function label(store, tag, kind, id, generation) {
  return concat(utf8(tag), lengthed(store.databaseName), new Uint8Array([kind]), lengthed(id), u64(generation));
}

/** The digest key (read from `keys` when another tab made it). */
export async function digestKeyOf(store) {
  if (store.digestKey) return store.digestKey;
  const tx = store.db.transaction(['keys'], 'readonly');
  const key = await request(tx.objectStore('keys').get('digest'));
  if (!key) throw storeError(`The IndexedDB database ${store.databaseName} holds records but its digest key is gone (the 'keys' record 'digest' was deleted); they cannot be checked. Restore it from a backup.`);
  store.digestKey = key;
  return key;
}

/** The digest's term of a record: HMAC(digest key, database ‖ kind ‖ id ‖ generation). */
export function term(store, kind, id, generation) {
  return store.subtle.sign('HMAC', store.digestKey, label(store, DIGEST_TERM, kind, id, generation));
}

/** The head's tag: HMAC of its seq, account, region, count and digest. */
export async function headTag(store, { seq, account, region, count, digest }) {
  const data = concat(utf8(HEAD_TAG), lengthed(store.databaseName), u64(seq), lengthed(account), lengthed(region), u64(count), digest);
  return store.subtle.sign('HMAC', store.digestKey, data);
}

/** Checks the head's tag, then takes its seq and audit counters (the records are read when asked for). */
export async function adopt(store, meta) {
  await digestKeyOf(store);
  const ok = meta.digest && meta.tag && Number.isSafeInteger(meta.seq) && Number.isSafeInteger(meta.count)
    && typeof meta.account === 'string' && typeof meta.region === 'string'
    && equalBytes(await headTag(store, meta), meta.tag);
  if (!ok) throw storeError(`The IndexedDB database ${store.databaseName} cannot be opened: its head (the 'meta' record 'head') was altered. Nothing was changed; restore it from a backup.`);
  if (store.format !== FORMAT) store.gens = null;
  store.format = FORMAT;
  store.headRec = meta;
  store.seq = meta.seq;
  store.nextFrame = meta.nextFrame;
  store.records = meta.records;
  store.account = meta.account;
  store.region = meta.region;
  store.metaMark = markOf(meta);
}

/**
 * Reads every record and checks it against the head (indexeddb.js); the
 * store's view of the records (their generations, the digest) is then
 * the head's. Returns the full plain body of the records.
 */
export async function loadRecords(store) {
  const tx = store.db.transaction(['meta', ...STORES], 'readonly');
  const meta = request(tx.objectStore('meta').get('head'));
  const all = STORES.map((s) => Promise.all([request(tx.objectStore(s).getAllKeys()), request(tx.objectStore(s).getAll())]));
  const [head, ...stores] = await Promise.all([meta, ...all]);
  if (head?.format !== FORMAT) throw storeError(`The IndexedDB database ${store.databaseName} holds records but its head is gone; they cannot be checked. Restore it from a backup.`);
  await adopt(store, head);
  const where = `The IndexedDB database ${store.databaseName} cannot be opened`;
  const fail = (os, id, why) => storeError(`${where}: record ${JSON.stringify(id)} of the object store '${os}' ${why}. Nothing was changed; restore the database from a backup.`);
  // Every record's framing first, then the crypto (no job left running when one is refused).
  const held = [];
  stores.forEach(([ids, values], kind) => ids.forEach((id, i) => {
    const rec = values[i];
    const os = STORES[kind];
    // A region's meta record is 'REGION@' ('' before regions: records.rs).
    if (typeof id !== 'string' || (kind === 0 && !META_ID.test(id))) throw fail(os, id, 'is not under an id of its kind');
    if (!rec || !Number.isSafeInteger(rec.generation) || rec.generation < 1 || rec.generation > head.seq || !rec.iv || !rec.data) {
      throw fail(os, id, `is not a record of this database (or of a commit after its head, ${head.seq})`);
    }
    held.push({ kind, id, rec, os });
  }));
  const jobs = held.map(async ({ kind, id, rec, os }) => {
    let value;
    try {
      const aad = label(store, RECORD_AAD, kind, id, rec.generation);
      value = new Uint8Array(await store.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv, additionalData: aad }, store.key, rec.data));
    } catch {
      throw fail(os, id, "does not open with the database's key (it was altered, moved from another id or object store, or the key was replaced)");
    }
    return { kind, id, generation: rec.generation, value, term: await term(store, kind, id, rec.generation) };
  });
  const loaded = await Promise.all(jobs);
  const digest = new Uint8Array(32);
  const gens = new Map();
  for (const r of loaded) {
    xorInto(digest, r.term);
    gens.set(recordKey(r.kind, r.id), r.generation);
  }
  if (loaded.length !== head.count || !equalBytes(digest, head.digest)) {
    for (const r of loaded) r.value.fill(0);
    throw storeError(`${where}: its records do not match its head (${loaded.length} records for ${head.count}${loaded.length === head.count ? ', and their generations differ' : ''}): a record was put back from an earlier commit, deleted or added. Nothing was changed; restore the database from a backup.`);
  }
  const body = fullBody({ generation: head.seq, account: head.account, region: head.region, records: loaded });
  for (const r of loaded) r.value.fill(0);
  Object.assign(store, { gens, digest, viewSeq: head.seq });
  return body;
}

/**
 * The bodies of the commits after `seq` (this store's view) up to the
 * head, from the changes log; null when it does not reach back that far,
 * or they do not lead to the head's digest (the caller then reloads every
 * record, which says what is wrong).
 */
export async function changesSince(store, seq) {
  if (store.format !== FORMAT || !store.gens || seq !== store.viewSeq || seq > store.seq) return null;
  if (seq === store.seq) return [];
  const tx = store.db.transaction(['changes'], 'readonly');
  const range = IDBKeyRange.bound(seq + 1, store.seq);
  const [keys, values] = await Promise.all([request(tx.objectStore('changes').getAllKeys(range)), request(tx.objectStore('changes').getAll(range))]);
  if (keys.length !== store.seq - seq) return null;
  const gens = new GenerationsView(store.gens);
  const digest = Uint8Array.from(store.digest);
  const bodies = [];
  try {
    for (let i = 0; i < keys.length; i++) {
      const aad = changeAad(store, keys[i]);
      const body = new Uint8Array(await store.subtle.decrypt({ name: 'AES-GCM', iv: values[i].iv, additionalData: aad }, store.key, values[i].data));
      bodies.push(body);
      const parsed = parseBody(body);
      if (parsed.generation !== keys[i] || parsed.full || parsed.sealed || parsed.account !== store.account || parsed.region !== store.region) throw new Error('not a change of this store');
      for (const t of await changeTerms(store, parsed, gens)) xorInto(digest, t);
    }
    if (gens.size() !== store.headRec.count || !equalBytes(digest, store.headRec.digest)) throw new Error('not the head');
  } catch {
    store.warnOnce(`changes:${seq}:${store.seq}`, `The changes log of the IndexedDB database ${store.databaseName} does not lead from commit ${seq} to ${store.seq}; every record is read again.`);
    bodies.forEach((b) => b.fill(0));
    return null;
  }
  store.gens = gens.apply();
  store.digest = digest;
  store.viewSeq = store.seq;
  return bodies;
}

/** Applies a body's records to `gens`; returns the digest terms that leave (old generations) and come in. */
export function changeTerms(store, parsed, gens) {
  const terms = [];
  for (const r of parsed.records) {
    const k = recordKey(r.kind, r.id);
    const old = gens.get(k);
    if (old !== undefined) terms.push(term(store, r.kind, r.id, old));
    if (r.present) {
      gens.set(k, parsed.generation);
      terms.push(term(store, r.kind, r.id, parsed.generation));
    } else {
      gens.delete(k);
    }
  }
  return Promise.all(terms);
}

/**
 * A map of record generations with changes on top, applied to it only
 * when asked (after a commit, or once a catch-up checked out): no copy of
 * every record's entry per commit.
 */
export class GenerationsView {
  constructor(base) {
    this.base = base;
    this.changes = new Map();
    this.count = base.size;
  }

  get(k) {
    return this.changes.has(k) ? this.changes.get(k) : this.base.get(k);
  }

  set(k, generation) {
    if (this.get(k) === undefined) this.count += 1;
    this.changes.set(k, generation);
  }

  delete(k) {
    if (this.get(k) !== undefined) this.count -= 1;
    this.changes.set(k, undefined);
  }

  size() {
    return this.count;
  }

  /** The base with the changes applied (the base itself, changed). */
  apply() {
    for (const [k, g] of this.changes) {
      if (g === undefined) this.base.delete(k);
      else this.base.set(k, g);
    }
    return this.base;
  }
}
