// Aliases and tags: CreateAlias, UpdateAlias, DeleteAlias, ListAliases,
// TagResource, UntagResource, ListResourceTags.
import { createKms } from 'kms-wasm';
import {
  suite, ok, equal, deepEqual, date, match, hasMembers, rejects, listAll, observe, fakeClock, utf8, DEFAULT_ACCOUNT,
} from './harness.js';

async function twoKeys() {
  const clock = fakeClock();
  const kms = await createKms({ now: clock.now });
  const a = (await kms.createKey({ Description: 'a' })).KeyMetadata;
  const b = (await kms.createKey({ Description: 'b' })).KeyMetadata;
  return { clock, kms, a, b };
}

export default suite('aliases and tags', (test) => {
  test('createAlias and listAliases: AliasName, AliasArn, TargetKeyId, dates', async () => {
    const { clock, kms, a } = await twoKeys();
    const res = await kms.createAlias({ AliasName: 'alias/app/prod_1-x', TargetKeyId: a.Arn });
    ok(res !== null && typeof res === 'object', 'resolves to a response object');
    const list = await kms.listAliases({});
    hasMembers(list, ['Aliases', 'Truncated']);
    equal(list.Truncated, false);
    equal(list.Aliases.length, 1);
    const e = list.Aliases[0];
    hasMembers(e, ['AliasName', 'AliasArn', 'TargetKeyId', 'CreationDate', 'LastUpdatedDate']);
    equal(e.AliasName, 'alias/app/prod_1-x');
    equal(e.AliasArn, `arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:alias/app/prod_1-x`);
    equal(e.TargetKeyId, a.KeyId, 'TargetKeyId is the key id, as in AWS');
    date(e.CreationDate, 'CreationDate');
    date(e.LastUpdatedDate, 'LastUpdatedDate');
    equal(e.CreationDate.getTime(), clock.ms);
  });

  test('an alias works in place of the key for cryptography and describeKey', async () => {
    const { kms, a } = await twoKeys();
    await kms.createAlias({ AliasName: 'alias/crypto', TargetKeyId: a.KeyId });
    const enc = await kms.encrypt({ KeyId: 'alias/crypto', Plaintext: utf8('via alias') });
    equal(enc.KeyId, a.Arn, 'the response names the key ARN, not the alias');
    const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, KeyId: 'alias/crypto' });
    equal(dec.KeyId, a.Arn);
    const aliasArn = `arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:alias/crypto`;
    const gdk = await kms.generateDataKey({ KeyId: aliasArn, KeySpec: 'AES_256' });
    equal(gdk.KeyId, a.Arn);
  });

  test('updateAlias points the alias at another key', async () => {
    const { clock, kms, a, b } = await twoKeys();
    await kms.createAlias({ AliasName: 'alias/moving', TargetKeyId: a.KeyId });
    clock.advance(5000);
    const res = await kms.updateAlias({ AliasName: 'alias/moving', TargetKeyId: b.Arn });
    ok(res !== null && typeof res === 'object', 'resolves to a response object');
    equal((await kms.describeKey({ KeyId: 'alias/moving' })).KeyMetadata.Arn, b.Arn);
    const [e] = (await kms.listAliases({})).Aliases;
    equal(e.TargetKeyId, b.KeyId);
    equal(e.LastUpdatedDate.getTime(), clock.ms, 'LastUpdatedDate moves');
    equal(e.CreationDate.getTime(), clock.ms - 5000, 'CreationDate stays');
    const enc = await kms.encrypt({ KeyId: 'alias/moving', Plaintext: utf8('x') });
    equal(enc.KeyId, b.Arn);
  });

  test('deleteAlias removes the alias but not the key', async () => {
    const { kms, a } = await twoKeys();
    await kms.createAlias({ AliasName: 'alias/gone', TargetKeyId: a.KeyId });
    const res = await kms.deleteAlias({ AliasName: 'alias/gone' });
    ok(res !== null && typeof res === 'object', 'resolves to a response object');
    await rejects(kms.describeKey({ KeyId: 'alias/gone' }), 'NotFoundException');
    await rejects(kms.deleteAlias({ AliasName: 'alias/gone' }), 'NotFoundException', 'deleting twice');
    equal((await kms.describeKey({ KeyId: a.KeyId })).KeyMetadata.KeyState, 'Enabled');
    deepEqual((await kms.listAliases({})).Aliases, []);
    await kms.createAlias({ AliasName: 'alias/gone', TargetKeyId: a.KeyId });
  });

  test('listAliases filters by KeyId and pages with Limit and Marker', async () => {
    const { kms, a, b } = await twoKeys();
    for (let i = 0; i < 5; i += 1) await kms.createAlias({ AliasName: `alias/a${i}`, TargetKeyId: a.KeyId });
    await kms.createAlias({ AliasName: 'alias/b0', TargetKeyId: b.KeyId });
    const ofB = await kms.listAliases({ KeyId: b.Arn });
    deepEqual(ofB.Aliases.map((x) => x.AliasName), ['alias/b0']);
    const ofA = await listAll((r) => kms.listAliases(r), { KeyId: a.KeyId }, 'Aliases', 2);
    deepEqual(ofA.map((x) => x.AliasName).sort(), ['alias/a0', 'alias/a1', 'alias/a2', 'alias/a3', 'alias/a4']);
    const p1 = await kms.listAliases({ Limit: 4 });
    equal(p1.Aliases.length, 4);
    equal(p1.Truncated, true);
    match(p1.NextMarker, /./);
    const p2 = await kms.listAliases({ Limit: 4, Marker: p1.NextMarker });
    equal(p2.Aliases.length, 2);
    equal(p2.Truncated, false);
    equal(p2.NextMarker, undefined);
    await rejects(kms.listAliases({ Limit: 101 }), 'ValidationException', 'Limit 101');
    await rejects(kms.listAliases({ Marker: 'bogus' }), 'InvalidMarkerException');
  });

  test('AlreadyExistsException for a duplicate alias, nothing changes', async () => {
    const { kms, a, b } = await twoKeys();
    await kms.createAlias({ AliasName: 'alias/dup', TargetKeyId: a.KeyId });
    const before = await observe(kms);
    await rejects(kms.createAlias({ AliasName: 'alias/dup', TargetKeyId: b.KeyId }), 'AlreadyExistsException');
    await rejects(kms.createAlias({ AliasName: 'alias/dup', TargetKeyId: a.KeyId }), 'AlreadyExistsException');
    deepEqual(await observe(kms), before);
  });

  test('InvalidAliasNameException for alias/aws/... and names without alias/', async () => {
    const { kms, a } = await twoKeys();
    const before = await observe(kms);
    for (const AliasName of ['alias/aws/s3', 'alias/aws/mine', 'my-alias']) {
      await rejects(kms.createAlias({ AliasName, TargetKeyId: a.KeyId }), 'InvalidAliasNameException', AliasName);
    }
    deepEqual(await observe(kms), before);
  });

  test('a key takes at most 50 aliases: LimitExceededException', async () => {
    const { kms, a } = await twoKeys();
    for (let i = 0; i < 50; i += 1) await kms.createAlias({ AliasName: `alias/n${i}`, TargetKeyId: a.KeyId });
    const before = await observe(kms);
    await rejects(kms.createAlias({ AliasName: 'alias/n50', TargetKeyId: a.KeyId }), 'LimitExceededException');
    deepEqual(await observe(kms), before);
    equal((await listAll((r) => kms.listAliases(r), { KeyId: a.KeyId }, 'Aliases')).length, 50);
  });

  test('updateAlias to the key it already names is allowed even when that key has 50 aliases', async () => {
    const { kms, a, b } = await twoKeys();
    for (let i = 0; i < 50; i += 1) await kms.createAlias({ AliasName: `alias/m${i}`, TargetKeyId: a.KeyId });
    await kms.updateAlias({ AliasName: 'alias/m0', TargetKeyId: a.Arn });
    equal((await kms.describeKey({ KeyId: 'alias/m0' })).KeyMetadata.Arn, a.Arn);
    await kms.updateAlias({ AliasName: 'alias/m0', TargetKeyId: b.KeyId });
    await kms.updateAlias({ AliasName: 'alias/m0', TargetKeyId: a.KeyId });
    equal((await listAll((r) => kms.listAliases(r), { KeyId: a.KeyId }, 'Aliases')).length, 50, 'moving an alias away and back');
  });

  test('tagResource, listResourceTags, untagResource', async () => {
    const { kms, a } = await twoKeys();
    const res = await kms.tagResource({ KeyId: a.Arn, Tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: '' }] });
    ok(res !== null && typeof res === 'object', 'resolves to a response object');
    let tags = await kms.listResourceTags({ KeyId: a.KeyId });
    hasMembers(tags, ['Tags', 'Truncated']);
    equal(tags.Truncated, false);
    const sorted = (t) => [...t].sort((x, y) => (x.TagKey < y.TagKey ? -1 : 1));
    deepEqual(sorted(tags.Tags), [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: '' }]);
    await kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 'env', TagValue: 'dev' }] });
    tags = await kms.listResourceTags({ KeyId: a.KeyId });
    deepEqual(sorted(tags.Tags), [{ TagKey: 'env', TagValue: 'dev' }, { TagKey: 'team', TagValue: '' }], 'a tag is overwritten');
    const un = await kms.untagResource({ KeyId: a.KeyId, TagKeys: ['team', 'absent'] });
    ok(un !== null && typeof un === 'object', 'resolves to a response object');
    deepEqual((await kms.listResourceTags({ KeyId: a.KeyId })).Tags, [{ TagKey: 'env', TagValue: 'dev' }]);
    await kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 'k'.repeat(128), TagValue: 'v'.repeat(256) }] });
  });

  test('listResourceTags pages with Limit and Marker', async () => {
    const { kms, a } = await twoKeys();
    const Tags = Array.from({ length: 7 }, (_, i) => ({ TagKey: `k${i}`, TagValue: `v${i}` }));
    await kms.tagResource({ KeyId: a.KeyId, Tags });
    const p1 = await kms.listResourceTags({ KeyId: a.KeyId, Limit: 3 });
    equal(p1.Tags.length, 3);
    equal(p1.Truncated, true);
    const all = await listAll((r) => kms.listResourceTags(r), { KeyId: a.KeyId }, 'Tags', 3);
    deepEqual(all.map((t) => t.TagKey).sort(), Tags.map((t) => t.TagKey).sort());
  });

  test('TagException for bad tags, nothing changes', async () => {
    const { kms, a } = await twoKeys();
    await kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 'keep', TagValue: 'me' }] });
    const before = await observe(kms);
    const bad = [
      [{ TagKey: 'aws:reserved', TagValue: 'x' }],
      [{ TagKey: 'AWS:reserved', TagValue: 'x' }],
      [{ TagKey: '', TagValue: 'x' }],
      [{ TagKey: 'k'.repeat(129), TagValue: 'x' }],
      [{ TagKey: 'ok', TagValue: 'v'.repeat(257) }],
      [{ TagKey: 'fine', TagValue: 'x' }, { TagKey: 'aws:bad', TagValue: 'x' }],
    ];
    for (const Tags of bad) {
      await rejects(kms.tagResource({ KeyId: a.KeyId, Tags }), 'TagException', JSON.stringify(Tags).slice(0, 60));
    }
    await rejects(kms.untagResource({ KeyId: a.KeyId, TagKeys: ['aws:x'] }), 'TagException', 'untag aws:');
    await rejects(kms.createKey({ Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] }), 'TagException', 'createKey with a bad tag');
    deepEqual(await observe(kms), before, 'no tag added, no key created');
  });

  test('more than 50 tags: LimitExceededException, nothing changes', async () => {
    const { kms, a } = await twoKeys();
    const fifty = Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${i}`, TagValue: `${i}` }));
    await kms.tagResource({ KeyId: a.KeyId, Tags: fifty.slice(0, 10) });
    const before = await observe(kms);
    await rejects(
      kms.tagResource({ KeyId: a.KeyId, Tags: [...fifty.slice(10), { TagKey: 'one-too-many', TagValue: 'x' }] }),
      'LimitExceededException',
    );
    deepEqual(await observe(kms), before, 'no tag of the refused call was added');
    await kms.tagResource({ KeyId: a.KeyId, Tags: fifty.slice(10) });
    equal((await listAll((r) => kms.listResourceTags(r), { KeyId: a.KeyId }, 'Tags')).length, 50, 'exactly 50 fit');
    await kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 't0', TagValue: 'overwrite' }] });
    await rejects(kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 'new', TagValue: 'x' }] }), 'LimitExceededException');
    const many = Array.from({ length: 51 }, (_, i) => ({ TagKey: `c${i}`, TagValue: 'x' }));
    await rejects(kms.createKey({ Tags: many }), 'LimitExceededException', 'createKey with 51 tags');
  });
});
