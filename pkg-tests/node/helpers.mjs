// Helpers of the Node-only store tests: temp directories, key material
// wrapping with node:crypto (as AWS documents it with OpenSSL), byte search.
import fs, { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { publicEncrypt, createPublicKey, constants, randomBytes, createCipheriv } from 'node:crypto';

/** A fresh temp directory; removed by the returned cleanup. */
/** An HTTP answer as the serve tests read it: { status, headers, text, json } (json undefined when the body is not JSON). */
export async function answerOf(res) {
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function tempDir(prefix = 'kms-wasm-store-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies a store directory (and its key file, if any) to a new place. */
export function copyStore(from, to) {
  cpSync(from, to, { recursive: true });
  try {
    cpSync(`${from}.key`, `${to}.key`);
  } catch {
    // no key file
  }
}

/** RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256 wrapping of `material` under the DER SPKI `publicKey`. */
export function wrapOaep(publicKey, material, hash = 'sha256') {
  const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  return new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, Buffer.from(material)));
}

/**
 * RSA_AES_KEY_WRAP_SHA_1 / _SHA_256: a random AES-256 key wrapped with
 * RSA-OAEP, then the material wrapped with it by AES key wrap with padding
 * (RFC 5649, OpenSSL's id-aes256-wrap-pad), concatenated.
 */
export function wrapRsaAes(publicKey, material, hash = 'sha256') {
  const aesKey = randomBytes(32);
  const wrappedKey = wrapOaep(publicKey, aesKey, hash);
  const c = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
  const wrappedMaterial = Buffer.concat([c.update(Buffer.from(material)), c.final()]);
  aesKey.fill(0);
  return new Uint8Array(Buffer.concat([Buffer.from(wrappedKey), wrappedMaterial]));
}

/** Whether `needle` occurs in `haystack` (both byte arrays). */
export function contains(haystack, needle) {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle)) !== -1;
}

/** Every file under `dir` (recursively): [{ path, bytes }]. */
export function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

/** All pages of a list operation. */
export async function listAll(call, request, member) {
  const out = [];
  let Marker;
  do {
    const r = await call({ ...request, Marker });
    out.push(...r[member]);
    Marker = r.Truncated ? r.NextMarker : undefined;
  } while (Marker);
  return out;
}

/** A fake clock: `{ now, ms, advance(ms), set(ms) }`. */
export function fakeClock(start = '2030-01-01T00:00:00Z') {
  const clock = {
    ms: Date.parse(start),
    now: () => new Date(clock.ms),
    advance(ms) {
      clock.ms += ms;
    },
    set(ms) {
      clock.ms = ms;
    },
  };
  return clock;
}

export const DAY = 86_400_000;

/** Imports `material` into a new EXTERNAL key of `kms`; returns the key's ARN. */
export async function importedKey(kms, material, { algorithm = 'RSAES_OAEP_SHA_256', request = {} } = {}) {
  const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL', Description: 'imported' });
  await importInto(kms, KeyMetadata.Arn, material, { algorithm, request });
  return KeyMetadata.Arn;
}

/** GetParametersForImport (RSA_2048) and ImportKeyMaterial of `material` into `KeyId`. */
export async function importInto(kms, KeyId, material, { algorithm = 'RSAES_OAEP_SHA_256', request = {} } = {}) {
  const p = await kms.getParametersForImport({ KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' });
  const hash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  const EncryptedKeyMaterial = algorithm.startsWith('RSA_AES') ? wrapRsaAes(p.PublicKey, material, hash) : wrapOaep(p.PublicKey, material, hash);
  return kms.importKeyMaterial({
    KeyId, ImportToken: p.ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...request,
  });
}

/**
 * Counts the reads of each engine's .wasm (the Node entry reads them with
 * fs.readFileSync): patches fs and re-syncs the ESM bindings, so it must run
 * before kms-wasm is imported. Returns the live counts.
 */
export function countWasmReads() {
  const reads = { core: 0, full: 0 };
  const realRead = fs.readFileSync;
  fs.readFileSync = function countingRead(path, ...rest) {
    const name = String(path instanceof URL ? path.pathname : path);
    if (name.endsWith('kms_wasm_core_bg.wasm')) reads.core += 1;
    if (name.endsWith('kms_wasm_full_bg.wasm')) reads.full += 1;
    return realRead.call(this, path, ...rest);
  };
  syncBuiltinESMExports();
  return reads;
}

