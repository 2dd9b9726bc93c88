// IndexedDB store tests across tabs and browser restarts, driven by
// playwright-core with Debian's Chromium:
//   node browser/idb-run.mjs <app-dir> <counts-file>
// - two tabs (pages of one context, same origin) doing 500 alias/tag
//   updates each on one store lose none, and their audit log is one chain;
//   each catches up with the other's commits from the changes log;
//   the other tab hears of commits through the BroadcastChannel;
// - a key and its ciphertexts survive a page reload and a full browser
//   restart with the same profile (launchPersistentContext, closed and
//   launched again), and the sealing CryptoKey stays non-extractable.
import { writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = resolve(process.argv[2] || '.');
const countsFile = process.argv[3];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const N = Number(process.env.CONCURRENCY_UPDATES || 500);
const only = process.env.PKG_TESTS_GREP;
let passed = 0;
let failed = 0;

if (!existsSync(executablePath)) {
  console.error(`browser: ${executablePath} not found`);
  if (countsFile) writeFileSync(countsFile, `${JSON.stringify({ passed: 0, failed: 1 })}\n`);
  process.exit(1);
}

const { server, url } = await serve(root);
const profile = mkdtempSync(join(tmpdir(), 'kms-wasm-chromium-idb-'));
const launch = () => chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
});

async function open(context) {
  const page = await context.newPage();
  const lines = [];
  page.on('console', (m) => lines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  page.lines = lines;
  await page.goto(`${url}browser/idb.html`);
  await page.waitForFunction(() => window.idbTabs || window.idbTabsError, null, { timeout: 60_000 });
  const err = await page.evaluate(() => window.idbTabsError);
  if (err) throw new Error(`the page did not load: ${err}`);
  return page;
}

async function test(name, fn) {
  const full = `indexedDB across tabs and restarts › ${name}`;
  if (only && !full.includes(only)) return;
  const t0 = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`✔ browser › ${full} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`✘ browser › ${full} (${Date.now() - t0} ms)\n${String(e.stack || e).replace(/^/gm, '    ')}`);
  }
}

let context = await launch();
try {
  await test(`two tabs doing ${N} alias/tag updates each on one store lose none`, async () => {
    const [a, b] = [await open(context), await open(context)];
    const name = 'tabs';
    await a.evaluate((n) => window.idbTabs.setup(n, 20), name);
    const [{ ms: msA, reloads: reloadsA }, { ms: msB, reloads: reloadsB }] = await Promise.all([
      a.evaluate(([n, k]) => window.idbTabs.writer(n, 'A', k), [name, N]),
      b.evaluate(([n, k]) => window.idbTabs.writer(n, 'B', k), [name, N]),
    ]);
    const inv = await a.evaluate((n) => window.idbTabs.inventory(n), name);
    const aliases = new Set(inv.aliases);
    for (const who of ['A', 'B']) {
      for (let i = 0; i < N; i += 2) assert.ok(aliases.has(`alias/${who}-${i}`), `alias/${who}-${i}`);
      for (let k = 0; k < 20; k++) {
        const last = [...Array(N).keys()].filter((i) => i % 2 === 1 && i % 20 === k).pop();
        if (last !== undefined) assert.equal(inv.tags[k][who], String(last), `tag ${who} of key ${k}`);
      }
    }
    assert.equal(inv.aliases.length, N);
    assert.equal(inv.counts.CreateAlias, N);
    assert.equal(inv.counts.TagResource, N);
    assert.equal(inv.counts.Encrypt, 2 * Math.ceil(N / 10));
    assert.deepEqual(inv.verification, { valid: true, firstInvalidIndex: null });
    // Each tab catches up with the other's commits from the changes log (it keeps 128), not by reading every record.
    assert.ok(reloadsA + reloadsB <= 2, `every record read again ${reloadsA} + ${reloadsB} times`);
    console.log(`  tabs: A ${msA} ms, B ${msB} ms for ${N} updates each (${Math.round((2 * N * 1000) / Math.max(msA, msB))} updates/s together); every record read again: A ${reloadsA}, B ${reloadsB} times`);
    await a.close();
    await b.close();
  });

  await test('another tab hears of a commit through the BroadcastChannel', async () => {
    const [a, b] = [await open(context), await open(context)];
    await b.evaluate(() => window.idbTabs.listen('tabs'));
    await a.evaluate(() => window.idbTabs.touch('tabs'));
    await b.waitForFunction(() => window.changes > 0, null, { timeout: 10_000 });
    await b.evaluate(() => window.idbTabs.stopListening());
    await a.close();
    await b.close();
  });

  let made;
  await test('a key and its ciphertexts survive a page reload', async () => {
    const page = await open(context);
    made = await page.evaluate(() => window.idbTabs.makeKey('restart'));
    await page.reload();
    await page.waitForFunction(() => window.idbTabs || window.idbTabsError);
    const r = await page.evaluate(([id, blob]) => window.idbTabs.useKey('restart', id, blob), [made.keyId, made.blob]);
    assert.equal(r.plaintext, 'still here');
    assert.equal(r.description, 'survives restarts');
    assert.equal(r.back, 'again');
    assert.deepEqual(r.verification, { valid: true, firstInvalidIndex: null });
    assert.equal(r.extractable, false);
    assert.equal(r.exportRefused, true);
    await page.close();
  });

  await test('a key and its ciphertexts survive a full browser restart with the same profile', async () => {
    assert.ok(made, 'the reload test made the key');
    await context.close();
    for (let restart = 1; restart <= 2; restart++) {
      context = await launch();
      const page = await open(context);
      const r = await page.evaluate(([id, blob]) => window.idbTabs.useKey('restart', id, blob), [made.keyId, made.blob]);
      assert.equal(r.plaintext, 'still here', `restart ${restart}`);
      assert.equal(r.description, 'survives restarts');
      assert.equal(r.back, 'again');
      assert.deepEqual(r.verification, { valid: true, firstInvalidIndex: null });
      assert.equal(r.extractable, false, 'the CryptoKey is still non-extractable');
      assert.equal(r.exportRefused, true);
      assert.ok(r.records >= 4 + 3 * restart, `the audit log grew across restarts (${r.records} records)`);
      await page.close();
      if (restart === 1) await context.close();
    }
  });
} catch (e) {
  failed += 1;
  console.log(`✘ browser › indexedDB across tabs and restarts: ${e.stack || e}`);
} finally {
  await context?.close().catch(() => {});
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`browser (tabs and restarts): ${passed} passed, ${failed} failed`);
if (countsFile) writeFileSync(countsFile, `${JSON.stringify({ passed, failed })}\n`);
process.exit(failed ? 1 : 0);
