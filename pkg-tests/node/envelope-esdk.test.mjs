// Envelope encryption against the AWS Encryption SDK for JavaScript
// (@aws-crypto/client-node 5.0.2): kms-wasm messages decrypt there and the
// SDK's decrypt here, with the raw AES keyring and with the KMS keyring
// (the SDK's KmsKeyringNode using the same kms-wasm KMS as its client);
// empty, 1 byte, exact multiples of the frame length, several frame lengths,
// both committing suites, a 50 MiB message, the default frame length (64 KiB)
// and the SDK's (4 KiB); every altered byte fails on both sides. Also: the platform (node:crypto) and wasm frame cipher paths write
// byte-identical messages.
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import esdk from '@aws-crypto/client-node';
import { createKms, encryptMessage, decryptMessage, rawAesKeyring, kmsKeyring } from 'kms-wasm';
import { ok, equal, deepEqual } from '../suite/harness.js';

const { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier, KmsKeyringNode } = esdk;
const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const same = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function rawRings(wrappingKey = randomBytes(32)) {
  return {
    ours: rawAesKeyring({ keyNamespace: 'interop', keyName: 'key-1', wrappingKey }),
    theirs: new RawAesKeyringNode({
      keyNamespace: 'interop', keyName: 'key-1', unencryptedMasterKey: new Uint8Array(wrappingKey),
      wrappingSuite: { 16: RawAesWrappingSuiteIdentifier.AES128_GCM_IV12_TAG16_NO_PADDING, 24: RawAesWrappingSuiteIdentifier.AES192_GCM_IV12_TAG16_NO_PADDING, 32: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING }[wrappingKey.length],
      utf8Sorting: true, // needed for contexts whose UTF-8 order differs from localeCompare's (see the README)
    }),
  };
}

async function kmsRings() {
  const kms = await createKms();
  const arn = (await kms.createKey({ Description: 'envelope interop' })).KeyMetadata.Arn;
  return { kms, arn, ours: kmsKeyring({ client: kms, generatorKeyId: arn }), theirs: new KmsKeyringNode({ generatorKeyId: arn, clientProvider: () => kms }) };
}

const CASES = [];
for (const frameLength of [1, 128, 333, 4096, 65536]) {
  const sizes = frameLength === 1 ? [0, 1, 2, 5] : [0, 1, frameLength - 1, frameLength, 2 * frameLength, 3 * frameLength + 7];
  for (const size of sizes) CASES.push([frameLength, size]);
}

async function both(rings, label, contexts = [{}, { purpose: 'interop', Bucket: 'b', 'clé': 'valeur ✓', a: '' }]) {
  let n = 0;
  for (const suiteId of [0x0478, 0x0578]) {
    for (const [frameLength, size] of CASES) {
      const plaintext = randomBytes(size);
      const encryptionContext = contexts[n++ % contexts.length];
      const where = `${label} suite 0x0${suiteId.toString(16)} frame ${frameLength} size ${size}`;
      // kms-wasm -> ESDK, from each frame cipher path
      for (const frameCipher of ['platform', 'wasm']) {
        const { result } = await encryptMessage(plaintext, { keyring: rings.ours, encryptionContext, frameLength, algorithmSuite: suiteId, frameCipher });
        const out = await decrypt(rings.theirs, result);
        ok(same(out.plaintext, plaintext), `ESDK decrypts kms-wasm (${frameCipher}): ${where}`);
        equal(out.messageHeader.suiteId, suiteId);
        equal(out.messageHeader.frameLength, frameLength);
        for (const [k, v] of Object.entries(encryptionContext)) equal(out.messageHeader.encryptionContext[k], v);
      }
      // ESDK -> kms-wasm, on each path
      const { result } = await encrypt(rings.theirs, plaintext, { encryptionContext, suiteId, frameLength });
      for (const frameCipher of ['platform', 'wasm']) {
        const out = await decryptMessage(result, { keyring: rings.ours, frameCipher, requiredEncryptionContext: encryptionContext });
        ok(same(out.plaintext, plaintext), `kms-wasm (${frameCipher}) decrypts ESDK: ${where}`);
        equal(out.messageHeader.algorithmSuite, suiteId);
      }
    }
  }
}

