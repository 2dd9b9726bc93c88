// The two engines in a fresh Node process (node --test runs each file in its
// own): a full engine that cannot be loaded fails the call with a KmsError
// naming the wasmUrl option while the KMS carries on with the core.
// engines.test.mjs: loading it once for racing calls; suite/engines.js: the move.
import { test } from 'node:test';
import { countWasmReads } from './helpers.mjs';
import { equal, ok, deepEqual, utf8, text } from '../suite/harness.js';

const reads = countWasmReads(); // before kms-wasm is imported
const { createKms, KmsError, setWasmUrl } = await import('kms-wasm');

const importParams = (KeyId) => ({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });

test('a full engine that cannot be loaded fails the call with a KmsError naming wasmUrl; the KMS stays on the core, and a later call loads it', async () => {
  const missing = new URL('./no-such-engine.wasm', import.meta.url);
  const kms = await createKms({ wasmUrl: { full: missing } });
  equal(reads.full, 0, 'the full engine is not read before a call needs it');
  const { KeyMetadata: sym } = await kms.createKey();
  const { KeyMetadata: ext } = await kms.createKey({ Origin: 'EXTERNAL' });
  const { CiphertextBlob } = await kms.encrypt({ KeyId: sym.KeyId, Plaintext: utf8('still here') });
  const before = await kms.auditLog();

  const err = await kms.getParametersForImport(importParams(ext.KeyId)).then(() => null, (e) => e);
  ok(err instanceof KmsError, `a KmsError (got ${err})`);
  ok(/wasmUrl/.test(err.message), `the message names the wasmUrl option: ${err.message}`);
  ok(err.message.includes('no-such-engine.wasm'), 'and the file it tried');
  equal(kms.__engine, 'core', 'still on the core');

  equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'still here', 'the core keeps working');
  const after = await kms.auditLog();
  deepEqual(after.slice(0, before.length), before, 'the log is as it was');
  deepEqual(after.slice(before.length).map((r) => r.eventName), ['Decrypt'], 'the failed call left no record');

  // With the right file (the package's own), the next call moves the KMS.
  setWasmUrl({ full: import.meta.resolve('kms-wasm/full.wasm') });
  const p = await kms.getParametersForImport(importParams(ext.KeyId));
  ok(p.ImportToken instanceof Uint8Array);
  equal(kms.__engine, 'full');
  deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
});
