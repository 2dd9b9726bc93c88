// fileStore: persistence, root keys (key file, rootKey, passphrase),
// corruption of one or both copies, the audit log across sessions, two
// KMSes of one process on one store, and what is on disk.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync, existsSync, readFileSync, writeFileSync, statSync, unlinkSync, mkdirSync, readdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createKms, fileStore, memoryStore } from 'kms-wasm';
import { tempDir, copyStore, contains, filesUnder, listAll, importedKey } from './helpers.mjs';

const ROOT_KEY = new Uint8Array(32).fill(7);
const utf8 = (s) => new TextEncoder().encode(s);
const storeError = (pattern) => (e) => {
  assert.equal(e.name, 'KMSInvalidStoreException', `${e.name}: ${e.message}`);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

/** A store with two keys, an alias, a tag, a rotation and ciphertexts; returns what to check. */
async function populated(dir, options = { rootKey: ROOT_KEY }) {
  const kms = await createKms({ store: fileStore(dir, options) });
  const a = (await kms.createKey({ Description: 'first' })).KeyMetadata;
  const b = (await kms.createKey({ Description: 'second' })).KeyMetadata;
  await kms.createAlias({ AliasName: 'alias/first', TargetKeyId: a.KeyId });
  await kms.tagResource({ KeyId: b.KeyId, Tags: [{ TagKey: 'team', TagValue: 'blue' }] });
  const before = (await kms.encrypt({ KeyId: 'alias/first', Plaintext: utf8('before rotation') })).CiphertextBlob;
  await kms.rotateKeyOnDemand({ KeyId: a.KeyId });
  const after = (await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('after rotation'), EncryptionContext: { c: '1' } })).CiphertextBlob;
  await kms.close();
  return { a, b, before, after };
}

async function checkPopulated(kms, { a, b, before, after }) {
  assert.equal((await kms.describeKey({ KeyId: 'alias/first' })).KeyMetadata.Arn, a.Arn);
  assert.deepEqual((await kms.listResourceTags({ KeyId: b.KeyId })).Tags, [{ TagKey: 'team', TagValue: 'blue' }]);
  assert.deepEqual(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: before })).Plaintext), 'before rotation');
  assert.deepEqual(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: after, EncryptionContext: { c: '1' } })).Plaintext), 'after rotation');
  assert.equal((await kms.listKeyRotations({ KeyId: a.KeyId })).Rotations.length, 1);
}

