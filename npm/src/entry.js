// What the Node and browser entries share: the package's functions bound to
// one entry's engines. Each entry keeps only what differs — how it loads the
// wasm and how it resolves a wasm URL.

import { createKmsWith, benchCipherWith, verifyAuditRecordsWith } from './client.js';
import { KmsError } from './errors.js';
import { createEngineSet } from './engine.js';

/**
 * @param {ReturnType<typeof import('./engine.js').createEngines>} engines
 * @param {(url: string | URL) => void} setWasmUrl
 */
export function entryPoints(engines, setWasmUrl) {
  return {
    /**
     * A new KMS. See the package README / index.d.ts for the options.
     * @param {import('../index.js').CreateKmsOptions} [options]
     */
    async createKms(options = {}) {
      if (options && options.wasmUrl !== undefined) setWasmUrl(options.wasmUrl);
      return createKmsWith(engines, options);
    },

    /**
     * Verifies an exported copy of an audit log (as `kms.auditLog()` returned
     * it): `{ valid, firstInvalidIndex }`, the index of the first record that
     * was edited, removed or reordered.
     * @param {object[]} records
     */
    verifyAuditRecords(records) {
      return verifyAuditRecordsWith(engines, records);
    },

    /** @internal The raw AES-256-GCM of the crate (benchmark baseline). */
    __benchCipher() {
      return benchCipherWith(engines);
    },
  };
}

/** The refusal to move the wasm once it is loaded. */
export function alreadyLoaded(url) {
  return new KmsError('ValidationException', `The wasm is already loaded from ${url.href}; wasmUrl (or setWasmUrl) must come before the first createKms().`);
}

/**
 * How an entry loads one engine's wasm module: compiled once from a URL
 * (the file beside the package's glue by default, or the one given by
 * setWasmUrl / createKms({ wasmUrl })), then instantiated with its glue. A
 * failed load (a thrown KmsError, or a rejected promise) is not kept: the
 * next createKms tries again, with a corrected URL if one was given.
 *
 * @param {object} spec
 * @param {any | (() => Promise<any>)} spec.glue the glue module, or a function importing it
 * @param {URL} spec.defaultUrl where the wasm is when nobody says otherwise. Write it at
 *   the call site as `new URL('../pkg/NAME_bg.wasm', import.meta.url)`: bundlers
 *   (webpack 5, Vite, Parcel) emit the file for that exact pattern
 * @param {string} spec.file the wasm file's name, for messages
 * @param {(url: URL, file: string) => WebAssembly.Module | Promise<WebAssembly.Module>} spec.compileFrom
 * @param {(glue: any, module: WebAssembly.Module) => unknown} spec.instantiate
 */
function wasmLoader({ glue, defaultUrl, file, compileFrom, instantiate }) {
  let url = defaultUrl;
  /** @type {WebAssembly.Module | Promise<WebAssembly.Module> | null} */
  let compiled = null;
  return {
    get url() { return url; },
    /** @param {URL} next */
    setUrl(next) {
      if (compiled && next.href !== url.href) throw alreadyLoaded(url);
      url = next;
    },
    /** @type {import('./engine.js').Platform} */
    platform: {
      glue,
      compile() {
        if (!compiled) {
          compiled = compileFrom(url, file);
          if (compiled instanceof Promise) compiled.catch(() => { compiled = null; });
        }
        return compiled;
      },
      instantiate,
    },
  };
}

/**
 * Both engines' loaders and the engine set over them. The glue imports and
 * the `new URL('../pkg/…', import.meta.url)` of each `.wasm` come from the
 * entry, written out there: that exact pattern is what bundlers look for.
 * @param {{ coreGlue: any, fullGlue: () => Promise<any>, coreUrl: URL, fullUrl: URL,
 *   compileFrom: (url: URL, file: string) => WebAssembly.Module | Promise<WebAssembly.Module>,
 *   instantiate: (glue: any, module: WebAssembly.Module) => unknown }} spec
 */
export function engineLoaders({ coreGlue, fullGlue, coreUrl, fullUrl, compileFrom, instantiate }) {
  const core = wasmLoader({ glue: coreGlue, defaultUrl: coreUrl, file: 'kms_wasm_core_bg.wasm', compileFrom, instantiate });
  const full = wasmLoader({ glue: fullGlue, defaultUrl: fullUrl, file: 'kms_wasm_full_bg.wasm', compileFrom, instantiate });
  return { core, full, engines: createEngineSet({ core: core.platform, full: full.platform }) };
}

/**
 * The entries' setWasmUrl: a string or URL names the core engine's file,
 * `{ core, full }` either or both; each only before that engine is loaded.
 * @param {{ core: ReturnType<typeof wasmLoader>, full: ReturnType<typeof wasmLoader> }} loaders
 * @param {(url: string | URL) => URL} resolveUrl
 */
export function wasmUrlSetter(loaders, resolveUrl) {
  return function setWasmUrl(url) {
    if (url !== null && typeof url === 'object' && !(url instanceof URL)) {
      const core = url.core === undefined ? undefined : resolveUrl(url.core);
      const full = url.full === undefined ? undefined : resolveUrl(url.full);
      if (core) loaders.core.setUrl(core);
      if (full) loaders.full.setUrl(full);
      return;
    }
    loaders.core.setUrl(resolveUrl(url));
  };
}

