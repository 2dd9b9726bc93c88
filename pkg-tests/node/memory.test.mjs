// Memory of the installed package over a long run, and what a dropped
// secret leaves in wasm linear memory.
//
// The wasm instance's memory is reached without any hook of the package:
// wasm-bindgen's `--target web` glue returns the live exports from
// `initSync()` once initialized, and importing the glue file by the URL the
// package itself imports it from gives the same module instance.
//
// MEMORY_OPS (default 100000, at least 30000) sets the length of the long run.
import { test, describe } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createKms } from 'kms-wasm';
import { equal, ok, deepEqual } from '../suite/harness.js';

const OPS = Number(process.env.MEMORY_OPS || 100_000);

/** The wasm exports of the package's first engine (the one createKms uses while nothing trapped). */
async function wasmExports() {
  const glueUrl = new URL('../pkg/kms_wasm_core.js', import.meta.resolve('kms-wasm'));
  const glue = await import(glueUrl.href);
  const exports = glue.initSync(); // already initialized: returns the live exports, instantiates nothing
  ok(exports && exports.memory instanceof WebAssembly.Memory, 'the glue gives the instance memory');
  return exports;
}

/** A garbage collection, if this process may ask for one. */
const gc = (() => {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc');
  } catch {
    return null;
  }
})();

function heapUsed() {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

const mib = (n) => `${(n / 1048576).toFixed(2)} MiB`;

/** Offsets of `needle` in `haystack` (both Uint8Array). */
function findAll(haystack, needle) {
  const found = [];
  const first = needle[0];
  let i = haystack.indexOf(first);
  while (i !== -1 && i <= haystack.length - needle.length) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) found.push(i);
    i = haystack.indexOf(first, i + 1);
  }
  return found;
}

/** Every place `secret` (or its first 16 bytes, a partial copy) sits in wasm memory. */
function scan(memory, secret) {
  const bytes = new Uint8Array(memory.buffer);
  return { whole: findAll(bytes, secret), half: findAll(bytes, secret.subarray(0, 16)) };
}

