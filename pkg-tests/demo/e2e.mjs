// End-to-end test of the web demo (www/) in Debian's headless Chromium,
// driven by playwright-core (never a downloaded browser):
//
//   KMS_WASM_WWW=/repo/www node demo/e2e.mjs <app-dir> [counts-file]
//
// <app-dir> holds node_modules/kms-wasm (pkg-tests/run.sh's temp project,
// where the package is installed from its tarball); the page is served by
// www/serve.mjs exactly as `make demo` serves it. Through the page only
// (clicks, inputs, downloads): create a key with an alias; encrypt a 20 MiB
// file; reload; decrypt it and compare the bytes; a mismatched required
// encryption context; rotate, and the old file still decrypts; disable the
// key and see DisabledException; schedule deletion and see the alarm event;
// the audit table lists those calls and its chain verifies; no horizontal
// overflow at 390 px. Screenshots of each view (desktop and phone) go to
// test-artifacts/demo/ (KMS_WASM_ARTIFACTS to change).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const appDir = resolve(process.argv[2] || '.');
const countsFile = process.argv[3];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const www = resolve(process.env.KMS_WASM_WWW || join(HERE, '..', '..', 'www'));
const pkgDir = join(appDir, 'node_modules', 'kms-wasm');
const artifacts = resolve(process.env.KMS_WASM_ARTIFACTS || join(www, '..', 'test-artifacts', 'demo'));
const SIZE = 20 << 20;
const only = process.env.PKG_TESTS_GREP;

let passed = 0;
let failed = 0;
const writeCounts = () => { if (countsFile) writeFileSync(countsFile, `${JSON.stringify({ passed, failed })}\n`); };
function bail(message) {
  console.log(`✘ demo › ${message}`);
  failed += 1;
  writeCounts();
  process.exit(1);
}

if (!existsSync(join(www, 'serve.mjs'))) bail(`no demo at ${www} (set KMS_WASM_WWW to the repository's www/ folder)`);
if (!existsSync(join(pkgDir, 'package.json'))) bail(`kms-wasm is not installed in ${appDir}/node_modules`);
if (!existsSync(executablePath)) bail(`${executablePath} not found (apt-get install -y --no-install-recommends chromium)`);

const NAMES = [
  'the page loads the packed package and opens its IndexedDB store',
  'create a key with an alias and a description',
  'encrypt a 20 MiB file: streamed, with progress and throughput, downloadable',
  'after a reload the key is still there, and the file decrypts to the same bytes',
  'a required encryption context that does not match is refused, in the page',
  'rotate: the old file still decrypts (backing key v1 of 2), new files use v2',
  'a 256 MiB file made in the page: encrypted and decrypted through the origin private file system',
  'disable the key: decrypting shows DisabledException in the page',
  'schedule deletion: a use attempt raises the alarm event, live',
  'time travel: a year later the key has rotated by itself (KMS CMK Rotation event)',
  'the audit table lists those calls, filters them, and its chain verifies',
  'phone width (390 px): every view fits without horizontal scrolling',
  'no uncaught page errors and no Content-Security-Policy violations',
];
if (only && !NAMES.some((n) => `demo web page › ${n}`.includes(only))) {
  console.log(`demo: skipped (PKG_TESTS_GREP=${only})`);
  writeCounts();
  process.exit(0);
}

