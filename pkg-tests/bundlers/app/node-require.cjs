// `require('kms-wasm')` from CommonJS (require(esm): Node ^20.19 || >= 22.12):
// a wasm that cannot be read is a KmsError naming wasmUrl and leaves the
// package usable; then a round trip, forced traps and the recovery.
const assert = require('node:assert/strict');
const { createKms, KmsError } = require('kms-wasm');

(async () => {
  const missing = await createKms({ wasmUrl: '/nonexistent/kms_wasm_core_bg.wasm' }).then(() => null, (e) => e);
  assert.ok(missing instanceof KmsError, `a missing wasm rejected with ${missing}`);
  assert.equal(missing.name, 'KMSInternalException');
  assert.match(missing.message, /wasmUrl/);
  assert.match(missing.message, /ENOENT/);

  // The package's own files, as the `./core.wasm` and `./full.wasm` exports name them.
  const kms = await createKms({ wasmUrl: { core: require.resolve('kms-wasm/core.wasm'), full: require.resolve('kms-wasm/full.wasm') } });
  const other = await createKms();
  const { KeyMetadata } = await kms.createKey({});
  const enc = (s) => new TextEncoder().encode(s);
  const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: enc('from require') });
  for (const round of [1, 2]) {
    const trap = await kms.__trapForTesting().then(() => null, (e) => e);
    assert.ok(trap instanceof KmsError && trap.name === 'KMSInternalException', `trap #${round} rejected with ${trap}`);
    const { Plaintext } = await kms.decrypt({ CiphertextBlob });
    assert.equal(new TextDecoder().decode(Plaintext), 'from require');
  }
  const { KeyMetadata: ext } = await kms.createKey({ Origin: 'EXTERNAL' });
  await kms.getParametersForImport({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' });
  assert.equal(kms.__engine, 'full', 'getParametersForImport moved the KMS to the full engine');
  const { Plaintext } = await kms.decrypt({ CiphertextBlob });
  assert.equal(new TextDecoder().decode(Plaintext), 'from require', 'and the key came along');
  const { KeyMetadata: otherKey } = await other.createKey({});
  assert.equal((await other.listKeys({})).Keys.length, 1);
  assert.ok(otherKey.KeyId);
  await kms.close();
  await other.close();
  console.log('missing wasm → KmsError naming wasmUrl; round trip; 2 traps recovered; moved to the full engine; a second KMS works on');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
