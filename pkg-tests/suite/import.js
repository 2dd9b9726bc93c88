// Imported key material with the platform's WebCrypto (Node and browsers):
// RSAES_OAEP_SHA_256 with RSA-OAEP, and RSA_AES_KEY_WRAP_SHA_256 with
// RSA-OAEP plus AES key wrap with padding (RFC 5649), built from single-block
// AES (WebCrypto has AES-KW, RFC 3394, but not its padded variant).
// node/import.test.mjs does the same with node:crypto, as AWS documents it
// with OpenSSL, and covers expiry, re-import and the token errors.
import { createKms } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, randomBytes, fakeClock, observe, DAY } from './harness.js';

const subtle = () => globalThis.crypto.subtle;

async function oaep(publicKey, data) {
  const key = await subtle().importKey('spki', publicKey, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  return new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, key, data));
}

/** AES-256 of one 16-byte block (ECB), by AES-CBC with a zero IV, keeping the first block. */
async function aesBlock(key, block) {
  const out = await subtle().encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, key, block);
  return new Uint8Array(out, 0, 16);
}

/** RFC 5649 AES key wrap with padding. */
async function aesKwp(kek, plaintext) {
  const key = await subtle().importKey('raw', kek, 'AES-CBC', false, ['encrypt']);
  const n = Math.ceil(plaintext.length / 8);
  const padded = new Uint8Array(n * 8);
  padded.set(plaintext);
  const a = new Uint8Array([0xa6, 0x59, 0x59, 0xa6, 0, 0, 0, 0]);
  new DataView(a.buffer).setUint32(4, plaintext.length);
  if (n === 1) return aesBlock(key, Uint8Array.of(...a, ...padded));
  const r = Array.from({ length: n }, (_, i) => padded.slice(i * 8, i * 8 + 8));
  let A = a;
  for (let j = 0; j <= 5; j++) {
    for (let i = 0; i < n; i++) {
      const b = await aesBlock(key, Uint8Array.of(...A, ...r[i]));
      A = b.slice(0, 8);
      const t = n * j + i + 1;
      const tv = new DataView(A.buffer);
      tv.setUint32(4, tv.getUint32(4) ^ t);
      r[i] = b.slice(8, 16);
    }
  }
  return Uint8Array.of(...A, ...r.flatMap((x) => [...x]));
}

async function rsaAesWrap(publicKey, material) {
  const aesKey = randomBytes(32);
  const wrappedKey = await oaep(publicKey, aesKey);
  const wrappedMaterial = await aesKwp(aesKey, material);
  aesKey.fill(0);
  return Uint8Array.of(...wrappedKey, ...wrappedMaterial);
}

