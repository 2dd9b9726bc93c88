// Envelope encryption throughput (imported by bench.mjs; BENCH_ONLY=envelope
// runs only this, BENCH_SKIP_ENVELOPE=1 skips it). One process, same run:
// kms-wasm encryptMessage/decryptMessage on node:crypto frames and on the
// pure-wasm path, next to raw node:crypto AES-256-GCM (one shot),
// @aws-crypto/client-node (0x0478, its default 4 KiB frames and 64 KiB) and
// @noble/ciphers gcm (one shot). MB/s = 10^6 bytes of plaintext per second,
// best of several rounds.
//
// First, the frame-length table (measureFrameLengths): 16 MiB through
// encryptMessage / decryptMessage with DEFAULT options and with 4, 16, 64 KiB
// and 1 MiB frames, next to raw node:crypto AES-256-GCM over the same 16 MiB
// (one shot, and one cipher fed 64 KiB chunks), in interleaved rounds; each
// case's ratio to raw is taken per round (raw ran in the same round) and the
// median of those is printed with its spread. Then the memory a stream holds
// per frame length. These lines are printed, never asserted.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import * as nodeCrypto from 'node:crypto';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG_TESTS = path.resolve(HERE, '..');

async function load(name, subpath = name) {
  for (const from of [path.join(PKG_TESTS, '.work', 'app'), PKG_TESTS]) {
    if (!existsSync(path.join(from, 'node_modules', name))) continue;
    const require = createRequire(path.join(from, 'package.json'));
    try {
      return await import(pathToFileURL(require.resolve(subpath)).href);
    } catch {
      // try the next place
    }
  }
  return null;
}

async function best(fn, rounds) {
  await fn();
  let b = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    b = Math.min(b, performance.now() - t);
  }
  return b / 1000;
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const spreadOf = (a) => (Math.max(...a) - Math.min(...a)) / median(a);
const pct = (x) => `±${Math.round(x * 100)}%`;

export const FRAME_LENGTHS = [4096, 16384, 65536, 1 << 20];
const kib = (n) => (n >= 1 << 20 ? `${n >> 20} MiB` : `${n >> 10} KiB`);

/**
 * 16 MiB, interleaved rounds: raw node:crypto AES-256-GCM (one shot; one
 * cipher over 64 KiB chunks) and encryptMessage / decryptMessage with default
 * options and each frame length. Returns the lines and the default's ratios.
 */
