// Envelope encryption (AWS Encryption SDK message format): round trips on
// both frame cipher paths, keyrings, streaming (100 MiB generated input,
// never held in memory), and the named errors. Portable: runs in Node and
// in Chromium.
import {
  createKms, encryptMessage, decryptMessage, encryptStream, decryptStream, rawAesKeyring, kmsKeyring, multiKeyring,
} from 'kms-wasm';
import { suite, ok, equal, deepEqual, utf8, text, randomBytes, AssertionError } from './harness.js';

const MiB = 1 << 20;

async function failsWith(call, name, code, msg = '') {
  let value;
  try {
    value = await (typeof call === 'function' ? call() : call);
  } catch (err) {
    if (!(err instanceof Error) || err.name !== name || (code && err.code !== code)) {
      throw new AssertionError(`${msg}: expected ${name}/${code}, got ${err && err.name}/${err && err.code}: ${err && err.message}`);
    }
    return err;
  }
  throw new AssertionError(`${msg}: expected ${name}/${code}, but it resolved to ${value}`);
}

function aesRing(key = randomBytes(32), keyName = 'key-1') {
  return rawAesKeyring({ keyNamespace: 'pkg-tests', keyName, wrappingKey: key });
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Deterministic pseudo-random bytes, chunk by chunk (xorshift32), so a stream can be checked without keeping it. Chunk sizes must be multiples of 4. */
function generator(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; words[i] = x; }
    return new Uint8Array(words.buffer, 0, n);
  };
}

function source(total, chunk, seed) {
  const next = generator(seed);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) { controller.close(); return; }
      const n = Math.min(chunk, total - sent);
      controller.enqueue(next(n));
      sent += n;
    },
  }, { highWaterMark: 0 });
}

/** Compares a stream of plaintext with the generator's bytes; returns the byte count. */
async function checkAgainst(readable, seed) {
  const next = generator(seed);
  let pending = new Uint8Array(0);
  let count = 0;
  for await (const c of readable) {
    let off = 0;
    while (off < c.length) {
      if (pending.length === 0) pending = next(1 << 16);
      const n = Math.min(pending.length, c.length - off);
      if (!same(c.subarray(off, off + n), pending.subarray(0, n))) throw new AssertionError(`plaintext differs near byte ${count + off}`);
      pending = pending.subarray(n);
      off += n;
    }
    count += c.length;
  }
  return count;
}

async function collect(readable) {
  const parts = [];
  for await (const c of readable) parts.push(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function chunked(bytes, size) {
  return new ReadableStream({
    start(c) { for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size)); c.close(); },
  });
}

