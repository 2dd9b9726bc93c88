// The scale benchmark (bench/scale.mjs) runs: tiny tiers (20 and 200 keys),
// the memory and file stores, one short round. It proves the benchmark
// produces every figure (a rate per operation, store and tier; open,
// restore, memory, list-keys and serve timings) — never how fast they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as kmsPkg from 'kms-wasm';
import { measureScale } from '../bench/scale.mjs';

const isTime = (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isRate = (x) => typeof x === 'number' && Number.isFinite(x) && x > 0;

test('scale bench: 20 and 200 keys on the memory and file stores give every figure', { timeout: 120_000 }, async () => {
  const entryFile = fileURLToPath(import.meta.resolve('kms-wasm'));
  const pkgDir = path.dirname(fileURLToPath(import.meta.resolve('kms-wasm/package.json')));
  const tiers = [20, 200];
  const stores = ['memory', 'file'];
  const lines = await measureScale({
    kmsPkg, pkgDir, entryFile, tiers, stores, seconds: 0.05, rounds: 1, warmup: 0.02, maxSeconds: 120, cliRuns: 1, log: () => {},
  });
  assert.ok(Array.isArray(lines) && lines.every((l) => typeof l === 'string'));
  const { results } = lines;
  for (const tier of tiers) {
    assert.equal(results.notMeasured[tier], undefined, `${tier} keys were populated`);
    assert.ok(isTime(results.populate[tier].ms) && results.populate[tier].bytes > 0);
    for (const kind of stores) {
      const sessions = results.sessions[`${kind}:${tier}`];
      assert.equal(sessions.length, 1, `${kind} at ${tier} keys: one round`);
      for (const s of sessions) {
        for (const op of ['createKey', 'encrypt', 'generateDataKey']) assert.ok(isRate(s.rates[op]), `${kind} ${tier} ${op}: ${s.rates[op]}`);
        assert.ok(isTime(s.openMs) && isTime(s.restoreMs), `${kind} ${tier}: open ${s.openMs}, restore ${s.restoreMs}`);
      }
      const m = results.memory[`${kind}:${tier}`];
      assert.ok(m && m.rss > 0 && m.heapUsed > 0, `${kind} ${tier}: memory ${JSON.stringify(m)}`);
    }
    assert.ok(isTime(results.memory[`file:${tier}`].openMs));
    const { listKeys, serve } = results.cli[tier];
    assert.ok(listKeys.length === 1 && !listKeys[0].timedOut && isTime(listKeys[0].ms), `list-keys: ${JSON.stringify(listKeys)}`);
    assert.ok(serve.length === 1 && !serve[0].timedOut && isTime(serve[0].ms), `serve: ${JSON.stringify(serve)}`);
  }
  for (const kind of stores) for (const op of ['createKey', 'encrypt', 'generateDataKey']) assert.ok(isRate(results.ratios[`${kind}:${op}`]));
  assert.ok(lines.some((l) => l.includes('expectations from issue 14')));
});
