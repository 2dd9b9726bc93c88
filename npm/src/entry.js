// What the Node and browser entries share: the package's functions bound to
// one entry's engines. Each entry keeps only what differs — how it loads the
// wasm and how it resolves a wasm URL.

import { createKmsWith, benchCipherWith, verifyAuditRecordsWith } from './client.js';
import { KmsError } from './errors.js';

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
