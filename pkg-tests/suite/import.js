// Imported key material with the platform's WebCrypto (Node and browsers):
// RSAES_OAEP_SHA_256 with RSA-OAEP, and RSA_AES_KEY_WRAP_SHA_256 with
// RSA-OAEP plus AES key wrap with padding (RFC 5649), built from single-block
// AES (WebCrypto has AES-KW, RFC 3394, but not its padded variant).
// node/import.test.mjs does the same with node:crypto, as AWS documents it
// with OpenSSL, and covers expiry, re-import and the token errors.
import { createKms } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, randomBytes, fakeClock, DAY } from './harness.js';

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
});
