// The child of crash.test.mjs's read-only test: encrypt calls in a loop on a
// file store, each with its number in the encryption context, printing the
// number once the call resolved. The parent SIGKILLs it.
//   node read-crash-child.mjs STORE START
import { createKms, fileStore } from 'kms-wasm';

const [store, startArg] = process.argv.slice(2);
const rootKey = new Uint8Array(32).fill(3);
const kms = await createKms({ store: fileStore(store, { rootKey }) });
const say = (line) => process.stdout.write(`${line}\n`);
const { Keys } = await kms.listKeys({});
const KeyId = Keys.length ? Keys[0].KeyId : (await kms.createKey({})).KeyMetadata.KeyId;
say('ready');
for (let n = Number(startArg); ; n++) {
  await kms.encrypt({ KeyId, Plaintext: new Uint8Array([n & 255]), EncryptionContext: { n: String(n) } });
  say(`enc ${n}`);
}
