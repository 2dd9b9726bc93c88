// Two builds of the package in one Node process, their rounds interleaved so
// background load hits both alike: the data-key calls and 4 KiB encrypt, as
// ops/s and as a ratio to node:crypto measured in the same rounds.
//   node pkg-tests/bench/compare.mjs <package dir A> <package dir B>
// (a package dir is an npm/ folder with its pkg/ built). Not run by make bench.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nodeCrypto from 'node:crypto';

const ROUNDS = Number(process.env.ROUNDS || 9);
const SLICE_MS = Number(process.env.SLICE_MS || 400);

async function load(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entry = pkg.exports['.'].node;
  return import(pathToFileURL(resolve(dir, entry)).href);
}

async function timeAsync(fn) {
  let n = 0;
  const end = performance.now() + SLICE_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
  }
  return (n * 1000) / SLICE_MS;
}

async function setUp(mod) {
  const kms = await mod.createKms();
  const KeyId = (await kms.createKey()).KeyMetadata.Arn;
  const dk = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });
  const payload = new Uint8Array(4096);
  return {
    gdk: () => kms.generateDataKey({ KeyId, KeySpec: 'AES_256' }),
    dec: () => kms.decrypt({ CiphertextBlob: dk.CiphertextBlob }),
    enc: () => kms.encrypt({ KeyId, Plaintext: payload }),
  };
}

const key = nodeCrypto.randomBytes(32);
const node = {
  gdk: async () => { const iv = nodeCrypto.randomBytes(12); const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv); c.update(nodeCrypto.randomBytes(32)); c.final(); c.getAuthTag(); },
  enc: async () => { const iv = nodeCrypto.randomBytes(12); const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv); c.update(new Uint8Array(4096)); c.final(); c.getAuthTag(); },
};
node.dec = node.gdk;

const [dirA, dirB] = process.argv.slice(2);
const a = await setUp(await load(dirA));
const b = await setUp(await load(dirB));
const results = { a: {}, b: {}, node: {} };
for (const op of ['gdk', 'dec', 'enc']) for (const r of Object.values(results)) r[op] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const op of ['gdk', 'dec', 'enc']) {
    results.node[op].push(await timeAsync(node[op]));
    results.a[op].push(await timeAsync(a[op]));
    results.b[op].push(await timeAsync(b[op]));
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const names = { gdk: 'generateDataKey', dec: 'decrypt (data key)', enc: 'encrypt 4 KiB' };
console.log(`A = ${dirA}\nB = ${dirB}\n${ROUNDS} interleaved rounds of ${SLICE_MS} ms; medians; ratio to node:crypto per round, then median`);
for (const op of ['gdk', 'dec', 'enc']) {
  const ratio = (r) => median(results[r][op].map((x, i) => x / results.node[op][i]));
  console.log(`${names[op].padEnd(20)} A ${Math.round(median(results.a[op])).toLocaleString('en-US').padStart(8)} ops/s (${ratio('a').toFixed(2)}× node)   `
    + `B ${Math.round(median(results.b[op])).toLocaleString('en-US').padStart(8)} ops/s (${ratio('b').toFixed(2)}× node)   B/A ${median(results.b[op].map((x, i) => x / results.a[op][i])).toFixed(2)}`);
}
