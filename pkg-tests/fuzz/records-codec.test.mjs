// Properties of npm/src/stores/records-codec.js, the JS reader and writer of
// bodies of records (src/persist/records.rs) the IndexedDB store keeps one
// by one (imported by path from the installed package: it is not in the
// exports map):
//
//   - buildBody then parseBody gives every field and record back;
//   - parseBody of arbitrary bytes, and of mutations of real bodies (bit
//     flips, cuts, insertions, edited lengths): a KMSInvalidStoreException,
//     or a body that buildBody writes back byte for byte — never another
//     error;
//   - the bodies a real KMS commits (a memory store's base and changes,
//     after random calls) parse and are rebuilt byte for byte, and the full
//     body merged in JS from them (what indexedDbStore rebuilds on open) is
//     accepted by the wasm and gives a KMS holding the same state.
import assert from 'node:assert/strict';
import { createKms, memoryStore, KmsError } from 'kms-wasm';
import { fc, fuzz, internal, isProgrammingError } from './common.mjs';

const C = await internal('./stores/records-codec.js');

const isStoreError = (e) => e instanceof KmsError && e.name === 'KMSInvalidStoreException' && /^The record body cannot be used: .+\.$/.test(e.message);

const record = fc.record({
  kind: fc.integer({ min: 0, max: C.KINDS.length - 1 }),
  id: fc.string({ unit: 'grapheme', maxLength: 12 }),
  present: fc.boolean(),
  value: fc.uint8Array({ maxLength: 40 }),
}).map((r) => (r.present ? r : { ...r, value: new Uint8Array(0) }));

const body = fc.record({
  full: fc.boolean(),
  generation: fc.maxSafeNat(),
  account: fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  region: fc.string({ unit: 'grapheme', maxLength: 12 }),
  salt: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null }),
  records: fc.array(record, { maxLength: 8 }),
});

/** parseBody's verdict on `bytes`: null (refused as damage) or the parsed body; anything else fails the property. */
function verdict(bytes) {
  try {
    return C.parseBody(bytes);
  } catch (e) {
    if (isProgrammingError(e) || !isStoreError(e)) throw e;
    return null;
  }
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

fuzz('records codec: buildBody then parseBody gives every field and record back', () => fc.property(body, (b) => {
  const bytes = C.buildBody(b);
  const p = C.parseBody(bytes);
  assert.equal(p.full, b.full);
  assert.equal(p.generation, b.generation);
  assert.equal(p.account, b.account);
  assert.equal(p.region, b.region);
  assert.equal(p.sealed, b.salt !== null);
  if (b.salt) assert.ok(same(p.salt, b.salt));
  assert.equal(p.records.length, b.records.length);
  p.records.forEach((r, i) => {
    const want = b.records[i];
    assert.deepEqual([r.kind, r.id, r.present], [want.kind, want.id, want.present]);
    assert.ok(same(r.value, want.value));
  });
  assert.ok(same(C.buildBody(p), bytes), 'written back byte for byte');
}), { smoke: 200 });

fuzz('records codec: parseBody of arbitrary bytes refuses as damage or reads what buildBody writes back', () => fc.property(
  fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }).map((tail) => Uint8Array.from([0x4b, 0x4d, 0x53, 0x44, 1, ...tail]))),
  (bytes) => {
    const p = verdict(bytes);
    if (p) assert.ok(same(C.buildBody(p), bytes));
  },
), { smoke: 300 });

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('cut'), at: fc.nat() }),
  fc.record({ op: fc.constant('insert'), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ op: fc.constant('set'), at: fc.nat(), byte: fc.constantFrom(0, 1, 2, 3, 7, 0x7f, 0x80, 0xfe, 0xff) }),
);

function mutate(bytes, m) {
  const at = bytes.length ? m.at % bytes.length : 0;
  switch (m.op) {
    case 'flip': { const b = Uint8Array.from(bytes); if (b.length) b[at] ^= 1 << m.bit; return b; }
    case 'cut': return bytes.slice(0, at);
    case 'insert': return Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    default: { const b = Uint8Array.from(bytes); if (b.length) b[at] = m.byte; return b; }
  }
}

fuzz('records codec: a mutated body is refused as damage, or read as a body that is written back byte for byte', () => fc.property(
  body, fc.array(mutation, { minLength: 1, maxLength: 3 }),
  (b, ms) => {
    const bytes = ms.reduce(mutate, C.buildBody(b));
    const p = verdict(bytes);
    if (p) assert.ok(same(C.buildBody(p), bytes));
  },
), { smoke: 300 });

