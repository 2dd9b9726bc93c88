// indexedDbStore tests that run inside one page (browser only; the runner
// adds them after the portable suite). Tabs, reloads and browser restarts
// are in idb-run.mjs. Databases of format 1 (earlier versions) are written
// by that version's store, kept as a fixture (idb-v1-store.js).
import { createKms, indexedDbStore, memoryStore } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, randomBytes, isAwsError } from '../suite/harness.js';
import { indexedDbStoreV1 } from './idb-v1-store.js';

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
    // Closed once the transaction is done: a connection still closing would block a store's version upgrade.
    const done = new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
    const out = [];
    for (const s of stores) {
      const os = tx.objectStore(s);
      const [keys, values] = await Promise.all([request(os.getAllKeys()), request(os.getAll())]);
      keys.forEach((key, i) => out.push({ store: s, key, value: values[i] }));
    }
    await done;
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

const RECORD_STORES = ['record.meta', 'record.key', 'record.alias', 'record.deleted', 'record.endpoint', 'record.keyStore', 'record.externalKey'];
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Every record of the database, bytes included, as sorted strings (to tell that nothing changed). */
async function fingerprint(name) {
  return (await rawRecords(name)).map((r) => `${r.store}/${JSON.stringify(r.key)}=${bytesOf(r.value).map(hex).join('.')}`).sort();
}

/** The raw value of one record (undefined if none). */
async function rawGet(name, store, key) {
  return (await rawRecords(name)).find((r) => r.store === store && r.key === key)?.value;
}

async function deleteRaw(name, store, key) {
  const db = await rawDb(name);
  try {
    const tx = db.transaction([store], 'readwrite');
    tx.objectStore(store).delete(key);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
  } finally {
    db.close();
  }
}

async function clearRaw(name, store) {
  const db = await rawDb(name);
  try {
    const tx = db.transaction([store], 'readwrite');
    tx.objectStore(store).clear();
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
  } finally {
    db.close();
  }
}

/**
 * What `fn` writes to IndexedDB, counted by operation and object store
 * ('put record.key': 1, ...), and how many readwrite transactions it opens.
 */
async function countWrites(fn) {
  const proto = IDBObjectStore.prototype;
  const saved = { put: proto.put, delete: proto.delete, clear: proto.clear, add: proto.add };
  const dbProto = IDBDatabase.prototype;
  const transaction = dbProto.transaction;
  const counts = {};
  const bump = (k) => { counts[k] = (counts[k] ?? 0) + 1; };
  for (const op of Object.keys(saved)) {
    proto[op] = function counted(...args) {
      bump(`${op} ${this.name}`);
      return saved[op].apply(this, args);
    };
  }
  dbProto.transaction = function counted(stores, mode, ...rest) {
    if (mode === 'readwrite') bump('readwrite transactions');
    return transaction.call(this, stores, mode, ...rest);
  };
  try {
    await fn();
  } finally {
    Object.assign(proto, saved);
    dbProto.transaction = transaction;
  }
  return counts;
}

/** The writes to the record stores among `counts`. */
const recordWrites = (counts) => Object.fromEntries(Object.entries(counts).filter(([k]) => /^(put|delete|clear|add) record\./.test(k)));

/** What a KMS holds, through its API: keys (metadata, tags, grants, rotation), aliases, an endpoint. */
async function inventory(kms, endpoint) {
  const keys = (await kms.listKeys({})).Keys.map((k) => k.KeyId).sort();
  const out = { keys: {}, aliases: (await kms.listAliases({})).Aliases.map((a) => [a.AliasName, a.TargetKeyId]).sort() };
  for (const KeyId of keys) {
    const meta = (await kms.describeKey({ KeyId })).KeyMetadata;
    let rotation;
    try {
      rotation = (await kms.getKeyRotationStatus({ KeyId })).KeyRotationEnabled;
    } catch (e) {
      rotation = e.name;
    }
    out.keys[KeyId] = {
      meta: JSON.stringify(meta),
      tags: (await kms.listResourceTags({ KeyId })).Tags,
      grants: JSON.stringify((await kms.listGrants({ KeyId })).Grants),
      rotation,
    };
  }
  if (endpoint) out.endpoint = (await kms.viaEndpoint(endpoint).describeKey({ KeyId: keys[0] })).KeyMetadata.KeyId;
  return out;
}

