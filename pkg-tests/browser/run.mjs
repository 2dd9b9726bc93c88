// Runs the portable suite in headless Debian Chromium through playwright-core:
//   node browser/run.mjs <app-dir> <counts-file>
// <app-dir> is the temp project with node_modules/kms-wasm, suite/ and browser/.
// Prints one line per test and writes {"passed":N,"failed":N} to <counts-file>.
import { writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = resolve(process.argv[2] || '.');
const countsFile = process.argv[3];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
// A watchdog for a hung page, not an assertion on timing.
const WATCHDOG_MS = Number(process.env.PKG_TESTS_BROWSER_WATCHDOG_MS || 150_000);

function writeCounts(passed, failed) {
  if (countsFile) writeFileSync(countsFile, `${JSON.stringify({ passed, failed })}\n`);
}

if (!existsSync(executablePath)) {
  console.error(`browser: ${executablePath} not found`);
  writeCounts(0, 1);
  process.exit(1);
}

const { server, url, entryUrl } = await serve(root);
const profile = mkdtempSync(join(tmpdir(), 'kms-wasm-chromium-'));
let context;
let passed = 0;
let failed = 0;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => consoleLines.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) consoleLines.push(`[http ${r.status()}] ${r.url()}`);
  });
  await page.exposeFunction('__kmsReport', (r) => {
    if (r.ok) {
      passed += 1;
      console.log(`✔ browser › ${r.name} (${r.ms} ms)`);
    } else {
      failed += 1;
      console.log(`✘ browser › ${r.name} (${r.ms} ms)\n${String(r.error).replace(/^/gm, '    ')}`);
    }
  });
  console.log(`browser: ${await context.browser()?.version?.() ?? 'chromium'} at ${url}, kms-wasm → ${entryUrl}`);
  const grep = process.env.PKG_TESTS_GREP ? `?grep=${encodeURIComponent(process.env.PKG_TESTS_GREP)}` : '';
  await page.goto(`${url}browser/index.html${grep}`);
  const handle = await page.waitForFunction(() => window.__kmsDone || window.__kmsFatal, null, { timeout: WATCHDOG_MS, polling: 250 });
  const outcome = await handle.jsonValue();
  if (typeof outcome === 'string') {
    failed += 1;
    console.log(`✘ browser › the suite did not run: ${outcome}`);
    for (const l of consoleLines) console.log(`    ${l}`);
  } else if (outcome.passed !== passed || outcome.failed !== failed) {
    failed += 1;
    console.log(`✘ browser › the page counted ${outcome.passed}/${outcome.failed} but reported ${passed}/${failed}`);
  }
  if (failed && consoleLines.length && typeof outcome !== 'string') {
    console.log('browser console:');
    for (const l of consoleLines.slice(-30)) console.log(`    ${l}`);
  }
} catch (err) {
  failed += 1;
  console.log(`✘ browser › ${err.stack || err}`);
} finally {
  await context?.close().catch(() => {});
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failed} failed`);
writeCounts(passed, failed);
process.exit(failed ? 1 : 0);