test('raw AES keyring (AES-256 wrapping key): kms-wasm <-> ESDK, sizes around frame lengths 1/128/333/4096/65536, both suites, both paths', async () => {
  await both(rawRings(), 'raw AES-256');
});

test('raw AES keyring with AES-128 and AES-192 wrapping keys both ways', async () => {
  for (const len of [16, 24]) {
    const rings = rawRings(randomBytes(len));
    const plaintext = randomBytes(5000);
    const { result } = await encryptMessage(plaintext, { keyring: rings.ours, encryptionContext: { k: 'v' } });
    ok(same((await decrypt(rings.theirs, result)).plaintext, plaintext));
    const back = await encrypt(rings.theirs, plaintext, { encryptionContext: { k: 'v' } });
    ok(same((await decryptMessage(back.result, { keyring: rings.ours })).plaintext, plaintext));
  }
});

test('KMS keyring: kms-wasm kmsKeyring <-> ESDK KmsKeyringNode on the same kms-wasm KMS, same cases', async () => {
  const rings = await kmsRings();
  await both(rings, 'KMS', [{}, { purpose: 'interop', Bucket: 'b', 'clé': 'valeur ✓' }]); // KMS refuses empty context values
  const { messageHeader } = await encryptMessage('x', { keyring: rings.ours });
  deepEqual(messageHeader.encryptedDataKeys.map((e) => [e.providerId, e.providerInfo]), [['aws-kms', rings.arn]]);
});

test('50 MiB messages both ways (0x0478, frame 64 KiB and 4 KiB) and 8 MiB signed', async () => {
  const rings = rawRings();
  for (const [size, frameLength, suiteId] of [[50 << 20, 65536, 0x0478], [50 << 20, 4096, 0x0478], [8 << 20, 65536, 0x0578]]) {
    const plaintext = randomBytes(size);
    const { result } = await encryptMessage(plaintext, { keyring: rings.ours, frameLength, algorithmSuite: suiteId });
    ok(same((await decrypt(rings.theirs, result)).plaintext, plaintext), `ESDK decrypts ${size} bytes`);
    ok(same((await decryptMessage(result, { keyring: rings.ours })).plaintext, plaintext), `kms-wasm decrypts its ${size} bytes`);
    const back = await encrypt(rings.theirs, plaintext, { frameLength, suiteId });
    ok(same((await decryptMessage(back.result, { keyring: rings.ours })).plaintext, plaintext), `kms-wasm decrypts ESDK's ${size} bytes`);
  }
});

test('default options: kms-wasm writes 64 KiB frames that the ESDK decrypts; the ESDK\'s default 4 KiB frames decrypt here; frameLength: 4096 on request', async () => {
  const rings = rawRings();
  for (const suiteId of [0x0478, 0x0578]) {
    for (const size of [0, 1, 65536, 3 * 65536 + 7, 5 << 20]) {
      const plaintext = randomBytes(size);
      const where = `suite 0x0${suiteId.toString(16)}, ${size} bytes`;
      // kms-wasm with default options (the suite aside) -> ESDK
      const ours = await encryptMessage(plaintext, { keyring: rings.ours, ...(suiteId === 0x0478 ? {} : { algorithmSuite: suiteId }) });
      equal(ours.messageHeader.frameLength, 65536, `the default frame length (${where})`);
      const out = await decrypt(rings.theirs, ours.result);
      ok(same(out.plaintext, plaintext), `ESDK decrypts a default kms-wasm message: ${where}`);
      equal(out.messageHeader.frameLength, 65536);
      // ESDK with its defaults (4 KiB frames) -> kms-wasm, both paths
      const theirs = await encrypt(rings.theirs, plaintext, { suiteId });
      equal(theirs.messageHeader.frameLength, 4096, 'the ESDK writes 4 KiB frames by default');
      for (const frameCipher of ['platform', 'wasm']) {
        ok(same((await decryptMessage(theirs.result, { keyring: rings.ours, frameCipher })).plaintext, plaintext), `kms-wasm (${frameCipher}) decrypts the ESDK's default: ${where}`);
      }
      // the ESDK's layout on request
      const small = await encryptMessage(plaintext, { keyring: rings.ours, frameLength: 4096, algorithmSuite: suiteId });
      equal(small.messageHeader.frameLength, 4096);
      ok(same((await decrypt(rings.theirs, small.result)).plaintext, plaintext), `ESDK decrypts frameLength 4096: ${where}`);
    }
  }
});

