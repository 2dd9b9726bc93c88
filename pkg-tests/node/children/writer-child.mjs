// A child of concurrency.test.mjs: N updates on a file store shared with
// another process. Even steps create an alias `alias/WHO-i` (on the store's
// keys in turn), odd steps set the tag WHO = i on a key; every tenth step
// also encrypts (a read-only call whose audit record is batched).
//   node writer-child.mjs STORE WHO N
import { createKms, fileStore } from 'kms-wasm';

const [store, who, n] = process.argv.slice(2);
const kms = await createKms({ store: fileStore(store, { rootKey: new Uint8Array(32).fill(5) }) });
const keys = (await kms.listKeys({})).Keys.map((k) => k.KeyId).sort();
process.stdout.write('ready\n');
// Start together: wait for the parent's go.
await new Promise((resolve) => process.stdin.once('data', resolve));
const t0 = Date.now();
for (let i = 0; i < Number(n); i++) {
  const KeyId = keys[i % keys.length];
  if (i % 2 === 0) await kms.createAlias({ AliasName: `alias/${who}-${i}`, TargetKeyId: KeyId });
  else await kms.tagResource({ KeyId, Tags: [{ TagKey: who, TagValue: String(i) }] });
  if (i % 10 === 0) await kms.encrypt({ KeyId, Plaintext: new Uint8Array([i & 255]) });
}
await kms.close();
process.stdout.write(`done ${Date.now() - t0}\n`);
process.stdin.destroy();
