// Exercises the envelope wasm exports from Node the way the JS layer will:
// internal (wasm AES) and external (node:crypto) frame cipher paths, raw AES
// keyring wrap/unwrap, error names/codes, and interop both ways with the AWS
// Encryption SDK for JavaScript. It is also a reference driver for the
// external frame cipher contract (docs/envelope.md).
//
//   bash scripts/build-npm.sh            # or any wasm-bindgen --target web build
//   ESDK_DIR=/tmp/esdk PKG=npm/pkg node tests/vectors/envelope/bindings-smoke.mjs
//   BENCH=1 ...                           # also prints throughput
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes, createCipheriv, createDecipheriv } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const PKG = resolve(process.env.PKG || 'npm/pkg');
const glue = await import(pathToFileURL(join(PKG, 'kms_wasm.js')).href);
const wasmFile = ['opt.wasm', 'kms_wasm_bg.wasm'].map((f) => join(PKG, f)).find(existsSync);
glue.initSync({ module: readFileSync(wasmFile) });
const { EnvelopeEncryptor, EnvelopeDecryptor, rawAesWrap, rawAesUnwrap } = glue;
const require = createRequire(join(process.env.ESDK_DIR || '/tmp/esdk', 'package.json'));
const { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } = require('@aws-crypto/client-node');
const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const ns = 'ns', name = 'key-1', wk = randomBytes(32);
const ring = new RawAesKeyringNode({ keyName: name, keyNamespace: ns, unencryptedMasterKey: new Uint8Array(wk), wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING, utf8Sorting: true });
const assert = (c, m) => { if (!c) throw new Error('FAIL: ' + m); };
const eq = (a, b) => Buffer.from(a).equals(Buffer.from(b));

function encInternal(suite, fl, ec, pt, chunk = 1 << 16) {
  const enc = new EnvelopeEncryptor(suite, fl, ec);
  const dk = randomBytes(32);
  const edk = rawAesWrap(ns, name, wk, enc.encryptionContext(), dk);
  const parts = [enc.start(dk, [edk])];
  for (let i = 0; i < pt.length; i += chunk) parts.push(enc.update(pt.subarray(i, i + chunk)));
  parts.push(enc.finish());
  enc.free();
  return Buffer.concat(parts);
}
function encExternal(suite, fl, ec, pt) {
  const enc = new EnvelopeEncryptor(suite, fl, ec);
  const dk = randomBytes(32);
  const edk = rawAesWrap(ns, name, wk, enc.encryptionContext(), dk);
  const parts = [enc.start(dk, [edk])];
  const key = enc.frameKey();
  const signed = suite === 0x0578;
  let off = 0;
  for (;;) {
    const rest = pt.length - off, isFinal = rest <= fl, n = isFinal ? rest : fl;
    const f = enc.beginFrame(n, isFinal);
    const c = createCipheriv('aes-256-gcm', key, f.iv); c.setAAD(f.aad);
    const ct = Buffer.concat([c.update(pt.subarray(off, off + n)), c.final(), c.getAuthTag()]);
    parts.push(f.prefix, ct);
    enc.endFrame(signed ? ct : undefined);
    off += n;
    if (isFinal) break;
  }
  parts.push(enc.finishExternal());
  enc.free();
  return Buffer.concat(parts);
}
function decInternal(msg, opts, chunk = 1 << 16) {
  const dec = new EnvelopeDecryptor(opts);
  const out = [];
  for (let i = 0; i < msg.length; i += chunk) {
    let c = msg.subarray(i, i + chunk);
    for (;;) {
      out.push(dec.update(c));
      c = c.subarray(dec.consumed);
      if (dec.needsDataKey) { const h = dec.header(); dec.setDataKey(rawAesUnwrap(ns, name, wk, h.encryptionContext, h.encryptedDataKeys)); }
      if (!c.length) break;
    }
  }
  out.push(dec.finish());
  dec.free();
  return Buffer.concat(out);
}
function decExternal(msg, opts = {}, chunk = 1 << 16) {
  const dec = new EnvelopeDecryptor({ ...opts, externalFrameCipher: true });
  const out = []; let key, held;
  for (let i = 0; i < msg.length; i += chunk) {
    let c = msg.subarray(i, i + chunk);
    for (;;) {
      for (const f of dec.updateExternal(c)) {
        const d = createDecipheriv('aes-256-gcm', key, f.iv); d.setAAD(f.aad);
        d.setAuthTag(f.sealed.subarray(f.contentLength));
        let pt;
        try {
          pt = Buffer.concat([d.update(f.sealed.subarray(0, f.contentLength)), d.final()]);
        } catch {
          // the JS layer maps the platform's tag failure to the envelope error
          throw Object.assign(new Error(`Frame authentication failed: the tag of frame ${f.sequenceNumber} does not verify.`), { name: 'AuthenticationError', code: 'FrameAuthenticationFailed' });
        }
        if (f.isFinal) held = pt; else out.push(pt);
      }
      c = c.subarray(dec.consumed);
      if (dec.needsDataKey) { const h = dec.header(); dec.setDataKey(rawAesUnwrap(ns, name, wk, h.encryptionContext, h.encryptedDataKeys)); key = dec.frameKey(); }
      if (!c.length) break;
    }
  }
  dec.finish(); dec.free();
  if (held) out.push(held);
  return Buffer.concat(out);
}

