// indexedDbStore tests that run inside one page (browser only; the runner
// adds them after the portable suite). Tabs, reloads and browser restarts
// are in idb-run.mjs.
import { createKms, indexedDbStore, memoryStore } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, randomBytes, isAwsError } from '../suite/harness.js';

const request = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

let counter = 0;
/** A fresh store name (and database `kms-wasm/NAME`). */
function fresh(label) {
  counter += 1;
  return `test-${label}-${Date.now()}-${counter}`;
}

/** Opens the store's database directly, as any script of the origin could. */
async function rawDb(name) {
  return request(indexedDB.open(`kms-wasm/${name}`));
}

/** Every record of every object store: [{ store, key, value }]. */
export async function rawRecords(name) {
  const db = await rawDb(name);
  try {
    const stores = [...db.objectStoreNames];
    const tx = db.transaction(stores, 'readonly');
    const out = [];
    for (const s of stores) {
      const os = tx.objectStore(s);
      const [keys, values] = await Promise.all([request(os.getAllKeys()), request(os.getAll())]);
      keys.forEach((key, i) => out.push({ store: s, key, value: values[i] }));
    }
    return out;
  } finally {
    db.close();
  }
}

async function putRaw(name, store, key, value) {
  const db = await rawDb(name);
  try {
    const tx = db.transaction([store], 'readwrite');
    tx.objectStore(store).put(value, key);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
  } finally {
    db.close();
  }
}

async function drop(name) {
  await request(indexedDB.deleteDatabase(`kms-wasm/${name}`)).catch(() => {});
}

/** Every byte a record holds (typed arrays and ArrayBuffers, recursively), plus its JSON text. */
function bytesOf(value, out = []) {
  if (value instanceof ArrayBuffer) out.push(new Uint8Array(value));
  else if (ArrayBuffer.isView(value)) out.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  else if (value && typeof value === 'object' && !(value instanceof CryptoKey)) {
    for (const v of Object.values(value)) bytesOf(v, out);
    out.push(utf8(JSON.stringify(value, (k, v) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? undefined : v))));
  }
  return out;
}

export function contains(haystack, needle) {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function oaepWrap(publicKey, material) {
  const key = await crypto.subtle.importKey('spki', publicKey, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, material));
}

