// The two engines in a fresh Node process (node --test runs each file in its
// own): the core is read at the first createKms, the full engine only when a
// call needs it, and once however many calls race for it.
// engines-missing.test.mjs: a full engine that cannot be loaded; suite/engines.js: the move.
import { test } from 'node:test';
import { countWasmReads } from './helpers.mjs';
import { equal, ok } from '../suite/harness.js';

const reads = countWasmReads(); // before kms-wasm is imported
const { createKms } = await import('kms-wasm');

const importParams = (KeyId) => ({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });

test('many KMSs needing the full engine at once read it once', async () => {
  const kmss = await Promise.all(Array.from({ length: 6 }, () => createKms()));
  const keys = await Promise.all(kmss.map((k) => k.createKey({ Origin: 'EXTERNAL' })));
  equal(reads.full, 0, 'no call has needed the full engine yet');
  const results = await Promise.all(kmss.map((k, i) => k.getParametersForImport(importParams(keys[i].KeyMetadata.KeyId))));
  equal(results.length, 6);
  ok(kmss.every((k) => k.__engine === 'full' && k.__upgrades === 1), 'each moved once');
  equal(reads.full, 1, 'six racing moves read the full engine once');
  equal(reads.core, 1, 'the core was read once in this process');
  await Promise.all(kmss.map((k) => k.close()));
});

test('on a file store the move writes the waiting audit records first: the chain holds, in the KMS and after reopening on the core', async () => {
  const { fileStore } = await import('kms-wasm');
  const { tempDir } = await import('./helpers.mjs');
  const { dir, cleanup } = tempDir();
  try {
    const path = `${dir}/store`;
    let kms = await createKms({ store: fileStore(path) });
    const { KeyMetadata: k } = await kms.createKey();
    for (let i = 0; i < 5; i++) await kms.encrypt({ KeyId: k.KeyId, Plaintext: new Uint8Array([i]) }); // read-only: batched records
    const { KeyMetadata: ext } = await kms.createKey({ Origin: 'EXTERNAL' });
    await kms.getParametersForImport(importParams(ext.KeyId));
    equal(kms.__engine, 'full');
    await kms.encrypt({ KeyId: k.KeyId, Plaintext: new Uint8Array([9]) });
    const names = (await kms.auditLog()).map((r) => r.eventName);
    equal(names.join(), 'CreateKey,Encrypt,Encrypt,Encrypt,Encrypt,Encrypt,CreateKey,GetParametersForImport,Encrypt');
    equal((await kms.verifyAuditLog()).valid, true);
    await kms.close();
    kms = await createKms({ store: fileStore(path) });
    equal(kms.__engine, 'core', 'a store opens on the core');
    equal((await kms.auditLog()).map((r) => r.eventName).join(), names.join(), 'every record was written');
    equal((await kms.verifyAuditLog()).valid, true);
    await kms.close();
  } finally {
    cleanup();
  }
});
