// Envelope throughput in Chromium, for bench/envelope.mjs: MB/s of raw
// WebCrypto AES-256-GCM (one shot) and of kms-wasm encryptMessage /
// decryptMessage on WebCrypto frames and on the pure-wasm path (`run`), and
// the frame-length table (`runFrames`): 16 MiB with default options and
// each frame length, interleaved rounds, each a ratio to raw WebCrypto in
// the same round.
import * as kms from 'kms-wasm';

function random(n) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
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

export async function run(sizes = [1 << 20, 64 << 20], pkg = kms) {
  const { encryptMessage, decryptMessage, rawAesKeyring } = pkg;
  const keyring = rawAesKeyring({ keyNamespace: 'bench', keyName: 'k', wrappingKey: random(32) });
  const out = [];
  for (const size of sizes) {
    const mb = size / 1e6;
    const rounds = size === 1 << 20 ? 9 : 2;
    const pt = random(size);
    const rows = [];
    const key = await crypto.subtle.importKey('raw', random(32), 'AES-GCM', false, ['encrypt', 'decrypt']);
    const iv = random(12);
    let ct;
    const e = mb / await best(async () => { ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, pt); }, rounds);
    const d = mb / await best(() => crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, ct), rounds);
    rows.push({ name: 'raw WebCrypto AES-256-GCM (one shot)', e, d });
    for (const [frameCipher, frameLength] of [['platform', undefined], ['platform', 65536], ['platform', 1 << 20], ['platform', 4096], ['wasm', 65536]]) {
      let message;
      const r = frameCipher === 'wasm' && size > 1 << 20 ? 1 : rounds;
      const e2 = mb / await best(async () => { message = (await encryptMessage(pt, { keyring, frameLength, frameCipher })).result; }, r);
      const d2 = mb / await best(async () => { const o = await decryptMessage(message, { keyring, frameCipher }); if (o.plaintext.length !== size) throw new Error('wrong length'); }, r);
      const fl = frameLength === undefined ? 'default' : String(frameLength);
      rows.push({ name: `kms-wasm ${frameCipher === 'platform' ? 'WebCrypto frames' : 'pure wasm       '} frame ${fl.padStart(7)}`, e: e2, d: d2, frameCipher, frameLength });
    }
    out.push({ size, rows });
  }
  return out;
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

/**
 * 16 MiB, interleaved rounds: raw WebCrypto AES-256-GCM (one shot) and
 * encryptMessage / decryptMessage with default options and each frame
 * length. Per case: median ms and spread of encrypt and decrypt, and the
 * median (and spread) of the per-round ratio raw time / our time.
 * `packages` (name → module) lets a caller compare builds in one page.
 */
export async function runFrames({ size = 16 << 20, rounds = 7, frameLengths = [4096, 16384, 65536, 1 << 20], packages = { 'kms-wasm': kms } } = {}) {
  const pt = random(size);
  const key = await crypto.subtle.importKey('raw', random(32), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const iv = random(12);
  let ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, pt);
  const cases = [
    { pkg: 'raw', fl: 'raw', dir: 'enc', fn: async () => { ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, pt); } },
    { pkg: 'raw', fl: 'raw', dir: 'dec', fn: () => crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, ct) },
  ];
  const defaults = {};
  for (const [name, p] of Object.entries(packages)) {
    const keyring = p.rawAesKeyring({ keyNamespace: 'bench', keyName: 'k', wrappingKey: random(32) });
    for (const fl of ['default', ...frameLengths]) {
      const opts = fl === 'default' ? { keyring } : { keyring, frameLength: fl };
      const first = await p.encryptMessage(pt, opts);
      if (fl === 'default') defaults[name] = first.messageHeader.frameLength;
      const message = first.result;
      const back = (await p.decryptMessage(message, { keyring })).plaintext;
      if (back.length !== size || back[size - 1] !== pt[size - 1]) throw new Error(`round trip (${name}, frame ${fl}) failed`);
      cases.push({ pkg: name, fl, dir: 'enc', fn: () => p.encryptMessage(pt, opts) });
      cases.push({ pkg: name, fl, dir: 'dec', fn: () => p.decryptMessage(message, { keyring }) });
    }
  }
  for (const c of cases) { c.t = []; await c.fn(); }
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) { const t = performance.now(); await c.fn(); c.t.push(performance.now() - t); }
  }
  const raw = { enc: cases[0], dec: cases[1] };
  return {
    size, rounds, defaults,
    rows: cases.map((c) => {
      const ratios = c.t.map((t, i) => raw[c.dir].t[i] / t);
      return { pkg: c.pkg, frameLength: c.fl, dir: c.dir, ms: median(c.t), msMin: Math.min(...c.t), msMax: Math.max(...c.t), ratio: median(ratios), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios) };
    }),
  };
}