async function importMaterial(kms, material) {
  const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
  const p = await kms.getParametersForImport({ KeyId: KeyMetadata.Arn, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  await kms.importKeyMaterial({ KeyId: KeyMetadata.Arn, ImportToken: p.ImportToken, EncryptedKeyMaterial: await oaepWrap(p.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
  return KeyMetadata.Arn;
}

/** The slot (0 or 1) of the newest state copy. */
async function currentSlot(name) {
  const states = (await rawRecords(name)).filter((r) => r.store === 'state');
  return states.reduce((a, b) => (b.value.generation > a.value.generation ? b : a)).key;
}

export default suite('indexedDB store (in one page)', (test) => {
  test('keys, ciphertexts and the audit log survive closing and reopening the store', async () => {
    const name = fresh('persist');
    try {
      let kms = await createKms({ store: indexedDbStore(name) });
      const { KeyMetadata } = await kms.createKey({ Description: 'kept in IndexedDB' });
      await kms.createAlias({ AliasName: 'alias/idb', TargetKeyId: KeyMetadata.KeyId });
      const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/idb', Plaintext: utf8('persisted') });
      for (let i = 0; i < 30; i++) await kms.generateDataKey({ KeyId: 'alias/idb', KeySpec: 'AES_256' });
      await kms.close();
      kms = await createKms({ store: indexedDbStore(name) });
      equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'persisted');
      equal((await kms.describeKey({ KeyId: 'alias/idb' })).KeyMetadata.Description, 'kept in IndexedDB');
      const names = (await kms.auditLog()).map((r) => r.eventName);
      deepEqual(names.slice(0, 3), ['CreateKey', 'CreateAlias', 'Encrypt']);
      equal(names.filter((n) => n === 'GenerateDataKey').length, 30, 'the batched read-only records');
      deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
    } finally {
      await drop(name);
    }
  });

  test('the sealing key is a non-extractable AES-GCM CryptoKey kept in the database', async () => {
    const name = fresh('key');
    try {
      const kms = await createKms({ store: indexedDbStore(name) });
      await kms.createKey({});
      await kms.close();
      const records = await rawRecords(name);
      const key = records.find((r) => r.store === 'keys' && r.key === 'root').value;
      ok(key instanceof CryptoKey, 'a CryptoKey');
      equal(key.extractable, false);
      equal(key.algorithm.name, 'AES-GCM');
      equal(key.algorithm.length, 256);
      let refused = null;
      try {
        await crypto.subtle.exportKey('raw', key);
      } catch (e) {
        refused = e;
      }
      ok(refused, 'exportKey is refused');
      const states = records.filter((r) => r.store === 'state');
      equal(states.length, 2, 'two copies (current and previous generation)');
      for (const s of states) ok(s.value.iv && s.value.data && s.value.digest, 'each sealed, with its checksum');
    } finally {
      await drop(name);
    }
  });

  test('imported key material never appears in the database or the backup (a plain snapshot does hold it)', async () => {
    const name = fresh('bytes');
    try {
      const material = randomBytes(32);
      const mem = memoryStore();
      const plain = await createKms({ store: mem });
      await importMaterial(plain, material);
      ok(contains(mem.readState(), material), 'positive control: the search finds it in a plain snapshot');

      const kms = await createKms({ store: indexedDbStore(name) });
      const KeyId = await importMaterial(kms, material);
      const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('byok in the browser') });
      const backup = await kms.exportBackup({ passphrase: 'pw' });
      await kms.close();
      const records = await rawRecords(name);
      ok(records.length >= 5, `${records.length} records`);
      for (const r of records) {
        for (const b of bytesOf(r.value)) ok(!contains(b, material), `${r.store}/${r.key} does not hold the material`);
      }
      ok(!contains(backup, material), 'the backup does not hold it');
      const again = await createKms({ store: indexedDbStore(name) });
      equal(text((await again.decrypt({ CiphertextBlob })).Plaintext), 'byok in the browser');
      await again.close();
    } finally {
      await drop(name);
    }
  });

  test('a flipped byte in one copy is detected and reported; the other copy is used', async () => {
    for (const which of ['current', 'previous']) {
      const name = fresh(`flip-${which}`);
      try {
        let kms = await createKms({ store: indexedDbStore(name) });
        const { KeyMetadata } = await kms.createKey({ Description: 'survives' });
        await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: 'last', TagValue: 'commit' }] });
        await kms.close();
        const cur = await currentSlot(name);
        const slot = which === 'current' ? cur : 1 - cur;
        const rec = (await rawRecords(name)).find((r) => r.store === 'state' && r.key === slot).value;
        const data = new Uint8Array(rec.data.slice(0));
        data[Math.floor(data.length / 2)] ^= 1;
        await putRaw(name, 'state', slot, { ...rec, data: data.buffer });
        const store = indexedDbStore(name);
        kms = await createKms({ store });
        ok(store.warnings.some((w) => w.includes(`State copy ${slot}`) && w.includes('damaged')), `${which}: reported (${store.warnings.join(' | ')})`);
        equal((await kms.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.Description, 'survives', `${which}: the key is there`);
        const tags = (await kms.listResourceTags({ KeyId: KeyMetadata.KeyId })).Tags;
        equal(tags.length, which === 'current' ? 0 : 1, `${which}: the ${which === 'current' ? 'previous generation' : 'current generation'}`);
        await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: 'repaired', TagValue: 'yes' }] });
        await kms.close();
        const clean = indexedDbStore(name);
        kms = await createKms({ store: clean });
        deepEqual(clean.warnings, [], `${which}: clean after the next commit`);
        await kms.close();
      } finally {
        await drop(name);
      }
    }
  });

  test('damaging both copies fails naming the database, and it never starts empty', async () => {
    const name = fresh('both');
    try {
      let kms = await createKms({ store: indexedDbStore(name) });
      await kms.createKey({});
      await kms.close();
      for (const r of (await rawRecords(name)).filter((x) => x.store === 'state')) {
        const data = new Uint8Array(r.value.data.slice(0));
        data[3] ^= 0x80;
        await putRaw(name, 'state', r.key, { ...r.value, data: data.buffer });
      }
      let err = null;
      try {
        await createKms({ store: indexedDbStore(name) });
      } catch (e) {
        err = e;
      }
      isAwsError(err, 'KMSInvalidStoreException');
      ok(err.message.includes(`kms-wasm/${name}`) && /No intact copy/.test(err.message), err.message);
      // Its key deleted: refused too, never a new empty store over the data.
      const db = await rawDb(name);
      const tx = db.transaction(['keys'], 'readwrite');
      tx.objectStore('keys').delete('root');
      await new Promise((resolve) => { tx.oncomplete = resolve; });
      db.close();
      await rejects(() => createKms({ store: indexedDbStore(name) }), 'KMSInvalidStoreException', 'key gone');
      equal((await rawRecords(name)).filter((r) => r.store === 'state').length, 2, 'the copies are still there');
    } finally {
      await drop(name);
    }
  });

  test('two KMSes of one page on one database see each other\'s commits (Web Locks, reload before each call)', async () => {
    const name = fresh('two');
    try {
      const a = await createKms({ store: indexedDbStore(name) });
      const b = await createKms({ store: indexedDbStore(name) });
      const { KeyMetadata } = await a.createKey({});
      const work = [];
      for (let i = 0; i < 20; i++) {
        work.push(a.createAlias({ AliasName: `alias/a-${i}`, TargetKeyId: KeyMetadata.KeyId }));
        work.push(b.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: `b-${i}`, TagValue: String(i) }] }));
      }
      await Promise.all(work);
      equal((await b.listAliases({ KeyId: KeyMetadata.KeyId })).Aliases.length, 20);
      equal((await a.listResourceTags({ KeyId: KeyMetadata.KeyId })).Tags.length, 20);
      deepEqual(await a.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      equal((await b.auditLog()).filter((r) => r.eventName === 'CreateAlias' || r.eventName === 'TagResource').length, 40);
      await a.close();
      await b.close();
    } finally {
      await drop(name);
    }
  });

  test('a wasm trap on an IndexedDB store recovers from the store', async () => {
    const name = fresh('trap');
    try {
      const kms = await createKms({ store: indexedDbStore(name) });
      const { KeyMetadata } = await kms.createKey({ Description: 'survivor' });
      const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('before the trap') });
      await rejects(kms.__trapForTesting(), 'KMSInternalException');
      equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'before the trap');
      await kms.createAlias({ AliasName: 'alias/after-trap', TargetKeyId: KeyMetadata.KeyId });
      deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
      const again = await createKms({ store: indexedDbStore(name) });
      equal((await again.describeKey({ KeyId: 'alias/after-trap' })).KeyMetadata.Description, 'survivor');
      deepEqual(await again.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await again.close();
    } finally {
      await drop(name);
    }
  });

  test('fileStore needs Node: in a browser it throws ValidationException', async () => {
    const { fileStore } = await import('kms-wasm');
    let err = null;
    try {
      fileStore('/tmp/x');
    } catch (e) {
      err = e;
    }
    isAwsError(err, 'ValidationException');
  });

  test('restoreBackup fills an empty IndexedDB store', async () => {
    const source = await createKms();
    const { KeyMetadata } = await source.createKey({ Description: 'from a backup' });
    const { CiphertextBlob } = await source.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('restored') });
    const backup = await source.exportBackup({ passphrase: 'pp' });
    const name = fresh('restore');
    try {
      let kms = await createKms({ store: indexedDbStore(name) });
      await rejects(kms.restoreBackup(backup, { passphrase: 'nope' }), 'KMSInvalidStoreException');
      await kms.restoreBackup(backup, { passphrase: 'pp' });
      await kms.close();
      kms = await createKms({ store: indexedDbStore(name) });
      equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'restored');
      deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
    } finally {
      await drop(name);
    }
  });
});