describe('memory: wasm and JS heap stay flat, dropped secrets leave no copy in wasm memory', () => {
  test(`memory: ${OPS.toLocaleString('en-US')} operations (encrypt, decrypt, generateDataKey, createKms/close) keep wasm memory and the JS heap flat`, async () => {
    const kms = await createKms();
    const { memory } = await wasmExports();
    const { KeyMetadata: { KeyId } } = await kms.createKey({ Description: 'memory test' });
    const plaintext = new Uint8Array(256).fill(7);
    const context = { tenant: 'acme' };

    let ops = 0;
    let kmsCreated = 0;
    /** One round of 100 operations: 1 createKms+createKey+encrypt+close, and 97 calls on the long-lived KMS. */
    async function round() {
      const short = await createKms();
      const { KeyMetadata } = await short.createKey({});
      await short.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: plaintext });
      await short.close();
      kmsCreated++;
      ops += 3;
      for (let i = 0; i < 97; i++) {
        switch (i % 3) {
          case 0: {
            const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: plaintext, EncryptionContext: context });
            const { Plaintext } = await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
            if (Plaintext.length !== plaintext.length) throw new Error('round trip failed');
            ops += 2;
            i++;
            break;
          }
          default: {
            const dk = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: context });
            if (dk.Plaintext.length !== 32) throw new Error('bad data key');
            ops += 1;
          }
        }
      }
    }

    // Warm up past the audit log's retention (10,000 records per KMS: it
    // grows until then by design), so the long-lived KMS is in its steady
    // state, then measure.
    const warmup = 15_000;
    ok(OPS >= 2 * warmup, `MEMORY_OPS must be at least ${2 * warmup}`);
    while (ops < warmup) await round();
    const wasm0 = memory.buffer.byteLength;
    const heap0 = heapUsed();
    const rss0 = process.memoryUsage().rss;
    const samples = [];
    const start = performance.now();
    while (ops < OPS) {
      await round();
      if (ops % 10_000 < 100) samples.push({ ops, wasm: memory.buffer.byteLength, heap: heapUsed() });
    }
    const seconds = (performance.now() - start) / 1000;
    const wasm1 = memory.buffer.byteLength;
    const heap1 = heapUsed();
    const rss1 = process.memoryUsage().rss;
    await kms.close();

    console.log(
      `# memory: ${ops.toLocaleString('en-US')} ops (${kmsCreated} KMS created and closed), ` +
        `${Math.round((ops - warmup) / seconds).toLocaleString('en-US')} ops/s after warm-up; gc ${gc ? 'on' : 'unavailable'}\n` +
        `#   wasm memory after warm-up ${mib(wasm0)}, at the end ${mib(wasm1)} (+${mib(wasm1 - wasm0)})\n` +
        `#   JS heap used after warm-up ${mib(heap0)}, at the end ${mib(heap1)} (${heap1 >= heap0 ? '+' : ''}${mib(heap1 - heap0)})\n` +
        `#   RSS ${mib(rss0)} -> ${mib(rss1)}\n` +
        `#   samples (ops: wasm / heap): ${samples.map((s) => `${s.ops}: ${mib(s.wasm)} / ${mib(s.heap)}`).join(', ')}`,
    );
    // wasm memory never shrinks, so flat means it (almost) did not grow after
    // the warm-up: 1 MiB of slack for the allocator's placement (a leak of 13
    // bytes per operation would already exceed it)
    ok(wasm1 - wasm0 <= 1048576, `wasm memory grew by ${mib(wasm1 - wasm0)} after the warm-up`);
    // the JS heap: measured after a full GC when available; 8 MiB of slack
    // for V8's own caches (a leak of even 100 bytes per op would be ~8 MiB)
    const slack = gc ? 8 * 1048576 : 32 * 1048576;
    ok(heap1 - heap0 <= slack, `the JS heap grew by ${mib(heap1 - heap0)} after the warm-up`);
  });

  test('memory: no copy of a data key stays in wasm memory once generateDataKey returned', async () => {
    const kms = await createKms();
    const { memory } = await wasmExports();
    // a control: what the KMS keeps (a key's description) is found by the scan
    const marker = `memory-scan-control-${crypto.randomUUID()}`;
    const { KeyMetadata: { KeyId } } = await kms.createKey({ Description: marker });
    ok(scan(memory, new TextEncoder().encode(marker)).whole.length > 0, 'the scan finds bytes the KMS holds');
    const leaks = [];
    for (let i = 0; i < 20; i++) {
      const dk = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: { n: String(i) } });
      equal(dk.Plaintext.length, 32);
      const found = scan(memory, dk.Plaintext);
      if (found.whole.length || found.half.length) leaks.push({ i, ...found });
    }
    await kms.close();
    deepEqual(leaks, [], `data keys found in wasm memory at ${JSON.stringify(leaks)}`);
  });

  test('memory: no copy of a decrypted plaintext or an encrypted plaintext stays in wasm memory', async () => {
    const kms = await createKms();
    const { memory } = await wasmExports();
    const { KeyMetadata: { KeyId } } = await kms.createKey({});
    const leaks = [];
    for (let i = 0; i < 20; i++) {
      const secret = crypto.getRandomValues(new Uint8Array(32 + i * 100));
      const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: secret });
      let found = scan(memory, secret);
      if (found.whole.length || found.half.length) leaks.push({ i, after: 'encrypt', ...found });
      const { Plaintext } = await kms.decrypt({ CiphertextBlob });
      deepEqual(Plaintext, secret);
      found = scan(memory, secret);
      if (found.whole.length || found.half.length) leaks.push({ i, after: 'decrypt', ...found });
    }
    await kms.close();
    deepEqual(leaks, [], `plaintexts found in wasm memory at ${JSON.stringify(leaks)}`);
  });
});
