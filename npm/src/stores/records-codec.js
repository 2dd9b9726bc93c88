// Bodies of records (src/persist/records.rs) read and written in JS, for
// stores that keep records one by one (IndexedDB): what a commit's body
// holds, and a full body rebuilt from the records a store kept. Pure: no
// I/O, no crypto (pkg-tests/fuzz/records-codec.test.mjs checks it).
//
//   body   = "KMSD" | version u8 = 1 | flags u8 (1 sealed, 2 full)
//            | generation u64 | account: u8 len + bytes | region: u8 len + bytes
//            | [sealed: salt [32]] | count u32 | record*
//   record = kind u8 | id: u16 len + UTF-8 | present u8 | value: u32 len + bytes
//
// The values stay opaque here (postcard, or sealed by the wasm); the wasm
// decodes and checks them when it applies a body. This parser is at least
// as strict as the wasm's about the framing: what it accepts, it rebuilds
// byte for byte (buildBody(parseBody(b)) equals b).

import { storeError } from './spi.js';

const MAGIC = [0x4b, 0x4d, 0x53, 0x44]; // "KMSD"
const VERSION = 1;
export const SEALED = 1;
export const FULL = 2;
const SALT_LEN = 32;

/** The record kinds, by their byte (records.rs `Kind`). */
export const KINDS = ['meta', 'key', 'alias', 'deleted', 'endpoint', 'keyStore', 'externalKey', 'lastUsed', 'multiRegion'];

const encoder = new TextEncoder();
// fatal: an id that is not UTF-8 is refused (as the wasm does); ignoreBOM: a leading U+FEFF is kept.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function damaged(why) {
  return storeError(`The record body cannot be used: ${why}.`);
}

/**
 * Reads a body's framing.
 * @param {Uint8Array} bytes
 * @returns {{ flags: number, full: boolean, sealed: boolean, generation: number, account: string, region: string,
 *   salt: Uint8Array | null, records: { kind: number, id: string, present: boolean, value: Uint8Array }[] }}
 * `value`s are views into `bytes` (empty for absent records).
 */
export function parseBody(bytes) {
  if (!(bytes instanceof Uint8Array)) throw damaged('it is not bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n) => {
    if (n > bytes.length - at) throw damaged('it is truncated');
  };
  const u8 = () => { need(1); return bytes[at++]; };
  const take = (n) => { need(n); const s = bytes.subarray(at, at + n); at += n; return s; };
  const text = (b, what) => {
    try {
      return decoder.decode(b);
    } catch {
      throw damaged(`${what} is not UTF-8`);
    }
  };
  const magic = take(4);
  if (MAGIC.some((m, i) => magic[i] !== m)) throw damaged('it is not a kms-wasm record body');
  if (u8() !== VERSION) throw damaged('it was written by an unknown format version');
  const flags = u8();
  if (flags & ~(SEALED | FULL)) throw damaged('it has unknown flags');
  need(8);
  const generation = view.getBigUint64(at);
  at += 8;
  if (generation > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged('its generation is out of range');
  const account = text(take(u8()), 'its account');
  const region = text(take(u8()), 'its region');
  const salt = flags & SEALED ? take(SALT_LEN) : null;
  need(4);
  const count = view.getUint32(at);
  at += 4;
  const records = [];
  for (let i = 0; i < count; i++) {
    const kind = u8();
    if (kind >= KINDS.length) throw damaged('a record is of an unknown kind');
    need(2);
    const idLen = view.getUint16(at);
    at += 2;
    const id = text(take(idLen), "a record's id");
    const present = u8();
    if (present > 1) throw damaged("a record's presence flag is not 0 or 1");
    need(4);
    const len = view.getUint32(at);
    at += 4;
    const value = take(len);
    // The wasm ignores the bytes of an absent plain record; refusing them keeps the framing canonical.
    if (!present && !salt && len > 0) throw damaged('an absent record has a value');
    records.push({ kind, id, present: present === 1, value });
  }
  if (at !== bytes.length) throw damaged('it has bytes after its last record');
  return { flags, full: (flags & FULL) !== 0, sealed: salt !== null, generation: Number(generation), account, region, salt, records };
}

/**
 * Writes a body.
 * @param {{ full?: boolean, generation: number, account: string, region: string, salt?: Uint8Array | null,
 *   records: { kind: number, id: string, present?: boolean, value?: Uint8Array }[] }} body
 * `present` defaults to whether a value is given.
 */
export function buildBody({ full = false, generation, account, region, salt = null, records }) {
  if (!Number.isSafeInteger(generation) || generation < 0) throw damaged('its generation is out of range');
  const acc = encoder.encode(account);
  const reg = encoder.encode(region);
  if (acc.length > 255 || reg.length > 255) throw damaged('its account or region is too long');
  if (salt && salt.length !== SALT_LEN) throw damaged('its salt is not 32 bytes');
  const ids = records.map((r) => encoder.encode(r.id));
  let total = 4 + 2 + 8 + 1 + acc.length + 1 + reg.length + (salt ? SALT_LEN : 0) + 4;
  records.forEach((r, i) => {
    if (!Number.isInteger(r.kind) || r.kind < 0 || r.kind >= KINDS.length) throw damaged('a record is of an unknown kind');
    if (ids[i].length > 0xffff) throw damaged("a record's id is too long");
    total += 1 + 2 + ids[i].length + 1 + 4 + (r.value ? r.value.length : 0);
  });
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  const put = (b) => { out.set(b, at); at += b.length; };
  put(MAGIC);
  put([VERSION, (salt ? SEALED : 0) | (full ? FULL : 0)]);
  view.setBigUint64(at, BigInt(generation));
  at += 8;
  put([acc.length]);
  put(acc);
  put([reg.length]);
  put(reg);
  if (salt) put(salt);
  view.setUint32(at, records.length);
  at += 4;
  records.forEach((r, i) => {
    const value = r.value ?? new Uint8Array(0);
    const present = r.present ?? r.value !== undefined;
    put([r.kind]);
    view.setUint16(at, ids[i].length);
    at += 2;
    put(ids[i]);
    put([present ? 1 : 0]);
    view.setUint32(at, value.length);
    at += 4;
    put(value);
  });
  return out;
}

/** The key of a record in maps of records: its kind and id. */
export const recordKey = (kind, id) => `${kind}/${id}`;

/**
 * Applies a parsed body to `records` (a Map of recordKey → { kind, id,
 * value }), as the wasm applies it to the state: a full body replaces
 * everything, any other sets the present records and removes the absent.
 */
export function applyBody(records, body) {
  if (body.full) records.clear();
  for (const r of body.records) {
    const k = recordKey(r.kind, r.id);
    if (r.present) records.set(k, { kind: r.kind, id: r.id, value: r.value });
    else records.delete(k);
  }
  return records;
}

/**
 * A full plain body of `records` ({ kind, id, value }), meta first, then
 * by kind and id (the wasm accepts any order in a full body).
 */
export function fullBody({ generation, account, region, records }) {
  const sorted = [...records].sort((a, b) => a.kind - b.kind || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return buildBody({ full: true, generation, account, region, records: sorted.map((r) => ({ kind: r.kind, id: r.id, present: true, value: r.value })) });
}
