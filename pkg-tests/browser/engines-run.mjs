// The two engines in headless Chromium (docs/engines.md):
//   node browser/engines-run.mjs <app-dir> <counts-file>
// - a page doing only symmetric work (createKey, encrypt, decrypt,
//   generateDataKey, encryptMessage/decryptMessage with kmsKeyring) fetches
//   the core engine's wasm and nothing of the full engine;
// - the first call that needs the full engine fetches its glue and wasm once,
//   moves the KMS, and works; so does the signing suite afterwards.
// Prints what the page fetched (gzip -9 sizes of the files) and the time of
// the first call that moved, as information; asserts no timing.
// Writes {"passed":N,"failed":N} to <counts-file>.
import { writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = resolve(process.argv[2] || '.');
const countsFile = process.argv[3];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const WATCHDOG_MS = 120_000; // a hung page, not a timing assertion
let passed = 0;
let failed = 0;

function report(name, fn) {
  return fn().then(
    (info) => { passed += 1; console.log(`✔ engines › ${name}${info ? ` (${info})` : ''}`); },
    (e) => { failed += 1; console.log(`✘ engines › ${name}\n    ${String(e && e.stack || e).replace(/\n/g, '\n    ')}`); },
  );
}

if (!existsSync(executablePath)) {
  console.error(`engines: ${executablePath} not found`);
  if (countsFile) writeFileSync(countsFile, '{"passed":0,"failed":1}\n');
  process.exit(1);
}

const pkgDir = join(root, 'node_modules', 'kms-wasm');
// GNU gzip -9, as scripts/size-budget.sh and docs/size.md measure.
const gz = (file) => execFileSync('gzip', ['-9', '-c', join(pkgDir, 'pkg', file)], { maxBuffer: 1 << 26 }).length;
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

const { server, url } = await serve(root);
const profile = mkdtempSync(join(tmpdir(), 'kms-wasm-engines-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || (await context.newPage());
  const fetched = [];
  page.on('response', (r) => fetched.push(new URL(r.url()).pathname));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}browser/engines.html`);
  await page.waitForFunction(() => window.enginesPage || window.enginesPageError, null, { timeout: WATCHDOG_MS });
  const loadError = await page.evaluate(() => window.enginesPageError);
  if (loadError) throw new Error(loadError);
  const wasmFetched = () => fetched.filter((p) => p.endsWith('.wasm')).map((p) => p.split('/').pop());

  let symmetric;
  await report('a page doing only symmetric work fetches the core engine and nothing of the full engine', async () => {
    symmetric = await page.evaluate(() => window.enginesPage.symmetric());
    const wasms = wasmFetched();
    if (wasms.join() !== 'kms_wasm_core_bg.wasm') throw new Error(`the page fetched ${JSON.stringify(wasms)}`);
    const fullGlue = fetched.filter((p) => p.endsWith('kms_wasm_full.js'));
    if (fullGlue.length) throw new Error('the page fetched the full engine\'s glue');
    if (symmetric.engine !== 'core') throw new Error(`the KMS runs on the ${symmetric.engine} engine`);
    return `core wasm ${kib(gz('kms_wasm_core_bg.wasm'))} gzip -9 (the issue's target: 200 KiB); createKms ${symmetric.createKmsMs.toFixed(0)} ms, first createKey at ${symmetric.firstCallMs.toFixed(0)} ms`;
  });

  await report('the first call that needs the full engine fetches it once, moves the KMS, and works; the signing suite too', async () => {
    const r = await page.evaluate(() => window.enginesPage.full());
    const wasms = wasmFetched();
    if (wasms.join() !== 'kms_wasm_core_bg.wasm,kms_wasm_full_bg.wasm') throw new Error(`the page fetched ${JSON.stringify(wasms)}`);
    if (fetched.filter((p) => p.endsWith('kms_wasm_full.js')).length !== 1) throw new Error('the full engine\'s glue was not fetched exactly once');
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return `full wasm ${kib(gz('kms_wasm_full_bg.wasm'))} gzip -9; first exportBackup (loads the full engine, moves, Argon2id) ${r.firstMs.toFixed(0)} ms, the next one ${r.againMs.toFixed(0)} ms`;
  });
} catch (e) {
  failed += 1;
  console.log(`✘ engines › ${e && e.stack || e}`);
} finally {
  await context?.close().catch(() => {});
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`engines: ${passed} passed, ${failed} failed`);
if (countsFile) writeFileSync(countsFile, `${JSON.stringify({ passed, failed })}\n`);
process.exit(failed ? 1 : 0);
