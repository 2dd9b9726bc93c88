// The child of crash.test.mjs: mutating calls in a loop on a file store,
// printing one line per call once it resolved. It never ends by itself;
// the parent kills it with SIGKILL.
//   node crash-child.mjs STORE START
import { createKms, fileStore } from 'kms-wasm';

const [store, startArg] = process.argv.slice(2);
const rootKey = new Uint8Array(32).fill(3);
// Small thresholds: new bases and closed audit segments happen often, so kills land around them too.
const kms = await createKms({ store: fileStore(store, { rootKey, journalBytes: 4096, auditSegmentBytes: 4096 }) });
const say = (line) => process.stdout.write(`${line}\n`);
let keyId = null;
say('ready');
for (let n = Number(startArg); ; n++) {
  if (keyId === null || n % 20 === 0) {
    keyId = (await kms.createKey({ Description: `k${n}` })).KeyMetadata.KeyId;
    say(`key ${keyId}`);
  }
  await kms.createAlias({ AliasName: `alias/c${n}`, TargetKeyId: keyId });
  say(`alias alias/c${n}`);
  if (n % 3 === 0) {
    await kms.tagResource({ KeyId: keyId, Tags: [{ TagKey: 'n', TagValue: String(n) }] });
    say(`tag ${keyId} ${n}`);
  }
  if (n % 5 === 0) await kms.encrypt({ KeyId: keyId, Plaintext: new Uint8Array([n & 255]) }); // read-only: batched audit
}
