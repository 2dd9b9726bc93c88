#!/usr/bin/env node
// kms-wasm benchmark: `make bench` runs `node pkg-tests/bench/bench.mjs`.
//
// One Node process measures, for the same work (data keys and 4 KiB
// payloads), the public JS API of the package and references:
//   - API        `await kms.generateDataKey(...)` etc., one call at a time, on
//                a KMS aged past the audit log's retention (sustained regime)
//   - fresh      the same on a new KMS per round (audit log not yet full)
//   - wasm call  the package's wasm `WasmKms.call(...)` replayed directly,
//                synchronously: the Rust KMS without the JS wrapper (diagnostic)
//   - raw wasm   the crate's AES-256-GCM with no KMS around it (`__benchCipher`)
//   - node       node:crypto AES-256-GCM (createCipheriv per op, random IV)
// Then the AWS SDK's call forms per generateDataKey: `kms.send(command)` and
// the SDK's KMSClient over requestHandler(kms), as ratios to the method
// (bench/sdk-forms.mjs). Then the cost of policy evaluation: encrypt through the API (and the wasm
// call alone) under AWS's default key policy and under a 20-statement policy
// with conditions, each as a ratio to a baseline key whose policy is one
// Allow statement without conditions (the closest to "no policy": every
// key has a policy).
// Each case runs for a fixed time slice (BENCH_SECONDS, default 0.45), 5
// rounds interleaved across cases after a warm-up; the median is reported.
// It is a report, not a test: nothing here fails on a slow result, but any
// exception (including a wrong round trip) exits non-zero.
//
// Environment:
//   BENCH_SECONDS       time slice per case and round (default 0.45)
//   BENCH_ROUNDS        rounds per case (default 5)
//   BENCH_WARMUP        warm-up seconds per case (default 0.2)
//   BENCH_AUDIT_PREFILL calls that age the main KMS before measuring
//                       (default: src/audit.rs DEFAULT_RETENTION + 1,000)
//   KMS_WASM_PACKAGE    a package directory to benchmark instead of the
//                       installed one / npm/
//   BENCH_ONLY=stores   only the commit cost of the durable stores
//   BENCH_SKIP_STORES=1 everything but that
//   BENCH_ONLY=envelope envelope encryption throughput only (bench/envelope.mjs)
//   BENCH_SKIP_ENVELOPE=1 everything but that
//   BENCH_ONLY=scale    the scale benchmark only (bench/scale.mjs: 100 to
//                       100,000 keys; BENCH_SCALE_KEYS, BENCH_SCALE_STORES,
//                       BENCH_SCALE_MAX_SECONDS)
//   BENCH_SKIP_SCALE=1  everything but that
//   BENCH_ONLY=sdk      the AWS SDK's call forms only (bench/sdk-forms.mjs,
//                       on a KMS that is not aged)
//   BENCH_SKIP_SDK=1    everything but that

import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  readFileSync, existsSync, readdirSync, statSync, realpathSync, mkdtempSync, mkdirSync, symlinkSync, cpSync, rmSync,
} from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import * as nodeCrypto from 'node:crypto';
import { measureEnvelope } from './envelope.mjs';
import { measureEngines } from './engines.mjs';
import { measureScale } from './scale.mjs';
import { measureSdkForms } from './sdk-forms.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG_TESTS = path.resolve(HERE, '..');
const ROOT = path.resolve(PKG_TESTS, '..');
const NPM_DIR = path.join(ROOT, 'npm');

const num = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
};
const SLICE_S = num('BENCH_SECONDS', 0.45);
const ROUNDS = Math.max(1, Math.round(num('BENCH_ROUNDS', 5)));
const WARMUP_S = num('BENCH_WARMUP', 0.2);

/**
 * Every call leaves an audit record; the log keeps the newest N (the core's
 * DEFAULT_RETENTION) and, once full, seals and drops the oldest on every
 * call. Sustained throughput is measured past that point: the main KMS makes
 * N + 1,000 calls before it is measured. BENCH_AUDIT_PREFILL=0 skips this.
 */
function auditRetention() {
  if (process.env.BENCH_AUDIT_PREFILL !== undefined && process.env.BENCH_AUDIT_PREFILL !== '') {
    const n = Number(process.env.BENCH_AUDIT_PREFILL);
    if (!Number.isInteger(n) || n < 0) throw new Error('BENCH_AUDIT_PREFILL must be a whole number');
    return { calls: n, how: 'BENCH_AUDIT_PREFILL' };
  }
  try {
    const src = readFileSync(path.join(ROOT, 'src', 'audit.rs'), 'utf8');
    const m = /DEFAULT_RETENTION\s*:\s*usize\s*=\s*([0-9_]+)/.exec(src);
    if (m) return { calls: Number(m[1].replaceAll('_', '')) + 1000, how: 'src/audit.rs DEFAULT_RETENTION + 1,000' };
  } catch {
    // no source tree next to the package
  }
  return { calls: 101_000, how: 'assumed retention 100,000 + 1,000' };
}

// ---------------------------------------------------------------------------
// Finding the package
// ---------------------------------------------------------------------------

/** The file an `exports` value selects for Node ESM (conditions node, import, default). */
function exportTarget(exp) {
  if (typeof exp === 'string') return exp;
  if (Array.isArray(exp)) {
    for (const x of exp) {
      const t = exportTarget(x);
      if (t) return t;
    }
    return undefined;
  }
  if (exp && typeof exp === 'object') {
    if ('.' in exp) return exportTarget(exp['.']);
    for (const cond of ['node', 'import', 'default']) {
      if (cond in exp) {
        const t = exportTarget(exp[cond]);
        if (t) return t;
      }
    }
  }
  return undefined;
}

/** The Node entry file of the package in `dir`. */
function entryOf(dir) {
  const pj = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const target = (pj.exports !== undefined ? exportTarget(pj.exports) : undefined) ?? pj.main ?? 'index.js';
  const file = path.resolve(dir, target);
  if (!existsSync(file)) throw new Error(`${dir}: package entry ${target} does not exist`);
  return { name: pj.name, version: pj.version, file };
}

