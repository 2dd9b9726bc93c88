// exportBackup / restoreBackup (portable: memory stores) and the store
// option: a reused memoryStore, an old-style { load, save } store.
import { createKms, memoryStore } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, observe, DEFAULT_ACCOUNT } from './harness.js';

/** A KMS with keys, an alias, tags, a policy, a grant, a rotation, a disabled key and ciphertexts. */
async function rich() {
  const kms = await createKms();
  const { KeyMetadata: a } = await kms.createKey({ Description: 'a' });
  const { KeyMetadata: b } = await kms.createKey({ Description: 'b' });
  await kms.createAlias({ AliasName: 'alias/a', TargetKeyId: a.KeyId });
  await kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 'k', TagValue: 'v' }] });
  const blobBefore = (await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('one'), EncryptionContext: { x: '1' } })).CiphertextBlob;
  await kms.rotateKeyOnDemand({ KeyId: a.KeyId });
  const blobAfter = (await kms.encrypt({ KeyId: 'alias/a', Plaintext: utf8('two') })).CiphertextBlob;
  const { GrantId } = await kms.createGrant({ KeyId: a.KeyId, GranteePrincipal: `arn:aws:iam::${DEFAULT_ACCOUNT}:role/r`, Operations: ['Decrypt'] });
  await kms.disableKey({ KeyId: b.KeyId });
  await kms.enableKeyRotation({ KeyId: a.KeyId });
  return { kms, a, b, blobBefore, blobAfter, GrantId };
}

export default suite('backup and restore', (test) => {
  test('exportBackup → restoreBackup into an empty KMS gives back every key, ciphertext, grant and the audit log', async () => {
    const { kms, a, blobBefore, blobAfter, GrantId } = await rich();
    const seen = await observe(kms);
    const log = await kms.auditLog();
    const backup = await kms.exportBackup({ passphrase: 'a long passphrase' });
    ok(backup instanceof Uint8Array && backup.length > 100, 'a Uint8Array');
    const store = memoryStore();
    const copy = await createKms({ store });
    await copy.restoreBackup(backup, { passphrase: 'a long passphrase' });
    deepEqual(await observe(copy), seen, 'keys, aliases, tags, rotations, states');
    equal(text((await copy.decrypt({ CiphertextBlob: blobBefore, EncryptionContext: { x: '1' } })).Plaintext), 'one');
    equal(text((await copy.decrypt({ CiphertextBlob: blobAfter })).Plaintext), 'two');
    deepEqual((await copy.listGrants({ KeyId: a.KeyId })).Grants.map((g) => g.GrantId), [GrantId]);
    const restoredLog = await copy.auditLog();
    deepEqual(restoredLog.slice(0, log.length), log, 'the audit log, record for record');
    deepEqual(await copy.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
    await copy.encrypt({ KeyId: 'alias/a', Plaintext: utf8('after the restore') });
    deepEqual(await copy.verifyAuditLog(), { valid: true, firstInvalidIndex: null }, 'new records chain on');
    await copy.close();
    const again = await createKms({ store });
    equal(text((await again.decrypt({ CiphertextBlob: blobAfter })).Plaintext), 'two', 'the restore was committed to the store');
  });

  test('a wrong passphrase and any altered byte restore nothing (KMSInvalidStoreException)', async () => {
    const { kms } = await rich();
    const backup = await kms.exportBackup({ passphrase: 'right' });
    const target = await createKms();
    await rejects(target.restoreBackup(backup, { passphrase: 'wrong' }), 'KMSInvalidStoreException', 'wrong passphrase');
    for (const at of [0, 4, 6, 20, 40, Math.floor(backup.length / 2), backup.length - 1]) {
      const altered = backup.slice();
      altered[at] ^= 0x01;
      await rejects(target.restoreBackup(altered, { passphrase: 'right' }), 'KMSInvalidStoreException', `byte ${at} flipped`);
    }
    await rejects(target.restoreBackup(backup.subarray(0, backup.length - 1), { passphrase: 'right' }), 'KMSInvalidStoreException', 'truncated');
    deepEqual((await target.listKeys({})).Keys, [], 'nothing was restored');
    await target.restoreBackup(backup, { passphrase: 'right' });
    equal((await target.listKeys({})).Keys.length, 2, 'the intact backup still restores');
  });

  test('restoreBackup refuses a KMS that holds keys, and bad arguments', async () => {
    const { kms } = await rich();
    const backup = await kms.exportBackup({ passphrase: 'p' });
    const busy = await createKms();
    await busy.createKey({ Description: 'already here' });
    const before = await observe(busy);
    await rejects(busy.restoreBackup(backup, { passphrase: 'p' }), 'KMSInvalidStateException');
    deepEqual(await observe(busy), before, 'nothing changed');
    await rejects(busy.restoreBackup(backup, {}), 'ValidationException', 'no passphrase');
    await rejects(busy.restoreBackup('not bytes', { passphrase: 'p' }), 'ValidationException', 'not bytes');
    await rejects(kms.exportBackup({ passphrase: '' }), 'ValidationException', 'empty passphrase');
    await rejects(kms.exportBackup(), 'ValidationException', 'no options');
    const other = await createKms({ accountId: '444455556666' });
    await rejects(other.restoreBackup(backup, { passphrase: 'p' }), 'KMSInvalidStoreException', 'a backup of another account');
    deepEqual((await other.listKeys({})).Keys, []);
  });

  test('a reused memoryStore brings the keys back; an old-style { load, save } store still works', async () => {
    const store = memoryStore();
    const first = await createKms({ store });
    const { KeyMetadata } = await first.createKey({ Description: 'remembered' });
    const { CiphertextBlob } = await first.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('kept') });
    await first.close();
    const second = await createKms({ store });
    equal(text((await second.decrypt({ CiphertextBlob })).Plaintext), 'kept');

    let saved = null;
    let saves = 0;
    const legacy = { load: () => saved, save: (bytes) => { saved = bytes.slice(); saves += 1; } };
    const k1 = await createKms({ store: legacy });
    const { KeyMetadata: m } = await k1.createKey({ Description: 'legacy' });
    ok(saves >= 1 && saved instanceof Uint8Array, 'save(bytes) called');
    const k2 = await createKms({ store: legacy });
    equal((await k2.describeKey({ KeyId: m.KeyId })).KeyMetadata.Description, 'legacy');
    await rejects(() => createKms({ store: {} }), 'ValidationException', 'not a store');
  });
});
