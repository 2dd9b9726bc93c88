// cachingKeyring: the data-key cache over a kms keyring. Counts the KMS
// calls a counting client makes, and checks every message still decrypts.
import { createKms, encryptMessage, decryptMessage, encryptStream, kmsKeyring, cachingKeyring } from 'kms-wasm';
import { suite, equal, deepEqual, ok, utf8, text } from './harness.js';

/** A kms-wasm KMS behind a client that counts its calls. */
async function counted() {
  const kms = await createKms();
  const { KeyMetadata } = await kms.createKey();
  const calls = { generateDataKey: 0, encrypt: 0, decrypt: 0 };
  const client = {};
  for (const op of Object.keys(calls)) {
    client[op] = (request) => {
      calls[op] += 1;
      return kms[op](request);
    };
  }
  return { calls, keyring: kmsKeyring({ client, generatorKeyId: KeyMetadata.Arn }) };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

async function rejectsKeyring(call, msg) {
  let error;
  try {
    call();
  } catch (e) {
    error = e;
  }
  ok(error && error.name === 'KeyringError', `${msg}: expected a KeyringError, got ${error && error.name}`);
}

export default suite('data-key cache', (test) => {
  test('messages with the same context share one data key; each still decrypts', async () => {
    const { calls, keyring } = await counted();
    const cache = cachingKeyring({ keyring, maxAge: 60_000 });
    const messages = [];
    for (let i = 0; i < 5; i++) {
      messages.push((await encryptMessage(utf8(`message ${i}`), { keyring: cache, encryptionContext: { tenant: 'a' } })).result);
    }
    equal(calls.generateDataKey, 1, 'one KMS call for five messages');
    deepEqual(cache.stats, { hits: 4, misses: 1, entries: 1 });
    // Same data key, but each message has its own id, so its own derived key: the bodies differ.
    ok(text(messages[0].subarray(-40)) !== text(messages[1].subarray(-40)));
    for (let i = 0; i < 5; i++) equal(text((await decryptMessage(messages[i], { keyring })).plaintext), `message ${i}`);
    // Another context: another data key.
    await encryptMessage(utf8('x'), { keyring: cache, encryptionContext: { tenant: 'b' } });
    equal(calls.generateDataKey, 2);
  });

  test('maxMessages, maxBytes and maxAge each end a data key', async () => {
    const { calls, keyring } = await counted();
    const c = clock();
    const cache = cachingKeyring({ keyring, maxAge: 1000, maxMessages: 2, maxBytes: 1000, now: c.now });
    const send = (n) => encryptMessage(new Uint8Array(n), { keyring: cache });
    await send(10);
    await send(10);
    equal(calls.generateDataKey, 1);
    await send(10); // third message: maxMessages
    equal(calls.generateDataKey, 2);
    await send(995); // 10 + 995 > maxBytes
    equal(calls.generateDataKey, 3);
    c.advance(1000); // maxAge
    await send(1);
    equal(calls.generateDataKey, 4);
    await send(2000); // larger than maxBytes: never cached
    equal(calls.generateDataKey, 5);
    await send(1);
    equal(calls.generateDataKey, 5, 'the entry of the 1-byte message is still good');
  });

  test('a stream (unknown length) bypasses the cache when maxBytes is set, and uses it otherwise', async () => {
    const { calls, keyring } = await counted();
    const stream = async (cache) => {
      const s = encryptStream({ keyring: cache });
      const w = s.writable.getWriter();
      w.write(utf8('streamed')).catch(() => {});
      w.close().catch(() => {});
      const parts = [];
      for (const r = s.readable.getReader(); ;) {
        const { done, value } = await r.read();
        if (done) break;
        parts.push(value);
      }
      return parts;
    };
    const bounded = cachingKeyring({ keyring, maxAge: 60_000, maxBytes: 1 << 20 });
    await stream(bounded);
    await stream(bounded);
    equal(calls.generateDataKey, 2);
    const unbounded = cachingKeyring({ keyring, maxAge: 60_000 });
    await stream(unbounded);
    await stream(unbounded);
    equal(calls.generateDataKey, 3);
  });

  test('decrypting the same encrypted data keys again reuses the unwrapped key until maxAge', async () => {
    const { calls, keyring } = await counted();
    const c = clock();
    const { result } = await encryptMessage(utf8('hello'), { keyring, encryptionContext: { a: '1' } });
    const cache = cachingKeyring({ keyring, maxAge: 500, now: c.now });
    for (let i = 0; i < 3; i++) equal(text((await decryptMessage(result, { keyring: cache })).plaintext), 'hello');
    equal(calls.decrypt, 1);
    c.advance(500);
    await decryptMessage(result, { keyring: cache });
    equal(calls.decrypt, 2);
    cache.clear();
    equal(cache.stats.entries, 0);
    await decryptMessage(result, { keyring: cache });
    equal(calls.decrypt, 3);
  });

  test('capacity evicts the least recently used data key', async () => {
    const { calls, keyring } = await counted();
    const cache = cachingKeyring({ keyring, maxAge: 60_000, capacity: 2 });
    const send = (tenant) => encryptMessage(utf8('x'), { keyring: cache, encryptionContext: { tenant } });
    await send('a');
    await send('b');
    await send('a'); // a is now the most recent
    await send('c'); // evicts b
    equal(calls.generateDataKey, 3);
    await send('a');
    equal(calls.generateDataKey, 3);
    await send('b');
    equal(calls.generateDataKey, 4);
    equal(cache.stats.entries, 2);
  });

  test('bad options are KeyringErrors', async () => {
    const { keyring } = await counted();
    await rejectsKeyring(() => cachingKeyring({ keyring }), 'no maxAge');
    await rejectsKeyring(() => cachingKeyring({ keyring: {}, maxAge: 1 }), 'not a keyring');
    await rejectsKeyring(() => cachingKeyring({ keyring, maxAge: 1, maxMessages: 0 }), 'maxMessages 0');
    await rejectsKeyring(() => cachingKeyring({ keyring, maxAge: 1, maxBytes: 1.5 }), 'fractional maxBytes');
    await rejectsKeyring(() => cachingKeyring({ keyring, maxAge: -1 }), 'negative maxAge');
  });
});
