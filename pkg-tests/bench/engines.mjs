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

const MOVE = `const kms = await pkg.createKms();
  const a = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.KeyId;
  const b = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.KeyId;
  const p = (KeyId) => ({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  let t = performance.now(); await kms.getParametersForImport(p(a)); const first = performance.now() - t;
  t = performance.now(); await kms.getParametersForImport(p(b)); const again = performance.now() - t;
  const kr = pkg.rawAesKeyring({ keyNamespace: 'n', keyName: 'k', wrappingKey: new Uint8Array(32).fill(1) });
  const kms2 = await pkg.createKms(); const k = (await kms2.createKey()).KeyMetadata.KeyId;
  t = performance.now(); await kms2.exportBackup({ passphrase: 'p' }); const backupFirst = performance.now() - t;
  t = performance.now(); await kms2.exportBackup({ passphrase: 'p' }); const backupAgain = performance.now() - t;
  await kms.close(); await kms2.close();
  return { first, again, backupFirst, backupAgain, engine: kms.__engine };`;

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
  lines.push(`  first getParametersForImport on a core KMS (loads the full engine, moves, replays, RSA-2048): ${ms(median(moves.map((r) => r.first)))}; `
    + `the next one (RSA-2048 only): ${ms(median(moves.map((r) => r.again)))} (median of ${RUNS} processes)`);
  lines.push(`  first exportBackup on a core KMS (full engine already loaded: moves, replays, Argon2id): ${ms(median(moves.map((r) => r.backupFirst)))}; `
    + `the next one: ${ms(median(moves.map((r) => r.backupAgain)))}`);
  return lines;
}
