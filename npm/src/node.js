// Node entry of kms-wasm: reads the wasm with fs and instantiates it
// synchronously (no fetch of file: URLs in Node). No top-level await, so
// `require('kms-wasm')` works too (Node >= 20.19).

import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as coreGlue from '../pkg/kms_wasm_core.js';
import { engineLoaders, entryPoints, wasmUrlSetter } from './entry.js';
import { createEnvelope } from './envelope/envelope.js';
import { nodeFrameCipher } from './envelope/node-cipher.js';

import { KmsError } from './errors.js';

export { KmsError };
export { memoryStore } from './stores/memory.js';
export { fileStore } from './stores/file.js';
export { indexedDbStore } from './stores/indexeddb.js';
export { webCryptoKeyStore } from './key-stores/webcrypto.js';
export { rawAesKeyring, kmsKeyring, multiKeyring } from './envelope/keyrings.js';
export { cachingKeyring } from './envelope/caching-keyring.js';
export { requestHandler } from './request-handler.js';

function compileFrom(url, file) {
  const fail = (what, cause) => new KmsError('KMSInternalException',
    `Cannot load the wasm (${file}) from ${url.protocol === 'file:' ? fileURLToPath(url) : url.href}: ${what}. `
    + 'Pass the path or file URL of the package\'s .wasm file as createKms({ wasmUrl }) (or setWasmUrl(url)).', { cause });
  let bytes;
  try {
    bytes = readFileSync(url);
  } catch (e) {
    throw fail(e && e.code ? e.code : messageOf(e), e);
  }
  try {
    return new WebAssembly.Module(bytes);
  } catch (e) {
    throw fail(`it did not compile (${messageOf(e)})`, e);
  }
}

function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}

// The core engine is imported with the entry; the full engine's glue only
// when a call first needs it (a fixed path, which bundlers split off).
// Each `new URL('../pkg/…', import.meta.url)` stays written out: that exact
// pattern is what bundlers look for to emit the file.
const { core, full, engines } = engineLoaders({
  coreGlue,
  fullGlue: () => import('../pkg/kms_wasm_full.js'),
  coreUrl: new URL('../pkg/kms_wasm_core_bg.wasm', import.meta.url),
  fullUrl: new URL('../pkg/kms_wasm_full_bg.wasm', import.meta.url),
  compileFrom,
  instantiate: (g, module) => { g.initSync({ module }); },
});

// Envelope encryption (AWS Encryption SDK message format); frames on node:crypto.
export const { encryptMessage, decryptMessage, encryptStream, decryptStream } = createEnvelope(engines, nodeFrameCipher);

/**
 * Where to read the engines' `.wasm` files from (file URLs or paths): a
 * string or URL for the core engine, or `{ core, full }`. Each only before
 * that engine is loaded; by default the files shipped in this package.
 * @param {string | URL | { core?: string | URL, full?: string | URL }} url
 */
export const setWasmUrl = wasmUrlSetter({ core, full }, resolveUrl);

/** A file URL or path (relative paths against the working directory) as a URL. */
function resolveUrl(url) {
  if (url instanceof URL) return url;
  if (typeof url !== 'string' || url === '') {
    throw new KmsError('ValidationException', 'wasmUrl must be a file URL or path.');
  }
  if (/^[a-z][a-z0-9+.-]+:/i.test(url)) return new URL(url); // file:..., not C:\...
  return pathToFileURL(url);
}

export const { createKms, verifyAuditRecords, __benchCipher } = entryPoints(engines, setWasmUrl);