export async function measureFrameLengths(kmsPkg, { rounds = Number(process.env.BENCH_ENVELOPE_ROUNDS) || 9, size = 16 << 20 } = {}) {
  const lines = [];
  const wrappingKey = nodeCrypto.randomBytes(32);
  const keyring = kmsPkg.rawAesKeyring({ keyNamespace: 'bench', keyName: 'k', wrappingKey });
  const pt = nodeCrypto.randomBytes(size);
  const key = nodeCrypto.randomBytes(32), iv = nodeCrypto.randomBytes(12);
  let sealed, tag;
  const cases = [];
  const add = (name, dir, fn) => cases.push({ name, dir, fn, t: [] });
  add('raw', 'enc', () => { const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv); sealed = c.update(pt); c.final(); tag = c.getAuthTag(); });
  add('raw', 'dec', () => { const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(tag); d.update(sealed); d.final(); });
  add('raw64', 'enc', () => {
    const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv); const out = [];
    for (let i = 0; i < size; i += 65536) out.push(c.update(pt.subarray(i, i + 65536)));
    c.final(); c.getAuthTag(); return Buffer.concat(out);
  });
  add('raw64', 'dec', () => {
    const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(tag); const out = [];
    for (let i = 0; i < size; i += 65536) out.push(d.update(sealed.subarray(i, i + 65536)));
    d.final(); return Buffer.concat(out);
  });
  let defaultFrameLength;
  for (const fl of ['default', ...FRAME_LENGTHS]) {
    const opts = fl === 'default' ? { keyring } : { keyring, frameLength: fl };
    const first = await kmsPkg.encryptMessage(pt, opts);
    if (fl === 'default') defaultFrameLength = first.messageHeader.frameLength;
    const message = first.result;
    if (!same((await kmsPkg.decryptMessage(message, { keyring })).plaintext, pt)) throw new Error(`envelope round trip (frame ${fl}) gave other bytes`);
    add(fl, 'enc', async () => { await kmsPkg.encryptMessage(pt, opts); });
    add(fl, 'dec', async () => { const o = await kmsPkg.decryptMessage(message, { keyring }); if (o.plaintext.length !== size) throw new Error('wrong length'); });
  }
  for (const c of cases) await c.fn(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) { const t = performance.now(); await c.fn(); c.t.push(performance.now() - t); }
  }
  const find = (name, dir) => cases.find((c) => c.name === name && c.dir === dir);
  const mbs = (c) => size / 1e3 / median(c.t);
  const ratios = (c, base) => c.t.map((t, i) => find(base, c.dir).t[i] / t);
  lines.push(`\nenvelope, ${size >> 20} MiB, node:crypto frames, ${rounds} interleaved rounds (median MB/s ±spread; ratio = raw time / our time in the same round, median ±spread):`);
  lines.push(`  ${'case'.padEnd(30)} ${'encrypt MB/s'.padStart(16)} ${'decrypt MB/s'.padStart(16)} ${'enc / raw'.padStart(14)} ${'dec / raw'.padStart(14)} ${'enc / raw 64K'.padStart(14)} ${'dec / raw 64K'.padStart(14)}`);
  const fmt = (c) => `${Math.round(mbs(c)).toString().padStart(6)} ${pct(spreadOf(c.t)).padStart(6)}`.padStart(16);
  const fr = (a) => `${median(a).toFixed(2)}× ${pct(spreadOf(a))}`.padStart(14);
  const result = {};
  for (const name of ['raw', 'raw64', 'default', ...FRAME_LENGTHS]) {
    const e = find(name, 'enc'), d = find(name, 'dec');
    const label = name === 'raw' ? 'raw node:crypto (one shot)' : name === 'raw64' ? 'raw node:crypto (64 KiB chunks)'
      : name === 'default' ? `kms-wasm default (${kib(defaultFrameLength)})` : `kms-wasm frameLength ${kib(name)}`;
    const re = ratios(e, 'raw'), rd = ratios(d, 'raw');
    result[name] = { e: median(re), d: median(rd) };
    lines.push(`  ${label.padEnd(30)} ${fmt(e)} ${fmt(d)} ${fr(re)} ${fr(rd)} ${fr(ratios(e, 'raw64'))} ${fr(ratios(d, 'raw64'))}`);
  }
  const goal = (x) => (x >= 0.5 ? 'met' : 'NOT met');
  lines.push(`  → encryptMessage / decryptMessage of ${size >> 20} MiB with default options (frameLength ${defaultFrameLength}) vs raw node:crypto AES-256-GCM: ` +
    `${result.default.e.toFixed(2)}× / ${result.default.d.toFixed(2)}× (goal ≥ 0.5×: ${goal(result.default.e)} / ${goal(result.default.d)})`);
  return { lines, defaultFrameLength, ratios: result };
}

/**
 * What a stream holds: 16 pipes encryptStream -> decryptStream running at
 * once, each of 4 MiB in 16 KiB writes, per frame length, each frame length
 * in a fresh Node process (the wasm memory never shrinks, so one process
 * would charge its growth to whichever case ran first). Every 256 KiB a full
 * GC runs and process.memoryUsage().external (ArrayBuffers and the wasm
 * memory) is read; the peak above the value before, divided by the number
 * of pipes, is what one pipe keeps alive (many pipes make it stand out of
 * the GC noise). `entryFile`: the package entry the bench loaded.
 */
export async function measureStreamMemory(entryFile, { size = 4 << 20, chunk = 16384, streams = 16 } = {}) {
  const lines = [`\nenvelope streams: memory kept alive per encryptStream -> decryptStream pipe (${streams} pipes at once, ${size >> 20} MiB each in ${chunk >> 10} KiB writes; peak after GC / ${streams}; a fresh process per row):`];
  if (!entryFile) return [...lines, '  skipped: the package entry is unknown'];
  const { spawnSync } = await import('node:child_process');
  const here = fileURLToPath(import.meta.url);
  let dflt;
  for (const fl of ['identity', 'default', ...FRAME_LENGTHS]) {
    const r = spawnSync(process.execPath, ['--expose-gc', here, '--stream-memory-child', pathToFileURL(entryFile).href, String(fl), String(size), String(chunk), String(streams)],
      { encoding: 'utf8', timeout: 300_000 });
    const m = r.status === 0 && /^RESULT (.*)$/m.exec(r.stdout);
    if (!m) { lines.push(`  ${String(fl).padEnd(30)} failed: ${(r.stderr || r.error || '').toString().trim().split('\n').pop()}`); continue; }
    const { perPipe, frameLength } = JSON.parse(m[1]);
    if (fl === 'default') { dflt = frameLength; continue; }
    const label = fl === 'identity' ? 'identity transforms' : `frameLength ${kib(fl)}${fl === dflt ? ' (default)' : ''}`;
    lines.push(`  ${label.padEnd(30)} ${(perPipe / 1024).toFixed(0).padStart(6)} KiB per pipe`);
  }
  lines.push('  (identity transforms: the same pipes through two copying TransformStreams without kms-wasm, the floor of this measurement;',
    '   by design encryptStream holds at most one frame of plaintext, decryptStream one frame being gathered and the final frame\'s plaintext)');
  return lines;
}

