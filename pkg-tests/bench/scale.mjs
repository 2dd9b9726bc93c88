// The scale benchmark (issue 14, "flat cost at 100,000 keys"), imported by
// bench.mjs: part of the full run, alone with BENCH_ONLY=scale, skipped with
// BENCH_SKIP_SCALE=1. A report, never asserted: only a wrong answer (a bad
// round trip, a store that lists the wrong number of keys, a failing CLI)
// throws.
//
//   1. Populate: one memory-store KMS gets the keys of every tier in turn
//      (createKey, one call at a time, plus an alias for every 10th key);
//      at each tier its exportBackup is written to a temp file. Every tier
//      of every store is filled from that backup (restoreBackup), never by
//      createKey against a durable store. A tier whose populating takes
//      longer than BENCH_SCALE_MAX_SECONDS, counted from the first key (or
//      is projected to, from the current cost per key), is "not measured",
//      and so are the tiers above.
//   2. Sessions (browser/scale-bench.js, shared with Chromium), in rounds
//      interleaved across stores and tiers: restore the tier's backup into
//      a fresh store, close, open it again (createKms until the first call
//      answers: the open time), then createKey, encrypt (32 B) and
//      generateDataKey (AES_256) on random keys of a working set of 1,000
//      keys of the tier (each used once first, timed as "first use"), a
//      time slice each, one call at a time. Medians over the rounds.
//   3. Memory: a fresh Node process (--expose-gc) per Node store and tier
//      holding the store open (RSS, heapUsed, external after a gc); in
//      Chromium the JS heap after a gc (DevTools protocol), in the session.
//   4. File store: `kms-wasm list-keys --json` and `kms-wasm serve` (spawn
//      until the first ListKeys answer over HTTP) on a populated store with
//      its key file, per tier; the issue's goal is under 2 s.
//
// Environment (read here unless measureScale is given the option):
//   BENCH_SCALE_KEYS         tiers, number of keys (default 100,10000,100000)
//   BENCH_SCALE_STORES       memory,file,indexeddb (default all three)
//   BENCH_SCALE_MAX_SECONDS  populating budget (from the first key), and the CLI's timeout (default 600)
//   BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP  as in bench.mjs
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, createReadStream, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { session, OPS } from './browser/scale-bench.js';

const PASSPHRASE = 'kms-wasm scale bench';
const ALIAS_EVERY = 10;
const GOAL_RATIO = 0.67;
const GOAL_CLI_S = 2;
const STORES = ['memory', 'file', 'indexeddb'];
const STORE_NAMES = { memory: 'memory (Node)', file: 'file (Node)', indexeddb: 'IndexedDB (Chromium)' };
const OP_NAMES = { createKey: 'createKey', encrypt: 'encrypt 32 B', generateDataKey: 'generateDataKey' };

const envNum = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
};
const envList = (name, dflt) => (process.env[name] || dflt).split(',').map((s) => s.trim()).filter(Boolean);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (xs) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / median(xs) : 0);
const int = (x) => Math.round(x).toLocaleString('en-US');
const secs = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

function table(header, rows, alignRight) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => (alignRight[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (alignRight[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|';
  return [line(header), sep, ...rows.map(line)];
}

/** The `bin` script of the package in `pkgDir`. */
function binOf(pkgDir) {
  const pj = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const bin = typeof pj.bin === 'string' ? pj.bin : pj.bin?.['kms-wasm'] ?? Object.values(pj.bin ?? {})[0];
  if (!bin) throw new Error(`${pkgDir}/package.json names no bin`);
  return path.resolve(pkgDir, bin);
}

/** The environment of the children: a HOME of our own, none of the CLI's variables. */
function childEnv(home) {
  const env = { ...process.env, HOME: home };
  for (const k of Object.keys(env)) if (k.startsWith('KMS_WASM_')) delete env[k];
  return env;
}

/** Runs node `args` to its end: { code, out, err, ms }, or { timedOut, ms } after `timeoutS` (the child is killed). */
function runNode(args, { env, timeoutS }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      resolve(timedOut ? { timedOut, ms } : { code, out, err, ms });
    });
  });
}

