// Record-level persistence through the package (issue 14): a commit writes
// what its call changed, whatever the number of keys; the memory store asks
// for a new base only when its log outgrew the last one; a file store's
// reader behind another writer applies the journal's new entries instead of
// reloading the whole state.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createKms, memoryStore, fileStore } from 'kms-wasm';
import { tempDir } from './helpers.mjs';

const ROOT_KEY = new Uint8Array(32).fill(9);

/** A memory store that remembers what each commit handed it. */
function watchedMemoryStore() {
  const store = memoryStore();
  const commits = [];
  const commit = store.commit.bind(store);
  store.commit = (c) => {
    commits.push({ changes: c.changes?.length ?? 0, full: c.full?.length ?? 0, snapshot: c.state?.length ?? 0 });
    return commit(c);
  };
  return { store, commits };
}

describe('record-level persistence', () => {
  test('memory store: a createKey commits the same bytes with 5 keys and with 2,000; a new base only when the log outgrew the last', async () => {
    const { store, commits } = watchedMemoryStore();
    const kms = await createKms({ store });
    for (let i = 0; i < 5; i++) await kms.createKey({});
    const early = commits.at(-1).changes;
    for (let i = 0; i < 2000; i++) await kms.createKey({});
    const late = commits.at(-1).changes;
    assert.ok(early > 0);
    assert.ok(Math.abs(late - early) <= 8, `one createKey: ${early} bytes with 5 keys, ${late} with 2,005`);
    assert.ok(commits.every((c) => c.snapshot === 0), 'no whole snapshot is handed over');
    // New bases: the first commit, then each time the changes since outgrew the base (or 256 KiB).
    const bases = commits.map((c, i) => [i, c.full]).filter(([, full]) => full > 0);
    assert.equal(bases[0][0], 0, 'the first commit writes a base');
    assert.ok(bases.length >= 2 && bases.length <= 8, `${bases.length} bases in ${commits.length} commits`);
    const written = commits.reduce((n, c) => n + c.changes + c.full, 0);
    const perCommit = written / commits.length;
    assert.ok(perCommit < 5 * late, `amortized ${Math.round(perCommit)} bytes per commit, ${late} per createKey`);
    // And the store rebuilds the same KMS (trap recovery reads it).
    const again = await createKms({ store });
    assert.equal((await again.listKeys({ Limit: 1000 })).Keys.length, 1000);
    let count = 0;
    for (let marker; ;) {
      const page = await again.listKeys({ Limit: 1000, Marker: marker });
      count += page.Keys.length;
      if (!page.Truncated) break;
      marker = page.NextMarker;
    }
    assert.equal(count, 2005);
    await again.close();
    await kms.close();
  });

  test('file store: one createKey grows the journal by the same bytes with 5 keys and with 300', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'kms');
      const kms = await createKms({ store: fileStore(path, { rootKey: ROOT_KEY }) });
      const journal = () => statSync(join(path, 'journal.0')).size;
      const grow = async () => {
        const before = journal();
        await kms.createKey({});
        return journal() - before;
      };
      for (let i = 0; i < 5; i++) await kms.createKey({});
      const early = await grow();
      for (let i = 0; i < 300; i++) await kms.createKey({});
      const late = await grow();
      assert.ok(early > 0 && Math.abs(late - early) <= 8, `one createKey: ${early} bytes with 6 keys, ${late} with 306`);
      assert.equal(statSync(join(path, 'journal.1')).size, journal(), 'both journals hold it');
      await kms.close();
    } finally {
      cleanup();
    }
  });

  test('file store: a KMS behind another writer catches up from the journal, without reading the base again', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'kms');
      const a = await createKms({ store: fileStore(path, { rootKey: ROOT_KEY }) });
      await a.createKey({ Description: 'before b opened' });
      const bStore = fileStore(path, { rootKey: ROOT_KEY });
      const reads = { state: 0, changes: 0, since: 0 };
      for (const [name, method] of [['state', 'readState'], ['changes', 'readChanges'], ['since', 'readChangesSince']]) {
        const original = bStore[method].bind(bStore);
        bStore[method] = (...args) => {
          reads[name] += 1;
          return original(...args);
        };
      }
      const b = await createKms({ store: bStore });
      assert.deepEqual(reads, { state: 1, changes: 1, since: 0 }, 'opening reads the base and the journal');
      for (let i = 0; i < 5; i++) {
        const id = (await a.createKey({ Description: `by a ${i}` })).KeyMetadata.KeyId;
        await a.createAlias({ AliasName: `alias/a${i}`, TargetKeyId: id });
        assert.equal((await b.describeKey({ KeyId: `alias/a${i}` })).KeyMetadata.Description, `by a ${i}`);
        const byB = (await b.createKey({ Description: `by b ${i}` })).KeyMetadata.KeyId;
        assert.equal((await a.describeKey({ KeyId: byB })).KeyMetadata.Description, `by b ${i}`);
      }
      assert.equal(reads.state, 1, 'the base was read once, at open');
      assert.ok(reads.since >= 5, `caught up ${reads.since} times from the journal`);
      assert.deepEqual(await b.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      assert.deepEqual(await a.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      await a.close();
      await b.close();
    } finally {
      cleanup();
    }
  });
});
