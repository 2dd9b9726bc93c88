// The two engines (docs/engines.md): a KMS starts on the small core engine
// and moves to the full engine, once, when a call needs it. The move is
// invisible to the caller: the call answers as it would have, every key,
// alias, grant and ciphertext made before keeps working, and the audit log
// has exactly one record per call, still chained.
// node/engines.test.mjs covers what needs a fresh process: loading the full
// engine once for many racing calls, and a full engine that cannot be loaded.
import { createKms, memoryStore } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, observe, DEFAULT_ACCOUNT } from './harness.js';

async function oaep(publicKey, data) {
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('spki', publicKey, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  return new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, key, data));
}

/** A KMS on the core with a symmetric key, an alias, a grant and a ciphertext. */
async function symmetricWork(options) {
  const kms = await createKms(options);
  const { KeyMetadata: key } = await kms.createKey({ Description: 'made on the core' });
  await kms.createAlias({ AliasName: 'alias/core', TargetKeyId: key.KeyId });
  const { GrantId } = await kms.createGrant({ KeyId: key.KeyId, GranteePrincipal: `arn:aws:iam::${DEFAULT_ACCOUNT}:role/r`, Operations: ['Decrypt'] });
  const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/core', Plaintext: utf8('before the move'), EncryptionContext: { at: 'core' } });
  const dataKey = await kms.generateDataKey({ KeyId: key.KeyId, KeySpec: 'AES_256' });
  return { kms, key, GrantId, CiphertextBlob, dataKey };
}