/** A store of format 1, written by that version's store: `fill(kms)`'s result. */
async function writeV1(name, fill) {
  const kms = await createKms({ store: indexedDbStoreV1(name) });
  try {
    return await fill(kms);
  } finally {
    await kms.close();
  }
}

/** The error createKms rejects with on the store `name` (null if it opened). */
async function openError(name) {
  try {
    const kms = await createKms({ store: indexedDbStore(name) });
    await kms.close();
    return null;
  } catch (e) {
    return e;
  }
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

  test('the sealing keys are non-extractable CryptoKeys kept in the database; each record is sealed on its own', async () => {
    const name = fresh('key');
    try {
      const kms = await createKms({ store: indexedDbStore(name) });
      const { KeyMetadata } = await kms.createKey({});
      await kms.createAlias({ AliasName: 'alias/sealed', TargetKeyId: KeyMetadata.KeyId });
      await kms.close();
      const records = await rawRecords(name);
      const key = records.find((r) => r.store === 'keys' && r.key === 'root').value;
      ok(key instanceof CryptoKey, 'a CryptoKey');
      equal(key.extractable, false);
      equal(key.algorithm.name, 'AES-GCM');
      equal(key.algorithm.length, 256);
      const digestKey = records.find((r) => r.store === 'keys' && r.key === 'digest').value;
      ok(digestKey instanceof CryptoKey, 'the digest key is a CryptoKey');
      equal(digestKey.extractable, false);
      equal(digestKey.algorithm.name, 'HMAC');
      for (const k of [key, digestKey]) {
        let refused = null;
        try {
          await crypto.subtle.exportKey('raw', k);
        } catch (e) {
          refused = e;
        }
        ok(refused, 'exportKey is refused');
      }
      equal(records.filter((r) => r.store === 'state').length, 0, 'no whole-state copies');
      const held = records.filter((r) => RECORD_STORES.includes(r.store));
      deepEqual(held.map((r) => `${r.store}/${r.key}`).sort(), ['record.alias/us-east-1@alias/sealed', `record.key/us-east-1@${KeyMetadata.KeyId}`, 'record.meta/us-east-1@'].sort(), 'records are filed under REGION@ID');
      for (const r of held) ok(Number.isSafeInteger(r.value.generation) && r.value.iv && r.value.data, `${r.store}/${r.key} is sealed, with its generation`);
      const head = records.find((r) => r.store === 'meta' && r.key === 'head').value;
      equal(head.format, 2);
      equal(head.count, 3);
      equal(head.account, '111122223333');
      equal(head.region, 'us-east-1');
    } finally {
      await drop(name);
    }
  });

  test('imported key material never appears in the database or the backup (a plain body does hold it)', async () => {
    const name = fresh('bytes');
    try {
      const material = randomBytes(32);
      const mem = memoryStore();
      const plain = await createKms({ store: mem });
      await importMaterial(plain, material);
      ok([mem.readState(), ...mem.readChanges()].some((b) => contains(b, material)), 'positive control: the search finds it in the plain bodies of a memory store');

      const kms = await createKms({ store: indexedDbStore(name) });
      const KeyId = await importMaterial(kms, material);
      const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('byok in the browser') });
      const backup = await kms.exportBackup({ passphrase: 'pw' });
      await kms.close();
      const records = await rawRecords(name);
      ok(records.length >= 5, `${records.length} records`);
      ok(records.some((r) => r.store === 'changes'), 'the changes log is searched too');
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

  test('a commit writes only the records its call changed, in one transaction (not the whole state)', async () => {
    const name = fresh('records');
    try {
      const kms = await createKms({ store: indexedDbStore(name) });
      const ids = [];
      for (let i = 0; i < 40; i++) ids.push((await kms.createKey({ Description: `k${i}` })).KeyMetadata.KeyId);
      for (let i = 0; i < 10; i++) await kms.createAlias({ AliasName: `alias/k-${i}`, TargetKeyId: ids[i] });
      const before = await rawRecords(name);
      const steps = [
        ['createKey', () => kms.createKey({}), { 'put record.key': 1, 'put record.meta': 1 }],
        ['createAlias', () => kms.createAlias({ AliasName: 'alias/new', TargetKeyId: ids[39] }), { 'put record.alias': 1, 'put record.meta': 1 }],
        ['tagResource', () => kms.tagResource({ KeyId: ids[7], Tags: [{ TagKey: 't', TagValue: 'v' }] }), { 'put record.key': 1, 'put record.meta': 1 }],
        ['deleteAlias', () => kms.deleteAlias({ AliasName: 'alias/k-3' }), { 'delete record.alias': 1, 'put record.meta': 1 }],
        ['updateAlias', () => kms.updateAlias({ AliasName: 'alias/k-4', TargetKeyId: ids[20] }), { 'put record.alias': 1, 'put record.meta': 1 }],
        ['scheduleKeyDeletion', () => kms.scheduleKeyDeletion({ KeyId: ids[30], PendingWindowInDays: 7 }), { 'put record.key': 1, 'put record.meta': 1 }],
      ];
      for (const [what, call, expected] of steps) {
        const counts = await countWrites(call);
        deepEqual(recordWrites(counts), expected, `${what}: the records written`);
        equal(counts['readwrite transactions'], 1, `${what}: one transaction`);
        equal(counts['put meta'], 1, `${what}: the head`);
        equal(counts['put changes'], 1, `${what}: the changes log`);
      }
      // A key's first use is recorded (GetKeyLastUsage), at most once an hour after that.
      const first = await countWrites(() => kms.encrypt({ KeyId: ids[0], Plaintext: utf8('x') }));
      deepEqual(recordWrites(first), { 'put record.lastUsed': 1, 'put record.meta': 1 }, 'a first use writes its record');
      const reads = await countWrites(() => kms.encrypt({ KeyId: ids[0], Plaintext: utf8('x') }));
      deepEqual(recordWrites(reads), {}, 'a read-only call writes no record');
      await kms.close();
      // Only the records named above were rewritten: every other one is byte for byte the same.
      const after = await rawRecords(name);
      const ivOf = (list, store, key) => {
        const r = list.find((x) => x.store === store && x.key === key);
        return r && hex(r.value.iv);
      };
      const rewritten = new Set([`record.key/us-east-1@${ids[7]}`, `record.key/us-east-1@${ids[30]}`, 'record.alias/us-east-1@alias/k-4', 'record.meta/us-east-1@']);
      for (const r of before.filter((x) => RECORD_STORES.includes(x.store))) {
        const tag = `${r.store}/${r.key}`;
        if (tag === 'record.alias/us-east-1@alias/k-3') equal(ivOf(after, r.store, r.key), undefined, 'the deleted alias is gone');
        else if (rewritten.has(tag)) ok(ivOf(after, r.store, r.key) !== hex(r.value.iv), `${tag} was rewritten`);
        else equal(ivOf(after, r.store, r.key), hex(r.value.iv), `${tag} was not rewritten`);
      }
      equal(after.filter((r) => r.store === 'record.key').length, 41);
    } finally {
      await drop(name);
    }
  });

  test('reopening gives back the same keys, aliases, grants, tags, rotations, deletions and endpoints', async () => {
    const name = fresh('reopen');
    const VPCE = 'vpce-0123456789abcdef0';
    try {
      let kms = await createKms({ store: indexedDbStore(name) });
      await kms.createEndpoint({ VpcEndpointId: VPCE, VpcId: 'vpc-0123456789abcdef0' });
      const a = (await kms.createKey({ Description: 'a' })).KeyMetadata.KeyId;
      const b = (await kms.createKey({ Description: 'b' })).KeyMetadata.KeyId;
      const c = (await kms.createKey({ Description: 'c' })).KeyMetadata.KeyId;
      const d = (await kms.createKey({ Description: 'd' })).KeyMetadata.KeyId;
      await kms.createAlias({ AliasName: 'alias/a', TargetKeyId: a });
      await kms.createAlias({ AliasName: 'alias/b', TargetKeyId: b });
      await kms.createAlias({ AliasName: 'alias/gone', TargetKeyId: c });
      await kms.deleteAlias({ AliasName: 'alias/gone' });
      await kms.tagResource({ KeyId: a, Tags: [{ TagKey: 'team', TagValue: 'x' }, { TagKey: 'env', TagValue: 'prod' }] });
      await kms.untagResource({ KeyId: a, TagKeys: ['env'] });
      await kms.createGrant({ KeyId: a, GranteePrincipal: 'arn:aws:iam::111122223333:role/reader', Operations: ['Decrypt', 'Encrypt'], Name: 'g1' });
      const { GrantId } = await kms.createGrant({ KeyId: a, GranteePrincipal: 'arn:aws:iam::111122223333:role/other', Operations: ['Decrypt'] });
      await kms.revokeGrant({ KeyId: a, GrantId });
      await kms.enableKeyRotation({ KeyId: a });
      await kms.disableKey({ KeyId: c });
      await kms.scheduleKeyDeletion({ KeyId: d, PendingWindowInDays: 7 });
      const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/a', Plaintext: utf8('kept') });
      let expected = await inventory(kms, VPCE);
      await kms.close();
      for (let round = 1; round <= 2; round++) {
        const store = indexedDbStore(name);
        kms = await createKms({ store });
        deepEqual(await inventory(kms, VPCE), expected, `round ${round}: the same state`);
        equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'kept');
        await rejects(kms.createEndpoint({ VpcEndpointId: VPCE, VpcId: 'vpc-0123456789abcdef0' }), 'AlreadyExistsException');
        deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
        deepEqual(store.warnings, []);
        if (round === 1) {
          // A change, and the state after it, across the next reopen.
          await kms.cancelKeyDeletion({ KeyId: d });
          await kms.scheduleKeyDeletion({ KeyId: d, PendingWindowInDays: 8 });
          expected = await inventory(kms, VPCE);
        }
        await kms.close();
      }
    } finally {
      await drop(name);
    }
  });

  test('a database of format 1 opens as it was, and its first write migrates it to records', async () => {
    const name = fresh('v1');
    try {
      const made = await writeV1(name, async (kms) => {
        const { KeyMetadata } = await kms.createKey({ Description: 'from v1' });
        await kms.createAlias({ AliasName: 'alias/v1', TargetKeyId: KeyMetadata.KeyId });
        const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/v1', Plaintext: utf8('old format') });
        for (let i = 0; i < 5; i++) await kms.generateDataKey({ KeyId: 'alias/v1', KeySpec: 'AES_256' });
        await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: 'v', TagValue: '1' }] });
        return { keyId: KeyMetadata.KeyId, blob: CiphertextBlob, log: (await kms.auditLog()).map((r) => r.eventName) };
      });
      const v1 = await rawRecords(name);
      equal(v1.filter((r) => r.store === 'state').length, 2, 'format 1: two state copies');
      ok(!v1.some((r) => RECORD_STORES.includes(r.store)), 'format 1: no record stores');
      equal(v1.find((r) => r.key === 'head').value.format, undefined);

      // Read-only calls: opened as it is, not rewritten. (A decrypt is a use
      // of its key, which GetKeyLastUsage records: a write. It comes after
      // the migration, below.)
      let store = indexedDbStore(name);
      let kms = await createKms({ store });
      equal((await kms.describeKey({ KeyId: 'alias/v1' })).KeyMetadata.Description, 'from v1');
      deepEqual((await kms.auditLog()).map((r) => r.eventName).slice(0, made.log.length), made.log, 'the audit log of format 1');
      deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
      let raw = await rawRecords(name);
      equal(raw.filter((r) => r.store === 'state').length, 2, 'still format 1 after read-only calls');
      equal(raw.filter((r) => RECORD_STORES.includes(r.store)).length, 0);
      deepEqual(store.warnings, []);

      // The first write: every record, the copies deleted, in one transaction.
      store = indexedDbStore(name);
      kms = await createKms({ store });
      const counts = await countWrites(() => kms.createAlias({ AliasName: 'alias/v2', TargetKeyId: made.keyId }));
      equal(counts['readwrite transactions'], 1, 'migrated in one transaction');
      equal(counts['clear state'], 1, 'the copies are deleted in it');
      await kms.close();
      raw = await rawRecords(name);
      equal(raw.filter((r) => r.store === 'state').length, 0, 'no copies left');
      deepEqual(raw.filter((r) => RECORD_STORES.includes(r.store)).map((r) => `${r.store}/${r.key}`).sort(),
        ['record.alias/us-east-1@alias/v1', 'record.alias/us-east-1@alias/v2', `record.key/us-east-1@${made.keyId}`, 'record.meta/us-east-1@'].sort());
      equal(raw.find((r) => r.store === 'meta' && r.key === 'head').value.format, 2);

      store = indexedDbStore(name);
      kms = await createKms({ store });
      equal(text((await kms.decrypt({ CiphertextBlob: made.blob })).Plaintext), 'old format');
      deepEqual((await kms.listResourceTags({ KeyId: made.keyId })).Tags, [{ TagKey: 'v', TagValue: '1' }]);
      const names = (await kms.auditLog()).map((r) => r.eventName);
      deepEqual(names.slice(0, made.log.length), made.log, 'the audit log goes on');
      ok(names.includes('CreateAlias'));
      deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      deepEqual(store.warnings, []);
      await kms.close();
    } finally {
      await drop(name);
    }
  });

  test('two KMSes on a database of format 1: the first write migrates it, and the other reads the records from then on', async () => {
    const name = fresh('v1-two');
    try {
      const keyId = await writeV1(name, async (kms) => (await kms.createKey({ Description: 'shared' })).KeyMetadata.KeyId);
      const sa = indexedDbStore(name);
      const sb = indexedDbStore(name);
      const a = await createKms({ store: sa });
      const b = await createKms({ store: sb });
      equal((await b.describeKey({ KeyId: keyId })).KeyMetadata.Description, 'shared');
      await a.createAlias({ AliasName: 'alias/after', TargetKeyId: keyId });
      equal((await rawRecords(name)).filter((r) => r.store === 'state').length, 0, 'migrated by a');
      equal((await b.describeKey({ KeyId: 'alias/after' })).KeyMetadata.KeyId, keyId, 'b follows');
      await b.tagResource({ KeyId: keyId, Tags: [{ TagKey: 'by', TagValue: 'b' }] });
      deepEqual((await a.listResourceTags({ KeyId: keyId })).Tags, [{ TagKey: 'by', TagValue: 'b' }], 'a sees b\'s change');
      deepEqual(await a.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      deepEqual([...sa.warnings, ...sb.warnings], []);
      await a.close();
      await b.close();
    } finally {
      await drop(name);
    }
  });

  test('a flipped byte in one copy of format 1 is detected and reported; the other copy is used, and the next commit migrates', async () => {
    for (const which of ['current', 'previous']) {
      const name = fresh(`flip-${which}`);
      try {
        const keyId = await writeV1(name, async (kms) => {
          const { KeyMetadata } = await kms.createKey({ Description: 'survives' });
          await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: 'last', TagValue: 'commit' }] });
          return KeyMetadata.KeyId;
        });
        const cur = await currentSlot(name);
        const slot = which === 'current' ? cur : 1 - cur;
        const rec = await rawGet(name, 'state', slot);
        const data = new Uint8Array(rec.data.slice(0));
        data[Math.floor(data.length / 2)] ^= 1;
        await putRaw(name, 'state', slot, { ...rec, data: data.buffer });
        const store = indexedDbStore(name);
        let kms = await createKms({ store });
        ok(store.warnings.some((w) => w.includes(`State copy ${slot}`) && w.includes('damaged')), `${which}: reported (${store.warnings.join(' | ')})`);
        equal((await kms.describeKey({ KeyId: keyId })).KeyMetadata.Description, 'survives', `${which}: the key is there`);
        const tags = (await kms.listResourceTags({ KeyId: keyId })).Tags;
        equal(tags.length, which === 'current' ? 0 : 1, `${which}: the ${which === 'current' ? 'previous generation' : 'current generation'}`);
        await kms.tagResource({ KeyId: keyId, Tags: [{ TagKey: 'repaired', TagValue: 'yes' }] });
        await kms.close();
        equal((await rawRecords(name)).filter((r) => r.store === 'state').length, 0, `${which}: migrated`);
        const clean = indexedDbStore(name);
        kms = await createKms({ store: clean });
        deepEqual(clean.warnings, [], `${which}: clean after the next commit`);
        ok((await kms.listResourceTags({ KeyId: keyId })).Tags.some((t) => t.TagKey === 'repaired'));
        await kms.close();
      } finally {
        await drop(name);
      }
    }
  });

  test('damaging both copies of format 1 fails naming the database, and it never starts empty', async () => {
    const name = fresh('both');
    try {
      await writeV1(name, (kms) => kms.createKey({}));
      for (const r of (await rawRecords(name)).filter((x) => x.store === 'state')) {
        const data = new Uint8Array(r.value.data.slice(0));
        data[3] ^= 0x80;
        await putRaw(name, 'state', r.key, { ...r.value, data: data.buffer });
      }
      const err = await openError(name);
      isAwsError(err, 'KMSInvalidStoreException');
      ok(err.message.includes(`kms-wasm/${name}`) && /No intact copy/.test(err.message), err.message);
      // Its key deleted: refused too, never a new empty store over the data.
      await deleteRaw(name, 'keys', 'root');
      await rejects(() => createKms({ store: indexedDbStore(name) }), 'KMSInvalidStoreException', 'key gone');
      equal((await rawRecords(name)).filter((r) => r.store === 'state').length, 2, 'the copies are still there');
    } finally {
      await drop(name);
    }
  });

  test('a damaged, swapped, moved, replayed or deleted record, or an edited head, fails the open naming it, and changes nothing', async () => {
    const name = fresh('tamper');
    try {
      let kms = await createKms({ store: indexedDbStore(name) });
      const k1 = (await kms.createKey({ Description: 'one' })).KeyMetadata.KeyId;
      const k2 = (await kms.createKey({ Description: 'two' })).KeyMetadata.KeyId;
      await kms.createAlias({ AliasName: 'alias/one', TargetKeyId: k1 });
      const older = await rawGet(name, 'record.key', `us-east-1@${k1}`);
      await kms.tagResource({ KeyId: k1, Tags: [{ TagKey: 'newer', TagValue: 'yes' }] });
      const { CiphertextBlob } = await kms.encrypt({ KeyId: k1, Plaintext: utf8('intact') });
      await kms.close();
      const original = await fingerprint(name);
      // Records are filed under REGION@ID.
      const [id1, id2] = [`us-east-1@${k1}`, `us-east-1@${k2}`];
      const r1 = await rawGet(name, 'record.key', id1);
      const r2 = await rawGet(name, 'record.key', id2);
      const alias = await rawGet(name, 'record.alias', 'us-east-1@alias/one');
      const head = await rawGet(name, 'meta', 'head');
      const digestKey = await rawGet(name, 'keys', 'digest');
      const flipped = (rec, at) => {
        const data = new Uint8Array(rec.data.slice(0));
        data[at(data.length)] ^= 1;
        return { ...rec, data: data.buffer };
      };
      const cases = [
        ['a flipped byte in its data', () => putRaw(name, 'record.key', id1, flipped(r1, (n) => n >> 1)), ['record.key', id1]],
        ['a flipped byte in its tag', () => putRaw(name, 'record.key', id1, flipped(r1, (n) => n - 1)), ['record.key', id1]],
        ['its generation edited', () => putRaw(name, 'record.key', id1, { ...r1, generation: r1.generation - 1 }), ['record.key', id1]],
        ['two records swapped between their ids', async () => {
          await putRaw(name, 'record.key', id1, r2);
          await putRaw(name, 'record.key', id2, r1);
        }, ['record.key']],
        ["a record moved to another kind's object store (same id)", async () => {
          await deleteRaw(name, 'record.key', id1);
          await putRaw(name, 'record.deleted', id1, r1);
        }, ['record.deleted', id1]],
        ['a record moved to another kind (another id)', () => putRaw(name, 'record.alias', 'us-east-1@alias/one', r2), ['record.alias', 'us-east-1@alias/one']],
        ['an earlier version of a record put back', () => putRaw(name, 'record.key', id1, older), ['do not match its head']],
        ['a record deleted', () => deleteRaw(name, 'record.alias', 'us-east-1@alias/one'), ['do not match its head', '4 records for 5']],
        ['a record added (a copy under another id)', () => putRaw(name, 'record.alias', 'us-east-1@alias/two', alias), ['record.alias', 'us-east-1@alias/two']],
        ['the head\'s seq edited', () => putRaw(name, 'meta', 'head', { ...head, seq: head.seq + 1 }), ['head', 'altered']],
        ['the head\'s count edited', () => putRaw(name, 'meta', 'head', { ...head, count: head.count - 1 }), ['head', 'altered']],
        ['the head deleted', () => deleteRaw(name, 'meta', 'head'), ['no head']],
        ['the digest key deleted', () => deleteRaw(name, 'keys', 'digest'), ['digest key is gone']],
      ];
      for (const [what, tamper, words] of cases) {
        await tamper();
        const tampered = await fingerprint(name);
        const err = await openError(name);
        isAwsError(err, 'KMSInvalidStoreException', what);
        for (const w of [`kms-wasm/${name}`, ...words]) ok(err.message.includes(w), `${what}: the message names ${w}: ${err.message}`);
        deepEqual(await fingerprint(name), tampered, `${what}: nothing was changed`);
        // Put back as it was: it opens, whole.
        const db = await rawDb(name);
        const stores = [...db.objectStoreNames];
        db.close();
        for (const s of ['record.key', 'record.deleted', 'record.alias', 'meta']) if (stores.includes(s)) await clearRaw(name, s);
        await putRaw(name, 'record.key', id1, r1);
        await putRaw(name, 'record.key', id2, r2);
        await putRaw(name, 'record.alias', 'us-east-1@alias/one', alias);
        await putRaw(name, 'meta', 'head', head);
        if (what === 'the digest key deleted') await putRaw(name, 'keys', 'digest', digestKey);
        deepEqual(await fingerprint(name), original, `${what}: restored`);
      }
      kms = await createKms({ store: indexedDbStore(name) });
      equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'intact');
      deepEqual((await kms.listResourceTags({ KeyId: k1 })).Tags, [{ TagKey: 'newer', TagValue: 'yes' }]);
      await kms.close();
    } finally {
      await drop(name);
    }
  });

  test('another KMS on the database catches up from the changes log, and reads every record when the log does not reach back', async () => {
    const name = fresh('catchup');
    try {
      const a = await createKms({ store: indexedDbStore(name) });
      const sb = indexedDbStore(name);
      const b = await createKms({ store: sb });
      let reloads = 0;
      const readState = sb.readState.bind(sb);
      sb.readState = () => { reloads += 1; return readState(); };
      const { KeyMetadata } = await a.createKey({});
      const KeyId = KeyMetadata.KeyId;
      await a.createAlias({ AliasName: 'alias/seen', TargetKeyId: KeyId });
      equal((await b.describeKey({ KeyId: 'alias/seen' })).KeyMetadata.KeyId, KeyId);
      equal(reloads, 0, 'caught up from the changes log');
      for (let i = 0; i < 140; i++) await a.tagResource({ KeyId, Tags: [{ TagKey: 'n', TagValue: String(i) }] });
      deepEqual((await b.listResourceTags({ KeyId })).Tags, [{ TagKey: 'n', TagValue: '139' }]);
      equal(reloads, 1, 'the log keeps the last 128 commits: every record read again');
      // A damaged entry of the log: reported, and every record read again.
      await a.tagResource({ KeyId, Tags: [{ TagKey: 'n', TagValue: 'last' }] });
      const { seq } = await rawGet(name, 'meta', 'head');
      const entry = await rawGet(name, 'changes', seq);
      const data = new Uint8Array(entry.data.slice(0));
      data[0] ^= 1;
      await putRaw(name, 'changes', seq, { ...entry, data: data.buffer });
      deepEqual((await b.listResourceTags({ KeyId })).Tags, [{ TagKey: 'n', TagValue: 'last' }]);
      equal(reloads, 2);
      ok(sb.warnings.some((w) => w.includes('changes log')), sb.warnings.join(' | '));
      deepEqual(await b.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await a.close();
      await b.close();
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
