// The store cost in Chromium, for bench.mjs: ops/s of createAlias and
// encrypt (32 B) on a memory store and on an IndexedDB store, each slice on
// a new KMS (and a new database).
import { createKms, memoryStore, indexedDbStore } from 'kms-wasm';

let n = 0;
const plaintext = new Uint8Array(32).fill(1);

/** ops/s of `op` ('createAlias' | 'encrypt') on a new KMS with `kind` ('memory' | 'indexeddb') over `seconds`. */
export async function measure(kind, op, seconds) {
  n += 1;
  const name = `bench-${Date.now()}-${n}`;
  const store = kind === 'indexeddb' ? indexedDbStore(name) : memoryStore();
  const kms = await createKms({ store });
  try {
    return await loop(kms, op, seconds);
  } finally {
    await kms.close();
    if (kind === 'indexeddb') {
      await new Promise((resolve) => {
        const r = indexedDB.deleteDatabase(`kms-wasm/${name}`);
        r.onsuccess = r.onerror = r.onblocked = () => resolve();
      });
    }
  }
}

/** The same loop as bench.mjs runs in Node. */
export async function loop(kms, op, seconds) {
  let KeyId = (await kms.createKey({})).KeyMetadata.KeyId;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let t;
  do {
    for (let b = 0; b < 8; b++, i++) {
      if (op === 'encrypt') {
        await kms.encrypt({ KeyId, Plaintext: plaintext });
      } else {
        // A key takes at most 50 aliases: a new key every 50 (counted, as both stores do it).
        if (i % 50 === 49) {
          KeyId = (await kms.createKey({})).KeyMetadata.KeyId;
        } else {
          await kms.createAlias({ AliasName: `alias/b${i}`, TargetKeyId: KeyId });
        }
      }
    }
    t = performance.now();
  } while (t < end);
  return (i * 1000) / (t - t0);
}
