// Browser (and any non-Node) entry of kms-wasm: compiles the wasm from a URL
// relative to this module, overridable with setWasmUrl() or
// createKms({ wasmUrl }). No Node globals, no top-level await.

import * as coreGlue from '../pkg/kms_wasm_core.js';
import { engineLoaders, entryPoints, wasmUrlSetter } from './entry.js';
import { createEnvelope } from './envelope/envelope.js';
import { webCryptoFrameCipher } from './envelope/webcrypto-cipher.js';

import { KmsError } from './errors.js';

export { KmsError };
export { memoryStore } from './stores/memory.js';
export { indexedDbStore } from './stores/indexeddb.js';
export { webCryptoKeyStore } from './key-stores/webcrypto.js';
export { rawAesKeyring, kmsKeyring, multiKeyring } from './envelope/keyrings.js';
export { cachingKeyring } from './envelope/caching-keyring.js';
export { requestHandler } from './request-handler.js';

/** fileStore is for Node (it needs a file system); in browsers use indexedDbStore(name). */
export function fileStore() {
  throw new KmsError('ValidationException', 'fileStore needs Node (a file system); in browsers use indexedDbStore(name).');
}

/** The first bytes of a response, for the message when they are no wasm. */
function describeStart(bytes) {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).replace(/\s+/g, ' ').trim();
  if (/^<(!doctype|html|head|body|\?xml)/i.test(head)) return 'an HTML page, not the wasm file';
  if (bytes.length === 0) return 'empty';
  return `not a wasm file (it starts with ${JSON.stringify(head.slice(0, 24))})`;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

async function compileFrom(url, file) {
  const fail = (what, cause) => new KmsError('KMSInternalException',
    `Cannot load the wasm (${file}) from ${url.href}: ${what}. If your bundler does not emit the package's .wasm file `
    + '(esbuild, or Rollup without an asset plugin), serve the file yourself and pass its URL as createKms({ wasmUrl }) '
    + '(or setWasmUrl(url)), e.g. with esbuild --loader:.wasm=file and '
    + `\`import wasmUrl from 'kms-wasm/${file}'\`; under the dev server of Vite 7 or older, add 'kms-wasm' to optimizeDeps.exclude.`,
  cause === undefined ? undefined : { cause });
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw fail(`the fetch failed (${e instanceof Error ? e.message : String(e)})`, e);
  }
  if (!response.ok) throw fail(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim();
  let bytes;
  try {
    if (typeof WebAssembly.compileStreaming === 'function' && type === 'application/wasm') {
      return await WebAssembly.compileStreaming(response);
    }
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw fail(`it did not compile (${e instanceof Error ? e.message : String(e)})`, e);
  }
  if (!WASM_MAGIC.every((b, i) => bytes[i] === b)) throw fail(`the response is ${describeStart(bytes)}`);
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    throw fail(`it did not compile (${e instanceof Error ? e.message : String(e)})`, e);
  }
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
  instantiate: (g, module) => g.default({ module_or_path: module }),
});

// Envelope encryption (AWS Encryption SDK message format); frames on WebCrypto
// where there is crypto.subtle (secure contexts), in wasm otherwise.
export const { encryptMessage, decryptMessage, encryptStream, decryptStream } = createEnvelope(engines, webCryptoFrameCipher());

/**
 * Where to fetch the engines' `.wasm` files from: a string or URL for the
 * core engine (`kms_wasm_core_bg.wasm`), or `{ core, full }`. Each only
 * before that engine is loaded; by default the files beside the package's
 * glue modules (`new URL('../pkg/kms_wasm_core_bg.wasm', import.meta.url)`).
 * @param {string | URL | { core?: string | URL, full?: string | URL }} url
 */
export const setWasmUrl = wasmUrlSetter({ core, full }, resolveUrl);

/** A URL as fetch() would take it: relative ones against the page (or the worker's script). */
function resolveUrl(url) {
  if (url instanceof URL) return url;
  if (typeof url !== 'string' || url === '') {
    throw new KmsError('ValidationException', 'wasmUrl must be a URL or a non-empty string.');
  }
  const base = (typeof document !== 'undefined' && document.baseURI) || globalThis.location?.href || import.meta.url;
  try {
    return new URL(url, base);
  } catch (e) {
    throw new KmsError('ValidationException', `wasmUrl is not a valid URL: ${JSON.stringify(url)}.`, { cause: e });
  }
}

export const { createKms, verifyAuditRecords, __benchCipher } = entryPoints(engines, setWasmUrl);