// functional checks
for (const suite of [0x0478, 0x0578]) for (const [fl, len] of [[4096, 0], [4096, 1], [4096, 4096], [100, 1234], [65536, 300000]]) {
  const pt = randomBytes(len), ec = { purpose: 'smoke', n: String(len) };
  for (const [how, msg] of [['internal', encInternal(suite, fl, ec, pt, 777)], ['external', encExternal(suite, fl, ec, pt)]]) {
    const r = await esdk.decrypt(ring, msg);
    assert(eq(r.plaintext, pt), `ESDK decrypt of ${how} ${suite} ${fl} ${len}`);
    assert(eq(decInternal(msg, {}, 1000), pt), 'decInternal');
    assert(eq(decExternal(msg, {}, 999), pt), 'decExternal');
  }
  const { result } = await esdk.encrypt(ring, pt, { encryptionContext: ec, suiteId: suite, frameLength: fl });
  assert(eq(decInternal(result, { requiredEncryptionContext: { purpose: 'smoke' } }, 333), pt), 'ESDK→internal');
  assert(eq(decExternal(result, {}, 1 << 20), pt), 'ESDK→external');
}
// errors: name (group) and code (reason)
const expectThrow = (f, name, code) => {
  let err;
  try { f(); } catch (e) { err = e; }
  assert(err, `expected ${code}, nothing was thrown`);
  assert(err.name === name && err.code === code, `expected ${name}/${code}, got ${err.name}/${err.code}: ${err.message}`);
  console.log(`error ok: ${err.name} ${err.code} - ${err.message}`);
};
{
  const msg = encInternal(0x0578, 64, { a: 'b' }, randomBytes(200));
  const bad = Buffer.from(msg); bad[bad.length - 3] ^= 1;
  expectThrow(() => decInternal(bad, {}), 'AuthenticationError', 'SignatureInvalid');
  expectThrow(() => decExternal(bad, {}), 'AuthenticationError', 'SignatureInvalid');
  expectThrow(() => decInternal(msg, { requiredEncryptionContext: { x: 'y' } }), 'EncryptionContextError', 'MissingRequiredContextKey');
  expectThrow(() => decInternal(msg.subarray(0, msg.length - 1), {}), 'MalformedMessageError', 'Truncated');
  expectThrow(() => new EnvelopeEncryptor(0x0378, 4096, {}), 'InvalidArgumentError', 'InvalidArgument');
  expectThrow(() => new EnvelopeEncryptor(0x0478, 0, {}), 'InvalidArgumentError', 'InvalidArgument');
  expectThrow(() => new EnvelopeEncryptor(0x0478, 4096, { 'aws-crypto-x': '1' }), 'EncryptionContextError', 'ReservedContextKey');
  expectThrow(() => new EnvelopeDecryptor({ maxEncryptedDataKey: 1 }), 'InvalidArgumentError', 'InvalidArgument');
  expectThrow(() => rawAesUnwrap(ns, name, randomBytes(32), {}, [{ providerId: ns, providerInfo: new Uint8Array(3), encryptedDataKey: new Uint8Array(48) }]), 'KeyringError', 'UnableToDecryptDataKey');
  expectThrow(() => rawAesWrap(ns, name, randomBytes(20), {}, randomBytes(32)), 'KeyringError', 'InvalidWrappingKey');
  const enc = new EnvelopeEncryptor(undefined, 4096, { a: 'b' });
  expectThrow(() => enc.update(new Uint8Array(1)), 'InvalidStateError', 'InvalidState');
  enc.start(randomBytes(32), [rawAesWrap(ns, name, wk, enc.encryptionContext(), randomBytes(32))]);
  console.log('header object:', JSON.stringify(enc.header(), (k, v) => (v && v.constructor === Uint8Array ? `Uint8Array(${v.length})` : v)));
}
// random mutations through the wasm: always a named envelope error, never a trap
{
  const groups = new Set(['MalformedMessageError', 'LimitExceededError', 'EncryptionContextError', 'AuthenticationError', 'KeyringError', 'InvalidStateError']);
  const bases = [encInternal(0x0478, 32, { a: 'b' }, randomBytes(100)), encInternal(0x0578, 32, { a: 'b' }, randomBytes(70))];
  for (let i = 0; i < 2000; i++) {
    const m = Buffer.from(bases[i % 2]);
    const n = 1 + (i % 3);
    for (let j = 0; j < n; j++) m[(Math.random() * m.length) | 0] = (Math.random() * 256) | 0;
    const cut = i % 5 === 0 ? m.subarray(0, (Math.random() * m.length) | 0) : m;
    if (cut.equals(bases[i % 2])) continue;
    let err;
    try { (i % 2 ? decExternal : decInternal)(cut, {}, 1 + (i % 40)); } catch (e) { err = e; }
    assert(err && groups.has(err.name), `mutation ${i}: ${err ? `${err.name} ${err.message}` : 'decrypted'}`);
  }
  console.log('random mutations: 2000 named errors, no trap');
}
console.log('functional: ok');

