// Crash tests: a child process makes mutating calls (or, in the second
// test, read-only Encrypt calls) in a loop on a file
// store and is killed with SIGKILL at random moments, CRASH_KILLS times
// (default 50). After each kill the store opens (both copies pass their
// checksums: no warning), every call that had resolved before the kill is
// there, and the audit log verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createKms, fileStore } from 'kms-wasm';
import { tempDir, listAll } from './helpers.mjs';

const CHILDREN = join(dirname(fileURLToPath(import.meta.url)), 'children');
const CHILD = join(CHILDREN, 'crash-child.mjs');
const READ_CHILD = join(CHILDREN, 'read-crash-child.mjs');
const KILLS = Number(process.env.CRASH_KILLS || 50);
const rootKey = new Uint8Array(32).fill(3);

/** Runs the child until it printed `ready` and then for a random moment; kills it; returns its resolved calls. */
function runAndKill(store, start, killAfterMs, script = CHILD) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, store, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer = null;
    child.stdout.on('data', (d) => {
      out += d;
      if (timer === null && out.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`the child ended by itself (code ${code}):\n${err}`));
      resolve(out.split('\n').filter((l) => l && l !== 'ready'));
    });
  });
}

test(`a file store survives ${KILLS} SIGKILLs at random moments without losing a resolved call`, async () => {
  const { dir, cleanup } = tempDir('kms-wasm-crash-');
  const store = join(dir, 'kms');
  const keys = new Set();
  const aliases = new Set();
  const tags = new Map(); // keyId -> last resolved value
  let calls = 0;
  let midCommit = 0;
  let extra = 0;
  let staleLocks = 0;
  let remnants = 0;
  const bases = new Set();
  const t0 = Date.now();
  try {
    for (let i = 0; i < KILLS; i++) {
      const lines = await runAndKill(store, i * 1000, 20 + Math.floor(Math.random() * 230));
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'key') keys.add(a);
        else if (kind === 'alias') aliases.add(a);
        else if (kind === 'tag') tags.set(a, Number(b));
        calls += 1;
      }
      const logSize = existsSync(join(store, 'audit.log')) ? statSync(join(store, 'audit.log')).size : 0;
      if (existsSync(join(store, 'lock'))) staleLocks += 1;
      if (existsSync(join(store, 'state.0'))) bases.add(readFileSync(join(store, 'state.0')).readBigUInt64BE(8));
      const s = fileStore(store, { rootKey, journalBytes: 4096, auditSegmentBytes: 4096 });
      const kms = await createKms({ store: s });
      if (existsSync(join(store, 'audit.log')) && statSync(join(store, 'audit.log')).size < logSize) remnants += 1;
      try {
        assert.deepEqual(s.warnings, [], `kill ${i + 1}: both copies pass their checksums, nothing is damaged`);
        const haveKeys = new Set((await listAll((r) => kms.listKeys(r), {}, 'Keys')).map((k) => k.KeyId));
        for (const k of keys) assert.ok(haveKeys.has(k), `kill ${i + 1}: key ${k} is there`);
        const haveAliases = new Set((await listAll((r) => kms.listAliases(r), { Limit: 100 }, 'Aliases')).filter((a) => a.TargetKeyId).map((a) => a.AliasName));
        for (const a of aliases) assert.ok(haveAliases.has(a), `kill ${i + 1}: ${a} is there`);
        for (const [k, n] of tags) {
          const v = Number((await kms.listResourceTags({ KeyId: k })).Tags.find((t) => t.TagKey === 'n')?.TagValue);
          assert.ok(v >= n, `kill ${i + 1}: tag n of ${k} is ${v}, at least the resolved ${n}`);
        }
        // A kill between a commit and its print leaves one more alias than printed.
        if (haveAliases.size - aliases.size > extra) midCommit += 1;
        extra = haveAliases.size - aliases.size;
        assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null }, `kill ${i + 1}: the audit log verifies`);
      } finally {
        await kms.close();
      }
    }
    assert.ok(calls > KILLS, `calls resolved before the kills: ${calls}`);
    const segments = readdirSync(store).filter((n) => /^audit\.\d+\.\d+\.log$/.test(n)).length;
    // The child's small thresholds: the kills fall around new bases and closed segments too.
    assert.ok(bases.size > 1 && segments > 0, `new bases (${bases.size}) and closed audit segments (${segments}) happened`);
    console.log(`crash test: ${KILLS} kills, ${calls} resolved calls checked, ${aliases.size} aliases, ${keys.size} keys; ${midCommit} kills fell between a commit and its print, ${staleLocks} left a lock behind (broken on open), ${remnants} inside a commit (its audit frame cut off on open); ${bases.size} base generations seen, ${segments} closed audit segments; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    cleanup();
  }
});

// Read-only calls: each acknowledged Encrypt has its audit record on disk
// when its promise resolves (the file store writes a call's records before
// releasing its lock, and releases it before the call resolves).
test(`no acknowledged read-only call loses its audit record across ${KILLS} SIGKILLs`, async () => {
  const { dir, cleanup } = tempDir('kms-wasm-read-crash-');
  const store = join(dir, 'kms');
  const acknowledged = [];
  const t0 = Date.now();
  try {
    for (let i = 0; i < KILLS; i++) {
      const lines = await runAndKill(store, i * 100_000, 20 + Math.floor(Math.random() * 230), READ_CHILD);
      // The calls of this run: earlier runs' were checked after their kill
      // (and may have left the KMS's in-memory audit window since).
      const thisRun = lines.map((line) => Number(line.split(' ')[1]));
      acknowledged.push(...thisRun);
      const kms = await createKms({ store: fileStore(store, { rootKey }) });
      try {
        const recorded = new Set();
        for (const r of await kms.auditLog()) {
          if (r.eventName === 'Encrypt' && !r.errorCode) recorded.add(Number(r.requestParameters.encryptionContext.n));
        }
        const lost = thisRun.filter((n) => !recorded.has(n));
        assert.deepEqual(lost, [], `kill ${i + 1}: acknowledged Encrypt calls without an audit record`);
        assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null }, `kill ${i + 1}: the audit log verifies`);
      } finally {
        await kms.close();
      }
    }
    assert.ok(acknowledged.length > KILLS, `Encrypt calls acknowledged before the kills: ${acknowledged.length}`);
    console.log(`read-only crash test: ${KILLS} kills, ${acknowledged.length} acknowledged Encrypt calls, none without its audit record; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    cleanup();
  }
});