/** The child of measureStreamMemory: one frame length, prints `RESULT {json}`. */
async function streamMemoryChild([entryUrl, flArg, sizeArg, chunkArg, streamsArg]) {
  const kmsPkg = await import(entryUrl);
  const size = Number(sizeArg), chunk = Number(chunkArg), streams = Number(streamsArg);
  const fl = flArg === 'identity' || flArg === 'default' ? flArg : Number(flArg);
  const keyring = kmsPkg.rawAesKeyring({ keyNamespace: 'bench', keyName: 'k', wrappingKey: nodeCrypto.randomBytes(32) });
  const opts = fl === 'default' ? { keyring } : { keyring, frameLength: fl };
  await kmsPkg.decryptMessage((await kmsPkg.encryptMessage('x', { keyring })).result, { keyring }); // the wasm is up
  const ext = () => { globalThis.gc(); return process.memoryUsage().external; };
  const identity = () => new TransformStream({ transform(c, ctl) { ctl.enqueue(Uint8Array.from(c)); } });
  const block = nodeCrypto.randomBytes(chunk);
  const base = ext();
  let peak = 0, frameLength = 0;
  const pipe = async (i) => {
    let got = 0, sent = 0, next = 0;
    const src = new ReadableStream({
      pull(c) { if (sent >= size) { c.close(); return; } c.enqueue(block); sent += chunk; },
    }, { highWaterMark: 0 });
    const enc = fl === 'identity' ? identity() : kmsPkg.encryptStream(opts);
    if (enc.messageHeader) enc.messageHeader.then((h) => { frameLength = h.frameLength; });
    for await (const c of src.pipeThrough(enc).pipeThrough(fl === 'identity' ? identity() : kmsPkg.decryptStream({ keyring }))) {
      got += c.length;
      if (i === 0 && got >= next) { peak = Math.max(peak, ext() - base); next += 256 << 10; }
    }
    if (got !== size) throw new Error(`stream gave ${got} bytes, not ${size}`);
  };
  await Promise.all(Array.from({ length: streams }, (_, i) => pipe(i)));
  console.log(`RESULT ${JSON.stringify({ perPipe: peak / streams, frameLength })}`);
}

if (process.argv[2] === '--stream-memory-child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await streamMemoryChild(process.argv.slice(3));
}

