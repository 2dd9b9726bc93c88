// Aliases and tags: CreateAlias, UpdateAlias, DeleteAlias, ListAliases,
// TagResource, UntagResource, ListResourceTags.
import { createKms } from 'kms-wasm';
import {
  suite, ok, equal, deepEqual, date, match, hasMembers, rejects, listAll, observe, fakeClock, utf8, DEFAULT_ACCOUNT,
} from './harness.js';

/** AWS's predefined aliases, listed without a TargetKeyId until a service uses its key. */
const PREDEFINED = [
  'acm', 'dynamodb', 'ebs', 'elasticfilesystem', 'es', 'glue', 'kinesisvideo', 'lambda', 'rds', 'redshift', 's3',
  'secretsmanager', 'ssm', 'xray',
].map((s) => `alias/aws/${s}`);

/** The aliases of a listing that point at a key (not the predefined ones). */
const targeted = (list) => list.Aliases.filter((x) => x.TargetKeyId !== undefined);

/** Rejects with `name` and exactly `message`. */
async function rejectsWith(call, name, message, msg) {
  let err;
  try {
    await call;
  } catch (e) {
    err = e;
  }
  ok(err, `${msg}: expected a rejection`);
  equal(err.name, name, `${msg}: the error name`);
  equal(err.message, message, `${msg}: the message`);
}

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
    equal(targeted(list).length, 1);
    const [e] = targeted(list);
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
    const [e] = targeted(await kms.listAliases({}));
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
    deepEqual(targeted(await kms.listAliases({})), []);
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
    deepEqual(p1.Aliases.map((x) => x.AliasName), ['alias/a0', 'alias/a1', 'alias/a2', 'alias/a3']);
    equal(p1.Truncated, true);
    match(p1.NextMarker, /./);
    const p2 = await kms.listAliases({ Limit: 4, Marker: p1.NextMarker });
    deepEqual(p2.Aliases.map((x) => x.AliasName), ['alias/a4', 'alias/aws/acm', 'alias/aws/dynamodb', 'alias/aws/ebs']);
    const all = await listAll((r) => kms.listAliases(r), {}, 'Aliases', 4);
    deepEqual(all.map((x) => x.AliasName), [...['a0', 'a1', 'a2', 'a3', 'a4'].map((n) => `alias/${n}`), ...PREDEFINED, 'alias/b0']);
    await rejectsWith(
      kms.listAliases({ Limit: 101 }),
      'ValidationException',
      "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
      'Limit 101',
    );
    await rejects(kms.listAliases({ Marker: 'bogus' }), 'InvalidMarkerException');
  });

  test('a fresh account lists AWS\'s predefined aliases by name and ARN only; KeyId lists only that key\'s aliases', async () => {
    const { kms, a } = await twoKeys();
    const list = await kms.listAliases({});
    deepEqual(list.Aliases, PREDEFINED.map((AliasName) => ({ AliasName, AliasArn: `arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:${AliasName}` })));
    equal(list.Truncated, false);
    deepEqual((await kms.listAliases({ KeyId: a.KeyId })).Aliases, [], 'no predefined alias belongs to a key');
  });

  test('a predefined alias a service used lists its managed key, in its place and once', async () => {
    const { kms } = await twoKeys();
    await kms.forService('s3').generateDataKey({ KeyId: 'alias/aws/s3', KeySpec: 'AES_256' });
    const managed = (await kms.describeKey({ KeyId: 'alias/aws/s3' })).KeyMetadata.KeyId;
    const after = await kms.listAliases({});
    deepEqual(after.Aliases.map((x) => x.AliasName), PREDEFINED, 'the used one keeps its place, once');
    deepEqual(targeted(after).map((x) => [x.AliasName, x.TargetKeyId]), [['alias/aws/s3', managed]]);
    deepEqual((await kms.listAliases({ KeyId: managed })).Aliases.map((x) => x.AliasName), ['alias/aws/s3']);
  });

  test('alias refusals in AWS\'s words, nothing changes', async () => {
    const { kms, a } = await twoKeys();
    await kms.createAlias({ AliasName: 'alias/taken', TargetKeyId: a.KeyId });
    const before = await observe(kms);
    const prefix = 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html';
    await rejectsWith(kms.createAlias({ AliasName: 'my-alias', TargetKeyId: a.KeyId }), 'ValidationException', prefix, 'createAlias');
    await rejectsWith(kms.deleteAlias({ AliasName: 'my-alias' }), 'ValidationException', prefix, 'deleteAlias');
    await rejectsWith(
      kms.createAlias({ AliasName: 'alias/my-alias!', TargetKeyId: a.KeyId }),
      'ValidationException',
      "1 validation error detected: Value 'alias/my-alias!' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
      'pattern',
    );
    await rejectsWith(
      kms.createAlias({ AliasName: 'alias/taken', TargetKeyId: a.KeyId }),
      'AlreadyExistsException',
      `An alias with the name arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:alias/taken already exists`,
      'duplicate',
    );
    await rejectsWith(
      kms.deleteAlias({ AliasName: 'alias/unknown-alias' }),
      'NotFoundException',
      `Alias arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:alias/unknown-alias is not found.`,
      'unknown alias',
    );
    await rejectsWith(
      kms.describeKey({ KeyId: 'alias/aws/s3' }),
      'NotFoundException',
      `Alias arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:alias/aws/s3 is not found.`,
      'a predefined alias no service has used',
    );
    deepEqual(await observe(kms), before);
  });

  test('AlreadyExistsException for a duplicate alias, nothing changes', async () => {
    const { kms, a, b } = await twoKeys();
    await kms.createAlias({ AliasName: 'alias/dup', TargetKeyId: a.KeyId });
    const before = await observe(kms);
    await rejects(kms.createAlias({ AliasName: 'alias/dup', TargetKeyId: b.KeyId }), 'AlreadyExistsException');
    await rejects(kms.createAlias({ AliasName: 'alias/dup', TargetKeyId: a.KeyId }), 'AlreadyExistsException');
    deepEqual(await observe(kms), before);
  });

  test('InvalidAliasNameException for alias/aws/..., ValidationException for names without alias/', async () => {
    const { kms, a } = await twoKeys();
    const before = await observe(kms);
    for (const AliasName of ['alias/aws/s3', 'alias/aws/mine']) {
      await rejects(kms.createAlias({ AliasName, TargetKeyId: a.KeyId }), 'InvalidAliasNameException', AliasName);
    }
    await rejects(kms.createAlias({ AliasName: 'my-alias', TargetKeyId: a.KeyId }), 'ValidationException', 'my-alias');
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

  test('TagException for reserved tags, ValidationException for tag lengths, nothing changes', async () => {
    const { kms, a } = await twoKeys();
    await kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 'keep', TagValue: 'me' }] });
    const before = await observe(kms);
    const reserved = [
      [{ TagKey: 'aws:reserved', TagValue: 'x' }],
      [{ TagKey: 'AWS:reserved', TagValue: 'x' }],
      [{ TagKey: 'fine', TagValue: 'x' }, { TagKey: 'aws:bad', TagValue: 'x' }],
    ];
    for (const Tags of reserved) {
      await rejects(kms.tagResource({ KeyId: a.KeyId, Tags }), 'TagException', JSON.stringify(Tags).slice(0, 60));
    }
    const lengths = [
      [{ TagKey: '', TagValue: 'x' }],
      [{ TagKey: 'k'.repeat(129), TagValue: 'x' }],
      [{ TagKey: 'ok', TagValue: 'v'.repeat(257) }],
    ];
    for (const Tags of lengths) {
      await rejects(kms.tagResource({ KeyId: a.KeyId, Tags }), 'ValidationException', JSON.stringify(Tags).slice(0, 60));
    }
    await rejectsWith(
      kms.tagResource({ KeyId: a.KeyId, Tags: [{ TagKey: 'ok', TagValue: 'x' }, { TagKey: '', TagValue: 'x' }] }),
      'ValidationException',
      "1 validation error detected: Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
      'the second tag',
    );
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
