// What engines-run.mjs drives in the page: symmetric work only (which must
// need nothing but the core engine), then the calls that move a KMS to the
// full engine, timed. The driver reads what the page fetched from the network.
import { createKms, encryptMessage, decryptMessage, kmsKeyring } from 'kms-wasm';

const utf8 = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);

function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** createKey, encrypt, decrypt, generateDataKey, and an envelope round trip with kmsKeyring. */
export async function symmetric() {
  const t0 = performance.now();
  const kms = await createKms();
  const tCreate = performance.now();
  const { KeyMetadata } = await kms.createKey({ Description: 'a page of symmetric work' });
  const tFirstCall = performance.now();
  const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('core only'), EncryptionContext: { page: 'engines' } });
  check(text((await kms.decrypt({ CiphertextBlob, EncryptionContext: { page: 'engines' } })).Plaintext) === 'core only', 'decrypt');
  const dk = await kms.generateDataKey({ KeyId: KeyMetadata.KeyId, KeySpec: 'AES_256' });
  check(dk.Plaintext.length === 32, 'generateDataKey');
  const keyring = kmsKeyring({ client: kms, generatorKeyId: KeyMetadata.Arn });
  const plaintext = new Uint8Array(100_000).map((_, i) => (i * 131) & 0xff);
  const { result } = await encryptMessage(plaintext, { keyring, encryptionContext: { purpose: 'engines test' } });
  const back = await decryptMessage(result, { keyring });
  check(back.plaintext.length === plaintext.length && back.plaintext.every((b, i) => b === plaintext[i]), 'envelope round trip');
  check(kms.__engine === 'core', `symmetric work moved the KMS to the ${kms.__engine} engine`);
  window.__kms = kms;
  window.__keyArn = KeyMetadata.Arn;
  window.__blob = CiphertextBlob;
  return { engine: kms.__engine, createKmsMs: tCreate - t0, firstCallMs: tFirstCall - t0 };
}

/**
 * The first call that needs the full engine: exportBackup (Argon2id, steady,
 * so first minus next is loading the full engine and moving the KMS), then
 * imported material and the signing suite there.
 */
export async function full() {
  const kms = window.__kms;
  let t = performance.now();
  await kms.exportBackup({ passphrase: 'engines page' });
  const firstMs = performance.now() - t;
  check(kms.__engine === 'full' && kms.__upgrades === 1, 'the KMS moved once');
  t = performance.now();
  await kms.exportBackup({ passphrase: 'engines page' });
  const againMs = performance.now() - t;
  const { KeyMetadata: ext } = await kms.createKey({ Origin: 'EXTERNAL' });
  const params = await kms.getParametersForImport({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  check(params.PublicKey instanceof Uint8Array, 'getParametersForImport on the full engine');
  check(kms.__upgrades === 1, 'still one move');
  check(text((await kms.decrypt({ CiphertextBlob: window.__blob, EncryptionContext: { page: 'engines' } })).Plaintext) === 'core only', 'a core ciphertext after the move');
  // The signing suite: written and read on the full engine (already loaded).
  const keyring = kmsKeyring({ client: kms, generatorKeyId: window.__keyArn });
  const { result, messageHeader } = await encryptMessage(utf8('signed'), { keyring, algorithmSuite: 0x0578 });
  check(messageHeader.algorithmSuite === 0x0578, 'the signing suite');
  check(text((await decryptMessage(result, { keyring })).plaintext) === 'signed', 'signed round trip');
  return { firstMs, againMs, engine: kms.__engine };
}
