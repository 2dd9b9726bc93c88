// One measuring session of the scale benchmark (bench/scale.mjs), shared by
// Node and Chromium: it imports nothing by name, the package is passed in.
// A session restores a tier's backup into a fresh store, closes it, opens
// it again (createKms until the first call answers: the open time), then
// measures createKey, encrypt (32 B) and generateDataKey (AES_256) for a
// time slice each, one call at a time, on random keys of a working set:
// WORKING_SET keys of the tier (all of them below that), each used once
// first. (The first call on a key after an open parses its key policy and
// expands its AES key schedule, once; the warm-up pass is timed apart as
// `firstUse`, and the slices measure the steady state, the same number of
// distinct keys at every tier.)
// In Chromium, bench/scale.mjs calls `browserSession` through
// page.evaluate on the page bench.mjs's chromiumFor opens.

/** The operations, in the order a session measures them: createKey last, as it grows the store. */
export const OPS = ['encrypt', 'generateDataKey', 'createKey'];

const PLAINTEXT = new Uint8Array(32).fill(5);

/** Distinct keys the slices use at every tier (fewer when the tier has fewer). */
export const WORKING_SET = 1000;

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** ops/s of `fn` (async, awaited one call at a time) over `seconds`; at least one call. */
async function rate(fn, seconds) {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  let t;
  do {
    await fn();
    n += 1;
    t = performance.now();
  } while (t < end);
  return (n * 1000) / (t - t0);
}

/** How many keys `kms` lists (every page). */
async function countKeys(kms) {
  let n = 0;
  let Marker;
  do {
    const r = await kms.listKeys({ Limit: 1000, ...(Marker ? { Marker } : {}) });
    n += r.Keys.length;
    Marker = r.Truncated ? r.NextMarker : undefined;
  } while (Marker);
  return n;
}

/**
 * One session. `makeStore()` gives a store object over the same place each
 * time it is called (a new object, as a new process would make; for the
 * memory store, the same object). `ids`: the tier's key ids. `check`: also
 * count the keys after the restore (every page of listKeys). `seconds`: the
 * slice per operation. `probe`: called with the open KMS after the slices
 * (memory figures). Throws on any wrong answer.
 */
export async function session(pkg, { makeStore, backup, passphrase, ids, seconds, check = false, probe }) {
  const now = () => performance.now();
  let t = now();
  let kms = await pkg.createKms({ store: makeStore() });
  await kms.restoreBackup(backup, { passphrase });
  await kms.close();
  const restoreMs = now() - t;
  backup = null; // drop the bytes before measuring

  const working = ids.length <= WORKING_SET ? ids : Array.from({ length: WORKING_SET }, (_, i) => ids[Math.floor((i * ids.length) / WORKING_SET)]);
  const pick = () => working[Math.floor(Math.random() * working.length)];
  t = now();
  kms = await pkg.createKms({ store: makeStore() });
  const createKmsMs = now() - t;
  const first = await kms.encrypt({ KeyId: pick(), Plaintext: PLAINTEXT });
  const openMs = now() - t;
  let result;
  try {
    const back = await kms.decrypt({ CiphertextBlob: first.CiphertextBlob });
    if (!same(back.Plaintext, PLAINTEXT)) throw new Error('scale bench: encrypt/decrypt round trip is wrong');
    const dk = await kms.generateDataKey({ KeyId: pick(), KeySpec: 'AES_256' });
    if (dk.Plaintext.length !== 32 || !same((await kms.decrypt({ CiphertextBlob: dk.CiphertextBlob })).Plaintext, dk.Plaintext)) {
      throw new Error('scale bench: generateDataKey/decrypt round trip is wrong');
    }
    if (check) {
      const n = await countKeys(kms);
      if (n !== ids.length) throw new Error(`scale bench: the restored store lists ${n} keys, not ${ids.length}`);
    }
    // The first use of every key of the working set (policy parse, key schedule).
    const w0 = now();
    for (const KeyId of working) await kms.encrypt({ KeyId, Plaintext: PLAINTEXT });
    const firstUse = (working.length * 1000) / (now() - w0);
    const calls = {
      encrypt: () => kms.encrypt({ KeyId: pick(), Plaintext: PLAINTEXT }),
      generateDataKey: () => kms.generateDataKey({ KeyId: pick(), KeySpec: 'AES_256' }),
      createKey: () => kms.createKey({}),
    };
    const rates = {};
    for (const op of OPS) rates[op] = await rate(calls[op], seconds);
    result = { restoreMs, createKmsMs, openMs, rates, firstUse, memory: probe ? await probe(kms) : undefined };
  } finally {
    await kms.close();
  }
  return result;
}

/**
 * The session in Chromium on an IndexedDB store: the backup and the key ids
 * are fetched from `base` (bench/scale.mjs serves them), the database is
 * deleted afterwards.
 */
export async function browserSession(pkg, { base, tier, name, passphrase, seconds, check }) {
  const get = async (file) => {
    const r = await fetch(`${base}${file}`);
    if (!r.ok) throw new Error(`scale bench: GET ${file}: ${r.status}`);
    return r;
  };
  const ids = (await (await get('ids.json')).json()).slice(0, tier);
  try {
    return await session(pkg, {
      makeStore: () => pkg.indexedDbStore(name),
      backup: new Uint8Array(await (await get(`tier-${tier}.backup`)).arrayBuffer()),
      passphrase,
      ids,
      seconds,
      check,
      // The JS heap after a garbage collection, through the DevTools protocol
      // (bench/scale.mjs exposes scaleHeapUsage), else performance.memory.
      probe: async () => {
        if (typeof globalThis.scaleHeapUsage === 'function') return globalThis.scaleHeapUsage();
        const m = performance.memory;
        return m ? { usedSize: m.usedJSHeapSize, totalSize: m.totalJSHeapSize, how: 'performance.memory' } : {};
      },
    });
  } finally {
    await new Promise((resolve) => {
      const r = indexedDB.deleteDatabase(`kms-wasm/${name}`);
      r.onsuccess = r.onerror = r.onblocked = () => resolve();
    });
  }
}
