// Custom key stores (external kind), portable: the store operations, keys
// created in a store with webCryptoKeyStore() and with a user's own async
// store, double encryption, Unavailable keys, AWS errors with nothing
// changed, reattaching after a restart, and the envelope keyring over a key
// in a store. In the browser, webCryptoKeyStore() keeps its keys in IndexedDB.
import { createKms, memoryStore, webCryptoKeyStore, encryptMessage, decryptMessage, kmsKeyring } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, observe, date } from './harness.js';

let databases = 0;
/** A fresh webCryptoKeyStore (its own IndexedDB database in browsers). */
function freshStore() {
  databases += 1;
  return webCryptoKeyStore({ database: `kms-wasm-test-xks-${Date.now()}-${databases}` });
}

/** A KMS with a connected external key store holding external keys 'ext-1' and 'ext-2'. */
async function setup(options = {}) {
  const external = options.external ?? freshStore();
  if (!options.external) {
    await external.createKey('ext-1');
    await external.createKey('ext-2');
  }
  const kms = await createKms(options.kmsOptions ?? {});
  const { CustomKeyStoreId } = await kms.createCustomKeyStore({
    CustomKeyStoreName: options.name ?? 'vault',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    ExternalKeyStore: external,
  });
  await kms.connectCustomKeyStore({ CustomKeyStoreId });
  return { kms, external, CustomKeyStoreId };
}

async function xksKey(kms, CustomKeyStoreId, XksKeyId = 'ext-1') {
  const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId });
  return KeyMetadata;
}

async function stateOf(kms, id) {
  return (await kms.describeCustomKeyStores({ CustomKeyStoreId: id })).CustomKeyStores[0];
}

/** A user's own external store: AES-GCM through WebCrypto, recording what it was given. */
function recordingStore() {
  const keys = new Map();
  const seen = [];
  return {
    seen,
    async add(id) {
      keys.set(id, await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']));
    },
    async encrypt({ keyId, plaintext, aad }) {
      seen.push(['encrypt', plaintext.slice()]);
      const key = keys.get(keyId);
      if (!key) throw Object.assign(new Error('no such key'), { name: 'XksKeyNotFoundException' });
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const body = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plaintext));
      const out = new Uint8Array(12 + body.length);
      out.set(iv);
      out.set(body, 12);
      return out;
    },
    async decrypt({ keyId, ciphertext, aad }) {
      seen.push(['decrypt', ciphertext.slice()]);
      const key = keys.get(keyId);
      if (!key) throw Object.assign(new Error('no such key'), { name: 'XksKeyNotFoundException' });
      try {
        return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: ciphertext.subarray(0, 12), additionalData: aad }, key, ciphertext.subarray(12)));
      } catch {
        throw Object.assign(new Error('bad ciphertext'), { name: 'InvalidCiphertextException' });
      }
    },
  };
}