const { startDemoServer } = await import(pathToFileURL(join(www, 'serve.mjs')).href);
const demo = await startDemoServer({ www, pkgDir, port: 0 });
const profile = mkdtempSync(join(tmpdir(), 'kms-wasm-demo-chromium-'));
const scratch = mkdtempSync(join(tmpdir(), 'kms-wasm-demo-files-'));
mkdirSync(artifacts, { recursive: true });
for (const f of readdirSync(artifacts)) if (f.endsWith('.png')) rmSync(join(artifacts, f));

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1366, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] || (await context.newPage());
page.setDefaultTimeout(30_000);
const problems = [];
page.on('pageerror', (e) => problems.push(`[pageerror] ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`[console.error] ${m.text()}`); });
page.on('response', (r) => { if (r.status() >= 400) problems.push(`[http ${r.status()}] ${r.url()}`); });

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const plaintext = randomBytes(SIZE);
const plainHash = sha256(plaintext);
const plainPath = join(scratch, 'quarterly-report.bin');
writeFileSync(plainPath, plaintext);
const ALIAS = 'alias/e2e-reports';
let keyArn;
let encPath;

async function ready() {
  await page.waitForFunction(() => document.body.dataset.ready !== 'false', null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', `the page did not start: ${await page.textContent('#boot-status')}`);
}
async function view(name) {
  // A click that lands while the page re-renders (a busy machine) can be
  // lost: click again until the view shows, for as long as one wait allowed.
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.click(`#tab-${name}`);
    try {
      await page.waitForSelector(`#view-${name}:not([hidden])`, { timeout: 3_000 });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
}
async function dismissToasts() {
  await page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => t.remove()));
}
async function shot(name, fullPage = true) {
  await page.evaluate(() => { document.activeElement?.blur(); if (!document.querySelector('.toast')) window.scrollTo(0, 0); });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage });
}
async function download(selector, path) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  await dl.saveAs(path);
  return readFileSync(path);
}
async function selectKeyRow() {
  await view('keys');
  await page.click(`tr[data-alias="${ALIAS}"]`);
  await page.waitForSelector(`#key-detail [data-role=detail-title]:has-text("${ALIAS}")`);
}
async function decrypt() {
  await page.click('#dec-go');
  await page.waitForSelector('#dec-result:not([hidden])', { timeout: 60_000 });
  return page.getAttribute('#dec-result', 'class');
}
async function overflow() {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth, body: document.body.scrollWidth }));
}

