// Browser (and any non-Node) entry of kms-wasm: compiles the wasm from a URL
// relative to this module, overridable with setWasmUrl() or
// createKms({ wasmUrl }). No Node globals, no top-level await.

import { createEngines } from './engine.js';
import { entryPoints, alreadyLoaded } from './entry.js';
import { createEnvelope } from './envelope/envelope.js';
import { webCryptoFrameCipher } from './envelope/webcrypto-cipher.js';

import { KmsError } from './errors.js';

export { KmsError };
export { memoryStore } from './stores/memory.js';
export { indexedDbStore } from './stores/indexeddb.js';
export { webCryptoKeyStore } from './key-stores/webcrypto.js';
export { rawAesKeyring, kmsKeyring, multiKeyring } from './envelope/keyrings.js';
export { cachingKeyring } from './envelope/caching-keyring.js';

/** fileStore is for Node (it needs a file system); in browsers use indexedDbStore(name). */
export function fileStore() {
  throw new KmsError('ValidationException', 'fileStore needs Node (a file system); in browsers use indexedDbStore(name).');
}

let wasmUrl = new URL('../pkg/kms_wasm_bg.wasm', import.meta.url);
/** @type {Promise<WebAssembly.Module> | null} */
let compiled = null;

async function compileFrom(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`kms-wasm: cannot fetch the wasm from ${url}: ${response.status} ${response.statusText}`);
  }
  const type = response.headers.get('Content-Type') || '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.split(';')[0].trim() === 'application/wasm') {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

const engines = createEngines({
  compile() {
    if (!compiled) {
      compiled = compileFrom(wasmUrl);
      compiled.catch(() => { compiled = null; });
    }
    return compiled;
  },
  instantiate(glue, module) {
    return glue.default({ module_or_path: module });
  },
});

// Envelope encryption (AWS Encryption SDK message format); frames on WebCrypto
// where there is crypto.subtle (secure contexts), in wasm otherwise.
export const { encryptMessage, decryptMessage, encryptStream, decryptStream } = createEnvelope(engines, webCryptoFrameCipher());

/**
 * Where to fetch `kms_wasm_bg.wasm` from. Only before the first
 * createKms(); by default the file beside this module in the package.
 * @param {string | URL} url
 */
export function setWasmUrl(url) {
  // Relative URLs resolve against the page (or the worker's script), like fetch() does.
  const base = (typeof document !== 'undefined' && document.baseURI) || globalThis.location?.href || import.meta.url;
  const next = new URL(String(url), base);
  if (compiled && next.href !== wasmUrl.href) {
    throw alreadyLoaded(wasmUrl);
  }
  wasmUrl = next;
}

export const { createKms, verifyAuditRecords, __benchCipher } = entryPoints(engines, setWasmUrl);