const same = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export async function measureEnvelope({ kmsPkg, openChromium, entryFile }) {
  if (typeof kmsPkg.encryptMessage !== 'function') return ['\nenvelope encryption: skipped: this package has no encryptMessage'];
  const { lines: frameLines } = await measureFrameLengths(kmsPkg);
  const lines = [...frameLines, ...(await measureStreamMemory(entryFile))];
  lines.push('\nenvelope encryption (AWS Encryption SDK message format), MB/s of plaintext, best of N rounds, encrypt / decrypt:');
  const esdkMod = await load('@aws-crypto/client-node');
  const esdkLib = esdkMod && (esdkMod.default || esdkMod);
  const noble = await load('@noble/ciphers', '@noble/ciphers/aes.js');
  const wrappingKey = nodeCrypto.randomBytes(32);
  const keyring = kmsPkg.rawAesKeyring({ keyNamespace: 'bench', keyName: 'k', wrappingKey });
  let esdk = null;
  if (esdkLib) {
    const { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } = esdkLib;
    const ring = new RawAesKeyringNode({ keyNamespace: 'bench', keyName: 'k', unencryptedMasterKey: new Uint8Array(wrappingKey), wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING, utf8Sorting: true });
    esdk = { ...buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT), ring };
  } else {
    lines.push('  note: @aws-crypto/client-node not installed (run pkg-tests/run.sh once): its rows are skipped');
  }
  if (!noble) lines.push('  note: @noble/ciphers not installed (run pkg-tests/run.sh once): its rows are skipped');

  const summary = [];
  for (const size of [1 << 20, 64 << 20]) {
    const mb = size / 1e6;
    const rounds = size === 1 << 20 ? 9 : 2;
    const pt = nodeCrypto.randomBytes(size);
    const rows = [];
    const row = async (name, enc, dec, r = rounds) => {
      const e = mb / (await best(enc, r));
      const d = mb / (await best(dec, r));
      rows.push({ name, e, d });
      return { e, d };
    };
    // raw node:crypto, one shot
    const key = nodeCrypto.randomBytes(32), iv = nodeCrypto.randomBytes(12);
    let sealed, tag;
    const raw = await row('raw node:crypto AES-256-GCM (one shot)', () => {
      const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv); sealed = c.update(pt); c.final(); tag = c.getAuthTag();
    }, () => {
      const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(tag); d.update(sealed); d.final();
    });
    const ours = {};
    for (const [frameCipher, frameLength] of [['platform', undefined], ['platform', 65536], ['platform', 1 << 20], ['platform', 4096], ['wasm', 65536]]) {
      let message;
      const opts = { keyring, frameLength, frameCipher };
      const dopts = { keyring, frameCipher };
      const r = await row(`kms-wasm ${frameCipher === 'platform' ? 'node:crypto frames' : 'pure wasm       '} frame ${String(frameLength ?? 'default').padStart(7)}`,
        async () => { message = (await kmsPkg.encryptMessage(pt, opts)).result; },
        async () => { const out = await kmsPkg.decryptMessage(message, dopts); if (out.plaintext.length !== size) throw new Error('wrong length'); },
        frameCipher === 'wasm' && size > 1 << 20 ? 1 : rounds);
      if (!same((await kmsPkg.decryptMessage(message, dopts)).plaintext, pt)) throw new Error('envelope round trip gave other bytes');
      ours[`${frameCipher}${frameLength}`] = r;
    }
    let esdkRow = null;
    if (esdk) {
      for (const frameLength of [4096, 65536]) {
        let message;
        const r = await row(`@aws-crypto/client-node 0x0478 frame ${String(frameLength).padStart(7)}`,
          async () => { message = (await esdk.encrypt(esdk.ring, pt, { suiteId: 0x0478, frameLength })).result; },
          async () => { await esdk.decrypt(esdk.ring, message); }, Math.min(rounds, 3));
        if (frameLength === 4096) esdkRow = r;
      }
    }
    let nobleRow = null;
    if (noble) {
      let ct;
      nobleRow = await row('@noble/ciphers gcm (one shot)', () => { ct = noble.gcm(key, iv).encrypt(pt); }, () => { noble.gcm(key, iv).decrypt(ct); },
        size > 1 << 20 ? 1 : rounds);
    }
    lines.push(`  ${size >> 20} MiB:`);
    for (const { name, e, d } of rows) lines.push(`    ${name.padEnd(52)} ${Math.round(e).toString().padStart(6)} / ${Math.round(d).toString().padStart(6)}`);
    const best64 = ours.platform65536, best1m = ours.platform1048576;
    const top = { e: Math.max(best64.e, best1m.e), d: Math.max(best64.d, best1m.d) };
    const fx = (x) => x.toFixed(2) + '×';
    summary.push(`  ${size >> 20} MiB: kms-wasm (node:crypto frames, best of 64 KiB / 1 MiB frames) vs raw node:crypto ${fx(top.e / raw.e)} / ${fx(top.d / raw.d)}` +
      ` (frame 64 KiB ${fx(best64.e / raw.e)} / ${fx(best64.d / raw.d)}; frame 4 KiB ${fx(ours.platform4096.e / raw.e)} / ${fx(ours.platform4096.d / raw.d)})`);
    if (esdkRow) summary.push(`           vs @aws-crypto/client-node (its default 4 KiB frames): frame 64 KiB ${fx(best64.e / esdkRow.e)} / ${fx(best64.d / esdkRow.d)}, same 4 KiB frames ${fx(ours.platform4096.e / esdkRow.e)} / ${fx(ours.platform4096.d / esdkRow.d)}`);
    if (nobleRow) summary.push(`           pure-wasm path (frame 64 KiB) vs @noble/ciphers gcm: ${fx(ours.wasm65536.e / nobleRow.e)} / ${fx(ours.wasm65536.d / nobleRow.d)}`);
  }
  lines.push('  ratios (encrypt / decrypt; expected by the issue: ≥ 0.5× raw node:crypto, ≥ 5× the ESDK, pure wasm ≥ 1.5× noble):', ...summary);
  if (openChromium && process.env.BENCH_SKIP_BROWSER !== '1') lines.push(...(await measureInChromium(openChromium)));
  return lines;
}