let stop = false;
const INDEPENDENT = new Set([11, 12]); // run even after an earlier failure
async function test(index, fn) {
  const name = NAMES[index];
  if (stop && !INDEPENDENT.has(index)) {
    failed += 1;
    console.log(`✘ demo web page › ${name} (not run: an earlier step failed)`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`✔ demo web page › ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed += 1;
    stop = true;
    await page.screenshot({ path: join(artifacts, `failure-${index + 1}.png`), fullPage: true }).catch(() => {});
    console.log(`✘ demo web page › ${name} (${Date.now() - t0} ms)\n${String(e.stack || e).replace(/^/gm, '    ')}`);
    if (problems.length) console.log(problems.map((p) => `    ${p}`).join('\n'));
  }
}

const started = Date.now();
try {
  await test(0, async () => {
    await page.goto(demo.url);
    await ready();
    const entry = await page.evaluate(() => JSON.parse(document.querySelector('script[type=importmap]').textContent).imports['kms-wasm']);
    assert.equal(entry, demo.entryUrl);
    assert.match(await page.textContent('.topbar'), /kms-wasm-demo/);
    assert.ok(await page.isVisible('#keys-empty'), 'a fresh profile has no keys');
    await shot('desktop-start');
  });

  await test(1, async () => {
    await page.fill('#new-alias', ALIAS.replace('alias/', ''));
    await page.fill('#new-description', 'Quarterly reports (e2e)');
    await page.click('#create-key-form button[type=submit]');
    const row = page.locator(`tr[data-alias="${ALIAS}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /Quarterly reports \(e2e\)/);
    assert.equal(await row.locator('[data-state]').getAttribute('data-state'), 'Enabled');
    assert.match(await row.textContent(), /AWS_KMS/);
    keyArn = await page.textContent('#key-detail .arn');
    assert.match(keyArn, /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/);
    // Tags and automatic rotation, through the detail panel.
    await page.click('[data-role=tag-add]');
    await page.fill('[data-role=tag-key]', 'team');
    await page.fill('[data-role=tag-value]', 'finance');
    await page.click('[data-action=save-tags]');
    await page.waitForFunction(() => document.querySelector('[data-role=tag-key]')?.value === 'team' && !document.querySelector('[data-action=save-tags]').disabled);
    await page.fill('#rotation-period', '180');
    await page.click('[data-action=enable-rotation]');
    await page.waitForSelector('[data-role=rotation-status]:has-text("every 180 days")');
    const row2 = await page.locator(`tr[data-alias="${ALIAS}"]`).textContent();
    assert.match(row2, /Every 180 days/);
  });

  await test(2, async () => {
    await view('files');
    await page.selectOption('#enc-key', { label: ALIAS });
    await page.click('[data-role=enc-context-add]');
    await page.locator('[data-role=enc-context-key]').last().fill('project');
    await page.locator('[data-role=enc-context-value]').last().fill('apollo');
    await page.setInputFiles('#enc-file', plainPath);
    await page.waitForSelector('#enc-file-label:has-text("quarterly-report.bin")');
    const t0 = Date.now();
    await page.click('#enc-go');
    await page.waitForSelector('#enc-result.ok', { timeout: 60_000 });
    const ms = Date.now() - t0;
    const progress = await page.textContent('#enc-progress .progress-text');
    assert.match(progress, /20\.0 MiB in .* · [\d.]+ MB\/s/);
    console.log(`  encrypt 20 MiB: ${progress} (${ms} ms around the click)`);
    encPath = join(scratch, 'quarterly-report.bin.encrypted');
    const message = await download('#enc-download', encPath);
    assert.ok(message.length > SIZE, 'the message is larger than the plaintext');
    assert.deepEqual([...message.subarray(0, 3)], [0x02, 0x04, 0x78], 'an ESDK v2 message, suite 0x0478');
    assert.equal(await page.textContent('[data-role=diagram-arn]'), keyArn);
    assert.match(await page.textContent('[data-role=diagram-version]'), /backing key v1 of 1/);
    assert.match(await page.textContent('[data-role=diagram-edks]'), /aws-kms/);
  });

  await test(3, async () => {
    await page.reload();
    await ready();
    assert.ok(await page.isVisible('#view-files'), 'the view survives the reload (#files)');
    assert.ok((await page.locator('#enc-key option', { hasText: ALIAS }).count()) === 1, 'the key survives the reload');
    await page.setInputFiles('#dec-file', encPath);
    const cls = await decrypt();
    assert.match(cls, /\bok\b/, await page.textContent('#dec-result'));
    const ctx = await page.textContent('[data-role=dec-header-context]');
    assert.match(ctx, /project = apollo/);
    assert.match(ctx, /purpose = demo/);
    const progress = await page.textContent('#dec-progress .progress-text');
    console.log(`  decrypt after reload: ${progress}`);
    const back = await download('#dec-download', join(scratch, 'back-1.bin'));
    assert.equal(back.length, SIZE);
    assert.equal(sha256(back), plainHash, 'the decrypted bytes are the original bytes');
  });

  await test(4, async () => {
    await page.click('[data-role=dec-context-add]');
    await page.fill('[data-role=dec-context-key]', 'project');
    await page.fill('[data-role=dec-context-value]', 'zeus');
    const cls = await decrypt();
    assert.match(cls, /\bfailed\b/);
    const text = await page.textContent('#dec-result');
    assert.match(text, /EncryptionContextError/);
    assert.match(text, /project/);
    assert.equal(await page.locator('#dec-result .chip.mismatch').count(), 1, 'the mismatched pair is marked');
    assert.ok(await page.isVisible('.toast.error:has-text("EncryptionContextError")'), 'an error toast');
    assert.equal(await page.locator('#dec-download').count(), 0, 'nothing to download');
    await shot('desktop-files-context-mismatch', false);
    await page.click('#dec-context .pair .icon-button'); // remove the required pair
    await dismissToasts();
  });

  await test(5, async () => {
    await selectKeyRow();
    await page.click('[data-action=rotate]');
    await page.waitForFunction(() => document.querySelectorAll('[data-role=versions] li').length === 2);
    assert.match(await page.textContent(`tr[data-alias="${ALIAS}"]`), /2 versions/);
    await dismissToasts();
    await shot('desktop-keys');
    await view('files');
    const cls = await decrypt();
    assert.match(cls, /\bok\b/, await page.textContent('#dec-result'));
    assert.match(await page.textContent('[data-role=diagram-version]'), /backing key v1 of 2/);
    const back = await download('#dec-download', join(scratch, 'back-2.bin'));
    assert.equal(sha256(back), plainHash, 'the old file decrypts to the same bytes after the rotation');
    // A new message is wrapped under the new version.
    await page.setInputFiles('#enc-file', plainPath);
    await page.click('#enc-go');
    await page.waitForSelector('#enc-result.ok', { timeout: 60_000 });
    assert.match(await page.textContent('[data-role=diagram-version]'), /backing key v2 of 2/);
    await dismissToasts();
    await shot('desktop-files');
  });

  await test(6, async () => {
    await page.click('[data-generate="256"]');
    await page.waitForSelector('#enc-file-label:has-text("random-256MiB.bin")', { timeout: 60_000 });
    await page.click('#enc-go');
    await page.waitForSelector('#enc-result.ok', { timeout: 120_000 });
    assert.match(await page.textContent('#enc-result'), /kept on disk/);
    console.log(`  encrypt 256 MiB: ${await page.textContent('#enc-progress .progress-text')}`);
    await page.click('#enc-result button:has-text("Decrypt it")');
    await page.waitForSelector('#dec-file-label:has-text("random-256MiB.bin.encrypted")');
    assert.match(await decrypt(), /\bok\b/, await page.textContent('#dec-result'));
    assert.match(await page.textContent('#dec-result'), /256 MiB · every frame authenticated.*kept on disk/);
    console.log(`  decrypt 256 MiB: ${await page.textContent('#dec-progress .progress-text')}`);
    await page.setInputFiles('#dec-file', encPath); // back to the 20 MiB message for the next steps
    await dismissToasts();
  });

  await test(7, async () => {
    await selectKeyRow();
    await page.click('[data-action=disable]');
    await page.waitForSelector(`tr[data-alias="${ALIAS}"] [data-state=Disabled]`);
    await view('files');
    const cls = await decrypt();
    assert.match(cls, /\bfailed\b/);
    assert.match(await page.textContent('#dec-result .error-name'), /^DisabledException$/);
    assert.match(await page.textContent('#dec-result'), /is disabled/);
    assert.ok(await page.isVisible('.toast.error:has-text("DisabledException")'), 'an error toast names DisabledException');
    await shot('desktop-files-disabled', false);
    await dismissToasts();
  });

  await test(8, async () => {
    await selectKeyRow();
    await page.fill('#deletion-days', '7');
    await page.click('[data-action=schedule-deletion]');
    await page.click('[data-action=confirm-deletion]');
    await page.waitForSelector(`tr[data-alias="${ALIAS}"] [data-state=PendingDeletion]`);
    await view('files');
    await decrypt();
    assert.match(await page.textContent('#dec-result .error-name'), /^KMSInvalidStateException$/);
    await view('events');
    const event = page.locator('li.event[data-type="KMS CMK Pending Deletion Use Attempt"]');
    await event.first().waitFor();
    assert.match(await event.first().textContent(), /Decrypt/);
    await selectKeyRow();
    await page.click('[data-action=cancel-deletion]');
    await page.waitForSelector(`tr[data-alias="${ALIAS}"] [data-state=Disabled]`);
  });

  await test(9, async () => {
    await page.click('[data-action=enable]');
    await page.waitForSelector(`tr[data-alias="${ALIAS}"] [data-state=Enabled]`);
    await view('events');
    await page.click('[data-advance-days="365"]');
    await page.locator('li.event[data-type="KMS CMK Rotation"]').first().waitFor();
    assert.ok(await page.isVisible('#clock-chip'), 'the header shows that the clock runs ahead');
    await selectKeyRow();
    const versions = await page.locator('[data-role=versions] li').count();
    assert.ok(versions >= 3, `rotated automatically (${versions} versions)`);
    assert.match(await page.textContent('[data-role=versions]'), /rotated automatically/);
    await dismissToasts();
    await view('events');
    await shot('desktop-events');
  });

  await test(10, async () => {
    await view('audit');
    // The view reads the log again when shown: wait for the records of the time travel.
    await page.waitForSelector('#audit-body tr[data-event=RotateKey]');
    const events = await page.$$eval('#audit-body tr', (rows) => rows.map((r) => [r.dataset.event, r.dataset.error]));
    const has = (name, error = '') => events.some(([e, err]) => e === name && err === error);
    for (const name of ['CreateKey', 'CreateAlias', 'TagResource', 'EnableKeyRotation', 'GenerateDataKey', 'Decrypt', 'RotateKeyOnDemand',
      'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'EnableKey', 'RotateKey']) {
      assert.ok(has(name), `the audit table lists ${name}`);
    }
    assert.ok(has('Decrypt', 'DisabledException'), 'the refused Decrypt is listed with DisabledException');
    assert.ok(has('Decrypt', 'KMSInvalidStateException'), 'the Decrypt on a key pending deletion is listed');
    const disableRow = await page.textContent('#audit-body tr[data-event=DisableKey]');
    assert.match(disableRow, /arn:aws:iam::111122223333:root/, 'who');
    assert.match(disableRow, new RegExp(ALIAS), 'which key');
    assert.match(await page.textContent('#audit-body tr[data-event=RotateKey]'), /kms\.amazonaws\.com \(service\)/, 'automatic rotation is a service event');
    await page.check('#audit-errors');
    const errors = await page.$$eval('#audit-body tr', (rows) => rows.map((r) => r.dataset.error));
    assert.ok(errors.length >= 2 && errors.every(Boolean), 'errors only');
    await page.uncheck('#audit-errors');
    await page.selectOption('#audit-event', 'RotateKeyOnDemand');
    assert.equal(await page.locator('#audit-body tr').count(), 1);
    await page.selectOption('#audit-event', '');
    await page.fill('#audit-search', 'DisabledException');
    assert.ok((await page.locator('#audit-body tr').count()) >= 1);
    await page.fill('#audit-search', '');
    await page.click('#audit-verify');
    await page.waitForSelector('#audit-chain:has-text("Hash chain intact")');
    await dismissToasts();
    await shot('desktop-audit');
    const o = await overflow();
    assert.ok(o.scroll <= o.width, `no horizontal overflow on the desktop (${o.scroll} > ${o.width})`);
  });

  await test(11, async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const name of ['keys', 'files', 'audit', 'events']) {
      await view(name);
      await page.waitForTimeout(150);
      const o = await overflow();
      assert.ok(o.scroll <= o.width && o.body <= o.width, `${name}: no horizontal overflow at 390 px (scrollWidth ${o.scroll}, body ${o.body}, width ${o.width})`);
      await dismissToasts();
      await shot(`phone-${name}`, false);
      await shot(`phone-${name}-full`);
    }
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  await test(12, async () => {
    assert.deepEqual(problems, []);
  });
} catch (e) {
  failed += 1;
  console.log(`✘ demo web page: ${e.stack || e}`);
} finally {
  await context.close().catch(() => {});
  await demo.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`demo web page: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
writeCounts();
process.exit(failed ? 1 : 0);
