// Two Node processes doing 500 alias/tag updates each on one file store
// lose none, and the audit log they wrote together is one valid chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKms, fileStore } from 'kms-wasm';
import { tempDir, listAll } from './helpers.mjs';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'children', 'writer-child.mjs');
const N = Number(process.env.CONCURRENCY_UPDATES || 500);
const KEYS = 20;
const rootKey = new Uint8Array(32).fill(5);

function start(store, who) {
  const child = spawn(process.execPath, [CHILD, store, who, String(N)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ready = new Promise((resolve) => child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('ready\n')) resolve();
  }));
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve, reject) => child.on('exit', (code) => {
    if (code !== 0) reject(new Error(`${who} failed (${code}):\n${err}`));
    else resolve(Number(/done (\d+)/.exec(out)?.[1]));
  }));
  return { child, ready, done };
}

test(`two processes doing ${N} alias/tag updates each on one file store lose none`, async () => {
  const { dir, cleanup } = tempDir('kms-wasm-concurrency-');
  const store = join(dir, 'kms');
  try {
    let kms = await createKms({ store: fileStore(store, { rootKey }) });
    for (let i = 0; i < KEYS; i++) await kms.createKey({ Description: `shared ${i}` });
    await kms.close();
    const a = start(store, 'A');
    const b = start(store, 'B');
    await Promise.all([a.ready, b.ready]);
    a.child.stdin.write('go\n');
    b.child.stdin.write('go\n');
    const [msA, msB] = await Promise.all([a.done, b.done]);

    kms = await createKms({ store: fileStore(store, { rootKey }) });
    const keys = (await kms.listKeys({})).Keys.map((k) => k.KeyId).sort();
    const aliases = new Set((await listAll((r) => kms.listAliases(r), { Limit: 100 }, 'Aliases')).filter((x) => x.TargetKeyId).map((x) => x.AliasName));
    for (const who of ['A', 'B']) {
      for (let i = 0; i < N; i += 2) assert.ok(aliases.has(`alias/${who}-${i}`), `alias/${who}-${i} is there`);
      // The last value each process wrote to each key's tag.
      for (let k = 0; k < KEYS; k++) {
        const last = [...Array(N).keys()].filter((i) => i % 2 === 1 && i % KEYS === k).pop();
        if (last === undefined) continue;
        const tags = (await kms.listResourceTags({ KeyId: keys[k] })).Tags;
        assert.equal(tags.find((t) => t.TagKey === who)?.TagValue, String(last), `tag ${who} of key ${k}`);
      }
    }
    assert.equal(aliases.size, N, 'no alias lost, none extra');
    const log = await kms.auditLog();
    const count = (name) => log.filter((r) => r.eventName === name).length;
    assert.equal(count('CreateAlias'), N);
    assert.equal(count('TagResource'), N);
    assert.equal(count('Encrypt'), 2 * Math.ceil(N / 10), 'the batched read-only records too');
    assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null }, 'one chain, never forked');
    await kms.close();
    console.log(`concurrency: A ${msA} ms, B ${msB} ms for ${N} updates each (${Math.round((2 * N * 1000) / Math.max(msA, msB))} updates/s together)`);
  } finally {
    cleanup();
  }
});