/**
 * `kms-wasm serve --insecure-no-auth --port 0` on the store: ms from the
 * spawn to the first ListKeys answer over HTTP (checked), or { timedOut }.
 */
async function serveFirstAnswer(bin, storeDir, { env, timeoutS, tier }) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, '--store', storeDir, 'serve', '--insecure-no-auth', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
  const exited = once(child, 'exit');
  let timer;
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
        const m = /^(https?:\/\/\S+)\n/m.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`kms-wasm serve exited ${code} before printing its URL: ${err.trim()}`)));
      timer = setTimeout(() => resolve(null), timeoutS * 1000);
    });
    if (url === null) return { timedOut: true, ms: performance.now() - t0 };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: '{}',
      signal: AbortSignal.timeout(Math.max(1, Math.round(timeoutS * 1000 - (performance.now() - t0)))),
    });
    const body = await res.json();
    const ms = performance.now() - t0;
    const want = Math.min(tier, 100); // AWS's default page of ListKeys
    if (res.status !== 200 || !Array.isArray(body.Keys) || body.Keys.length !== want) {
      throw new Error(`kms-wasm serve: ListKeys answered ${res.status} with ${Array.isArray(body.Keys) ? `${body.Keys.length} keys, not ${want}` : JSON.stringify(body).slice(0, 200)}`);
    }
    return { ms };
  } catch (e) {
    if (e?.name === 'TimeoutError') return { timedOut: true, ms: performance.now() - t0 };
    throw e;
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** What a fresh Node process holding `kind`'s store of the tier open uses (after a gc). */
const MEMORY_CHILD = `
  const [entry, kind, where, idsFile, tier, passphrase] = process.argv.slice(1);
  const { readFileSync } = await import('node:fs');
  const t0 = performance.now();
  const pkg = await import(entry);
  const imported = performance.now();
  const ids = JSON.parse(readFileSync(idsFile, 'utf8')).slice(0, Number(tier));
  let kms;
  if (kind === 'file') {
    kms = await pkg.createKms({ store: pkg.fileStore(where) });
  } else {
    kms = await pkg.createKms({ store: pkg.memoryStore() });
    await kms.restoreBackup(readFileSync(where), { passphrase });
  }
  const pt = new Uint8Array(32);
  await kms.encrypt({ KeyId: ids[0], Plaintext: pt });
  const open = performance.now();
  for (let i = 0; i < 200; i++) await kms.encrypt({ KeyId: ids[Math.floor(Math.random() * ids.length)], Plaintext: pt });
  globalThis.gc();
  const m = process.memoryUsage();
  await kms.close();
  console.log(JSON.stringify({ importMs: imported - t0, openMs: open - imported, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }));
`;

/**
 * The RSS (bytes) of the largest Chromium renderer this process started
 * (Linux /proc: descendants of this process with --type=renderer), or
 * undefined. The page under test is the one doing the work, so the largest.
 */
function rendererRss() {
  let entries;
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const parent = new Map();
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      // gone
    }
  }
  const mine = (pid) => {
    for (let p = parent.get(pid), hops = 0; p && hops < 20; p = parent.get(p), hops++) if (p === String(process.pid)) return true;
    return false;
  };
  let best;
  for (const pid of parent.keys()) {
    try {
      if (!mine(pid) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (Number.isFinite(kb) && (best === undefined || kb * 1024 > best)) best = kb * 1024;
    } catch {
      // gone
    }
  }
  return best;
}

/**
 * Serves the work folder's backups and ids.json to the Chromium page (another
 * origin: CORS allowed), on 127.0.0.1.
 */
async function fileServer(dir) {
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname).slice(1);
    if (!/^(tier-\d+\.backup|ids\.json)$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    const file = path.join(dir, name);
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-length': statSync(file).size, 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${server.address().port}/` };
}

/**
 * The scale benchmark. Options (each defaults to its environment variable,
 * see the top of this file): kmsPkg (the package's module), pkgDir (its
 * folder: the CLI is its `bin`), entryFile (its Node entry, for the memory
 * children), openChromium (bench.mjs's chromiumFor; without it IndexedDB is
 * not measured), tiers, stores, seconds, rounds, warmup, maxSeconds,
 * cliRuns (runs of list-keys and of serve per tier, default 3; one when a
 * run takes over 5 s), log (progress lines; default console.log).
 * Returns the lines to print; `lines.results` holds the figures.
 */