/** Where Node would find `node_modules/kms-wasm` starting from `from` (a directory). */
function findInstalled(from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const cand = path.join(dir, 'node_modules', 'kms-wasm');
    if (existsSync(path.join(cand, 'package.json'))) return cand;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The built `.wasm` of a package directory (pkg/*_bg.wasm). */
function wasmFileOf(dir) {
  const pkg = path.join(dir, 'pkg');
  if (!existsSync(pkg)) return undefined;
  const f = readdirSync(pkg).find((n) => n.endsWith('_bg.wasm'));
  return f ? path.join(pkg, f) : undefined;
}

const sameBytes = (a, b) => a && b && statSync(a).size === statSync(b).size && readFileSync(a).equals(readFileSync(b));

/**
 * The package under test: KMS_WASM_PACKAGE; else `kms-wasm` installed where
 * pkg-tests/.work (the tests' install of the packed tarball) or this script
 * resolves it (run.sh installs into pkg-tests/.work/app), unless its wasm
 * differs from a fresher npm/ build; else npm/.
 */
function locatePackage() {
  const notes = [];
  if (process.env.KMS_WASM_PACKAGE) {
    const dir = path.resolve(process.env.KMS_WASM_PACKAGE);
    return { dir, how: `KMS_WASM_PACKAGE=${dir}`, notes };
  }
  const builtWasm = wasmFileOf(NPM_DIR);
  for (const from of [path.join(PKG_TESTS, '.work', 'app'), path.join(PKG_TESTS, '.work'), HERE]) {
    const dir = findInstalled(from);
    if (!dir) continue;
    const realDir = realpath(dir);
    if (realDir === NPM_DIR) return { dir: NPM_DIR, how: `kms-wasm by name (${path.relative(ROOT, dir)} → npm/)`, notes };
    const wasm = wasmFileOf(dir);
    if (builtWasm && wasm && !sameBytes(builtWasm, wasm)) {
      notes.push(`installed ${path.relative(ROOT, dir)} has a different .wasm than npm/pkg (stale install?): benchmarking npm/ instead`);
      break;
    }
    return { dir, how: `kms-wasm by name, installed in ${path.relative(ROOT, dir)}${wasm && builtWasm ? ' (same .wasm as npm/pkg)' : ''}`, notes };
  }
  if (!existsSync(path.join(NPM_DIR, 'package.json'))) {
    throw new Error('kms-wasm is neither installed (pkg-tests/.work/node_modules) nor built (npm/package.json): run `make build` first');
  }
  return { dir: NPM_DIR, how: 'the built npm/ folder (by path)', notes };
}

function realpath(p) {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

// ---------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------

const BATCH = 8;

/** ops/s of `fn` (sync) over `seconds`. */
function timeSync(fn, seconds) {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  let t;
  do {
    for (let i = 0; i < BATCH; i++) fn();
    n += BATCH;
    t = performance.now();
  } while (t < end);
  return (n * 1000) / (t - t0);
}

/** ops/s of `fn` (async, each call awaited before the next) over `seconds`. */
async function timeAsync(fn, seconds) {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  let t;
  do {
    for (let i = 0; i < BATCH; i++) await fn();
    n += BATCH;
    t = performance.now();
  } while (t < end);
  return (n * 1000) / (t - t0);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

const int = (x) => Math.round(x).toLocaleString('en-US');
const ratio = (x) => (x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toFixed(3)) + '×';
const pct = (x) => `${x >= 0 ? '+' : ''}${Math.round(x * 100)}%`;
const us = (opsPerS) => (1e6 / opsPerS).toFixed(opsPerS > 1e5 ? 2 : 1);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

function table(header, rows, alignRight) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    '| ' + cells.map((c, i) => (alignRight[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (alignRight[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|';
  return [line(header), sep, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------
// Policy evaluation cost
// ---------------------------------------------------------------------------

/**
 * A 20-statement key policy with conditions for `account`: an admin
 * statement, 14 Allow statements whose conditions do not match the app
 * (StringEquals on kms:EncryptionContext:tenant, ArnLike on aws:PrincipalArn),
 * 3 Deny statements with conditions that do not match, one Allow for
 * DescribeKey only, and last the Allow that lets the app encrypt (StringEquals
 * on two kms:EncryptionContext: keys, ArnLike on aws:PrincipalArn,
 * ForAllValues:StringEquals on kms:EncryptionContextKeys).
 */
function twentyStatementPolicy(account, admin, app) {
  const crypto = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];
  const Statement = [{ Sid: 'Admin', Effect: 'Allow', Principal: { AWS: admin }, Action: 'kms:*', Resource: '*' }];
  for (let i = 1; i <= 14; i++) {
    Statement.push({
      Sid: `Tenant${i}`, Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: crypto, Resource: '*',
      Condition: {
        StringEquals: { 'kms:EncryptionContext:tenant': `tenant-${i}` },
        ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${account}:role/team-${i}-*` },
      },
    });
  }
  Statement.push(
    { Sid: 'DenyOtherAccounts', Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringNotEquals: { 'kms:CallerAccount': account } } },
    { Sid: 'DenySecretKeys', Effect: 'Deny', Principal: '*', Action: crypto, Resource: '*', Condition: { 'ForAnyValue:StringLike': { 'kms:EncryptionContextKeys': ['secret-*', 'private-*'] } } },
    { Sid: 'DenyAfter2100', Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2100-01-01T00:00:00Z' } } },
    { Sid: 'Describe', Effect: 'Allow', Principal: { AWS: app }, Action: 'kms:DescribeKey', Resource: '*' },
    {
      Sid: 'App', Effect: 'Allow', Principal: { AWS: app }, Action: crypto, Resource: '*',
      Condition: {
        StringEquals: { 'kms:EncryptionContext:tenant': 'acme', 'kms:EncryptionContext:app': 'bench' },
        ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${account}:role/bench-*` },
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant', 'app', 'env'] },
      },
    },
  );
  if (Statement.length !== 20) throw new Error(`the policy has ${Statement.length} statements, not 20`);
  return JSON.stringify({ Version: '2012-10-17', Statement });
}

/**
 * Encrypt under keys that differ only by their key policy, called by a role
 * of the account: API ops/s (32 B and 4 KiB plaintexts) and the wasm call
 * alone (32 B), interleaved rounds, medians, each as a ratio to the
 * baseline key (one Allow statement, no conditions). Every slice runs on a
 * new KMS holding just its key, so all cases see the same audit-log regime
 * (below the retention) and nothing else differs.
 */
async function measurePolicyCost({ kmsPkg, glueProto, payloadU8 }) {
  const ctx = { tenant: 'acme', app: 'bench', env: 'prod' };
  const small = new Uint8Array(32).fill(7);
  const baselinePolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }] });

  /** A new KMS with one key under `which` policy, and the app's view of it. */
  async function world(which) {
    const kms = await kmsPkg.createKms();
    const account = (await kms.createKey({ Description: 'probe' })).KeyMetadata.Arn.split(':')[4];
    const ADMIN = `arn:aws:iam::${account}:role/bench-admin`;
    const APP = `arn:aws:iam::${account}:role/bench-app`;
    const admin = kms.withCaller(ADMIN);
    const Policy = { baseline: baselinePolicy, default: undefined, twenty: twentyStatementPolicy(account, ADMIN, APP) }[which];
    const KeyId = (await admin.createKey({ Description: `bench ${which} policy`, Policy })).KeyMetadata.Arn;
    return { kms, app: kms.withCaller(APP), KeyId };
  }

  // The policies do what they say: the app may encrypt under each with ctx,
  // and the 20-statement policy refuses another tenant.
  for (const which of ['baseline', 'default', 'twenty']) {
    const { kms, app, KeyId } = await world(which);
    const { CiphertextBlob } = await app.encrypt({ KeyId, Plaintext: small, EncryptionContext: ctx });
    const back = await app.decrypt({ CiphertextBlob, EncryptionContext: ctx });
    if (!Buffer.from(back.Plaintext).equals(Buffer.from(small))) throw new Error('policy bench: round trip is wrong');
    if (which === 'twenty') {
      let refused = null;
      try {
        await app.encrypt({ KeyId, Plaintext: small, EncryptionContext: { ...ctx, tenant: 'other' } });
      } catch (e) {
        refused = e;
      }
      if (!refused || refused.name !== 'AccessDeniedException') throw new Error('policy bench: the 20-statement policy should refuse another tenant');
    }
    await kms.close();
  }

  const defaultStatements = await (async () => {
    const { kms, KeyId } = await world('default');
    const n = JSON.parse((await kms.getKeyPolicy({ KeyId })).Policy).Statement.length;
    await kms.close();
    return n;
  })();
  const POLICIES = [
    { key: 'baseline', label: 'baseline: 1 Allow statement, no conditions', statements: 1 },
    { key: 'default', label: "AWS's default key policy", statements: defaultStatements },
    { key: 'twenty', label: '20 statements with conditions', statements: 20 },
  ];

  /** ops/s of one column for one policy, on a new KMS. */
  async function slice(pol, col, seconds) {
    const { kms, app, KeyId } = await world(pol.key);
    try {
      const req = { KeyId, Plaintext: col === 'api4k' ? payloadU8 : small, EncryptionContext: ctx };
      if (col !== 'call32') return await timeAsync(() => app.encrypt(req), seconds);
      // the exact WasmKms.call the wrapper makes, replayed synchronously
      const orig = glueProto.call;
      let seen = null;
      glueProto.call = function (...args) {
        seen ??= { self: this, args };
        return orig.apply(this, args);
      };
      try {
        await app.encrypt(req);
      } finally {
        glueProto.call = orig;
      }
      if (!seen) throw new Error('policy bench: the package did not go through the glue\'s WasmKms.call');
      return timeSync(() => orig.apply(seen.self, seen.args), seconds);
    } finally {
      await kms.close();
    }
  }

  const cases = [];
  for (const pol of POLICIES) {
    pol.samples = { api32: [], api4k: [], call32: [] };
    for (const col of glueProto ? ['api32', 'api4k', 'call32'] : ['api32', 'api4k']) cases.push({ pol, col });
  }
  const expected = ROUNDS * cases.length * SLICE_S + cases.length * WARMUP_S;
  console.log(`\nPolicy evaluation: measuring ${cases.length} cases, each slice on a new KMS (≈ ${Math.round(expected)} s)…`);
  const run = (c, seconds) => slice(c.pol, c.col, seconds);
  for (const c of cases) await run(c, WARMUP_S);
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) c.pol.samples[c.col].push(await run(c, SLICE_S));
    process.stdout.write(`  round ${r + 1}/${ROUNDS} done\n`);
  }
  for (const pol of POLICIES) {
    pol.med = {};
    pol.spread = {};
    for (const [k, xs] of Object.entries(pol.samples)) {
      if (xs.length === 0) continue;
      pol.med[k] = median(xs);
      pol.spread[k] = (Math.max(...xs) - Math.min(...xs)) / pol.med[k];
    }
  }
  const base = POLICIES[0].med;
  const dash = '–';
  const cell = (pol, k) => (pol.med[k] === undefined ? dash : `${int(pol.med[k])} ±${Math.round(pol.spread[k] * 100)}%`);
  const rel = (pol, k) => (pol.med[k] === undefined || base[k] === undefined ? dash : `${(pol.med[k] / base[k]).toFixed(3)} (${pct(base[k] / pol.med[k] - 1)})`);
  console.log('\nEncrypt under key policies (ops/s, median; ratio to the baseline key, and in brackets the extra time per op)\n');
  console.log(
    table(
      ['key policy', 'statements', 'API 32 B', 'ratio', 'API 4 KiB', 'ratio', 'wasm call 32 B', 'ratio'],
      POLICIES.map((pol) => [pol.label, pol.statements, cell(pol, 'api32'), rel(pol, 'api32'), cell(pol, 'api4k'), rel(pol, 'api4k'), cell(pol, 'call32'), rel(pol, 'call32')]),
      [false, true, true, true, true, true, true, true],
    ),
  );
  console.log(
    '\n  caller           a role of the account (arn:aws:iam::ACCOUNT:role/bench-app), encryption context of 3 pairs, calls awaited one at a time;' +
      '\n                   each slice on a new KMS holding only that key (audit log below its retention, alike for every policy)' +
      '\n  baseline         {"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}: every key has a key policy, so this stands in for "no policy"' +
      '\n  20 statements    admin Allow; 14 Allow with non-matching StringEquals kms:EncryptionContext:tenant + ArnLike aws:PrincipalArn; 3 Deny with' +
      '\n                   non-matching conditions (StringNotEquals kms:CallerAccount, ForAnyValue:StringLike kms:EncryptionContextKeys, DateGreaterThan' +
      '\n                   aws:CurrentTime); Allow DescribeKey; last, the matching Allow (StringEquals on 2 context keys, ArnLike, ForAllValues)' +
      '\n  wasm call 32 B   the package\'s WasmKms.call() replayed directly (no JS wrapper): the evaluation cost undiluted\n',
  );
  const twenty = POLICIES[2].med;
  const over = (k) => (twenty[k] === undefined ? undefined : base[k] / twenty[k] - 1);
  const show = (x) => (x === undefined ? dash : `${pct(x)} → ${x < 0.2 ? 'met' : 'NOT met'}`);
  return [
    `  policy evaluation overhead < 20% (20 statements vs baseline, encrypt): API 32 B ${show(over('api32'))}; API 4 KiB ${show(over('api4k'))}; wasm call 32 B ${show(over('call32'))}`,
    `  (default key policy vs baseline, encrypt: API 32 B ${pct(base.api32 / POLICIES[1].med.api32 - 1)}, API 4 KiB ${pct(base.api4k / POLICIES[1].med.api4k - 1)})`,
  ];
}

// ---------------------------------------------------------------------------
// Commit cost of the durable stores
// ---------------------------------------------------------------------------

/**
 * The loop of one store slice: `createAlias` (a new key every 50 aliases,
 * AWS's per-key limit; that createKey counts as an op) or `encrypt` of 32
 * bytes, awaited one at a time. Same loop as bench/browser/store-bench.js.
 */
async function storeLoop(kms, op, seconds) {
  let KeyId = (await kms.createKey({})).KeyMetadata.KeyId;
  const plaintext = new Uint8Array(32).fill(1);
  let i = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let t;
  do {
    for (let b = 0; b < BATCH; b++, i++) {
      if (op === 'encrypt') await kms.encrypt({ KeyId, Plaintext: plaintext });
      else if (i % 50 === 49) KeyId = (await kms.createKey({})).KeyMetadata.KeyId;
      else await kms.createAlias({ AliasName: `alias/b${i}`, TargetKeyId: KeyId });
    }
    t = performance.now();
  } while (t < end);
  return (i * 1000) / (t - t0);
}

/** Chromium through playwright-core (installed by pkg-tests/run.sh), or why not. */
async function chromiumFor(located) {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) return { why: `${executablePath} is missing` };
  let chromium;
  for (const from of [path.join(PKG_TESTS, '.work', 'app'), PKG_TESTS]) {
    const dir = path.join(from, 'node_modules', 'playwright-core');
    if (!existsSync(dir)) continue;
    ({ chromium } = await import(pathToFileURL(path.join(dir, 'index.mjs')).href));
    break;
  }
  if (!chromium) return { why: 'playwright-core is not installed (run `bash pkg-tests/run.sh` once)' };
  // A site root holding the package as node_modules/kms-wasm and the page.
  const root = mkdtempSync(path.join(os.tmpdir(), 'kms-wasm-bench-site-'));
  mkdirSync(path.join(root, 'node_modules'));
  symlinkSync(located.dir, path.join(root, 'node_modules', 'kms-wasm'), 'dir');
  cpSync(path.join(HERE, 'browser'), path.join(root, 'browser'), { recursive: true });
  const { serve } = await import(pathToFileURL(path.join(PKG_TESTS, 'browser', 'serve.mjs')).href);
  const { server, url } = await serve(root);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'kms-wasm-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(`${url}browser/store-bench.html`);
  await page.waitForFunction(() => window.storeBench || window.storeBenchError, null, { timeout: 60_000 });
  const err = await page.evaluate(() => window.storeBenchError);
  const close = async () => {
    await context.close().catch(() => {});
    server.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  };
  if (err) {
    await close();
    return { why: `the bench page did not load: ${err}` };
  }
  return {
    version: context.browser()?.version?.() ?? 'Chromium',
    measure: (kind, op, seconds) => page.evaluate(([k, o, sec]) => window.storeBench.measure(k, o, sec), [kind, op, seconds]),
    page,
    close,
  };
}

/**
 * createAlias and encrypt on the file store (Node) and the IndexedDB store
 * (Chromium), as ratios to the memory store of the same runtime. Each slice
 * on a new KMS and a new store.
 */
async function measureStoreCost({ kmsPkg, located }) {
  if (typeof kmsPkg.fileStore !== 'function') {
    console.log('\nStore commit cost: skipped (this package has no fileStore)');
    return [];
  }
  const rootKey = new Uint8Array(32).fill(9);
  const OPS = ['createAlias', 'encrypt'];
  const cases = [];
  for (const [runtime, kind] of [['Node', 'memory'], ['Node', 'file'], ['Chromium', 'memory'], ['Chromium', 'indexeddb']]) {
    for (const op of OPS) cases.push({ runtime, kind, op, samples: [] });
  }
  let browser = null;
  try {
    browser = await chromiumFor(located);
  } catch (e) {
    browser = { why: String(e.message || e) };
  }
  const run = async (c, seconds) => {
    if (c.runtime === 'Chromium') return browser.measure(c.kind, c.op, seconds);
    const dir = c.kind === 'file' ? mkdtempSync(path.join(os.tmpdir(), 'kms-wasm-bench-store-')) : null;
    const kms = await kmsPkg.createKms({ store: dir ? kmsPkg.fileStore(path.join(dir, 'kms'), { rootKey }) : kmsPkg.memoryStore() });
    try {
      return await storeLoop(kms, c.op, seconds);
    } finally {
      await kms.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  };
  const live = cases.filter((c) => c.runtime === 'Node' || !browser.why);
  console.log(`\nStore commit cost: measuring ${live.length} cases, each slice on a new KMS and store (≈ ${Math.round(live.length * (ROUNDS * SLICE_S + WARMUP_S))} s)` +
    `${browser.why ? `; Chromium skipped: ${browser.why}` : ` in Node and ${browser.version}`}…`);
  try {
    for (const c of live) await run(c, WARMUP_S);
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of live) c.samples.push(await run(c, SLICE_S));
      process.stdout.write(`  round ${r + 1}/${ROUNDS} done\n`);
    }
  } finally {
    if (browser.close) await browser.close();
  }
  for (const c of live) {
    c.med = median(c.samples);
    c.spread = (Math.max(...c.samples) - Math.min(...c.samples)) / c.med;
  }
  const find = (runtime, kind, op) => cases.find((c) => c.runtime === runtime && c.kind === kind && c.op === op);
  const dash = '–';
  const rows = [];
  const names = { memory: 'memoryStore()', file: 'fileStore(path, { rootKey })', indexeddb: 'indexedDbStore(name)' };
  for (const [runtime, kind] of [['Node', 'memory'], ['Node', 'file'], ['Chromium', 'memory'], ['Chromium', 'indexeddb']]) {
    const row = [`${runtime}: ${names[kind]}`];
    for (const op of OPS) {
      const c = find(runtime, kind, op);
      const base = find(runtime, 'memory', op);
      if (c.med === undefined) {
        row.push(dash, dash);
        continue;
      }
      row.push(`${int(c.med)} ±${Math.round(c.spread * 100)}%`, `${(c.med / base.med).toFixed(3)} (${us(c.med)} µs/op)`);
    }
    rows.push(row);
  }
  console.log('\nStore commit cost (ops/s, median; ratio to the memory store of the same runtime)\n');
  console.log(table(['store', 'createAlias', 'ratio', 'encrypt 32 B', 'ratio'], rows, [false, true, true, true, true]));
  console.log(
    '\n  createAlias   a mutating call: it resolves after its commit (file: audit frame appended, state copy written, fsync, rename,' +
      '\n                fsync of the directory; IndexedDB: one readwrite transaction with strict durability); a new key every 50 aliases' +
      '\n  encrypt       a read-only call: no commit; its audit record is written in a batch (every 256 records or 20 ms, and when idle)' +
      '\n  memory        the plain snapshot kept in memory (no audit persistence), the default\n',
  );
  const lines = [];
  const f = find('Node', 'file', 'createAlias');
  const fe = find('Node', 'file', 'encrypt');
  if (f.med !== undefined) {
    lines.push(`  file store: createAlias ${int(f.med)} ops/s = ${(f.med / find('Node', 'memory', 'createAlias').med).toFixed(3)}× memory; encrypt ${int(fe.med)} ops/s = ${(fe.med / find('Node', 'memory', 'encrypt').med).toFixed(3)}× memory`);
  }
  const i = find('Chromium', 'indexeddb', 'createAlias');
  const ie = find('Chromium', 'indexeddb', 'encrypt');
  if (i.med !== undefined) {
    lines.push(`  IndexedDB store: createAlias ${int(i.med)} ops/s = ${(i.med / find('Chromium', 'memory', 'createAlias').med).toFixed(3)}× memory; encrypt ${int(ie.med)} ops/s = ${(ie.med / find('Chromium', 'memory', 'encrypt').med).toFixed(3)}× memory`);
  } else {
    lines.push(`  IndexedDB store: not measured (${browser.why})`);
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main() {
  const startedAt = performance.now();
  const located = locatePackage();
  const entry = entryOf(located.dir);
  const kmsPkg = await import(pathToFileURL(entry.file).href);
  if (typeof kmsPkg.createKms !== 'function') throw new Error(`${entry.file} exports no createKms`);

  const wasmFile = wasmFileOf(located.dir) ?? wasmFileOf(NPM_DIR);
  if (!wasmFile) throw new Error(`no pkg/*_bg.wasm in ${located.dir} or npm/`);

  console.log(`kms-wasm benchmark — ${entry.name}@${entry.version} from ${located.how}`);
  for (const n of located.notes) console.log(`note: ${n}`);
  const sdkTools = { rounds: ROUNDS, slice: SLICE_S, warmup: WARMUP_S, timeAsync, median, table, int, us };
  if (process.env.BENCH_ONLY === 'sdk') {
    const kms = await kmsPkg.createKms();
    const keyId = (await kms.createKey({ Description: 'bench' })).KeyMetadata.Arn;
    console.log('note: BENCH_ONLY=sdk measures on a new KMS, not aged past the audit retention');
    for (const line of await measureSdkForms({ kmsPkg, kms, keyId, pkgTests: PKG_TESTS, tools: sdkTools })) console.log(line);
    await kms.close();
    console.log(`\n(total ${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
    return;
  }
  if (process.env.BENCH_ONLY === 'envelope') {
    for (const line of await measureEnvelope({ kmsPkg, openChromium: () => chromiumFor(located), entryFile: entry.file })) console.log(line);
    console.log(`\n(total ${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
    return;
  }
  if (process.env.BENCH_ONLY === 'engines') {
    for (const line of measureEngines({ pkgDir: path.dirname(path.dirname(wasmFile)), entryFile: entry.file })) console.log(line);
    return;
  }
  const scale = () => measureScale({ kmsPkg, pkgDir: located.dir, entryFile: entry.file, openChromium: () => chromiumFor(located) });
  if (process.env.BENCH_ONLY === 'scale') {
    for (const line of await scale()) console.log(line);
    console.log(`\n(total ${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
    return;
  }
  if (process.env.BENCH_ONLY === 'stores') {
    for (const line of await measureStoreCost({ kmsPkg, located })) console.log(line);
    console.log(`\n(total ${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
    return;
  }
  const cpus = os.cpus();
  console.log(
    `Node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model?.trim() ?? 'cpu'}; ` +
      `${ROUNDS} rounds × ${SLICE_S} s per case (median), warm-up ${WARMUP_S} s, calls awaited one at a time\n`,
  );

  /** A KMS with one key and the four requests against it. */
  async function setUp() {
    const kms = await kmsPkg.createKms();
    const keyId = (await kms.createKey({ Description: 'bench' })).KeyMetadata.Arn;
    const dk = await kms.generateDataKey({ KeyId: keyId, KeySpec: 'AES_256' });
    const enc = await kms.encrypt({ KeyId: keyId, Plaintext: payloadU8 });
    const d1 = await kms.decrypt({ CiphertextBlob: dk.CiphertextBlob });
    const d2 = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob });
    if (!Buffer.from(d1.Plaintext).equals(Buffer.from(dk.Plaintext))) throw new Error('decrypt(data key) round trip is wrong');
    if (!Buffer.from(d2.Plaintext).equals(payload)) throw new Error('decrypt(4 KiB) round trip is wrong');
    const req = {
      gdk: { KeyId: keyId, KeySpec: 'AES_256' },
      decDk: { CiphertextBlob: dk.CiphertextBlob },
      enc: { KeyId: keyId, Plaintext: payloadU8 },
      dec: { CiphertextBlob: enc.CiphertextBlob },
    };
    const fn = {
      gdk: () => kms.generateDataKey(req.gdk),
      decDk: () => kms.decrypt(req.decDk),
      enc: () => kms.encrypt(req.enc),
      dec: () => kms.decrypt(req.dec),
    };
    return { kms, keyId, fn };
  }

  // --- the JS API -----------------------------------------------------------
  const payload = nodeCrypto.randomBytes(4096);
  const payloadU8 = new Uint8Array(payload); // plain Uint8Array copy, as browsers pass it
  const main = await setUp();
  const kms = main.kms;

  // Age the main KMS past the audit log's retention (sustained regime).
  const prefill = auditRetention();
  if (prefill.calls > 0) {
    const t0 = performance.now();
    for (let i = 0; i < prefill.calls; i++) await main.fn.decDk();
    const dt = (performance.now() - t0) / 1000;
    console.log(`aged the main KMS: ${int(prefill.calls)} decrypt calls (${prefill.how}) in ${dt.toFixed(1)} s\n`);
  }

  // --- the wasm's WasmKms.call, without the JS wrapper (diagnostic) ---------
  // The package's glue module (the same module instance its engine uses) is
  // patched for one call per operation to capture the exact arguments the
  // wrapper hands to WasmKms.call; the diagnostic replays them on the same
  // instance. This follows whatever signature the bindings have.
  const gluePath = path.join(path.dirname(wasmFile), path.basename(wasmFile).replace(/_bg\.wasm$/, '.js'));
  let wasmCall = null;
  let wasmCallNote = '';
  try {
    const glue = await import(pathToFileURL(gluePath).href);
    const proto = glue.WasmKms?.prototype;
    const orig = proto?.call;
    if (typeof orig !== 'function') throw new Error('the glue has no WasmKms.prototype.call');
    const capture = async (apiCall) => {
      let seen = null;
      proto.call = function (...args) {
        seen ??= { self: this, args };
        return orig.apply(this, args);
      };
      try {
        await apiCall();
      } finally {
        proto.call = orig;
      }
      if (!seen) throw new Error('the package did not go through this glue\'s WasmKms.call');
      const { self, args } = seen;
      return () => orig.apply(self, args);
    };
    wasmCall = {
      gdk: await capture(main.fn.gdk),
      decDk: await capture(main.fn.decDk),
      enc: await capture(main.fn.enc),
      dec: await capture(main.fn.dec),
    };
    const r = wasmCall.dec();
    if (!Buffer.from(r.Plaintext).equals(payload)) throw new Error('the replayed Decrypt gave the wrong plaintext');
  } catch (e) {
    wasmCall = null;
    wasmCallNote = `"wasm call only" column skipped: ${e instanceof Error ? e.message : String(e)}`;
  }

  // --- raw wasm AES-256-GCM (the package's undocumented bench hook) ---------
  let cipher;
  let cipherHow;
  if (typeof kmsPkg.__benchCipher === 'function') {
    cipher = await kmsPkg.__benchCipher();
    cipherHow = '__benchCipher()';
  } else if (typeof kmsPkg.__BenchCipher === 'function') {
    cipher = new kmsPkg.__BenchCipher();
    cipherHow = 'new __BenchCipher()';
  } else {
    // no hook exported: the glue's class on the package's (already initialized) instance
    const glue = await import(pathToFileURL(gluePath).href);
    if (typeof glue.__BenchCipher !== 'function') throw new Error('no __benchCipher/__BenchCipher hook in the package or its glue');
    cipher = new glue.__BenchCipher();
    cipherHow = `the glue's __BenchCipher (${path.relative(ROOT, gluePath)}; the package exports no hook)`;
  }
  // The KMS authenticates a 49-byte header (version, key id, backing key id)
  // plus the (here empty) encryption context: the baselines use a 49-byte AAD.
  const aad = new Uint8Array(nodeCrypto.randomBytes(49));
  const rawDkSealed = cipher.seal(aad, new Uint8Array(nodeCrypto.randomBytes(32)));
  const rawSealed = cipher.seal(aad, payloadU8);
  if (!Buffer.from(cipher.open(aad, rawSealed)).equals(payload)) throw new Error('raw wasm AES-GCM round trip is wrong');

  // --- node:crypto AES-256-GCM ----------------------------------------------
  const nodeKey = nodeCrypto.randomBytes(32);
  const nodeSeal = (pt) => {
    const iv = nodeCrypto.randomBytes(12);
    const c = nodeCrypto.createCipheriv('aes-256-gcm', nodeKey, iv);
    c.setAAD(aad);
    const body = c.update(pt);
    c.final();
    return Buffer.concat([iv, body, c.getAuthTag()]);
  };
  const nodeOpen = (sealed) => {
    const d = nodeCrypto.createDecipheriv('aes-256-gcm', nodeKey, sealed.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const out = d.update(sealed.subarray(12, sealed.length - 16));
    d.final();
    return out;
  };
  const nodeDkSealed = nodeSeal(nodeCrypto.randomBytes(32));
  const nodeSealed = nodeSeal(payload);
  if (!nodeOpen(nodeSealed).equals(payload)) throw new Error('node:crypto round trip is wrong');

  // --- the cases ---------------------------------------------------------------
  const ops = [
    {
      label: 'generateDataKey (AES_256)',
      api: main.fn.gdk,
      fresh: 'gdk',
      call: wasmCall?.gdk,
      // the same work: 32 fresh random bytes, sealed
      raw: () => cipher.seal(aad, globalThis.crypto.getRandomValues(new Uint8Array(32))),
      node: () => nodeSeal(nodeCrypto.randomBytes(32)),
    },
    {
      label: 'decrypt (data key blob)',
      api: main.fn.decDk,
      fresh: 'decDk',
      call: wasmCall?.decDk,
      raw: () => cipher.open(aad, rawDkSealed),
      node: () => nodeOpen(nodeDkSealed),
    },
    {
      label: 'encrypt (4 KiB)',
      api: main.fn.enc,
      fresh: 'enc',
      call: wasmCall?.enc,
      raw: () => cipher.seal(aad, payloadU8),
      node: () => nodeSeal(payload),
    },
    {
      label: 'decrypt (4 KiB blob)',
      api: main.fn.dec,
      fresh: 'dec',
      call: wasmCall?.dec,
      raw: () => cipher.open(aad, rawSealed),
      node: () => nodeOpen(nodeSealed),
    },
  ];
  const COLUMNS = [
    { key: 'api', async: true },
    { key: 'fresh', async: true, fresh: true },
    { key: 'call', async: false },
    { key: 'raw', async: false },
    { key: 'node', async: false },
  ];
  const cases = [];
  for (const op of ops) {
    op.samples = {};
    for (const col of COLUMNS) {
      if (!op[col.key]) continue;
      op.samples[col.key] = [];
      cases.push({ op, col });
    }
  }
  const runCase = async ({ op, col }, seconds) => {
    if (col.fresh) {
      // a new KMS each time: its audit log stays below the retention
      const k = await setUp();
      try {
        return await timeAsync(k.fn[op.fresh], seconds);
      } finally {
        await k.kms.close();
      }
    }
    return col.async ? timeAsync(op[col.key], seconds) : timeSync(op[col.key], seconds);
  };

  const expected = ROUNDS * cases.length * SLICE_S + cases.length * WARMUP_S + (performance.now() - startedAt) / 1000;
  if (wasmCallNote) console.log(`note: ${wasmCallNote}`);
  console.log(`measuring ${cases.length} cases (≈ ${Math.round(expected)} s)…`);
  for (const c of cases) await runCase(c, WARMUP_S);
  for (let r = 0; r < ROUNDS; r++) {
    // interleaved rounds, so drift (other load, thermal) hits every case alike
    for (const c of cases) c.op.samples[c.col.key].push(await runCase(c, SLICE_S));
    process.stdout.write(`  round ${r + 1}/${ROUNDS} done\n`);
  }
  for (const op of ops) {
    op.med = {};
    op.best = {};
    op.spread = {};
    for (const [k, xs] of Object.entries(op.samples)) {
      op.med[k] = median(xs);
      op.best[k] = Math.max(...xs);
      op.spread[k] = (Math.max(...xs) - Math.min(...xs)) / op.med[k];
    }
  }

  // --- report ------------------------------------------------------------------
  const dash = '–';
  console.log('\nThroughput (ops/s, median; ± = (max−min)/median over the rounds)\n');
  const rows = ops.map((op) => {
    const m = op.med;
    const cell = (k) => (m[k] === undefined ? dash : `${int(m[k])} ±${Math.round(op.spread[k] * 100)}%`);
    return [
      op.label,
      cell('api'),
      `${us(m.api)} µs`,
      cell('fresh'),
      cell('call'),
      cell('raw'),
      cell('node'),
      ratio(m.api / m.raw),
      pct(m.raw / m.api - 1),
      ratio(m.api / m.node),
    ];
  });
  console.log(
    table(
      ['operation', 'kms-wasm API', 'API µs/op', 'API, fresh KMS', 'wasm call only', 'raw wasm AES-GCM', 'node:crypto', 'API / raw', 'KMS overhead', 'API / node'],
      rows,
      [false, true, true, true, true, true, true, true, true, true],
    ),
  );
  console.log(
    '\n  kms-wasm API     `await kms.<op>(request)` through the package, one call at a time, on a KMS ' +
      (prefill.calls > 0 ? `aged by ${int(prefill.calls)} calls (${prefill.how}): the sustained regime, audit log full` : 'not aged (BENCH_AUDIT_PREFILL=0)') +
      '\n  API, fresh KMS   the same on a new KMS each round (audit log below its retention; closed after the round)' +
      '\n  wasm call only   the package\'s WasmKms.call() replayed directly with the arguments the wrapper passed, synchronously (Rust KMS + serde, no JS wrapper)' +
      `\n  raw wasm         the crate's AES-256-GCM with no KMS (${cipherHow}); generateDataKey = getRandomValues(32) + seal` +
      '\n  node:crypto      createCipheriv/createDecipheriv aes-256-gcm per op, random 12-byte IV, same sizes, 49-byte AAD' +
      '\n  KMS overhead     extra time per op over raw wasm AES-GCM (raw ops/s ÷ API ops/s − 1)\n',
  );
  const maxSpread = Math.max(...ops.flatMap((op) => Object.values(op.spread)));
  if (maxSpread > 0.15) {
    // Under background load the medians wobble; the best round is the
    // closest to what an idle machine does.
    console.log(`The machine was busy (spreads up to ±${Math.round(maxSpread * 100)}%): best round per case, for reference (ops/s)\n`);
    const keys = ['api', 'fresh', 'call', 'raw', 'node'].filter((k) => ops.some((op) => op.best[k] !== undefined));
    const names = { api: 'kms-wasm API', fresh: 'API, fresh KMS', call: 'wasm call only', raw: 'raw wasm AES-GCM', node: 'node:crypto' };
    console.log(
      table(
        ['operation', ...keys.map((k) => names[k]), 'API / raw', 'KMS overhead', 'API / node'],
        ops.map((op) => [
          op.label,
          ...keys.map((k) => (op.best[k] === undefined ? dash : int(op.best[k]))),
          ratio(op.best.api / op.best.raw),
          pct(op.best.raw / op.best.api - 1),
          ratio(op.best.api / op.best.node),
        ]),
        [false, ...keys.map(() => true), true, true, true],
      ),
    );
    console.log('');
  }
  if (ops.every((op) => op.med.call !== undefined)) {
    const t = (x) => 1e6 / x;
    const f = (x) => `${x >= 0 ? '' : '−'}${Math.abs(x).toFixed(2)}`;
    console.log('Where the time of one API call goes (µs per op, from the medians above; noise can make a step negative)\n');
    console.log(
      table(
        ['operation', 'raw AES-GCM', '+ Rust KMS & serde (call − raw)', '+ JS wrapper (API − call)', '= API'],
        ops.map((op) => {
          const m = op.med;
          return [op.label, f(t(m.raw)), f(t(m.call) - t(m.raw)), f(t(m.api) - t(m.call)), f(t(m.api))];
        }),
        [false, true, true, true, true],
      ),
    );
    console.log('');
  }
  for (const op of ops) {
    const m = op.med;
    console.log(
      `${op.label}: ${int(m.api)} ops/s = ${ratio(m.api / m.raw)} raw wasm AES-GCM (overhead ${pct(m.raw / m.api - 1)}) = ${ratio(m.api / m.node)} node:crypto`,
    );
  }
  const enc4k = ops[2].med;
  console.log(`\n4 KiB payloads in MB/s: API encrypt ${((enc4k.api * 4096) / 1e6).toFixed(1)}, decrypt ${((ops[3].med.api * 4096) / 1e6).toFixed(1)}; ` +
    `raw wasm seal ${((enc4k.raw * 4096) / 1e6).toFixed(1)}; node:crypto seal ${((enc4k.node * 4096) / 1e6).toFixed(1)}`);

  // --- the AWS SDK's call forms on the same aged KMS (bench/sdk-forms.mjs) ---
  const sdkLines = process.env.BENCH_SKIP_SDK === '1' ? [] : await measureSdkForms({ kmsPkg, kms, keyId: main.keyId, pkgTests: PKG_TESTS, tools: sdkTools });

  // --- the engines: sizes, cold starts, the first move (bench/engines.mjs) ---
  for (const line of measureEngines({ pkgDir: path.dirname(path.dirname(wasmFile)), entryFile: entry.file })) console.log(line);
  const rss = process.memoryUsage().rss;
  console.log(`process RSS at the end: ${(rss / 2 ** 20).toFixed(0)} MiB`);

  // --- policy evaluation ------------------------------------------------------
  let policyLines = [];
  {
    let glueProto = null;
    try {
      glueProto = (await import(pathToFileURL(gluePath).href)).WasmKms?.prototype ?? null;
      if (typeof glueProto?.call !== 'function') glueProto = null;
    } catch {
      glueProto = null;
    }
    policyLines = await measurePolicyCost({ kmsPkg, glueProto, payloadU8 });
  }

  // --- commit cost of the durable stores ----------------------------------------
  const storeLines = process.env.BENCH_SKIP_STORES === '1' ? [] : await measureStoreCost({ kmsPkg, located });

  // --- envelope encryption (bench/envelope.mjs) ---------------------------------
  const envelopeLines = process.env.BENCH_SKIP_ENVELOPE === '1' ? [] : await measureEnvelope({ kmsPkg, openChromium: () => chromiumFor(located), entryFile: entry.file });
  for (const line of envelopeLines) console.log(line);

  // --- the scale benchmark (bench/scale.mjs) -----------------------------------
  if (process.env.BENCH_SKIP_SCALE !== '1') for (const line of await scale()) console.log(line);

  // --- the issue's expectations (informational, never fail) --------------------
  const encOverhead = enc4k.raw / enc4k.api - 1;
  const dkMin = Math.min(ops[0].med.api, ops[1].med.api);
  console.log('\nexpectations from the issue (informational):');
  console.log(`  encrypt 4 KiB KMS overhead over raw < 25%: ${pct(encOverhead)} → ${encOverhead < 0.25 ? 'met' : 'NOT met'}`);
  console.log(`  data-key operations ≥ 100,000 ops/s: generateDataKey ${int(ops[0].med.api)}, decrypt ${int(ops[1].med.api)} → ${dkMin >= 1e5 ? 'met' : 'NOT met'}`);
  if (ops[0].med.fresh !== undefined) {
    const dkFresh = Math.min(ops[0].med.fresh, ops[1].med.fresh);
    const encFresh = enc4k.raw / enc4k.fresh - 1;
    console.log(`  (fresh KMS: encrypt 4 KiB overhead ${pct(encFresh)}, generateDataKey ${int(ops[0].med.fresh)}, decrypt ${int(ops[1].med.fresh)} → ` +
      `${encFresh < 0.25 ? 'met' : 'NOT met'} / ${dkFresh >= 1e5 ? 'met' : 'NOT met'})`);
  }
  for (const line of sdkLines) console.log(line);
  for (const line of policyLines) console.log(line);
  if (storeLines.length) console.log('  commit cost of the durable stores (ratio to the memory store):');
  for (const line of storeLines) console.log(line);

  if (typeof cipher.free === 'function') cipher.free();
  await kms.close?.();
  console.log(`\n(total ${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
}

main().catch((e) => {
  console.error('bench failed:', e);
  process.exitCode = 1;
});
