// Decrypts messages written by kms-wasm with the AWS Encryption SDK for
// JavaScript (@aws-crypto/client-node) and compares the plaintext and the
// encryption context. Exits non-zero on any difference.
//
//   ESDK_DIR=/tmp/esdk node tests/vectors/envelope/check-with-esdk.mjs [manifest.json ...]
//
// Default manifest: rust/manifest.json next to this script. ESDK_DIR is a
// directory where @aws-crypto/client-node is installed (npm i
// @aws-crypto/client-node); without it the package is resolved from here.
// Each entry needs: message, plaintext, keyring (a name in keys.json),
// encryptionContext; paths are relative to the manifest's parent directory.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const base = process.env.ESDK_DIR ? join(process.env.ESDK_DIR, 'package.json') : import.meta.url;
const require = createRequire(base);
const { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } = require('@aws-crypto/client-node');
const esdkVersion = require('@aws-crypto/client-node/package.json').version;

const { keys } = JSON.parse(readFileSync(join(HERE, 'keys.json'), 'utf8'));
const WRAPPING = { 16: 'AES128', 24: 'AES192', 32: 'AES256' };

function keyring(name) {
  const k = keys[name];
  const wrappingKey = Buffer.from(k.wrappingKey, 'hex');
  return new RawAesKeyringNode({
    keyName: k.keyName,
    keyNamespace: k.keyNamespace,
    unencryptedMasterKey: new Uint8Array(wrappingKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier[`${WRAPPING[wrappingKey.length]}_GCM_IV12_TAG16_NO_PADDING`],
    // UTF-8 ordering of the context, as the specification and kms-wasm use
    utf8Sorting: true,
  });
}

const manifests = process.argv.slice(2).length ? process.argv.slice(2) : [join(HERE, 'rust', 'manifest.json')];
const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
let passed = 0;
let failed = 0;
for (const path of manifests) {
  const root = dirname(dirname(resolve(path)));
  const { vectors } = JSON.parse(readFileSync(path, 'utf8'));
  for (const v of vectors.filter((v) => v.expect === 'success')) {
    try {
      const message = readFileSync(join(root, v.message));
      const expected = readFileSync(join(root, v.plaintext));
      const { plaintext, messageHeader } = await client.decrypt(keyring(v.keyring), message);
      if (!Buffer.from(plaintext).equals(expected)) throw new Error('plaintext differs');
      const ec = { ...messageHeader.encryptionContext };
      delete ec['aws-crypto-public-key'];
      if (JSON.stringify(Object.entries(ec).sort()) !== JSON.stringify(Object.entries(v.encryptionContext).sort())) {
        throw new Error(`encryption context differs: ${JSON.stringify(ec)}`);
      }
      if (messageHeader.frameLength !== v.frameLength) throw new Error('frame length differs');
      if (`0x${messageHeader.suiteId.toString(16).padStart(4, '0')}` !== v.suite) throw new Error('suite differs');
      passed++;
    } catch (e) {
      failed++;
      console.error(`FAIL ${v.name}: ${e.message}`);
    }
  }
}
console.log(`@aws-crypto/client-node ${esdkVersion}: ${passed} kms-wasm messages decrypted, ${failed} failed`);
process.exit(failed ? 1 : 0);
