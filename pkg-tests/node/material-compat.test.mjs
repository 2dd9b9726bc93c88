// Stores and backups written by kms-wasm 0.1.0 (snapshot format 2, before
// key material ids; pkg-tests/fixtures/0.1.0, made by its make.mjs) open
// with this package: every key gets key material ids, old ciphertexts
// decrypt and name their material, deleted imported material comes back by
// importing the same bytes, and the first write migrates the store.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, readFileSync, readdirSync } from 'node:fs';
import { createHash, constants, publicEncrypt } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKms, fileStore } from 'kms-wasm';
import { tempDir, fakeClock } from './helpers.mjs';

const FIXTURE = fileURLToPath(new URL('../fixtures/0.1.0/', import.meta.url));
const fixture = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8'));
const utf8 = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);
const material = (x) => createHash('sha256').update(`kms-wasm fixture material ${x}`).digest();
const HEX64 = /^[0-9a-f]{64}$/;

/** A copy of the 0.1.0 store with the modes the file store requires. */
function copyFixtureStore(dir) {
  const store = join(dir, 'store');
  cpSync(join(FIXTURE, 'store'), store, { recursive: true });
  cpSync(join(FIXTURE, 'store.key'), `${store}.key`);
  chmodSync(store, 0o700);
  for (const f of readdirSync(store)) chmodSync(join(store, f), 0o600);
  chmodSync(`${store}.key`, 0o600);
  return store;
}

async function reimport(kms, KeyId, x) {
  const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  const EncryptedKeyMaterial = publicEncrypt(
    { key: Buffer.from(p.PublicKey), format: 'der', type: 'spki', padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    material(x),
  );
  return kms.importKeyMaterial({ KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
}

/** What every 0.1.0 KMS must show once opened by this package. */
async function checkKeys(kms, keys) {
  const b64 = (s) => Uint8Array.from(Buffer.from(s, 'base64'));
  const decrypt = (name, which, plain) =>
    kms.decrypt({ CiphertextBlob: b64(keys[name].ciphertexts[which]), EncryptionContext: { fixture: plain } });
  // The generated key: three materials, ids for each, both ciphertexts decrypt.
  const g = keys.generated.KeyId;
  const meta = (await kms.describeKey({ KeyId: g })).KeyMetadata;
  assert.match(meta.CurrentKeyMaterialId, HEX64);
  const all = (await kms.listKeyRotations({ KeyId: g, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations;
  assert.deepEqual(all.map((r) => r.KeyMaterialState), ['NON_CURRENT', 'NON_CURRENT', 'CURRENT']);
  assert.equal(all[2].KeyMaterialId, meta.CurrentKeyMaterialId);
  const before = await decrypt('generated', 'before', 'generated before rotation');
  assert.equal(text(before.Plaintext), 'generated before rotation');
  assert.equal(before.KeyMaterialId, all[0].KeyMaterialId, 'the old ciphertext names the first material');
  assert.equal((await decrypt('generated', 'after', 'generated after rotation')).KeyMaterialId, meta.CurrentKeyMaterialId);
  // The imported key: its one material is listed with its expiration model.
  const i = keys.imported.KeyId;
  const [entry] = (await kms.listKeyRotations({ KeyId: i, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations;
  assert.deepEqual([entry.ImportState, entry.KeyMaterialState, entry.ExpirationModel], ['IMPORTED', 'CURRENT', 'KEY_MATERIAL_DOES_NOT_EXPIRE']);
  assert.equal((await decrypt('imported', 'only', 'imported material B')).KeyMaterialId, entry.KeyMaterialId);
  // The key whose material was deleted: PendingImport until the same bytes come back, under the old id.
  const d = keys.deleted.KeyId;
  assert.equal((await kms.describeKey({ KeyId: d })).KeyMetadata.KeyState, 'PendingImport');
  const [gone] = (await kms.listKeyRotations({ KeyId: d, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations;
  assert.equal(gone.ImportState, 'PENDING_IMPORT');
  assert.equal((await reimport(kms, d, 'D')).KeyMaterialId, gone.KeyMaterialId);
  assert.equal(text((await decrypt('deleted', 'only', 'deleted material D')).Plaintext), 'deleted material D');
}

describe('stores and backups written by kms-wasm 0.1.0', () => {
  test('a 0.1.0 file store opens, its keys get key material ids, and the first write migrates it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = copyFixtureStore(dir);
      const clock = fakeClock(fixture.now);
      let kms = await createKms({ now: clock.now, store: fileStore(store) });
      await checkKeys(kms, fixture.store);
      await kms.close();
      // Reopened (now written in today's format): the same ids, and the clock still expires 0.1.0's ValidTo.
      kms = await createKms({ now: clock.now, store: fileStore(store) });
      const g = fixture.store.generated.KeyId;
      assert.match((await kms.describeKey({ KeyId: g })).KeyMetadata.CurrentKeyMaterialId, HEX64);
      assert.equal((await kms.describeKey({ KeyId: fixture.store.deleted.KeyId })).KeyMetadata.KeyState, 'Enabled');
      clock.set(Date.parse('2030-02-01T00:00:00Z'));
      assert.equal((await kms.describeKey({ KeyId: fixture.store.expiring.KeyId })).KeyMetadata.KeyState, 'PendingImport');
      const { valid } = await kms.verifyAuditLog();
      assert.equal(valid, true, 'the audit chain goes on across the migration');
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('a 0.1.0 backup restores, and its keys get key material ids', async () => {
    const clock = fakeClock(fixture.now);
    const kms = await createKms({ now: clock.now });
    await kms.restoreBackup(new Uint8Array(readFileSync(join(FIXTURE, 'backup.kmsb'))), { passphrase: fixture.passphrase });
    await checkKeys(kms, fixture.store);
    await kms.close();
  });
});
