// Imported key material end to end, wrapped with node:crypto exactly as
// AWS's documentation does with OpenSSL: RSAES_OAEP_SHA_256 / _SHA_1
// (`openssl pkeyutl -pkeyopt rsa_padding_mode:oaep -pkeyopt
// rsa_oaep_md:sha256`) and RSA_AES_KEY_WRAP_SHA_256 / _SHA_1 (a random
// AES-256 key wrapped with RSA-OAEP, then the material with AES key wrap
// with padding, `id-aes256-wrap-pad`). RSA_2048 wrapping keys (RSA key
// generation in wasm is slow).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createKms, fileStore } from 'kms-wasm';
import { wrapOaep, wrapRsaAes, importInto, fakeClock, DAY, tempDir } from './helpers.mjs';

const utf8 = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);

describe('imported key material (node:crypto wrapping)', () => {
  test('RSA_AES_KEY_WRAP_SHA_256 and RSAES_OAEP_SHA_256: import, expiry by the clock, re-import of the same material only', async () => {
    const clock = fakeClock();
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      let kms = await createKms({ now: clock.now, store: fileStore(store) });
      const events = [];
      kms.on('KMS Imported Key Material Expiration', (e) => events.push(e));
      const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', Description: 'byok' });
      assert.equal(KeyMetadata.KeyState, 'PendingImport');
      assert.equal(KeyMetadata.Origin, 'EXTERNAL');
      const KeyId = KeyMetadata.Arn;
      await assert.rejects(kms.encrypt({ KeyId, Plaintext: utf8('x') }), { name: 'KMSInvalidStateException' });

      const material = randomBytes(32);
      const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', WrappingKeySpec: 'RSA_2048' });
      assert.equal(p.KeyId, KeyId);
      assert.equal(p.ParametersValidTo.getTime(), clock.ms + DAY, 'parameters are good for 24 hours');
      const ValidTo = new Date(clock.ms + 10 * DAY);
      await kms.importKeyMaterial({
        KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapRsaAes(p.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo,
      });
      let meta = (await kms.describeKey({ KeyId })).KeyMetadata;
      assert.equal(meta.KeyState, 'Enabled');
      assert.equal(meta.ExpirationModel, 'KEY_MATERIAL_EXPIRES');
      assert.equal(meta.ValidTo.getTime(), ValidTo.getTime());
      const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('under my own material'), EncryptionContext: { byok: 'yes' } });
      await assert.rejects(kms.rotateKeyOnDemand({ KeyId }), { name: 'KMSInvalidStateException', message: `No available key material pending rotation for the key: ${KeyId}.` });
      await assert.rejects(kms.enableKeyRotation({ KeyId }), { name: 'UnsupportedOperationException' });

      // Reopen the store: the imported key is there.
      await kms.close();
      kms = await createKms({ now: clock.now, store: fileStore(store) });
      kms.on('KMS Imported Key Material Expiration', (e) => events.push(e));
      assert.equal(text((await kms.decrypt({ CiphertextBlob, EncryptionContext: { byok: 'yes' } })).Plaintext), 'under my own material');

      // The clock passes ValidTo: the material is deleted, the key waits for an import again.
      clock.set(ValidTo.getTime() - 1);
      assert.equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'Enabled', '1 ms before ValidTo');
      clock.set(ValidTo.getTime());
      meta = (await kms.describeKey({ KeyId })).KeyMetadata;
      assert.equal(meta.KeyState, 'PendingImport');
      assert.equal(events.length, 1, 'one expiration event');
      assert.equal(events[0]['detail-type'], 'KMS Imported Key Material Expiration');
      assert.deepEqual(events[0].resources, [KeyId]);
      const log = await kms.auditLog({ KeyId });
      assert.ok(log.some((r) => r.eventName === 'DeleteExpiredKeyMaterial' && r.eventType === 'AwsServiceEvent'), 'a service record');
      await assert.rejects(kms.decrypt({ CiphertextBlob, EncryptionContext: { byok: 'yes' } }), { name: 'KMSInvalidStateException' });

      // Other material is refused; the same material (wrapped anew, with the other algorithm) brings the ciphertexts back.
      const q = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
      await assert.rejects(kms.importKeyMaterial({
        KeyId, ImportToken: q.ImportToken, EncryptedKeyMaterial: wrapOaep(q.PublicKey, randomBytes(32)), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }), { name: 'IncorrectKeyMaterialException' });
      assert.equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'PendingImport', 'the refused import changed nothing');
      await kms.importKeyMaterial({
        KeyId, ImportToken: q.ImportToken, EncryptedKeyMaterial: wrapOaep(q.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      });
      meta = (await kms.describeKey({ KeyId })).KeyMetadata;
      assert.equal(meta.KeyState, 'Enabled');
      assert.equal(meta.ExpirationModel, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
      assert.equal(text((await kms.decrypt({ CiphertextBlob, EncryptionContext: { byok: 'yes' } })).Plaintext), 'under my own material', 'old ciphertexts decrypt again');

      // A token is good for one import.
      await assert.rejects(kms.importKeyMaterial({
        KeyId, ImportToken: q.ImportToken, EncryptedKeyMaterial: wrapOaep(q.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }), (e) => /ImportToken/.test(e.name));

      // deleteImportedKeyMaterial, then the same material again.
      await kms.deleteImportedKeyMaterial({ KeyId });
      assert.equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'PendingImport');
      await assert.rejects(kms.encrypt({ KeyId, Plaintext: utf8('x') }), { name: 'KMSInvalidStateException' });
      await importInto(kms, KeyId, material, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
      assert.equal(text((await kms.decrypt({ CiphertextBlob, EncryptionContext: { byok: 'yes' } })).Plaintext), 'under my own material');
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('RSAES_OAEP_SHA_1 and RSA_AES_KEY_WRAP_SHA_1 work too', async () => {
    const kms = await createKms();
    const material = randomBytes(32);
    const { KeyMetadata: k1 } = await kms.createKey({ Origin: 'EXTERNAL' });
    await importInto(kms, k1.Arn, material, { algorithm: 'RSAES_OAEP_SHA_1' });
    const { KeyMetadata: k2 } = await kms.createKey({ Origin: 'EXTERNAL' });
    await importInto(kms, k2.Arn, material, { algorithm: 'RSA_AES_KEY_WRAP_SHA_1' });
    for (const k of [k1, k2]) {
      const { CiphertextBlob } = await kms.encrypt({ KeyId: k.Arn, Plaintext: utf8('sha1') });
      assert.equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'sha1');
    }
  });

  test('import tokens: another key\'s is InvalidImportTokenException, an expired one ExpiredImportTokenException, bad wrapping fails', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata: a } = await kms.createKey({ Origin: 'EXTERNAL' });
    const { KeyMetadata: b } = await kms.createKey({ Origin: 'EXTERNAL' });
    const pa = await kms.getParametersForImport({ KeyId: a.Arn, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    const material = randomBytes(32);
    const req = (KeyId, p, EncryptedKeyMaterial) => ({ KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    await assert.rejects(kms.importKeyMaterial(req(b.Arn, pa, wrapOaep(pa.PublicKey, material))), { name: 'InvalidImportTokenException' });
    await assert.rejects(kms.importKeyMaterial(req(a.Arn, pa, wrapOaep(pa.PublicKey, material, 'sha1'))), (e) => e.name !== 'AssertionError' && e.name.endsWith('Exception'), 'SHA-1 OAEP for a SHA-256 token');
    await assert.rejects(kms.importKeyMaterial(req(a.Arn, pa, wrapOaep(pa.PublicKey, randomBytes(16)))), { name: 'IncorrectKeyMaterialException' });
    clock.advance(DAY + 1);
    await assert.rejects(kms.importKeyMaterial(req(a.Arn, pa, wrapOaep(pa.PublicKey, material))), { name: 'ExpiredImportTokenException' });
    assert.equal((await kms.describeKey({ KeyId: a.Arn })).KeyMetadata.KeyState, 'PendingImport');
    const { KeyMetadata: native } = await kms.createKey({});
    await assert.rejects(kms.getParametersForImport({ KeyId: native.Arn, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }), { name: 'UnsupportedOperationException' });
  });
});
