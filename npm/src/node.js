// Node entry of kms-wasm: reads the wasm with fs and instantiates it
// synchronously (no fetch of file: URLs in Node). No top-level await, so
// `require('kms-wasm')` works too (Node >= 20.19).

import { readFileSync } from 'node:fs';
import { createEngines } from './engine.js';
import { createKmsWith, benchCipherWith, verifyAuditRecordsWith } from './client.js';
import { createEnvelope } from './envelope/envelope.js';
import { nodeFrameCipher } from './envelope/node-cipher.js';

export { KmsError } from './errors.js';
export { memoryStore } from './stores/memory.js';
export { fileStore } from './stores/file.js';
export { indexedDbStore } from './stores/indexeddb.js';
export { rawAesKeyring, kmsKeyring, multiKeyring } from './envelope/keyrings.js';

let wasmUrl = new URL('../pkg/kms_wasm_bg.wasm', import.meta.url);
/** @type {WebAssembly.Module | null} */
let compiled = null;

const engines = createEngines({
  compile() {
    if (!compiled) compiled = new WebAssembly.Module(readFileSync(wasmUrl));
    return compiled;
  },
  instantiate(glue, module) {
    glue.initSync({ module });
  },
});

// Envelope encryption (AWS Encryption SDK message format); frames on node:crypto.
export const { encryptMessage, decryptMessage, encryptStream, decryptStream } = createEnvelope(engines, nodeFrameCipher);

/**
 * Where to read the `.wasm` from (a file URL or path). Only before the first
 * createKms(); by default the file shipped in this package.
 * @param {string | URL} url
 */
export function setWasmUrl(url) {
  const next = url instanceof URL ? url : new URL(url, `file://${process.cwd()}/`);
  if (compiled && next.href !== wasmUrl.href) {
    throw new Error(`kms-wasm: the wasm is already loaded from ${wasmUrl.href}; setWasmUrl must come before the first createKms().`);
  }
  wasmUrl = next;
}

/**
 * A new KMS. See the package README / index.d.ts for the options.
 * @param {import('../index.js').CreateKmsOptions} [options]
 */
export async function createKms(options = {}) {
  if (options && options.wasmUrl !== undefined) setWasmUrl(options.wasmUrl);
  return createKmsWith(engines, options);
}

/**
 * Verifies an exported copy of an audit log (as `kms.auditLog()` returned
 * it): `{ valid, firstInvalidIndex }`, the index of the first record that
 * was edited, removed or reordered.
 * @param {object[]} records
 */
export function verifyAuditRecords(records) {
  return verifyAuditRecordsWith(engines, records);
}

/** @internal The raw AES-256-GCM of the crate (benchmark baseline). */
export function __benchCipher() {
  return benchCipherWith(engines);
}