export default suite('imported key material', (test) => {
  test('RSAES_OAEP_SHA_256 with WebCrypto: PendingImport → Enabled, and the material encrypts', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', Description: 'webcrypto oaep' });
    equal(KeyMetadata.KeyState, 'PendingImport');
    equal(KeyMetadata.Origin, 'EXTERNAL');
    const KeyId = KeyMetadata.Arn;
    const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    ok(p.PublicKey instanceof Uint8Array && p.PublicKey.length > 256, 'a DER SubjectPublicKeyInfo');
    ok(p.ImportToken instanceof Uint8Array && p.ImportToken.length > 0, 'an import token');
    const material = randomBytes(32);
    const r = await kms.importKeyMaterial({ KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: await oaep(p.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    equal(r.KeyId, KeyId);
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'Enabled');
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('imported') });
    equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'imported');
  });

  test('RSA_AES_KEY_WRAP_SHA_256 with WebCrypto (RFC 5649 by hand), expiry by the clock and re-import', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const expired = [];
    kms.on('KMS Imported Key Material Expiration', (e) => expired.push(e));
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL' });
    const KeyId = KeyMetadata.Arn;
    const material = randomBytes(32);
    const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    const ValidTo = new Date(clock.ms + 3 * DAY);
    await kms.importKeyMaterial({ KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: await rsaAesWrap(p.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo });
    const meta = (await kms.describeKey({ KeyId })).KeyMetadata;
    equal(meta.KeyState, 'Enabled');
    equal(meta.ValidTo.getTime(), ValidTo.getTime());
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('until it expires') });
    clock.advance(3 * DAY);
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'PendingImport', 'expired');
    equal(expired.length, 1);
    deepEqual(expired[0].resources, [KeyId]);
    await rejects(kms.decrypt({ CiphertextBlob }), 'KMSInvalidStateException');
    const q = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    await kms.importKeyMaterial({ KeyId, ImportToken: q.ImportToken, EncryptedKeyMaterial: await rsaAesWrap(q.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'until it expires', 'the same material brings the ciphertexts back');
  });

  // AWS's key material model (2025): ids, NEW_KEY_MATERIAL pending rotation,
  // RotateKeyOnDemand, expiry and deletion per material, ListKeyRotations
  // with IncludeKeyMaterial. The scenario: three rotations, one
  // material expired and one deleted; old ciphertexts follow their material.
  test('imported material rotates on demand: three materials, one expired, one deleted, every ciphertext as AWS documents', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const expiries = [];
    kms.on('KMS Imported Key Material Expiration', (e) => expiries.push(e));
    const KeyId = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.Arn;
    const importInto = async (material, request = {}) => {
      const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
      return kms.importKeyMaterial({
        KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: await oaep(p.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...request,
      });
    };
    const all = async () => (await kms.listKeyRotations({ KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })).Rotations;
    const materials = [0, 1, 2, 3].map(() => randomBytes(32));
    const first = await importInto(materials[0], { KeyMaterialDescription: 'first one' });
    ok(/^[0-9a-f]{64}$/.test(first.KeyMaterialId), 'a 64-hex-digit KeyMaterialId');
    equal((await kms.describeKey({ KeyId })).KeyMetadata.CurrentKeyMaterialId, first.KeyMaterialId);
    const ids = [first.KeyMaterialId];
    const blobs = [(await kms.encrypt({ KeyId, Plaintext: utf8('under 0') })).CiphertextBlob];
    for (const i of [1, 2, 3]) {
      const request = i === 2 ? { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(clock.ms + 10 * DAY) } : {};
      const { KeyMaterialId } = await importInto(materials[i], { ImportType: 'NEW_KEY_MATERIAL', ...request });
      const pending = (await all()).at(-1);
      equal(pending.KeyMaterialId, KeyMaterialId);
      equal(pending.KeyMaterialState, 'PENDING_ROTATION');
      equal(pending.ImportState, 'IMPORTED');
      equal(pending.RotationDate, undefined, 'no rotation date while pending');
      await kms.rotateKeyOnDemand({ KeyId });
      equal((await kms.describeKey({ KeyId })).KeyMetadata.CurrentKeyMaterialId, KeyMaterialId);
      ids.push(KeyMaterialId);
      blobs.push((await kms.encrypt({ KeyId, Plaintext: utf8(`under ${i}`) })).CiphertextBlob);
    }
    const status = await kms.getKeyRotationStatus({ KeyId });
    deepEqual([status.KeyId, status.KeyRotationEnabled, status.RotationPeriodInDays], [KeyId, false, undefined], 'imported keys rotate only on demand');
    const rotations = (await kms.listKeyRotations({ KeyId })).Rotations;
    deepEqual(rotations.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.RotationType]), [
      [ids[1], 'NON_CURRENT', 'ON_DEMAND'], [ids[2], 'NON_CURRENT', 'ON_DEMAND'], [ids[3], 'CURRENT', 'ON_DEMAND'],
    ]);
    ok(rotations[1].ValidTo instanceof Date && rotations[1].ExpirationModel === 'KEY_MATERIAL_EXPIRES', 'ValidTo per material');
    equal((await all())[0].KeyMaterialDescription, 'first one');
    for (const [i, CiphertextBlob] of blobs.entries()) {
      const r = await kms.decrypt({ CiphertextBlob });
      equal(text(r.Plaintext), `under ${i}`);
      equal(r.KeyMaterialId, ids[i], 'Decrypt names the material');
    }
    // Material 1 deleted by id: the key waits for it, nothing decrypts, and the failure changes nothing.
    const del = await kms.deleteImportedKeyMaterial({ KeyId, KeyMaterialId: ids[1] });
    deepEqual([del.KeyId, del.KeyMaterialId], [KeyId, ids[1]]);
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'PendingImport');
    const before = await observe(kms);
    await rejects(kms.decrypt({ CiphertextBlob: blobs[3] }), 'KMSInvalidStateException');
    deepEqual(await observe(kms), before, 'a refused decrypt changed nothing');
    // Material 2 expires at its ValidTo; the event names it.
    clock.advance(10 * DAY);
    const expired = (await all()).find((r) => r.KeyMaterialId === ids[2]);
    deepEqual([expired.ImportState, expired.ExpirationModel, expired.ValidTo], ['PENDING_IMPORT', undefined, undefined]);
    equal(expiries.length, 1);
    equal(expiries[0].detail['key-material-id'], ids[2]);
    // Reimport both (EXISTING_KEY_MATERIAL is the default now): every ciphertext is back.
    equal((await importInto(materials[2], { KeyMaterialId: ids[2] })).KeyMaterialId, ids[2]);
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'PendingImport', 'material 1 is still missing');
    await importInto(materials[1]);
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'Enabled');
    for (const [i, CiphertextBlob] of blobs.entries()) equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), `under ${i}`);
    // The audit log names the material each call used.
    const log = await kms.auditLog();
    const lastDecrypt = log.filter((r) => r.eventName === 'Decrypt').at(-1);
    equal(lastDecrypt.additionalEventData.keyMaterialId, ids[3]);
    equal(log.find((r) => r.eventName === 'DeleteExpiredKeyMaterial').serviceEventDetails.keyMaterialId, ids[2]);
  });

  test('imported material errors: a second pending material, a wrong id, nothing to rotate, bad members; each changes nothing', async () => {
    const kms = await createKms();
    const KeyId = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.Arn;
    const wrapped = async (material) => {
      const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
      return { KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: await oaep(p.PublicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
    };
    const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    // The request is made (parameters fetched) before the state is observed.
    const prepared = async (material, extra) => {
      const request = { ...(await wrapped(material)), ...extra };
      return () => kms.importKeyMaterial(request);
    };
    const refused = async (call, name, message) => {
      const before = await observe(kms);
      const e = await rejects(call, name);
      ok(e && e.message, `${name} has a message`);
      if (message) ok(message.test(e.message), `${e.message} matches ${message}`);
      deepEqual(await observe(kms), before, `${name} changed nothing`);
    };
    await refused(await prepared(a, { ImportType: 'EXISTING_KEY_MATERIAL' }), 'IncorrectKeyMaterialException');
    const { KeyMaterialId } = await kms.importKeyMaterial(await wrapped(a));
    await refused(() => kms.rotateKeyOnDemand({ KeyId }), 'KMSInvalidStateException', /^No available key material pending rotation for the key: /);
    await refused(await prepared(a, { ImportType: 'NEW_KEY_MATERIAL', KeyMaterialId }), 'ValidationException');
    await refused(await prepared(b, { ImportType: 'NEITHER' }), 'ValidationException');
    await refused(await prepared(b, { KeyMaterialDescription: 'not <allowed>' }), 'ValidationException');
    await refused(await prepared(b, { ExpirationModel: 'KEY_MATERIAL_EXPIRES' }), 'ValidationException', /^A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES$/);
    await refused(await prepared(b, { KeyMaterialId }), 'IncorrectKeyMaterialException');
    const pending = await kms.importKeyMaterial({ ...(await wrapped(b)), ImportType: 'NEW_KEY_MATERIAL' });
    await refused(await prepared(c, { ImportType: 'NEW_KEY_MATERIAL' }), 'KMSInvalidStateException',
      new RegExp(`^New key material \\(id: [0-9a-f]{64}\\) cannot be imported into KMS key ${KeyId}, because another key material \\(id: ${pending.KeyMaterialId}\\) is pending rotation\\.$`));
    await refused(() => kms.deleteImportedKeyMaterial({ KeyId, KeyMaterialId: 'ab'.repeat(32) }), 'NotFoundException');
    await refused(() => kms.listKeyRotations({ KeyId, IncludeKeyMaterial: 'EVERYTHING' }), 'ValidationException');
    // A blob naming material the key does not have is not a ciphertext.
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    const altered = CiphertextBlob.slice();
    altered[17] ^= 1;
    await refused(() => kms.decrypt({ CiphertextBlob: altered }), 'InvalidCiphertextException');
  });
});
