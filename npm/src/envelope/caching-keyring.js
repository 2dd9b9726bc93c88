// cachingKeyring: reuses data keys for a while, so that many small messages
// do not each cost a KMS call (the AWS Encryption SDK's caching
// cryptographic materials manager, as a keyring).
//
// - Encrypt: messages with the same encryption context share one data key
//   until it is `maxAge` old, has protected `maxMessages` messages, or
//   `maxBytes` bytes. Each message still derives its own frame key from the
//   data key and its random message id (HKDF), so nothing is ever encrypted
//   twice under one key and nonce. With `maxBytes`, a message of unknown
//   length (a stream) is not served from the cache.
// - Decrypt: a data key unwrapped from one set of encrypted data keys and
//   context is reused for the same set and context until it is `maxAge` old.
// - Entries are evicted least recently used beyond `capacity`, and a data
//   key leaving the cache is overwritten with zeros. The caller gets a copy.
//
// A signed suite (0x0578) puts a fresh public key into every message's
// context, so its messages never share a data key (as in the Encryption SDK).

import { envelopeError } from './errors.js';
import { isKeyring } from './keyrings.js';

const KEYRING = Symbol.for('kms-wasm.keyring');
const MAX_MESSAGES = 2 ** 32;

function invalid(message) {
  return envelopeError('KeyringError', 'InvalidKeyring', message);
}

function positive(value, name, { integer = false, optional = true } = {}) {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw invalid(`cachingKeyring: ${name} must be a positive ${integer ? 'integer' : 'number'}.`);
  }
  return value;
}

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function contextId(context) {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function edksId(edks) {
  return edks.map((e) => `${e.providerId.length}:${e.providerId}:${hex(e.providerInfo)}:${hex(e.encryptedDataKey)}`).sort().join(',');
}

/**
 * A keyring that caches the data keys of another keyring.
 * @param {{ keyring: object, maxAge: number, maxMessages?: number, maxBytes?: number, capacity?: number, now?: () => number }} options
 *   `maxAge` in milliseconds (required, as in the Encryption SDK);
 *   `maxMessages` per data key (default 2^32); `maxBytes` of plaintext per
 *   data key (default unlimited); `capacity` entries (default 100).
 */
export function cachingKeyring(options) {
  const { keyring, now = Date.now } = options || {};
  if (!isKeyring(keyring)) throw invalid('cachingKeyring: keyring must be a keyring.');
  const maxAge = positive(options.maxAge, 'maxAge', { optional: false });
  const maxMessages = positive(options.maxMessages, 'maxMessages', { integer: true }) ?? MAX_MESSAGES;
  if (maxMessages > MAX_MESSAGES) throw invalid(`cachingKeyring: maxMessages must be at most 2^32.`);
  const maxBytes = positive(options.maxBytes, 'maxBytes', { integer: true });
  const capacity = positive(options.capacity, 'capacity', { integer: true }) ?? 100;
  if (typeof now !== 'function') throw invalid('cachingKeyring: now must be a function returning milliseconds.');

  /** @type {Map<string, { dataKey: Uint8Array, encryptedDataKeys?: object[], created: number, messages: number, bytes: number }>} */
  const entries = new Map();
  const stats = { hits: 0, misses: 0 };

  function drop(id) {
    const e = entries.get(id);
    if (!e) return;
    e.dataKey.fill(0);
    entries.delete(id);
  }

  function put(id, entry) {
    drop(id);
    entries.set(id, entry);
    while (entries.size > capacity) drop(entries.keys().next().value);
  }

  /** The live entry for `id`, moved to the most recently used end; an expired one is dropped. */
  function live(id) {
    const e = entries.get(id);
    if (!e) return undefined;
    if (now() - e.created >= maxAge) {
      drop(id);
      return undefined;
    }
    entries.delete(id);
    entries.set(id, e);
    return e;
  }

  return Object.freeze({
    [KEYRING]: 'caching',
    /** Cache hits and misses so far. */
    get stats() {
      return { ...stats, entries: entries.size };
    },
    /** Empties the cache, overwriting every data key. */
    clear() {
      for (const id of [...entries.keys()]) drop(id);
    },
    async onEncrypt(ctx) {
      // As a child of a multi-keyring the data key is given: only wrap it.
      if (ctx.dataKey) return keyring.onEncrypt(ctx);
      const length = ctx.plaintextLength;
      const cacheable = maxBytes === undefined || (typeof length === 'number' && length <= maxBytes);
      const id = `e${contextId(ctx.encryptionContext)}`;
      const e = cacheable ? live(id) : undefined;
      if (e && e.messages < maxMessages && (maxBytes === undefined || e.bytes + length <= maxBytes)) {
        e.messages += 1;
        e.bytes += length ?? 0;
        stats.hits += 1;
        return { dataKey: e.dataKey.slice(), encryptedDataKeys: e.encryptedDataKeys };
      }
      stats.misses += 1;
      const r = await keyring.onEncrypt(ctx);
      if (cacheable && r && r.dataKey instanceof Uint8Array) {
        put(id, { dataKey: r.dataKey.slice(), encryptedDataKeys: r.encryptedDataKeys, created: now(), messages: 1, bytes: length ?? 0 });
        if (maxMessages === 1) drop(id);
      }
      return r;
    },
    async onDecrypt(ctx) {
      const id = `d${contextId(ctx.encryptionContext)}|${edksId(ctx.encryptedDataKeys)}`;
      const e = live(id);
      if (e) {
        stats.hits += 1;
        return e.dataKey.slice();
      }
      stats.misses += 1;
      const dataKey = await keyring.onDecrypt(ctx);
      if (dataKey instanceof Uint8Array) put(id, { dataKey: dataKey.slice(), created: now(), messages: 0, bytes: 0 });
      return dataKey;
    },
  });
}