if (process.env.BENCH) {
  const best = (f, rounds) => { f(); let b = Infinity; for (let i = 0; i < rounds; i++) { const s = process.hrtime.bigint(); f(); b = Math.min(b, Number(process.hrtime.bigint() - s) / 1e9); } return b; };
  const bestAsync = async (f, rounds) => { await f(); let b = Infinity; for (let i = 0; i < rounds; i++) { const s = process.hrtime.bigint(); await f(); b = Math.min(b, Number(process.hrtime.bigint() - s) / 1e9); } return b; };
  const fmt = (x) => x.toFixed(0).padStart(5);
  for (const size of [1 << 20, 64 << 20]) {
    const pt = randomBytes(size), rounds = size === 1 << 20 ? 15 : 3, mb = size / 1e6;
    const key = randomBytes(32), iv = randomBytes(12);
    const raw = mb / best(() => { const c = createCipheriv('aes-256-gcm', key, iv); c.update(pt); c.final(); c.getAuthTag(); }, rounds);
    const { result: esdkMsg } = await esdk.encrypt(ring, pt, { suiteId: 0x0478, frameLength: 4096 });
    const esdkEnc = mb / await bestAsync(() => esdk.encrypt(ring, pt, { suiteId: 0x0478, frameLength: 4096 }), Math.min(rounds, 3));
    const esdkDec = mb / await bestAsync(() => esdk.decrypt(ring, esdkMsg), Math.min(rounds, 3));
    console.log(`${String(size >> 20).padStart(2)} MiB: raw node:crypto AES-256-GCM ${fmt(raw)} MB/s | ESDK 0x0478 fl 4096 enc ${fmt(esdkEnc)} dec ${fmt(esdkDec)} MB/s`);
    for (const fl of [4096, 65536, 1 << 20]) for (const suite of [0x0478, 0x0578]) {
      const mi = encInternal(suite, fl, {}, pt), me = encExternal(suite, fl, {}, pt);
      const r = [
        mb / best(() => encInternal(suite, fl, {}, pt), rounds), mb / best(() => decInternal(mi, {}), rounds),
        mb / best(() => encExternal(suite, fl, {}, pt), rounds), mb / best(() => decExternal(me, {}), rounds),
      ].map(fmt);
      console.log(`${String(size >> 20).padStart(2)} MiB fl ${String(fl).padStart(7)} 0x0${suite.toString(16)}: wasm AES enc ${r[0]} dec ${r[1]} | node:crypto frames enc ${r[2]} dec ${r[3]} MB/s`);
    }
  }
}