export default suite('envelope', (test) => {
  test('encryptMessage / decryptMessage round trips: sizes around the frame length, both suites, both frame cipher paths', async () => {
    const keyring = aesRing();
    for (const algorithmSuite of [undefined, 0x0578]) {
      for (const [frameLength, len] of [[4096, 0], [4096, 1], [4096, 4096], [4096, 8192], [100, 1234], [65536, 300001]]) {
        const plaintext = randomBytes(len);
        for (const frameCipher of ['platform', 'wasm']) {
          const encryptionContext = { purpose: 'test', n: String(len) };
          const { result, messageHeader } = await encryptMessage(plaintext, { keyring, encryptionContext, frameLength, algorithmSuite, frameCipher });
          equal(messageHeader.algorithmSuite, algorithmSuite || 0x0478);
          equal(messageHeader.frameLength, frameLength);
          equal(messageHeader.encryptionContext.purpose, 'test');
          equal(messageHeader.encryptedDataKeys.length, 1);
          equal(messageHeader.encryptedDataKeys[0].providerId, 'pkg-tests');
          ok(typeof messageHeader.encryptedDataKeys[0].providerInfo === 'string', 'providerInfo is a string, as in the ESDK');
          ok(result instanceof Uint8Array && result.length > len);
          for (const other of ['platform', 'wasm']) {
            const out = await decryptMessage(result, { keyring, requiredEncryptionContext: { purpose: 'test' }, frameCipher: other });
            ok(same(out.plaintext, plaintext), `${frameCipher} -> ${other}, suite ${algorithmSuite}, fl ${frameLength}, ${len} bytes`);
            deepEqual(out.messageHeader.encryptionContext, messageHeader.encryptionContext);
          }
        }
      }
    }
  });

  test('default options write 64 KiB frames; frameLength: 4096 writes the ESDK\'s; both decrypt across frame and chunk boundaries', async () => {
    const keyring = aesRing();
    const KiB64 = 64 * 1024;
    for (const algorithmSuite of [undefined, 0x0578]) {
      // Around the default frame length, around the one-shot decryption's 1 MiB
      // chunks, and more than the 1024 frames the wasm begins per call (4 KiB).
      for (const [frameLength, len] of [[undefined, 0], [undefined, 1], [undefined, KiB64], [undefined, KiB64 + 1], [undefined, 17 * KiB64 - 3],
        [4096, 1025 * 4096 + 7], [MiB, MiB + 1], [MiB, 2 * MiB]]) {
        const plaintext = randomBytes(len);
        for (const frameCipher of ['platform', 'wasm']) {
          const { result, messageHeader } = await encryptMessage(plaintext, { keyring, frameLength, algorithmSuite, frameCipher });
          equal(messageHeader.frameLength, frameLength || KiB64, `frame length (${frameLength === undefined ? 'default' : frameLength})`);
          const what = `${frameCipher}, suite ${algorithmSuite}, fl ${frameLength}, ${len} bytes`;
          for (const other of ['platform', 'wasm']) {
            const out = await decryptMessage(result, { keyring, frameCipher: other });
            ok(same(out.plaintext, plaintext), `${what} -> ${other}`);
            equal(out.messageHeader.frameLength, frameLength || KiB64);
          }
          if (len > 0 && len < 3 * KiB64) {
            // odd chunk sizes: frames straddle every chunk boundary
            const back = await collect(chunked(result, 7777).pipeThrough(decryptStream({ keyring })));
            ok(same(back, plaintext), `${what}, streamed in 7777-byte chunks`);
          }
        }
      }
    }
    // A header larger than the first chunk of a one-shot decryption (16 KiB):
    // the body starts in a later chunk.
    const encryptionContext = { big: 'x'.repeat(40000) };
    const plaintext = randomBytes(3 * KiB64 + 5);
    const { result } = await encryptMessage(plaintext, { keyring, encryptionContext });
    ok(same((await decryptMessage(result, { keyring })).plaintext, plaintext), 'a 40 kB header');
    // encryptStream too writes 64 KiB frames by default
    const enc = encryptStream({ keyring });
    const [message] = await Promise.all([collect(chunked(plaintext, 1000).pipeThrough(enc)), enc.messageHeader]);
    equal((await enc.messageHeader).frameLength, KiB64);
    ok(same((await decryptMessage(message, { keyring })).plaintext, plaintext), 'encryptStream with default options');
  });

  test('algorithm suites by number and by the ESDK names; strings as plaintext', async () => {
    const keyring = aesRing();
    for (const [algorithmSuite, id] of [[0x0478, 0x0478], ['ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY', 0x0478],
      ['ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384', 0x0578], ['ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384', 0x0578]]) {
      const { result, messageHeader } = await encryptMessage('hello', { keyring, algorithmSuite });
      equal(messageHeader.algorithmSuite, id);
      equal(text((await decryptMessage(result, { keyring })).plaintext), 'hello');
      if (id === 0x0578) ok('aws-crypto-public-key' in messageHeader.encryptionContext, 'the signed suite carries its public key');
    }
    await failsWith(encryptMessage('x', { keyring, algorithmSuite: 0x0378 }), 'InvalidArgumentError', 'InvalidArgument', 'a non-committing suite');
  });

  test('kmsKeyring on a kms-wasm KMS: generator + keyIds, EDKs named aws-kms with the key ARN, any listed key decrypts', async () => {
    const kms = await createKms();
    const a = (await kms.createKey({})).KeyMetadata.Arn;
    const b = (await kms.createKey({})).KeyMetadata.Arn;
    const keyring = kmsKeyring({ client: kms, generatorKeyId: a, keyIds: [b] });
    const plaintext = randomBytes(10000);
    const { result, messageHeader } = await encryptMessage(plaintext, { keyring, encryptionContext: { tenant: 't1' } });
    deepEqual(messageHeader.encryptedDataKeys.map((e) => [e.providerId, e.providerInfo]), [['aws-kms', a], ['aws-kms', b]]);
    for (const ring of [keyring, kmsKeyring({ client: kms, keyIds: [b] }), kmsKeyring({ client: kms, keyIds: [a] })]) {
      ok(same((await decryptMessage(result, { keyring: ring })).plaintext, plaintext));
    }
    const c = (await kms.createKey({})).KeyMetadata.Arn;
    await failsWith(decryptMessage(result, { keyring: kmsKeyring({ client: kms, keyIds: [c] }) }), 'KeyringError', 'UnableToDecryptDataKey', 'a key not in the message');
    await kms.disableKey({ KeyId: a });
    ok(same((await decryptMessage(result, { keyring })).plaintext, plaintext), 'the second EDK still decrypts');
    await kms.disableKey({ KeyId: b });
    const err = await failsWith(decryptMessage(result, { keyring }), 'KeyringError', 'UnableToDecryptDataKey', 'both keys disabled');
    ok(/DisabledException/.test(err.message), err.message);
    await failsWith(() => kmsKeyring({ client: {} }), 'KeyringError', 'InvalidKeyring', 'not a client');
  });

  test('multiKeyring: a KMS generator and a raw AES child; either decrypts alone', async () => {
    const kms = await createKms();
    const arn = (await kms.createKey({})).KeyMetadata.Arn;
    const aes = aesRing();
    const keyring = multiKeyring({ generator: kmsKeyring({ client: kms, generatorKeyId: arn }), children: [aes] });
    const { result, messageHeader } = await encryptMessage('both', { keyring, algorithmSuite: 0x0578 });
    deepEqual(messageHeader.encryptedDataKeys.map((e) => e.providerId), ['aws-kms', 'pkg-tests']);
    equal(text((await decryptMessage(result, { keyring: aes })).plaintext), 'both');
    equal(text((await decryptMessage(result, { keyring: kmsKeyring({ client: kms, keyIds: [arn] }) })).plaintext), 'both');
    equal(text((await decryptMessage(result, { keyring })).plaintext), 'both');
    await failsWith(() => multiKeyring({ children: [] }), 'KeyringError', 'InvalidKeyring', 'empty multi keyring');
  });

  test('errors are named: wrong key, altered bytes, truncation, trailing bytes, required context, limits, bad options', async () => {
    const keyring = aesRing();
    const { result } = await encryptMessage(randomBytes(5000), { keyring, encryptionContext: { a: 'b' }, frameLength: 1024 });
    await failsWith(decryptMessage(result, { keyring: aesRing(randomBytes(32)) }), 'KeyringError', 'UnableToDecryptDataKey', 'wrong key');
    await failsWith(decryptMessage(result, { keyring: aesRing(undefined, 'other') }), 'KeyringError', 'UnableToDecryptDataKey', 'other key name');
    for (const frameCipher of ['platform', 'wasm']) {
      const bad = result.slice(); bad[bad.length - 20] ^= 1;
      await failsWith(decryptMessage(bad, { keyring, frameCipher }), 'AuthenticationError', 'FrameAuthenticationFailed', 'altered final frame');
      const bad2 = result.slice(); bad2[10] ^= 1;
      await failsWith(decryptMessage(bad2, { keyring, frameCipher }), 'AuthenticationError', undefined, 'altered message id');
      await failsWith(decryptMessage(result.subarray(0, result.length - 1), { keyring, frameCipher }), 'MalformedMessageError', 'Truncated', 'truncated');
      const longer = new Uint8Array(result.length + 1); longer.set(result);
      await failsWith(decryptMessage(longer, { keyring, frameCipher }), 'MalformedMessageError', 'TrailingBytes', 'trailing byte');
    }
    await failsWith(decryptMessage(result, { keyring, requiredEncryptionContext: { a: 'c' } }), 'EncryptionContextError', 'ContextValueMismatch');
    await failsWith(decryptMessage(result, { keyring, requiredEncryptionContext: { x: 'y' } }), 'EncryptionContextError', 'MissingRequiredContextKey');
    await failsWith(decryptMessage(new Uint8Array(0), { keyring }), 'MalformedMessageError', 'Truncated', 'empty message');
    await failsWith(decryptMessage(utf8('AgR4'), { keyring }), 'MalformedMessageError', 'Base64Encoded', 'Base64');
    await failsWith(encryptMessage('x', { keyring, frameLength: 0 }), 'InvalidArgumentError', 'InvalidArgument', 'frame length 0');
    await failsWith(encryptMessage('x', { keyring, encryptionContext: { 'aws-crypto-x': '1' } }), 'EncryptionContextError', 'ReservedContextKey');
    await failsWith(encryptMessage('x', { keyring, fameLength: 10 }), 'InvalidArgumentError', 'InvalidArgument', 'unknown option');
    await failsWith(encryptMessage('x', {}), 'InvalidArgumentError', 'InvalidArgument', 'no keyring');
    const two = multiKeyring({ generator: keyring, children: [aesRing()] });
    const { result: twoEdks } = await encryptMessage('x', { keyring: two });
    await failsWith(decryptMessage(twoEdks, { keyring, maxEncryptedDataKeys: 1 }), 'LimitExceededError', 'TooManyEncryptedDataKeys');
    await failsWith(() => rawAesKeyring({ keyNamespace: 'n', keyName: 'k', wrappingKey: new Uint8Array(20) }), 'KeyringError', 'InvalidWrappingKey');
    const { result: signed } = await encryptMessage('x', { keyring, algorithmSuite: 0x0578 });
    await failsWith(decryptMessage(signed, { keyring, refuseSignedSuites: true }), 'AuthenticationError', 'SignedSuiteRefused');
    const badSig = signed.slice(); badSig[badSig.length - 3] ^= 1;
    await failsWith(decryptMessage(badSig, { keyring }), 'AuthenticationError', 'SignatureInvalid');
  });

  test('every single altered byte of a small message fails (both suites)', async () => {
    const keyring = aesRing();
    for (const algorithmSuite of [0x0478, 0x0578]) {
      const { result } = await encryptMessage(randomBytes(40), { keyring, frameLength: 16, algorithmSuite, encryptionContext: { k: 'v' } });
      for (let i = 0; i < result.length; i++) {
        const bad = result.slice(); bad[i] ^= 0x40;
        let err = null;
        try { await decryptMessage(bad, { keyring }); } catch (e) { err = e; }
        ok(err && /Error$/.test(err.name) && typeof err.code === 'string', `byte ${i} of ${result.length}: ${err ? err.name : 'decrypted'}`);
      }
    }
  });

  test('streams: encryptStream -> decryptStream, odd chunk sizes, messageHeader promises, equal to the one-shot form', async () => {
    const keyring = aesRing();
    for (const algorithmSuite of [0x0478, 0x0578]) {
      for (const [len, chunk, frameLength] of [[0, 7, 4096], [1, 1, 4096], [8192, 4096, 4096], [100000, 333, 1000], [300001, 65536, 65536]]) {
        const plaintext = randomBytes(len);
        const enc = encryptStream({ keyring, frameLength, algorithmSuite, encryptionContext: { s: 'x' } });
        const message = await collect(chunked(plaintext, chunk).pipeThrough(enc));
        equal((await enc.messageHeader).frameLength, frameLength);
        const one = await decryptMessage(message, { keyring });
        ok(same(one.plaintext, plaintext), `stream -> one shot ${len}/${chunk}`);
        const dec = decryptStream({ keyring, requiredEncryptionContext: { s: 'x' } });
        ok(same(await collect(chunked(message, chunk + 3).pipeThrough(dec)), plaintext), `one shot -> stream ${len}/${chunk}`);
        equal((await dec.messageHeader).encryptionContext.s, 'x');
      }
    }
  });

  test('decryptStream releases nothing unverified: a bad last frame errors the stream and the final frame is never released', async () => {
    const keyring = aesRing();
    const plaintext = randomBytes(10 * 1000);
    const { result } = await encryptMessage(plaintext, { keyring, frameLength: 1000 });
    for (const [where, i] of [['final frame', result.length - 20], ['truncated', -1]]) {
      const bad = i < 0 ? result.subarray(0, result.length - 1) : result.slice();
      if (i >= 0) bad[i] ^= 1;
      const got = [];
      let err = null;
      try {
        for await (const c of chunked(bad, 1500).pipeThrough(decryptStream({ keyring }))) got.push(c);
      } catch (e) { err = e; }
      ok(err && (err.name === 'AuthenticationError' || err.name === 'MalformedMessageError'), `${where}: ${err && err.name}`);
      const n = got.reduce((s, c) => s + c.length, 0);
      ok(n <= 9000, `${where}: at most the nine verified regular frames were released (${n})`);
      ok(same(got.length ? new Uint8Array(got.flatMap((c) => [...c])) : new Uint8Array(0), plaintext.subarray(0, n)), 'what was released is a prefix of the plaintext');
    }
    const dec = decryptStream({ keyring: aesRing() });
    await failsWith(collect(chunked(result, 999).pipeThrough(dec)), 'KeyringError', 'UnableToDecryptDataKey', 'stream with a wrong key');
    await failsWith(dec.messageHeader, 'KeyringError', 'UnableToDecryptDataKey', 'its messageHeader promise');
  });

  test('streams 100 MiB of generated data through encryptStream -> decryptStream without holding it', async () => {
    const keyring = aesRing();
    const total = 100 * MiB;
    const seed = 12345;
    let messageBytes = 0;
    const count = new TransformStream({ transform(c, ctl) { messageBytes += c.length; ctl.enqueue(c); } });
    const t0 = Date.now();
    const n = await checkAgainst(source(total, 256 * 1024 + 12, seed)
      .pipeThrough(encryptStream({ keyring, frameLength: 64 * 1024 }))
      .pipeThrough(count)
      .pipeThrough(decryptStream({ keyring })), seed);
    equal(n, total, 'every byte came back');
    ok(messageBytes > total, 'the message is larger than the plaintext');
    const ms = Date.now() - t0;
    if (typeof console !== 'undefined') console.log(`envelope: 100 MiB streamed through encrypt+decrypt in ${ms} ms`);
  });

  test('a cancelled decryptStream rejects its messageHeader and releases nothing more; a cancelled encryptStream stops', async () => {
    const keyring = aesRing();
    const { result } = await encryptMessage(randomBytes(100_000), { keyring, frameLength: 4096 });
    const dec = decryptStream({ keyring });
    const writer = dec.writable.getWriter();
    const reader = dec.readable.getReader();
    writer.write(result.subarray(0, 10)).catch(() => {}); // not even the whole header
    await reader.cancel(new Error('the user cancelled'));
    const err = await dec.messageHeader.then(() => null, (e) => e);
    ok(err && err.message === 'the user cancelled', `messageHeader rejects with the reason (${err && err.message})`);
    await failsWith(() => writer.write(result.subarray(10)), 'Error', undefined, 'writes after cancel fail');

    const enc = encryptStream({ keyring });
    const ew = enc.writable.getWriter();
    await enc.messageHeader;
    await ew.abort(new Error('stop'));
    await failsWith(() => enc.readable.getReader().read(), 'Error', undefined, 'the readable side is errored');
  });
});