// ---- bodies of a real KMS --------------------------------------------------

const call = fc.oneof(
  fc.record({ op: fc.constant('createKey'), description: fc.string({ maxLength: 8 }) }),
  fc.record({ op: fc.constantFrom('createAlias', 'updateAlias', 'deleteAlias'), alias: fc.integer({ min: 0, max: 3 }), key: fc.nat() }),
  fc.record({ op: fc.constantFrom('tag', 'untag'), key: fc.nat(), tag: fc.constantFrom('a', 'b', 'ü'), value: fc.string({ maxLength: 6 }) }),
  fc.record({ op: fc.constantFrom('disableKey', 'enableKey', 'scheduleKeyDeletion', 'cancelKeyDeletion', 'enableKeyRotation', 'createGrant'), key: fc.nat() }),
  fc.record({ op: fc.constant('createEndpoint'), n: fc.integer({ min: 0, max: 2 }) }),
);

async function play(kms, keys, c) {
  const KeyId = keys.length ? keys[c.key % keys.length] : undefined;
  const AliasName = `alias/a${c.alias}`;
  switch (c.op) {
    case 'createKey': keys.push((await kms.createKey({ Description: c.description })).KeyMetadata.KeyId); return;
    case 'createAlias': return kms.createAlias({ AliasName, TargetKeyId: KeyId });
    case 'updateAlias': return kms.updateAlias({ AliasName, TargetKeyId: KeyId });
    case 'deleteAlias': return kms.deleteAlias({ AliasName });
    case 'tag': return kms.tagResource({ KeyId, Tags: [{ TagKey: c.tag, TagValue: c.value }] });
    case 'untag': return kms.untagResource({ KeyId, TagKeys: [c.tag] });
    case 'scheduleKeyDeletion': return kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 });
    case 'createGrant': return kms.createGrant({ KeyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/r', Operations: ['Decrypt'] });
    case 'createEndpoint': return kms.createEndpoint({ VpcEndpointId: `vpce-0123456789abcdef${c.n}`, VpcId: 'vpc-0123456789abcdef0' });
    default: return kms[c.op]({ KeyId });
  }
}

async function state(kms) {
  const keys = (await kms.listKeys({})).Keys.map((k) => k.KeyId).sort();
  const out = [(await kms.listAliases({})).Aliases.map((a) => `${a.AliasName}→${a.TargetKeyId}`).sort()];
  for (const KeyId of keys) {
    out.push(JSON.stringify((await kms.describeKey({ KeyId })).KeyMetadata));
    out.push(JSON.stringify((await kms.listResourceTags({ KeyId })).Tags));
    out.push(JSON.stringify((await kms.listGrants({ KeyId })).Grants));
  }
  for (let n = 0; n < 3; n++) {
    out.push(await kms.viaEndpoint(`vpce-0123456789abcdef${n}`).listKeys({}).then(() => 'endpoint', (e) => e.name));
  }
  return out;
}

fuzz('records codec: the bodies a KMS commits rebuild byte for byte, and the full body merged from them gives the same KMS', () => fc.asyncProperty(
  fc.array(call, { minLength: 1, maxLength: 14 }),
  async (calls) => {
    const mem = memoryStore();
    const kms = await createKms({ store: mem, now: () => new Date('2030-01-01T00:00:00Z') });
    const keys = [(await kms.createKey({})).KeyMetadata.KeyId];
    for (const c of calls) await play(kms, keys, c).catch((e) => { if (!(e instanceof KmsError)) throw e; });
    const expected = await state(kms);
    await kms.close();
    const bodies = [mem.readState(), ...mem.readChanges()].filter(Boolean);
    const records = new Map();
    let header = null;
    for (const bytes of bodies) {
      const p = C.parseBody(bytes);
      assert.ok(same(C.buildBody(p), bytes), 'a committed body is written back byte for byte');
      assert.equal(p.sealed, false);
      header ??= p;
      C.applyBody(records, p);
    }
    if (process.env.RECORDS_CODEC_STATS) console.log(`${bodies.length} bodies, ${records.size} records, ${expected.length} state lines`);
    const full = C.fullBody({ generation: 99, account: header.account, region: header.region, records: [...records.values()] });
    const again = await createKms({ store: memoryStore(full), now: () => new Date('2030-01-01T00:00:00Z') });
    assert.deepEqual(await state(again), expected);
    await again.close();
  },
), { smoke: 15, weight: 0.2 });