function contains(haystack, needle) {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

export default suite('custom key stores', (test) => {
  test('createCustomKeyStore makes a DISCONNECTED store; connect makes it CONNECTED; describe by id, name or all', async () => {
    const external = freshStore();
    const kms = await createKms();
    const { CustomKeyStoreId } = await kms.createCustomKeyStore({ CustomKeyStoreName: 'vault', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: external });
    ok(/^cks-[0-9a-f]{17}$/.test(CustomKeyStoreId), CustomKeyStoreId);
    const d = await stateOf(kms, CustomKeyStoreId);
    equal(d.ConnectionState, 'DISCONNECTED');
    equal(d.CustomKeyStoreType, 'EXTERNAL_KEY_STORE');
    equal(d.CustomKeyStoreName, 'vault');
    date(d.CreationDate);
    await kms.connectCustomKeyStore({ CustomKeyStoreId });
    equal((await stateOf(kms, CustomKeyStoreId)).ConnectionState, 'CONNECTED');
    const byName = await kms.describeCustomKeyStores({ CustomKeyStoreName: 'vault' });
    equal(byName.CustomKeyStores[0].CustomKeyStoreId, CustomKeyStoreId);
    equal((await kms.describeCustomKeyStores()).CustomKeyStores.length, 1);
    await external.close();
  });

  test('store operation errors carry AWS names and change nothing', async () => {
    const { kms, CustomKeyStoreId, external } = await setup();
    const before = await observe(kms);
    const stores = await kms.describeCustomKeyStores();
    await rejects(() => kms.createCustomKeyStore({ CustomKeyStoreName: 'vault', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: external }), 'CustomKeyStoreNameInUseException');
    await rejects(() => kms.createCustomKeyStore({ CustomKeyStoreName: 'x', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' }), 'ValidationException');
    await rejects(() => kms.createCustomKeyStore({ CustomKeyStoreName: 'x', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: { encrypt() {} } }), 'ValidationException');
    await rejects(() => kms.createCustomKeyStore({ CustomKeyStoreName: 'hsm' }), 'UnsupportedOperationException');
    await rejects(() => kms.describeCustomKeyStores({ CustomKeyStoreId: 'cks-00000000000000000' }), 'CustomKeyStoreNotFoundException');
    await rejects(() => kms.describeCustomKeyStores({ CustomKeyStoreId, CustomKeyStoreName: 'vault' }), 'ValidationException');
    await rejects(() => kms.connectCustomKeyStore({ CustomKeyStoreId: 'cks-00000000000000000' }), 'CustomKeyStoreNotFoundException');
    await rejects(() => kms.deleteCustomKeyStore({ CustomKeyStoreId }), 'CustomKeyStoreInvalidStateException');
    await rejects(() => kms.withCaller('arn:aws:iam::444455556666:root').createCustomKeyStore({ CustomKeyStoreName: 'other', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: external }), 'AccessDeniedException');
    deepEqual(await observe(kms), before);
    deepEqual(await kms.describeCustomKeyStores(), stores);
    await external.close();
  });

  test('a key in a store is double-encrypted: the external store sees only the inner ciphertext', async () => {
    const mine = recordingStore();
    await mine.add('k1');
    const { kms, CustomKeyStoreId } = await setup({ external: mine });
    const key = await xksKey(kms, CustomKeyStoreId, 'k1');
    equal(key.Origin, 'EXTERNAL_KEY_STORE');
    equal(key.CustomKeyStoreId, CustomKeyStoreId);
    deepEqual(key.XksKeyConfiguration, { Id: 'k1' });
    deepEqual(mine.seen.map(([op]) => op), ['encrypt', 'decrypt'], 'the creation probe');
    mine.seen.length = 0;
    const secret = utf8('a secret the external store never sees');
    const { CiphertextBlob } = await kms.encrypt({ KeyId: key.Arn, Plaintext: secret, EncryptionContext: { tenant: 'acme' } });
    equal(CiphertextBlob[0], 2, 'blob version 2');
    equal(mine.seen.length, 1);
    ok(!contains(mine.seen[0][1], secret), 'no plaintext reaches the external store');
    const { Plaintext } = await kms.decrypt({ CiphertextBlob, EncryptionContext: { tenant: 'acme' } });
    equal(text(Plaintext), text(secret));
    await rejects(() => kms.decrypt({ CiphertextBlob, EncryptionContext: { tenant: 'evil' } }), 'InvalidCiphertextException');
    for (const i of [0, 5, 17, 30, CiphertextBlob.length - 1]) {
      const bad = CiphertextBlob.slice();
      bad[i] ^= 1;
      await rejects(() => kms.decrypt({ CiphertextBlob: bad, EncryptionContext: { tenant: 'acme' } }), 'InvalidCiphertextException', `byte ${i}`);
    }
    const dk = await kms.generateDataKey({ KeyId: key.KeyId, KeySpec: 'AES_256' });
    deepEqual((await kms.decrypt({ CiphertextBlob: dk.CiphertextBlob })).Plaintext, dk.Plaintext);
    const { KeyMetadata: local } = await kms.createKey();
    const re = await kms.reEncrypt({ CiphertextBlob: dk.CiphertextBlob, DestinationKeyId: local.KeyId });
    deepEqual((await kms.decrypt({ CiphertextBlob: re.CiphertextBlob })).Plaintext, dk.Plaintext);
  });

  test('webCryptoKeyStore keys are non-extractable and a disconnected store makes its keys Unavailable', async () => {
    const { kms, CustomKeyStoreId, external } = await setup();
    const key = await xksKey(kms, CustomKeyStoreId);
    deepEqual(await external.listKeys(), ['ext-1', 'ext-2']);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('data') });
    await kms.disconnectCustomKeyStore({ CustomKeyStoreId });
    const { KeyMetadata } = await kms.describeKey({ KeyId: key.KeyId });
    equal(KeyMetadata.KeyState, 'Unavailable');
    equal(KeyMetadata.Enabled, false);
    const before = await observe(kms);
    await rejects(() => kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }), 'KMSInvalidStateException');
    await rejects(() => kms.decrypt({ CiphertextBlob }), 'KMSInvalidStateException');
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId: 'ext-2' }), 'CustomKeyStoreInvalidStateException');
    await rejects(() => kms.disconnectCustomKeyStore({ CustomKeyStoreId }), 'CustomKeyStoreInvalidStateException');
    deepEqual(await observe(kms), before);
    await kms.disableKey({ KeyId: key.KeyId }); // still manageable
    await kms.enableKey({ KeyId: key.KeyId });
    await kms.connectCustomKeyStore({ CustomKeyStoreId });
    equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'data');
    await external.close();
  });

  test('createKey in a store: XksKeyAlreadyInUse, XksKeyNotFound, unknown store, rotation unsupported', async () => {
    const { kms, CustomKeyStoreId, external } = await setup();
    const key = await xksKey(kms, CustomKeyStoreId);
    const before = await observe(kms);
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId: 'ext-1' }), 'XksKeyAlreadyInUseException');
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId: 'missing' }), 'XksKeyNotFoundException');
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: 'cks-00000000000000000', XksKeyId: 'ext-2' }), 'CustomKeyStoreNotFoundException');
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId }), 'ValidationException');
    await rejects(() => kms.enableKeyRotation({ KeyId: key.KeyId }), 'UnsupportedOperationException');
    await rejects(() => kms.rotateKeyOnDemand({ KeyId: key.KeyId }), 'UnsupportedOperationException');
    deepEqual(await observe(kms), before);
    // An external key deleted in the store: crypto fails with KMSInvalidStateException.
    await external.deleteKey('ext-1');
    await rejects(() => kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('x') }), 'KMSInvalidStateException');
    const log = await kms.auditLog({ KeyId: key.KeyId });
    equal(log.at(-1).eventName, 'Encrypt');
    equal(log.at(-1).errorCode, 'KMSInvalidStateException');
    await external.close();
  });

  test('an external store that never answers times out; one that throws fails the call; both are audited', async () => {
    const hanging = { encrypt: () => new Promise(() => {}), decrypt: () => new Promise(() => {}) };
    const kms = await createKms({ externalKeyStoreTimeoutMs: 50 });
    const { CustomKeyStoreId } = await kms.createCustomKeyStore({ CustomKeyStoreName: 'slow', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: hanging });
    await kms.connectCustomKeyStore({ CustomKeyStoreId });
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId: 'k' }), 'XksKeyNotFoundException');
    const log = await kms.auditLog();
    equal(log.at(-1).eventName, 'CreateKey');
    equal(log.at(-1).errorCode, 'XksKeyNotFoundException');
    equal((await kms.listKeys()).Keys.length, 0);
    // The queue moved on.
    await kms.createKey();
    equal((await kms.listKeys()).Keys.length, 1);

    const broken = { encrypt() { throw new TypeError('boom'); }, decrypt() { throw new TypeError('boom'); } };
    const { CustomKeyStoreId: other } = await kms.createCustomKeyStore({ CustomKeyStoreName: 'broken', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: broken });
    await kms.connectCustomKeyStore({ CustomKeyStoreId: other });
    await rejects(() => kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: other, XksKeyId: 'k' }), 'XksKeyNotFoundException');
    const last = (await kms.auditLog()).at(-1);
    equal(last.errorCode, 'XksKeyNotFoundException');
    ok(!JSON.stringify(last).includes('boom'), 'the store\'s own message is not recorded');
  });

  test('a durable store keeps the custom key store; after a restart it is FAILED until its external store is given again', async () => {
    const store = memoryStore();
    const external = freshStore();
    await external.createKey('ext-1');
    const { kms, CustomKeyStoreId } = await setup({ external, kmsOptions: { store } });
    const key = await xksKey(kms, CustomKeyStoreId);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('kept') });
    await kms.close();

    const without = await createKms({ store });
    const s = await stateOf(without, CustomKeyStoreId);
    equal(s.ConnectionState, 'FAILED');
    equal(s.ConnectionErrorCode, 'XKS_PROXY_NOT_REACHABLE');
    equal((await without.describeKey({ KeyId: key.KeyId })).KeyMetadata.KeyState, 'Unavailable');
    await rejects(() => without.decrypt({ CiphertextBlob }), 'KMSInvalidStateException');
    await rejects(() => without.connectCustomKeyStore({ CustomKeyStoreId }), 'CustomKeyStoreInvalidStateException');
    await without.close();

    const again = await createKms({ store, customKeyStores: { vault: external } });
    equal((await stateOf(again, CustomKeyStoreId)).ConnectionState, 'CONNECTED');
    equal(text((await again.decrypt({ CiphertextBlob })).Plaintext), 'kept');
    // The wasm instance is rebuilt for a full audit read: the attachment survives it.
    await again.auditLog();
    equal(text((await again.decrypt({ CiphertextBlob })).Plaintext), 'kept');
    await again.close();
    await external.close();
  });

  test('a store is deleted only when disconnected and empty', async () => {
    const { kms, CustomKeyStoreId, external } = await setup();
    const key = await xksKey(kms, CustomKeyStoreId);
    await kms.disconnectCustomKeyStore({ CustomKeyStoreId });
    await rejects(() => kms.deleteCustomKeyStore({ CustomKeyStoreId }), 'CustomKeyStoreHasCMKsException');
    await kms.scheduleKeyDeletion({ KeyId: key.KeyId, PendingWindowInDays: 7 });
    await rejects(() => kms.deleteCustomKeyStore({ CustomKeyStoreId }), 'CustomKeyStoreHasCMKsException');
    await kms.updateCustomKeyStore({ CustomKeyStoreId, NewCustomKeyStoreName: 'renamed' });
    equal((await stateOf(kms, CustomKeyStoreId)).CustomKeyStoreName, 'renamed');
    await external.close();
  });

  test('envelope encryption with the kms keyring over a key in an external key store', async () => {
    const { kms, CustomKeyStoreId, external } = await setup();
    const key = await xksKey(kms, CustomKeyStoreId);
    const keyring = kmsKeyring({ client: kms, generatorKeyId: key.Arn });
    const data = utf8('x'.repeat(10_000));
    const { result, messageHeader } = await encryptMessage(data, { keyring, encryptionContext: { purpose: 'test' } });
    equal(messageHeader.encryptedDataKeys[0].providerInfo, key.Arn);
    const { plaintext } = await decryptMessage(result, { keyring });
    deepEqual(plaintext, data);
    await kms.disconnectCustomKeyStore({ CustomKeyStoreId });
    let failed = false;
    try {
      await decryptMessage(result, { keyring });
    } catch {
      failed = true;
    }
    ok(failed, 'no data key while the store is disconnected');
    await external.close();
  });
});