test('every altered byte of a message fails in kms-wasm (both paths) and in the ESDK, for messages from either side', async () => {
  const rings = rawRings();
  for (const suiteId of [0x0478, 0x0578]) {
    const plaintext = randomBytes(70);
    const ours = (await encryptMessage(plaintext, { keyring: rings.ours, frameLength: 32, algorithmSuite: suiteId, encryptionContext: { a: 'b' } })).result;
    const theirs = (await encrypt(rings.theirs, plaintext, { frameLength: 32, suiteId, encryptionContext: { a: 'b' } })).result;
    for (const [who, message] of [['kms-wasm', ours], ['ESDK', theirs]]) {
      for (let i = 0; i < message.length; i++) {
        const bad = Uint8Array.from(message);
        bad[i] ^= 1 << (i % 8);
        for (const frameCipher of ['platform', 'wasm']) {
          let err = null;
          try { await decryptMessage(bad, { keyring: rings.ours, frameCipher }); } catch (e) { err = e; }
          ok(err && /Error$/.test(err.name) && typeof err.code === 'string', `kms-wasm (${frameCipher}) refuses byte ${i} of the ${who} message: ${err && err.name}`);
        }
        let esdkErr = null;
        try { await decrypt(rings.theirs, bad); } catch (e) { esdkErr = e; }
        ok(esdkErr, `the ESDK refuses byte ${i} of the ${who} message`);
      }
    }
  }
});

test('the node:crypto and wasm frame cipher paths write byte-identical messages (randomness pinned)', async () => {
  // The message id (and the 0x0578 signing key) come from crypto.getRandomValues
  // through a pool in the wasm. With getRandomValues filling 0x01 bytes, once
  // the pool has been drained every message id is 32 x 0x01 and every signing
  // key 48 x 0x01; the data key and EDK come from a fixed keyring. Each engine
  // has its own pool: the signing suite runs on the full engine.
  const dataKey = new Uint8Array(32).fill(7);
  const keyring = {
    async onEncrypt() { return { dataKey: dataKey.slice(), encryptedDataKeys: [{ providerId: 'fixed', providerInfo: new Uint8Array([1]), encryptedDataKey: new Uint8Array([2]) }] }; },
    async onDecrypt() { return dataKey.slice(); },
  };
  const real = crypto.getRandomValues;
  crypto.getRandomValues = (a) => a.fill(1);
  try {
    const pinned = (h) => h.messageId.every((b) => b === 1);
    for (const algorithmSuite of [0x0478, 0x0578]) {
      for (let i = 0; !pinned((await encryptMessage('x', { keyring, algorithmSuite })).messageHeader); i++) ok(i < 100, 'the pool drains');
    }
    let compared = 0;
    for (const algorithmSuite of [0x0478, 0x0578]) {
      for (const [frameLength, size] of [[4096, 0], [4096, 1], [4096, 4096], [4096, 12288], [100, 1234], [65536, 1 << 20], [1 << 20, 3 << 20]]) {
        const plaintext = randomBytes(size);
        const a = await encryptMessage(plaintext, { keyring, frameLength, algorithmSuite, frameCipher: 'wasm', encryptionContext: { c: 'd' } });
        const b = await encryptMessage(plaintext, { keyring, frameLength, algorithmSuite, frameCipher: 'platform', encryptionContext: { c: 'd' } });
        ok(pinned(a.messageHeader) && pinned(b.messageHeader), 'same message id');
        ok(same(a.result, b.result), `identical: suite ${algorithmSuite} frame ${frameLength} size ${size}`);
        compared += 1;
      }
    }
    equal(compared, 14);
  } finally {
    crypto.getRandomValues = real;
  }
});
