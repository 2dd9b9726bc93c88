// `make bench`, engines section (docs/engines.md): the size of each engine,
// raw and gzip -9; cold start to the first call on each (a fresh Node
// process per run: import, compile, instantiate, createKms, createKey); and
// the first call that moves a KMS from the core to the full engine (loads
// the full engine, moves the state, replays), next to the same call once
// moved. Reported, never asserted.
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const RUNS = Number(process.env.BENCH_ENGINE_RUNS || 5);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(1)} ms`;
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

/** One fresh process: the timings of `body` (an async function body that returns an object). */
function inChild(entryFile, body) {
  const script = `const t0 = performance.now(); const pkg = await import(${JSON.stringify(pathToFileURL(entryFile).href)});
    const out = await (async () => { ${body} })(); console.log(JSON.stringify(out));`;
  const text = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(text.trim().split('\n').pop());
}

const COLD = (engine) => `const kms = await pkg.createKms({ engine: '${engine}' }); const created = performance.now();
  await kms.createKey(); const first = performance.now(); await kms.close();
  return { createKms: created - t0, firstCall: first - t0 };`;

// The move itself: the first call needing the full engine is exportBackup
// (Argon2id, steady), so first minus next is loading the full engine plus
// moving the state; getParametersForImport is shown too (RSA key generation
// varies a lot from one call to the next).
const MOVE = `const kms = await pkg.createKms();
  await kms.createKey();
  let t = performance.now(); await kms.exportBackup({ passphrase: 'p' }); const backupFirst = performance.now() - t;
  t = performance.now(); await kms.exportBackup({ passphrase: 'p' }); const backupAgain = performance.now() - t;
  const kms2 = await pkg.createKms();
  const a = (await kms2.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.KeyId;
  const b = (await kms2.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.KeyId;
  const p = (KeyId) => ({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  t = performance.now(); await kms2.getParametersForImport(p(a)); const first = performance.now() - t;
  t = performance.now(); await kms2.getParametersForImport(p(b)); const again = performance.now() - t;
  await kms.close(); await kms2.close();
  return { first, again, backupFirst, backupAgain };`;

export function measureEngines({ pkgDir, entryFile }) {
  const lines = ['\nengines (docs/engines.md):'];
  for (const engine of ['core', 'full']) {
    const file = join(pkgDir, 'pkg', `kms_wasm_${engine}_bg.wasm`);
    if (!existsSync(file)) { lines.push(`  ${engine}: no ${file}`); continue; }
    const bytes = readFileSync(file);
    const gz = execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 1 << 26 }).length; // GNU gzip, as size-budget.sh and the docs measure
    lines.push(`  ${engine} engine: ${kib(bytes.length)} raw (${bytes.length.toLocaleString('en-US')} B), ${kib(gz)} gzip -9 (${gz.toLocaleString('en-US')} B)`);
  }
  for (const engine of ['core', 'full']) {
    const runs = Array.from({ length: RUNS }, () => inChild(entryFile, COLD(engine)));
    lines.push(`  cold start, ${engine} engine (fresh process, median of ${RUNS}): import → createKms ${ms(median(runs.map((r) => r.createKms)))}, → first createKey ${ms(median(runs.map((r) => r.firstCall)))}`);
  }
  const moves = Array.from({ length: RUNS }, () => inChild(entryFile, MOVE));
  const med = (f) => median(moves.map(f));
  lines.push(`  first exportBackup on a core KMS (loads the full engine, moves, replays; Argon2id): ${ms(med((r) => r.backupFirst))}; `
    + `the next one (Argon2id only): ${ms(med((r) => r.backupAgain))} → loading the full engine and moving: ${ms(med((r) => r.backupFirst - r.backupAgain))} (median of ${RUNS} processes)`);
  lines.push(`  first getParametersForImport on another core KMS (full engine loaded: moves, replays; RSA-2048 key generation): ${ms(med((r) => r.first))}; `
    + `the next one: ${ms(med((r) => r.again))}`);
  return lines;
}