/** The frame-length table of runFrames (bench/browser/envelope-bench.js). */
export function formatFrames({ size, rounds, defaults, rows }, where, rawName) {
  const lines = [`\n  ${where}: envelope, ${size >> 20} MiB, WebCrypto frames, ${rounds} interleaved rounds (median MB/s ±spread; ratio = raw time / our time in the same round, median ±spread):`];
  lines.push(`    ${'case'.padEnd(34)} ${'encrypt MB/s'.padStart(14)} ${'decrypt MB/s'.padStart(14)} ${'enc / raw'.padStart(14)} ${'dec / raw'.padStart(14)}`);
  const keyOf = (r) => `${r.pkg}|${r.frameLength}`;
  const seen = new Set();
  let def = null;
  for (const r of rows) {
    if (seen.has(keyOf(r))) continue;
    seen.add(keyOf(r));
    const e = rows.find((x) => keyOf(x) === keyOf(r) && x.dir === 'enc'), d = rows.find((x) => keyOf(x) === keyOf(r) && x.dir === 'dec');
    const mbs = (x) => `${Math.round(size / 1e3 / x.ms).toString().padStart(6)} ±${Math.round(((x.msMax - x.msMin) / x.ms) * 100)}%`.padStart(14);
    const rt = (x) => `${x.ratio.toFixed(2)}× ±${Math.round(((x.ratioMax - x.ratioMin) / x.ratio) * 100)}%`.padStart(14);
    const who = r.pkg === 'raw' ? `${rawName} (one shot)` : `${r.pkg === 'kms-wasm' ? 'kms-wasm' : r.pkg} ${r.frameLength === 'default' ? `default (${kib(defaults[r.pkg])})` : `frameLength ${kib(r.frameLength)}`}`;
    lines.push(`    ${who.padEnd(34)} ${mbs(e)} ${mbs(d)} ${rt(e)} ${rt(d)}`);
    if (r.pkg === 'kms-wasm' && r.frameLength === 'default') def = { e: e.ratio, d: d.ratio };
  }
  if (def) lines.push(`    → encryptMessage / decryptMessage of ${size >> 20} MiB with default options vs ${rawName}: ${def.e.toFixed(2)}× / ${def.d.toFixed(2)}×`);
  return lines;
}

/** The same in Chromium (bench/browser/envelope-bench.js), next to raw WebCrypto. */
async function measureInChromium(openChromium) {
  const lines = [];
  let browser;
  try {
    browser = await openChromium();
  } catch (e) {
    return [`  Chromium: skipped (${e.message})`];
  }
  if (!browser.page) return [`  Chromium: skipped (${browser.why})`];
  try {
    lines.push(...formatFrames(await browser.page.evaluate(async () => (await import('./envelope-bench.js')).runFrames()), `Chromium ${browser.version}`, 'raw WebCrypto'));
    const results = await browser.page.evaluate(async () => (await import('./envelope-bench.js')).run());
    lines.push(`  Chromium ${browser.version} (MB/s, encrypt / decrypt):`);
    for (const { size, rows } of results) {
      lines.push(`  ${size >> 20} MiB:`);
      for (const { name, e, d } of rows) lines.push(`    ${name.padEnd(52)} ${Math.round(e).toString().padStart(6)} / ${Math.round(d).toString().padStart(6)}`);
      const raw = rows[0];
      const top = rows.filter((r) => r.frameCipher === 'platform' && r.frameLength >= 65536);
      const dflt = rows.find((r) => r.frameCipher === 'platform' && r.frameLength === undefined);
      const e = Math.max(...top.map((r) => r.e)), d = Math.max(...top.map((r) => r.d));
      lines.push(`    → kms-wasm (WebCrypto frames, best of 64 KiB / 1 MiB frames) vs raw WebCrypto: ${(e / raw.e).toFixed(2)}× / ${(d / raw.d).toFixed(2)}× (issue: ≥ 0.5×)`);
      if (dflt) lines.push(`    → kms-wasm default options vs raw WebCrypto: ${(dflt.e / raw.e).toFixed(2)}× / ${(dflt.d / raw.d).toFixed(2)}×`);
    }
  } catch (e) {
    lines.push(`  Chromium: failed: ${e.message}`);
    throw e;
  } finally {
    await browser.close();
  }
  return lines;
}