export default suite('engines', (test) => {
  test('a new KMS runs on the core engine, and symmetric work stays there', async () => {
    const { kms, key, CiphertextBlob, dataKey } = await symmetricWork();
    equal(kms.__engine, 'core');
    equal(text((await kms.decrypt({ CiphertextBlob, EncryptionContext: { at: 'core' } })).Plaintext), 'before the move');
    deepEqual((await kms.decrypt({ CiphertextBlob: dataKey.CiphertextBlob })).Plaintext, dataKey.Plaintext);
    await kms.reEncrypt({ CiphertextBlob: dataKey.CiphertextBlob, DestinationKeyId: key.KeyId });
    await kms.rotateKeyOnDemand({ KeyId: key.KeyId });
    await kms.auditLog();
    deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
    equal(kms.__engine, 'core', 'nothing above needed the full engine');
    equal(kms.__upgrades, 0);
  });

  test('getParametersForImport moves the KMS to the full engine once; everything made before keeps working and the log has one record per call', async () => {
    const { kms, key, GrantId, CiphertextBlob } = await symmetricWork();
    const seen = await observe(kms);
    const recordsBefore = (await kms.auditLog()).length;
    const { KeyMetadata: ext } = await kms.createKey({ Origin: 'EXTERNAL' });
    equal(kms.__engine, 'core', 'creating an EXTERNAL key is the core\'s');
    const p = await kms.getParametersForImport({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    equal(kms.__engine, 'full', 'the call that needed RSA moved the KMS');
    equal(kms.__upgrades, 1);
    ok(p.PublicKey instanceof Uint8Array && p.ImportToken instanceof Uint8Array, 'the call answered as AWS does');
    const material = globalThis.crypto.getRandomValues(new Uint8Array(32));
    await kms.importKeyMaterial({ KeyId: ext.KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: await oaep(p.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    equal(kms.__upgrades, 1, 'the KMS stays on the full engine');
    const blob = (await kms.encrypt({ KeyId: ext.KeyId, Plaintext: utf8('imported') })).CiphertextBlob;
    equal(text((await kms.decrypt({ CiphertextBlob: blob })).Plaintext), 'imported');

    // What the core made is all there.
    const after = await observe(kms);
    deepEqual(after.keys.filter((k) => k.KeyId !== ext.KeyId), seen.keys, 'keys as they were');
    deepEqual(after.aliases, seen.aliases, 'aliases as they were');
    deepEqual(after.perKey[key.Arn], seen.perKey[key.Arn], 'metadata, tags and rotations as they were');
    equal(text((await kms.decrypt({ CiphertextBlob, EncryptionContext: { at: 'core' } })).Plaintext), 'before the move');
    deepEqual((await kms.listGrants({ KeyId: key.KeyId })).Grants.map((g) => g.GrantId), [GrantId]);

    // One record per call, the refused core attempt left none, and the chain holds across the move.
    const log = await kms.auditLog();
    const names = log.slice(recordsBefore).map((r) => r.eventName);
    deepEqual(names.slice(0, 5), ['CreateKey', 'GetParametersForImport', 'ImportKeyMaterial', 'Encrypt', 'Decrypt']);
    equal(log.filter((r) => r.eventName === 'GetParametersForImport').length, 1);
    deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
  });

  test('a full-engine call that fails still moves the KMS and fails as AWS says, changing nothing', async () => {
    const { kms, key } = await symmetricWork();
    const seen = await observe(kms);
    await rejects(kms.getParametersForImport({ KeyId: key.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      'UnsupportedOperationException', 'an AWS_KMS key takes no imported material');
    equal(kms.__engine, 'full');
    deepEqual(await observe(kms), seen, 'nothing changed');
    await rejects(kms.importKeyMaterial({ KeyId: 'alias/nope', ImportToken: new Uint8Array(8), EncryptedKeyMaterial: new Uint8Array(8), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }), 'NotFoundException');
    deepEqual(await observe(kms), seen, 'still nothing changed');
  });

  test('exportBackup moves the KMS to the full engine (Argon2id), and the backup restores', async () => {
    const { kms, CiphertextBlob } = await symmetricWork();
    const backup = await kms.exportBackup({ passphrase: 'engines' });
    equal(kms.__engine, 'full');
    const copy = await createKms({ store: memoryStore() });
    equal(copy.__engine, 'core');
    await copy.restoreBackup(backup, { passphrase: 'engines' });
    equal(copy.__engine, 'full');
    equal(text((await copy.decrypt({ CiphertextBlob, EncryptionContext: { at: 'core' } })).Plaintext), 'before the move');
    await rejects(copy.restoreBackup(backup, { passphrase: 'engines' }), 'KMSInvalidStateException', 'still only into an empty KMS');
  });

  test("createKms({ engine: 'full' }) starts on the full engine; any other engine is a ValidationException", async () => {
    const kms = await createKms({ engine: 'full' });
    equal(kms.__engine, 'full');
    const { KeyMetadata } = await kms.createKey();
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('full') });
    equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'full');
    equal(kms.__upgrades, 0);
    await rejects(createKms({ engine: 'fast' }), 'ValidationException');
    await rejects(createKms({ engine: 1 }), 'ValidationException');
  });

  test('a store written on the full engine opens on the core, and the core moves on when a call needs it', async () => {
    const store = memoryStore();
    const full = await createKms({ store, engine: 'full' });
    const { KeyMetadata: ext } = await full.createKey({ Origin: 'EXTERNAL' });
    const { KeyMetadata: sym } = await full.createKey();
    const { CiphertextBlob } = await full.encrypt({ KeyId: sym.KeyId, Plaintext: utf8('from the full engine') });
    await full.close();
    const core = await createKms({ store });
    equal(core.__engine, 'core');
    equal(text((await core.decrypt({ CiphertextBlob })).Plaintext), 'from the full engine');
    equal(core.__engine, 'core');
    await core.getParametersForImport({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' });
    equal(core.__engine, 'full');
  });

  test('calls queued behind the one that moves the KMS all run, in order, on the full engine', async () => {
    const { kms, key } = await symmetricWork();
    const { KeyMetadata: ext } = await kms.createKey({ Origin: 'EXTERNAL' });
    const calls = [
      kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('1') }),
      kms.getParametersForImport({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
      kms.encrypt({ KeyId: key.KeyId, Plaintext: utf8('2') }),
      kms.getParametersForImport({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_3072' }),
    ];
    const results = await Promise.all(calls);
    equal(results.length, 4);
    equal(kms.__upgrades, 1, 'one move');
    const names = (await kms.auditLog()).slice(-5).map((r) => r.eventName);
    deepEqual(names, ['CreateKey', 'Encrypt', 'GetParametersForImport', 'Encrypt', 'GetParametersForImport']);
  });
});
