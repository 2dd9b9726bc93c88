// The honest client of bench/serve-soak.mjs, in its own process so that the
// attackers' sockets do not slow its event loop: @aws-sdk/client-kms with its
// default retries, one call at a time, as an application calls.
//   node soak-honest.mjs SDK_ENTRY URL
// IPC: <- { phase } starts measuring a phase (ends the previous one);
//      <- 'stop' -> { phases: { name: { ok, errors, errorNames, p50, p99, max } (ok: calls that succeeded; latencies in ms) } }
import { pathToFileURL } from 'node:url';

const [sdkEntry, url] = process.argv.slice(2);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const { KMS } = await import(pathToFileURL(sdkEntry).href);
const client = new KMS({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDHONEST', secretAccessKey: 'not-checked' } });

const { KeyMetadata } = await client.createKey({ Description: 'soak' });
const KeyId = KeyMetadata.KeyId;
const plaintext = new TextEncoder().encode('honest client plaintext');
const phases = {};
let current = null;
let running = true;

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
function summary(p) {
  const sorted = p.latencies.slice().sort((a, b) => a - b);
  return { ok: sorted.length, errors: p.errors, errorNames: p.errorNames, p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted.at(-1) ?? null };
}

process.on('message', (m) => {
  if (m === 'stop') {
    running = false;
  } else if (m && m.phase) {
    current = phases[m.phase] = { latencies: [], errors: 0, errorNames: {} };
  }
});
process.on('disconnect', () => {
  running = false;
});
process.send({ ready: true });

while (running) {
  const p = current;
  const timed = async (call) => {
    const t0 = performance.now();
    const out = await call();
    if (p) p.latencies.push(performance.now() - t0);
    return out;
  };
  try {
    const { CiphertextBlob } = await timed(() => client.encrypt({ KeyId, Plaintext: plaintext }));
    const { Plaintext } = await timed(() => client.decrypt({ CiphertextBlob }));
    if (Buffer.compare(Buffer.from(Plaintext), Buffer.from(plaintext)) !== 0) throw new Error('wrong plaintext');
  } catch (e) {
    if (p) {
      p.errors += 1;
      const name = e.name || e.code || 'Error';
      p.errorNames[name] = (p.errorNames[name] ?? 0) + 1;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setImmediate(r));
}
client.destroy();
const out = {};
for (const [name, p] of Object.entries(phases)) out[name] = summary(p);
if (process.connected) process.send({ phases: out }, () => process.disconnect());
