// Envelope encryption throughput (imported by bench.mjs; BENCH_ONLY=envelope
// runs only this, BENCH_SKIP_ENVELOPE=1 skips it). One process, same run:
// kms-wasm encryptMessage/decryptMessage on node:crypto frames and on the
// pure-wasm path, next to raw node:crypto AES-256-GCM (one shot),
// @aws-crypto/client-node (0x0478, its default 4 KiB frames and 64 KiB) and
// @noble/ciphers gcm (one shot). MB/s = 10^6 bytes of plaintext per second,
// best of several rounds.
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

const same = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export async function measureEnvelope({ kmsPkg, openChromium }) {
  const lines = ['\nenvelope encryption (AWS Encryption SDK message format), MB/s of plaintext, best of N rounds, encrypt / decrypt:'];
  if (typeof kmsPkg.encryptMessage !== 'function') return [...lines, '  skipped: this package has no encryptMessage'];
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
    for (const [frameCipher, frameLength] of [['platform', 65536], ['platform', 1 << 20], ['platform', 4096], ['wasm', 65536]]) {
      let message;
      const opts = { keyring, frameLength, frameCipher };
      const dopts = { keyring, frameCipher };
      const r = await row(`kms-wasm ${frameCipher === 'platform' ? 'node:crypto frames' : 'pure wasm       '} frame ${String(frameLength).padStart(7)}`,
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
    const results = await browser.page.evaluate(async () => (await import('./envelope-bench.js')).run());
    lines.push(`  Chromium ${browser.version} (MB/s, encrypt / decrypt):`);
    for (const { size, rows } of results) {
      lines.push(`  ${size >> 20} MiB:`);
      for (const { name, e, d } of rows) lines.push(`    ${name.padEnd(52)} ${Math.round(e).toString().padStart(6)} / ${Math.round(d).toString().padStart(6)}`);
      const raw = rows[0];
      const top = rows.filter((r) => r.frameCipher === 'platform' && r.frameLength >= 65536);
      const e = Math.max(...top.map((r) => r.e)), d = Math.max(...top.map((r) => r.d));
      lines.push(`    → kms-wasm (WebCrypto frames, best of 64 KiB / 1 MiB frames) vs raw WebCrypto: ${(e / raw.e).toFixed(2)}× / ${(d / raw.d).toFixed(2)}× (issue: ≥ 0.5×)`);
    }
  } catch (e) {
    lines.push(`  Chromium: failed: ${e.message}`);
    throw e;
  } finally {
    await browser.close();
  }
  return lines;
}
