// A child of file-store-faults.test.mjs: a process holding a KMS open on a
// file store, started by the parent's "go" on stdin.
//   node lock-holder-child.mjs STORE busy   a read-only call, then 8 s of
//                                          synchronous work ("busy", "done")
//   node lock-holder-child.mjs STORE stop   a call that stops this process
//                                          (SIGSTOP) while it holds the
//                                          store's lock ("stopping"; after
//                                          SIGCONT: "resumed")
// The stop comes from a `kms.on` handler: events are handed out inside the
// call, under the lock, so no hook in the library is needed.
import { createKms, fileStore } from 'kms-wasm';

const [store, mode] = process.argv.slice(2);
const say = (line) => process.stdout.write(`${line}\n`); // a pipe: written at once on Linux
const kms = await createKms({ store: fileStore(store, { rootKey: new Uint8Array(32).fill(9) }) });
const { KeyMetadata } = await kms.createKey({ Description: `held by ${process.pid}` });
const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: new Uint8Array([1]) });
say('ready');
await new Promise((resolve) => process.stdin.once('data', resolve));

if (mode === 'busy') {
  await kms.describeKey({ KeyId: KeyMetadata.KeyId });
  say('busy');
  const t0 = Date.now();
  while (Date.now() - t0 < 8_000) {
    // synchronous work: the event loop does not turn
  }
  say('done');
  process.exit(0);
}

if (mode === 'stop') {
  await kms.scheduleKeyDeletion({ KeyId: KeyMetadata.KeyId, PendingWindowInDays: 7 });
  kms.on('KMS CMK Pending Deletion Use Attempt', () => {
    say('stopping');
    process.kill(process.pid, 'SIGSTOP');
  });
  await kms.decrypt({ CiphertextBlob }).catch(() => {}); // refused: the key is pending deletion
  say('resumed');
  await kms.close();
  process.exit(0);
}
