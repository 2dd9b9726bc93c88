// Envelope throughput in Chromium, for bench/envelope.mjs: MB/s of raw
// WebCrypto AES-256-GCM (one shot) and of kms-wasm encryptMessage /
// decryptMessage on WebCrypto frames and on the pure-wasm path.
import { encryptMessage, decryptMessage, rawAesKeyring } from 'kms-wasm';

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

export async function run(sizes = [1 << 20, 64 << 20]) {
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
    for (const [frameCipher, frameLength] of [['platform', 65536], ['platform', 1 << 20], ['platform', 4096], ['wasm', 65536]]) {
      let message;
      const r = frameCipher === 'wasm' && size > 1 << 20 ? 1 : rounds;
      const e2 = mb / await best(async () => { message = (await encryptMessage(pt, { keyring, frameLength, frameCipher })).result; }, r);
      const d2 = mb / await best(async () => { const o = await decryptMessage(message, { keyring, frameCipher }); if (o.plaintext.length !== size) throw new Error('wrong length'); }, r);
      rows.push({ name: `kms-wasm ${frameCipher === 'platform' ? 'WebCrypto frames' : 'pure wasm       '} frame ${String(frameLength).padStart(7)}`, e: e2, d: d2, frameCipher, frameLength });
    }
    out.push({ size, rows });
  }
  return out;
}
