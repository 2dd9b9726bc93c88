// Node-only checks of the installed package: Buffer inputs and the Node entry.
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { Buffer } from 'node:buffer';
import { createKms } from 'kms-wasm';
import { equal, ok, deepEqual, bytes, rejects, utf8 } from '../suite/harness.js';

test('a Node Buffer is accepted wherever bytes are', async () => {
  const kms = await createKms();
  const { KeyMetadata: { KeyId } } = await kms.createKey({});
  const enc = await kms.encrypt({ KeyId, Plaintext: Buffer.from('buffer plaintext') });
  bytes(enc.CiphertextBlob);
  const dec = await kms.decrypt({ CiphertextBlob: Buffer.from(enc.CiphertextBlob) });
  equal(Buffer.from(dec.Plaintext).toString(), 'buffer plaintext');
  // a Buffer from Node's shared pool has a non-zero byteOffset into a larger ArrayBuffer
  const pooled = Buffer.from('pooled!');
  const enc2 = await kms.encrypt({ KeyId, Plaintext: pooled });
  deepEqual((await kms.decrypt({ CiphertextBlob: enc2.CiphertextBlob })).Plaintext, utf8('pooled!'));
  const re = await kms.reEncrypt({ CiphertextBlob: Buffer.from(enc.CiphertextBlob), DestinationKeyId: KeyId });
  deepEqual((await kms.decrypt({ CiphertextBlob: re.CiphertextBlob })).Plaintext, utf8('buffer plaintext'));
  await rejects(kms.encrypt({ KeyId, Plaintext: Buffer.alloc(0) }), 'ValidationException', 'an empty Buffer');
});

test('responses carry plain Uint8Array (or Buffer) binaries usable by Node APIs', async () => {
  const kms = await createKms();
  const { KeyMetadata: { KeyId } } = await kms.createKey({});
  const dk = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });
  ok(dk.Plaintext instanceof Uint8Array);
  equal(Buffer.from(dk.Plaintext).length, 32);
});

test('the package resolves by name through its exports map, in ESM and in CommonJS', async () => {
  const require = createRequire(import.meta.url);
  const esm = await import('kms-wasm');
  equal(typeof esm.createKms, 'function', 'ESM import');
  let cjs;
  try {
    cjs = require('kms-wasm');
  } catch (err) {
    // Node 20 cannot require() an ES module; the package may be ESM-only.
    ok(err.code === 'ERR_REQUIRE_ESM' || err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED', `require failed with ${err.code}: ${err.message}`);
    return;
  }
  equal(typeof cjs.createKms, 'function', 'require()');
});

test('Symbol.asyncDispose closes the KMS where the runtime has it, and no member is named after a missing symbol', async () => {
  const kms = await createKms();
  ok(!Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(kms), 'undefined'), 'no member named "undefined"');
  if (typeof Symbol.asyncDispose !== 'symbol') return;
  equal(typeof kms[Symbol.asyncDispose], 'function');
  await kms[Symbol.asyncDispose]();
  await rejects(kms.listKeys({}), 'KmsClosedException', 'a call after disposal');
});