export async function measureScale({
  kmsPkg,
  pkgDir,
  entryFile,
  openChromium = null,
  tiers = envList('BENCH_SCALE_KEYS', '100,10000,100000').map(Number),
  stores = envList('BENCH_SCALE_STORES', STORES.join(',')),
  seconds = envNum('BENCH_SECONDS', 0.45),
  rounds = Math.max(1, Math.round(envNum('BENCH_ROUNDS', 5))),
  warmup = envNum('BENCH_WARMUP', 0.2),
  maxSeconds = envNum('BENCH_SCALE_MAX_SECONDS', 600),
  cliRuns = 3,
  log = console.log,
}) {
  const startedAt = performance.now();
  if (!tiers.length || tiers.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_SCALE_KEYS must be whole numbers ≥ 1, got ${tiers.join(',')}`);
  tiers = [...new Set(tiers)].sort((a, b) => a - b);
  for (const s of stores) if (!STORES.includes(s)) throw new Error(`BENCH_SCALE_STORES: unknown store ${s} (${STORES.join(', ')})`);
  stores = STORES.filter((s) => stores.includes(s));
  if (stores.includes('file') && typeof kmsPkg.fileStore !== 'function') throw new Error('scale bench: this package has no fileStore');

  const results = { tiers, stores, populate: {}, notMeasured: {}, sessions: {}, memory: {}, cli: {}, ratios: {}, browser: null };
  const lines = [];
  const work = mkdtempSync(path.join(os.tmpdir(), 'kms-wasm-scale-'));
  const home = path.join(work, 'home');
  mkdirSync(home);
  const env = childEnv(home);
  let browser = null;
  let files = null;
  try {
    log(`\nScale: ${tiers.map(int).join(' / ')} keys; stores ${stores.join(', ')}; ${rounds} rounds × ${seconds} s per op; populating budget ${maxSeconds} s (from the first key)`);

    // --- 1. populate: one memory KMS, a backup per tier ----------------------
    const ids = [];
    {
      const kms = await kmsPkg.createKms();
      let lastLog = performance.now();
      let win = { t: lastLog, n: 0 };
      let stopped = null;
      let createMs = 0; // time in createKey/createAlias only (the exports excluded)
      try {
        for (const tier of tiers) {
          const tierStart = performance.now();
          while (ids.length < tier) {
            ids.push((await kms.createKey({})).KeyMetadata.KeyId);
            if (ids.length % ALIAS_EVERY === 0) await kms.createAlias({ AliasName: `alias/scale-${ids.length}`, TargetKeyId: ids.at(-1) });
            if (ids.length % 50 !== 0 && ids.length !== tier) continue;
            const t = performance.now();
            const elapsed = (createMs + t - tierStart) / 1000;
            if (elapsed > maxSeconds) {
              stopped = `populating took longer than ${maxSeconds} s (BENCH_SCALE_MAX_SECONDS): ${int(ids.length)} of ${int(tier)} keys after ${elapsed.toFixed(0)} s`;
              break;
            }
            // Projection from the cost per key of the last ≥ 2 s: a lower
            // bound while each createKey costs more than the one before.
            if (t - win.t >= 2000 && ids.length > win.n) {
              const perKey = (t - win.t) / (ids.length - win.n);
              const projected = elapsed + ((tier - ids.length) * perKey) / 1000;
              if (projected > maxSeconds) {
                stopped = `populating would take longer than ${maxSeconds} s (BENCH_SCALE_MAX_SECONDS): ${int(ids.length)} of ${int(tier)} keys after ${elapsed.toFixed(0)} s, ` +
                  `now ${perKey.toFixed(2)} ms per key, so at least ${projected.toFixed(0)} s in all`;
                break;
              }
              win = { t, n: ids.length };
            }
            if (t - lastLog >= 15_000) {
              log(`  populating: ${int(ids.length)} keys, ${elapsed.toFixed(0)} s`);
              lastLog = t;
            }
          }
          const created = performance.now();
          createMs += created - tierStart;
          if (stopped) {
            for (const n of tiers.filter((x) => x >= tier)) results.notMeasured[n] = n === tier ? stopped : `not populated (the ${int(tier)}-key tier was not)`;
            log(`  ${int(tier)} keys: ${stopped}`);
            break;
          }
          const backup = await kms.exportBackup({ passphrase: PASSPHRASE });
          const exportMs = performance.now() - created;
          writeFileSync(path.join(work, `tier-${tier}.backup`), backup);
          results.populate[tier] = { ms: createMs, exportMs, bytes: backup.length, aliases: Math.floor(tier / ALIAS_EVERY) };
          log(`  ${int(tier)} keys: populated in ${secs(createMs)} (memory store, createKey + createAlias), backup ${mib(backup.length)} in ${secs(exportMs)}`);
          win = { t: performance.now(), n: ids.length };
        }
      } finally {
        await kms.close();
      }
      // cost per key at the end of each tier, from the cumulative times
      let prev = { n: 0, ms: 0 };
      for (const tier of tiers.filter((n) => results.populate[n])) {
        const p = results.populate[tier];
        p.msPerKeyInTier = (p.ms - prev.ms) / (tier - prev.n);
        prev = { n: tier, ms: p.ms };
      }
    }
    const measured = tiers.filter((n) => results.populate[n]);
    writeFileSync(path.join(work, 'ids.json'), JSON.stringify(ids.slice(0, measured.at(-1) ?? 0)));
    const backupFile = (tier) => path.join(work, `tier-${tier}.backup`);

    // --- 2. sessions -----------------------------------------------------------
    if (stores.includes('indexeddb')) {
      if (!openChromium) browser = { why: 'no Chromium launcher given' };
      else {
        try {
          browser = await openChromium();
        } catch (e) {
          browser = { why: String(e?.message || e) };
        }
      }
      if (browser.page) {
        files = await fileServer(work);
        const cdp = await browser.page.context().newCDPSession(browser.page);
        await browser.page.exposeFunction('scaleHeapUsage', async () => {
          await cdp.send('HeapProfiler.collectGarbage');
          const { usedSize, totalSize } = await cdp.send('Runtime.getHeapUsage');
          return { usedSize, totalSize, rendererRss: rendererRss(), how: 'DevTools Runtime.getHeapUsage after a gc' };
        });
        results.browser = browser.version;
      } else {
        for (const tier of measured) results.notMeasured[`indexeddb:${tier}`] = browser.why;
      }
    }
    const live = stores.filter((s) => s !== 'indexeddb' || browser?.page);
    let sessionNo = 0;
    const runSession = async (kind, tier, slice, check) => {
      sessionNo += 1;
      if (kind === 'indexeddb') {
        return browser.page.evaluate(
          async (args) => (await import('./scale-bench.js')).browserSession(await import('kms-wasm'), args),
          { base: files.base, tier, name: `scale-${Date.now()}-${sessionNo}`, passphrase: PASSPHRASE, seconds: slice, check },
        );
      }
      const dir = kind === 'file' ? path.join(work, `session-${sessionNo}`) : null;
      const mem = kind === 'memory' ? kmsPkg.memoryStore() : null;
      try {
        return await session(kmsPkg, {
          makeStore: () => mem ?? kmsPkg.fileStore(path.join(dir, 'kms')),
          backup: readFileSync(backupFile(tier)),
          passphrase: PASSPHRASE,
          ids: ids.slice(0, tier),
          seconds: slice,
          check,
        });
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    };
    if (measured.length) {
      const perRound = live.length * measured.length * OPS.length * seconds;
      log(`  measuring ${live.length} stores × ${measured.length} tiers × ${OPS.length} ops, ${rounds} rounds (≥ ${Math.round(perRound * rounds)} s of slices, plus a restore and an open per session)` +
        `${browser?.why ? `; IndexedDB not measured: ${browser.why}` : browser?.page ? `; Chromium ${browser.version}` : ''}…`);
      for (const kind of live) await runSession(kind, measured[0], warmup, false);
      for (const kind of live) for (const tier of measured) results.sessions[`${kind}:${tier}`] = [];
      for (let r = 0; r < rounds; r++) {
        for (const kind of live) {
          for (const tier of measured) results.sessions[`${kind}:${tier}`].push(await runSession(kind, tier, seconds, r === 0));
        }
        log(`  round ${r + 1}/${rounds} done (${secs(performance.now() - startedAt)})`);
      }
    }

    // --- 3. memory in a fresh Node process ------------------------------------
    // The file store each child opens is also the CLI's (step 4): restored
    // once per tier with its key file (PATH.key).
    const cliStore = (tier) => path.join(work, `cli-${tier}`, 'kms');
    if (stores.includes('file')) {
      for (const tier of measured) {
        mkdirSync(path.dirname(cliStore(tier)));
        const kms = await kmsPkg.createKms({ store: kmsPkg.fileStore(cliStore(tier)) });
        await kms.restoreBackup(readFileSync(backupFile(tier)), { passphrase: PASSPHRASE });
        await kms.close();
      }
    }
    for (const kind of stores.filter((s) => s !== 'indexeddb')) {
      for (const tier of measured) {
        if (!entryFile) break;
        const where = kind === 'file' ? cliStore(tier) : backupFile(tier);
        const r = await runNode(['--expose-gc', '--input-type=module', '-e', MEMORY_CHILD, pathToFileURL(entryFile).href, kind, where, path.join(work, 'ids.json'), String(tier), PASSPHRASE], { env, timeoutS: maxSeconds });
        if (r.timedOut) throw new Error(`scale bench: the memory probe of the ${kind} store at ${tier} keys took over ${maxSeconds} s`);
        if (r.code !== 0) throw new Error(`scale bench: the memory probe of the ${kind} store at ${tier} keys failed (${r.code}): ${r.err.trim()}`);
        results.memory[`${kind}:${tier}`] = JSON.parse(r.out.trim().split('\n').pop());
      }
    }

    // --- 4. the CLI on the file store ---------------------------------------------
    if (stores.includes('file') && pkgDir) {
      const bin = binOf(pkgDir);
      log(`  kms-wasm list-keys and serve on the file store (${path.relative(process.cwd(), bin) || bin})…`);
      for (const tier of measured) {
        const c = { listKeys: [], details: [], serve: [] };
        results.cli[tier] = c;
        for (let i = 0; i < cliRuns; i++) {
          const r = await runNode([bin, '--store', cliStore(tier), 'list-keys', '--json'], { env, timeoutS: maxSeconds });
          if (r.timedOut) {
            c.listKeys.push({ timedOut: true, ms: r.ms });
            break;
          }
          if (r.code !== 0) throw new Error(`kms-wasm list-keys exited ${r.code}: ${r.err.trim()}`);
          const n = JSON.parse(r.out).Keys.length;
          if (n !== tier) throw new Error(`kms-wasm list-keys listed ${n} keys, not ${tier}`);
          c.listKeys.push({ ms: r.ms });
          if (r.ms > 5000) break;
        }
        // With every key's details (one DescribeKey each), once.
        {
          const r = await runNode([bin, '--store', cliStore(tier), 'list-keys', '--json', '--details'], { env, timeoutS: maxSeconds });
          if (r.timedOut) c.details.push({ timedOut: true, ms: r.ms });
          else {
            if (r.code !== 0) throw new Error(`kms-wasm list-keys --details exited ${r.code}: ${r.err.trim()}`);
            const listed = JSON.parse(r.out).Keys;
            if (listed.length !== tier || !listed.every((k) => k.KeyState)) throw new Error('kms-wasm list-keys --details did not describe every key');
            c.details.push({ ms: r.ms });
          }
        }
        for (let i = 0; i < cliRuns; i++) {
          const r = await serveFirstAnswer(bin, cliStore(tier), { env, timeoutS: maxSeconds, tier });
          c.serve.push(r);
          if (r.timedOut || r.ms > 5000) break;
        }
      }
    }
  } finally {
    if (browser?.close) await browser.close();
    files?.server.close();
    rmSync(work, { recursive: true, force: true });
  }

  // --- report ---------------------------------------------------------------------
  const measured = tiers.filter((n) => results.populate[n]);
  lines.push('', `Scale (issue 14): ops/s at ${tiers.map(int).join(', ')} keys (median of ${rounds} rounds × ${seconds} s; ± = (max−min)/median)`, '');
  lines.push(...table(
    ['tier', 'populate (memory KMS)', 'last tier ms/key', 'exportBackup', 'backup'],
    tiers.map((n) => {
      const p = results.populate[n];
      if (!p) return [`${int(n)} keys`, 'not measured (below)', '–', '–', '–'];
      return [`${int(n)} keys + ${int(p.aliases)} aliases`, secs(p.ms), p.msPerKeyInTier.toFixed(2), secs(p.exportMs), mib(p.bytes)];
    }),
    [false, true, true, true, true],
  ));
  lines.push('');
  for (const n of tiers.filter((x) => !results.populate[x])) lines.push(`  ${int(n)} keys: not measured: ${results.notMeasured[n]}`, '');
  lines.push(
    '  populate          createKey (and createAlias for every 10th key) one call at a time on one memory-store KMS, cumulative',
    '                    (in all, from the first key; the guard and its projection count this time);',
    '                    every store of a tier is filled from its backup (restoreBackup), never by createKey',
    '  last tier ms/key  the mean time per key between the previous tier and this one (flat if createKey is O(1))',
    '',
  );
  const SHOWN = ['createKey', 'encrypt', 'generateDataKey'];
  const rows = [];
  const notes = new Set();
  for (const kind of stores) {
    for (const tier of measured) {
      const s = results.sessions[`${kind}:${tier}`];
      if (!s?.length) {
        notes.add(`  ${STORE_NAMES[kind]}: not measured: ${results.notMeasured[`indexeddb:${tier}`] ?? 'no session'}`);
        rows.push([STORE_NAMES[kind], int(tier), ...SHOWN.map(() => '–'), '–', '–', '–']);
        continue;
      }
      const cell = (xs) => `${int(median(xs))} ±${Math.round(spread(xs) * 100)}%`;
      rows.push([
        STORE_NAMES[kind], int(tier),
        ...SHOWN.map((op) => cell(s.map((x) => x.rates[op]))),
        int(median(s.map((x) => x.firstUse ?? 0))),
        secs(median(s.map((x) => x.restoreMs))),
        secs(median(s.map((x) => x.openMs))),
      ]);
    }
  }
  lines.push(...table(['store', 'keys', ...SHOWN.map((op) => OP_NAMES[op]), 'first use/s', 'restore', 'open'], rows, [false, true, true, true, true, true, true, true]));
  if (notes.size) lines.push('', ...notes);
  if (measured.length < tiers.length) lines.push('', `  ${tiers.filter((n) => !results.populate[n]).map(int).join(', ')} keys: not measured (not populated, see above)`);
  lines.push(
    '',
    '  ops/s        one call at a time on random keys of a working set of 1,000 keys of the tier (all of them at 100), each session on a',
    '               fresh store restored from the tier\'s backup (createKey measured last: it adds keys); encrypt of 32 B; generateDataKey AES_256',
    '  first use/s  encrypts/s of the warm-up pass, the first call on each key of the working set since the open: it also parses the key\'s',
    '               policy and expands its AES key schedule (done once per key and open, not at the open)',
    '  restore      createKms + restoreBackup + close on an empty store;  open: createKms over the populated store until its first encrypt answers',
    '',
  );

  // memory
  const memRows = [];
  for (const kind of stores) {
    for (const tier of measured) {
      const m = results.memory[`${kind}:${tier}`];
      if (m) memRows.push([STORE_NAMES[kind], int(tier), mib(m.rss), mib(m.heapUsed), mib(m.external), kind === 'file' ? secs(m.openMs) : '–']);
      const s = results.sessions[`${kind}:${tier}`];
      if (kind === 'indexeddb' && s?.length) {
        // the first round's: later rounds' renderers also hold what bigger tiers left
        const { usedSize: h, rendererRss: r } = s[0].memory ?? {};
        if (h !== undefined || r !== undefined) memRows.push([STORE_NAMES[kind], int(tier), r !== undefined ? `${mib(r)} (renderer)` : '–', h !== undefined ? `${mib(h)} (JS heap)` : '–', '–', '–']);
      }
    }
  }
  if (memRows.length) {
    lines.push(...table(['store', 'keys', 'RSS', 'heapUsed', 'external', 'cold open'], memRows, [false, true, true, true, true, true]));
    lines.push('');
    if (memRows.some((r) => r[0] !== STORE_NAMES.indexeddb)) {
      lines.push(
        '  Node     a fresh `node --expose-gc` holding the store open after its first encrypt and 200 more, after gc(): process.memoryUsage()',
        '           (memory store: restored from the backup in that process; cold open: file store, createKms until the first encrypt, after the import)',
      );
    }
    if (memRows.some((r) => r[0] === STORE_NAMES.indexeddb)) {
      lines.push(
        '  Chromium with the KMS open after its slices, in the first round (tiers in ascending order, one page for all): the page\'s JS heap',
        '           after a gc (DevTools Runtime.getHeapUsage; the wasm memory is not in it) and the RSS of the largest renderer process (/proc:',
        '           wasm memory, the page, and what earlier sessions left)',
      );
    }
    lines.push('');
  }

  // CLI
  const cliCell = (runs) => {
    if (!runs?.length) return '–';
    const to = runs.find((r) => r.timedOut);
    if (to) return `> ${secs(to.ms)} (killed)`;
    const ms = median(runs.map((r) => r.ms));
    return `${secs(ms)}${runs.length > 1 ? ` (median of ${runs.length})` : ''}`;
  };
  const cliMs = (runs) => (!runs?.length || runs.some((r) => r.timedOut) ? Infinity : median(runs.map((r) => r.ms)));
  if (Object.keys(results.cli).length) {
    lines.push(...table(
      ['file store', '`kms-wasm list-keys --json`', '`… --details`', '`kms-wasm serve`: spawn → first ListKeys answer'],
      measured.map((n) => [`${int(n)} keys`, cliCell(results.cli[n]?.listKeys), cliCell(results.cli[n]?.details), cliCell(results.cli[n]?.serve)]),
      [false, true, true, true],
    ));
    lines.push('');
  }

  // the issue's expectations
  const top = measured.at(-1);
  const base = measured[0];
  const target = tiers.at(-1);
  lines.push(`  expectations from issue 14 (informational): rate at ${int(target)} keys ≥ ${GOAL_RATIO}× the rate at ${int(tiers[0])} keys`);
  if (top === undefined || top === base) {
    lines.push(`    not measured: ${top === undefined ? 'no tier was populated' : 'only one tier was populated'}`);
  } else {
    const note = top === target ? '' : ` (${int(target)} keys not measured: ${int(top)}/${int(base)} shown instead)`;
    for (const kind of stores) {
      const a = results.sessions[`${kind}:${base}`];
      const b = results.sessions[`${kind}:${top}`];
      if (!a?.length || !b?.length) {
        lines.push(`    ${STORE_NAMES[kind]}: not measured${browser?.why && kind === 'indexeddb' ? ` (${browser.why})` : ''}`);
        continue;
      }
      const parts = SHOWN.map((op) => {
        const ratio = median(b.map((x) => x.rates[op])) / median(a.map((x) => x.rates[op]));
        results.ratios[`${kind}:${op}`] = ratio;
        return `${OP_NAMES[op]} ${ratio.toFixed(2)}× ${ratio >= GOAL_RATIO ? 'met' : 'NOT met'}`;
      });
      lines.push(`    ${STORE_NAMES[kind]}, ${int(top)}/${int(base)} keys: ${parts.join('; ')}${note}`);
    }
  }
  if (Object.keys(results.cli).length && top !== undefined) {
    const c = results.cli[top];
    const ok = (runs) => (cliMs(runs) < GOAL_CLI_S * 1000 ? 'met' : 'NOT met');
    lines.push(`    kms-wasm list-keys / serve on a ${int(top)}-key file store under ${GOAL_CLI_S} s: list-keys ${cliCell(c.listKeys)} → ${ok(c.listKeys)}; serve ${cliCell(c.serve)} → ${ok(c.serve)}` +
      (top === target ? '' : ` (${int(target)} keys not measured)`));
  }
  lines.push(`  (scale section: ${secs(performance.now() - startedAt)})`);
  return Object.assign(lines, { results });
}
