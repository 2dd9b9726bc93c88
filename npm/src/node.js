// Node entry of kms-wasm: reads the wasm with fs and instantiates it
// synchronously (no fetch of file: URLs in Node). No top-level await, so
// `require('kms-wasm')` works too (Node >= 20.19).

import { readFileSync } from 'node:fs';
import { createEngines } from './engine.js';
import { entryPoints, alreadyLoaded } from './entry.js';
import { createEnvelope } from './envelope/envelope.js';
import { nodeFrameCipher } from './envelope/node-cipher.js';

export { KmsError } from './errors.js';
export { memoryStore } from './stores/memory.js';
export { fileStore } from './stores/file.js';
export { indexedDbStore } from './stores/indexeddb.js';
export { webCryptoKeyStore } from './key-stores/webcrypto.js';
export { rawAesKeyring, kmsKeyring, multiKeyring } from './envelope/keyrings.js';
export { cachingKeyring } from './envelope/caching-keyring.js';

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
    throw alreadyLoaded(wasmUrl);
  }
  wasmUrl = next;
}

export const { createKms, verifyAuditRecords, __benchCipher } = entryPoints(engines, setWasmUrl);