describe('file store', () => {
  test('keys, aliases, tags, rotations and ciphertexts survive closing and reopening', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      const made = await populated(store);
      const kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      await checkPopulated(kms, made);
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('a commit is on disk before the call resolves (another KMS sees it without a close)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      const writer = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      const { KeyMetadata } = await writer.createKey({ Description: 'visible at once' });
      const reader = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      assert.equal((await reader.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.Description, 'visible at once');
      await writer.updateKeyDescription({ KeyId: KeyMetadata.KeyId, Description: 'changed by the writer' });
      assert.equal((await reader.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.Description, 'changed by the writer', 'the reader reloads before its call');
      await reader.createAlias({ AliasName: 'alias/by-reader', TargetKeyId: KeyMetadata.KeyId });
      assert.equal((await writer.listAliases({ KeyId: KeyMetadata.KeyId })).Aliases.length, 1, 'and the other way round');
      await writer.close();
      await reader.close();
    } finally {
      cleanup();
    }
  });

  test('the audit log continues across sessions, in order, and its chain verifies', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      let kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      const { KeyMetadata } = await kms.createKey({});
      for (let i = 0; i < 300; i++) await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8(`m${i}`) }); // read-only: batched
      await assert.rejects(kms.describeKey({ KeyId: 'alias/missing' }), { name: 'NotFoundException' });
      await kms.close();
      kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      await kms.createAlias({ AliasName: 'alias/second-session', TargetKeyId: KeyMetadata.KeyId });
      const names = (await kms.auditLog()).map((r) => r.eventName);
      assert.equal(names.length, 303);
      assert.equal(names[0], 'CreateKey');
      assert.equal(names.filter((n) => n === 'Encrypt').length, 300);
      assert.deepEqual(names.slice(-2), ['DescribeKey', 'CreateAlias']);
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
      kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      assert.equal((await kms.auditLog()).length, 303, 'a third session reads the whole log');
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('the default root key is a key file beside the store, created with mode 0600', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      const made = await populated(store, {});
      const keyFile = `${store}.key`;
      assert.ok(existsSync(keyFile), 'PATH.key exists');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.equal(readFileSync(keyFile).length, 32);
      const kms = await createKms({ store: fileStore(store) });
      await checkPopulated(kms, made);
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('a key file readable by group or others is refused, and so is a missing one', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      await populated(store, {});
      const keyFile = `${store}.key`;
      chmodSync(keyFile, 0o640);
      await assert.rejects(createKms({ store: fileStore(store) }), storeError(/readable or writable by other users \(mode 640\).*chmod 600/));
      chmodSync(keyFile, 0o604);
      await assert.rejects(createKms({ store: fileStore(store) }), storeError(/mode 604/));
      chmodSync(keyFile, 0o600);
      const ok = await createKms({ store: fileStore(store) });
      await ok.close();
      unlinkSync(keyFile);
      await assert.rejects(createKms({ store: fileStore(store) }), storeError(/key file .*kms\.key is missing/));
      assert.ok(!existsSync(keyFile), 'no new key is made for an existing store');
    } finally {
      cleanup();
    }
  });

  test('a wrong root key fails clearly, naming the store, and changes nothing', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      const made = await populated(store);
      const files = filesUnder(store);
      await assert.rejects(createKms({ store: fileStore(store, { rootKey: new Uint8Array(32).fill(8) }) }), storeError(new RegExp(`${store}.*sealed under another key`)));
      await assert.rejects(createKms({ store: fileStore(store, { passphrase: 'not a root key' }) }), storeError(/sealed under a root key/));
      for (const f of files) assert.deepEqual(readFileSync(f.path), f.bytes, `${f.path} untouched`);
      const kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      await checkPopulated(kms, made);
      await kms.close();
      assert.throws(() => fileStore(store, { rootKey: new Uint8Array(16) }), { name: 'ValidationException' });
      assert.throws(() => fileStore(store, { rootKey: ROOT_KEY, passphrase: 'x' }), { name: 'ValidationException' });
    } finally {
      cleanup();
    }
  });

  test('a passphrase derives the root key (Argon2id); its salt is in the header, the key is nowhere', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      const made = await populated(store, { passphrase: 'correct horse battery staple' });
      assert.ok(!existsSync(`${store}.key`), 'no key file');
      await assert.rejects(createKms({ store: fileStore(store, { passphrase: 'wrong horse' }) }), storeError(/passphrase given does not open/));
      await assert.rejects(createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) }), storeError(/sealed under a passphrase/));
      const kms = await createKms({ store: fileStore(store, { passphrase: 'correct horse battery staple' }) });
      await checkPopulated(kms, made);
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('flipping a byte of one copy is detected and reported; the other copy (a mirror) is used, nothing is lost', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const pristine = join(dir, 'pristine');
      const made = await populated(pristine);
      const gens = [0, 1].map((slot) => readFileSync(join(pristine, `state.${slot}`)).readBigUInt64BE(8));
      assert.equal(gens[0], gens[1], 'both copies hold the current generation');
      let n = 0;
      for (const slot of [0, 1]) {
        const size = statSync(join(pristine, `state.${slot}`)).size;
        for (const at of [0, 5, 9, 20, 36, 44, 60, Math.floor(size / 2), size - 40, size - 1]) {
          const store = join(dir, `case-${n++}`);
          copyStore(pristine, store);
          const file = join(store, `state.${slot}`);
          const bytes = readFileSync(file);
          bytes[at] ^= 0x20;
          writeFileSync(file, bytes);
          const s = fileStore(store, { rootKey: ROOT_KEY });
          const kms = await createKms({ store: s });
          assert.equal(s.warnings.length >= 1, true, `byte ${at} of state.${slot}: reported`);
          assert.match(s.warnings.join('\n'), new RegExp(`state\\.${slot} is damaged .*nothing is lost`), `byte ${at} of state.${slot}: names the file`);
          await checkPopulated(kms, made); // the last commit (the rotation) included
          // The damaged copy was rewritten at open; the next commit writes both anyway.
          await kms.tagResource({ KeyId: made.a.KeyId, Tags: [{ TagKey: 'after', TagValue: 'repair' }] });
          await kms.close();
          const again = fileStore(store, { rootKey: ROOT_KEY });
          const k2 = await createKms({ store: again });
          assert.deepEqual(again.warnings, [], `byte ${at} of state.${slot}: clean after the next commit`);
          await k2.close();
        }
      }
    } finally {
      cleanup();
    }
  });

  test('damaging both copies fails with an error naming the files; the store never starts empty', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      await populated(store);
      for (const slot of [0, 1]) {
        const file = join(store, `state.${slot}`);
        const bytes = readFileSync(file);
        bytes[Math.floor(bytes.length / 2)] ^= 1;
        writeFileSync(file, bytes);
      }
      const files = filesUnder(store);
      await assert.rejects(createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) }), storeError(/state\.0 is damaged.*state\.1 is damaged.*No intact copy.*will not start empty/s));
      for (const f of files) assert.deepEqual(readFileSync(f.path), f.bytes, `${f.path} untouched`);
      // Truncated and missing copies too.
      writeFileSync(join(store, 'state.0'), Buffer.alloc(10));
      unlinkSync(join(store, 'state.1'));
      await assert.rejects(createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) }), storeError(/state\.0 is damaged \(it is truncated\).*state\.1 is missing/s));
      unlinkSync(join(store, 'state.0'));
      await assert.rejects(createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) }), storeError(/has lost its state.*audit\.log exists.*Refusing to start empty/s));
    } finally {
      cleanup();
    }
  });

  test('a damaged audit frame is reported and the chain break is shown by verifyAuditLog', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      let kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      const { KeyMetadata } = await kms.createKey({});
      for (let i = 0; i < 5; i++) await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: `t${i}`, TagValue: 'v' }] });
      await kms.close();
      const log = join(store, 'audit.log');
      const bytes = readFileSync(log);
      const second = bytes.indexOf('KMSA', 4);
      bytes[second + 40] ^= 1; // inside the second frame's sealed body
      writeFileSync(log, bytes);
      const s = fileStore(store, { rootKey: ROOT_KEY });
      kms = await createKms({ store: s });
      assert.match(s.warnings.join('\n'), /audit\.log is damaged between bytes/);
      const v = await kms.verifyAuditLog();
      assert.equal(v.valid, false);
      assert.equal(v.firstInvalidIndex, 1, 'the record after the lost one');
      assert.equal((await kms.listResourceTags({ KeyId: KeyMetadata.KeyId })).Tags.length, 5, 'the state is whole');
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('the remnant of a commit that never happened is cut off silently', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      let kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      const { KeyMetadata } = await kms.createKey({});
      await kms.createAlias({ AliasName: 'alias/kept', TargetKeyId: KeyMetadata.KeyId });
      await kms.close();
      // A killed commit: its frame (tagged with the next generation) appended, the state never renamed.
      const log = join(store, 'audit.log');
      const bytes = readFileSync(log);
      const last = bytes.lastIndexOf('KMSA');
      const frame = Buffer.from(bytes.subarray(last));
      frame.writeBigUInt64BE(frame.readBigUInt64BE(8) + 1n, 8);
      writeFileSync(log, Buffer.concat([bytes, frame.subarray(0, frame.length - 7)]));
      const s = fileStore(store, { rootKey: ROOT_KEY });
      kms = await createKms({ store: s });
      assert.deepEqual(s.warnings, []);
      assert.equal(statSync(log).size, bytes.length, 'cut back to the last commit');
      assert.deepEqual((await kms.auditLog()).map((r) => r.eventName), ['CreateKey', 'CreateAlias']);
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('a commit whose audit frame was lost (power loss) gets it back from its state copy', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      let kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      const { KeyMetadata } = await kms.createKey({});
      await kms.createAlias({ AliasName: 'alias/late', TargetKeyId: KeyMetadata.KeyId });
      await kms.close();
      const log = join(store, 'audit.log');
      const bytes = readFileSync(log);
      writeFileSync(log, bytes.subarray(0, bytes.lastIndexOf('KMSA')));
      const s = fileStore(store, { rootKey: ROOT_KEY });
      kms = await createKms({ store: s });
      assert.deepEqual(readFileSync(log), bytes, 'the frame is written again');
      assert.deepEqual((await kms.auditLog()).map((r) => r.eventName), ['CreateKey', 'CreateAlias']);
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('a stale lock left by a dead process is broken; a live one is waited for', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      await populated(store);
      // A lock held by a process that no longer exists (pid 2^22 - 1 is above Linux's default pid_max).
      writeFileSync(join(store, 'lock'), `4194303 ${(await import('node:os')).hostname()} deadbeef`);
      const kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      assert.equal((await kms.listKeys({})).Keys.length, 2);
      await kms.close();
      assert.ok(!existsSync(join(store, 'lock')), 'released on close');
      // A live holder (this process, another token) blocks until released.
      writeFileSync(join(store, 'lock'), `${process.pid} ${(await import('node:os')).hostname()} other`);
      let opened = false;
      const pending = createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) }).then((k) => {
        opened = true;
        return k;
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(opened, false, 'waits for the live holder');
      unlinkSync(join(store, 'lock'));
      const k2 = await pending;
      await k2.close();
    } finally {
      cleanup();
    }
  });

  test('restoreBackup fills an empty file store; the backup holds the audit log too', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const made = await populated(join(dir, 'source'));
      const source = await createKms({ store: fileStore(join(dir, 'source'), { rootKey: ROOT_KEY }) });
      const sourceLog = await source.auditLog();
      const backup = await source.exportBackup({ passphrase: 'backup pass' });
      await source.close();
      const target = join(dir, 'target');
      let kms = await createKms({ store: fileStore(target) });
      await kms.restoreBackup(backup, { passphrase: 'backup pass' });
      await checkPopulated(kms, made);
      await kms.close();
      kms = await createKms({ store: fileStore(target) });
      await checkPopulated(kms, made);
      const log = await kms.auditLog();
      assert.deepEqual(log.slice(0, sourceLog.length).map((r) => r.eventID), sourceLog.map((r) => r.eventID), 'the source log, then the new calls');
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await assert.rejects(kms.restoreBackup(backup, { passphrase: 'backup pass' }), { name: 'KMSInvalidStateException' });
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('imported key material is never on disk: not in the store files, not in the backup', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const material = randomBytes(32);
      // Positive control: the plain records (what a memory store holds) do contain it.
      const mem = memoryStore();
      const plain = await createKms({ store: mem });
      await importedKey(plain, material);
      await plain.close();
      const held = [mem.readState(), ...mem.readChanges()].filter(Boolean);
      assert.ok(held.some((b) => contains(b, material)), 'the search finds the material in plain records');

      const store = join(dir, 'kms');
      const kms = await createKms({ store: fileStore(store) });
      const KeyId = await importedKey(kms, material, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
      const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: utf8('under imported material') });
      await kms.rotateKeyOnDemand({ KeyId }).catch(() => {}); // refused for EXTERNAL keys; still audited
      const backup = await kms.exportBackup({ passphrase: 'pw' });
      await kms.close();
      const files = [...filesUnder(store), { path: `${store}.key`, bytes: readFileSync(`${store}.key`) }];
      assert.ok(files.length >= 4);
      for (const f of files) assert.equal(contains(f.bytes, material), false, `${f.path} does not hold the material`);
      assert.equal(contains(backup, material), false, 'the backup does not hold the material');
      const reopened = await createKms({ store: fileStore(store) });
      assert.equal(new TextDecoder().decode((await reopened.decrypt({ CiphertextBlob })).Plaintext), 'under imported material');
      await reopened.close();
    } finally {
      cleanup();
    }
  });

  test('a wasm trap on a file store recovers from the store; the log stays one valid chain', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'kms');
      let kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      const { KeyMetadata } = await kms.createKey({ Description: 'survivor' });
      await kms.createAlias({ AliasName: 'alias/survivor', TargetKeyId: KeyMetadata.KeyId });
      const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/survivor', Plaintext: utf8('before the trap') });
      const recoveries = kms.__recoveries;
      await assert.rejects(kms.__trapForTesting(), { name: 'KMSInternalException' });
      assert.equal(kms.__recoveries, recoveries + 1);
      assert.equal(new TextDecoder().decode((await kms.decrypt({ CiphertextBlob })).Plaintext), 'before the trap');
      await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: 'after', TagValue: 'trap' }] });
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await kms.close();
      kms = await createKms({ store: fileStore(store, { rootKey: ROOT_KEY }) });
      const names = (await kms.auditLog()).map((r) => r.eventName);
      assert.deepEqual(names.slice(0, 2), ['CreateKey', 'CreateAlias'], 'committed records survive');
      assert.equal(names.at(-1), 'TagResource');
      assert.deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      assert.equal((await kms.listResourceTags({ KeyId: KeyMetadata.KeyId })).Tags.length, 1);
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('indexedDbStore needs a browser: in Node it fails clearly', async () => {
    const { indexedDbStore } = await import('kms-wasm');
    await assert.rejects(createKms({ store: indexedDbStore('node') }), storeError(/needs IndexedDB/));
    assert.throws(() => indexedDbStore(''), { name: 'ValidationException' });
  });

  test('the store directory and its files are private to the user', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = join(dir, 'nested', 'kms');
      mkdirSync(join(dir, 'nested'));
      await populated(store, {});
      assert.equal(statSync(store).mode & 0o777, 0o700);
      for (const name of readdirSync(store)) assert.equal(statSync(join(store, name)).mode & 0o077, 0, `${name} is private`);
      writeFileSync(join(dir, 'a-file'), 'x');
      await assert.rejects(createKms({ store: fileStore(join(dir, 'a-file'), { rootKey: ROOT_KEY }) }), storeError(/is not a directory/));
    } finally {
      cleanup();
    }
  });
});
