// Key lifecycle: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
// EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.
import { createKms } from 'kms-wasm';
import {
  suite, ok, equal, deepEqual, date, match, hasMembers, rejects, listAll, fakeClock,
  keyArnRe, UUID_RE, DAY, DEFAULT_ACCOUNT,
} from './harness.js';

const METADATA_MEMBERS = [
  'AWSAccountId', 'KeyId', 'Arn', 'CreationDate', 'Enabled', 'Description', 'KeyUsage', 'KeyState',
  'Origin', 'KeyManager', 'KeySpec', 'CustomerMasterKeySpec', 'EncryptionAlgorithms', 'MultiRegion',
];

export default suite('lifecycle', (test) => {
  test('createKey resolves to KeyMetadata of an Enabled symmetric customer key', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const res = await kms.createKey({ Description: 'first key' });
    hasMembers(res, ['KeyMetadata']);
    const m = res.KeyMetadata;
    hasMembers(m, METADATA_MEMBERS, 'KeyMetadata');
    equal(m.AWSAccountId, DEFAULT_ACCOUNT);
    match(m.KeyId, UUID_RE, 'KeyMetadata.KeyId is the key id (as in AWS)');
    match(m.Arn, keyArnRe(), 'KeyMetadata.Arn');
    ok(m.Arn.endsWith(`:key/${m.KeyId}`), 'Arn ends with the key id');
    date(m.CreationDate, 'CreationDate');
    equal(m.CreationDate.getTime(), clock.ms, 'CreationDate is the clock time');
    equal(m.Enabled, true);
    equal(m.Description, 'first key');
    equal(m.KeyUsage, 'ENCRYPT_DECRYPT');
    equal(m.KeyState, 'Enabled');
    equal(m.Origin, 'AWS_KMS');
    equal(m.KeyManager, 'CUSTOMER');
    equal(m.KeySpec, 'SYMMETRIC_DEFAULT');
    equal(m.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT');
    deepEqual(m.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
    equal(m.MultiRegion, false);
    equal(m.DeletionDate, undefined, 'no DeletionDate on a live key');
  });

  test('createKey with no request and with explicit symmetric specs', async () => {
    const kms = await createKms();
    const a = await kms.createKey();
    equal(a.KeyMetadata.KeyState, 'Enabled');
    equal(a.KeyMetadata.Description, '', 'Description defaults to empty');
    const b = await kms.createKey({ KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', Origin: 'AWS_KMS' });
    equal(b.KeyMetadata.KeySpec, 'SYMMETRIC_DEFAULT');
    const c = await kms.createKey({ CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT', Tags: [{ TagKey: 'team', TagValue: 'x' }] });
    const tags = await kms.listResourceTags({ KeyId: c.KeyMetadata.KeyId });
    deepEqual(tags.Tags, [{ TagKey: 'team', TagValue: 'x' }], 'Tags given to createKey are on the key');
    ok(a.KeyMetadata.KeyId !== b.KeyMetadata.KeyId && b.KeyMetadata.KeyId !== c.KeyMetadata.KeyId, 'key ids are unique');
  });

  test('describeKey finds a key by key id, key ARN, alias name and alias ARN', async () => {
    const kms = await createKms();
    const { KeyMetadata: created } = await kms.createKey({ Description: 'd' });
    await kms.createAlias({ AliasName: 'alias/by-name', TargetKeyId: created.KeyId });
    const aliasArn = `arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:alias/by-name`;
    for (const form of [created.KeyId, created.Arn, 'alias/by-name', aliasArn]) {
      const { KeyMetadata } = await kms.describeKey({ KeyId: form });
      deepEqual(KeyMetadata, created, `describeKey(${form})`);
    }
  });

  test('listKeys lists every key with KeyId and KeyArn', async () => {
    const kms = await createKms();
    const created = [];
    for (let i = 0; i < 3; i += 1) created.push((await kms.createKey()).KeyMetadata);
    const res = await kms.listKeys({});
    hasMembers(res, ['Keys', 'Truncated']);
    equal(res.Truncated, false);
    equal(res.NextMarker, undefined, 'no NextMarker on the last page');
    deepEqual(
      res.Keys.map((k) => `${k.KeyId} ${k.KeyArn}`).sort(),
      created.map((m) => `${m.KeyId} ${m.Arn}`).sort(),
    );
    const none = await (await createKms()).listKeys({});
    deepEqual(none.Keys, [], 'a new KMS has no keys');
  });

  test('listKeys pages with Limit and Marker: Truncated and NextMarker as AWS', async () => {
    const kms = await createKms();
    const arns = [];
    for (let i = 0; i < 5; i += 1) arns.push((await kms.createKey()).KeyMetadata.Arn);
    const p1 = await kms.listKeys({ Limit: 2 });
    equal(p1.Keys.length, 2);
    equal(p1.Truncated, true);
    match(p1.NextMarker, /./, 'NextMarker');
    const p2 = await kms.listKeys({ Limit: 2, Marker: p1.NextMarker });
    equal(p2.Keys.length, 2);
    equal(p2.Truncated, true);
    const p3 = await kms.listKeys({ Limit: 2, Marker: p2.NextMarker });
    equal(p3.Keys.length, 1);
    equal(p3.Truncated, false);
    equal(p3.NextMarker, undefined);
    const seen = [...p1.Keys, ...p2.Keys, ...p3.Keys].map((k) => k.KeyArn);
    deepEqual([...seen].sort(), [...arns].sort(), 'the pages hold every key exactly once');
    const whole = await kms.listKeys({ Limit: 5 });
    equal(whole.Truncated, false, 'Limit equal to the count fits one page');
    const all = await listAll((r) => kms.listKeys(r), {}, 'Keys', 1);
    equal(all.length, 5, 'pages of one');
    await kms.listKeys({ Limit: 1000 });
    await rejects(kms.listKeys({ Limit: 1001 }), 'ValidationException', 'Limit 1001');
    await rejects(kms.listKeys({ Limit: 0 }), 'ValidationException', 'Limit 0');
  });

  test('updateKeyDescription changes the description', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({ Description: 'old' });
    const res = await kms.updateKeyDescription({ KeyId: KeyMetadata.Arn, Description: 'new' });
    ok(res !== null && typeof res === 'object', 'resolves to a response object');
    equal((await kms.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.Description, 'new');
    await kms.updateKeyDescription({ KeyId: KeyMetadata.KeyId, Description: '' });
    equal((await kms.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.Description, '', 'empty is allowed');
    await kms.updateKeyDescription({ KeyId: KeyMetadata.KeyId, Description: 'x'.repeat(8192) });
    equal((await kms.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.Description.length, 8192);
  });

  test('disableKey and enableKey move the key between Disabled and Enabled', async () => {
    const kms = await createKms();
    const { KeyMetadata: { KeyId } } = await kms.createKey();
    const r1 = await kms.disableKey({ KeyId });
    ok(r1 !== null && typeof r1 === 'object', 'disableKey resolves to a response object');
    let m = (await kms.describeKey({ KeyId })).KeyMetadata;
    equal(m.KeyState, 'Disabled');
    equal(m.Enabled, false);
    await kms.disableKey({ KeyId }); // idempotent, as in AWS
    const r2 = await kms.enableKey({ KeyId });
    ok(r2 !== null && typeof r2 === 'object', 'enableKey resolves to a response object');
    m = (await kms.describeKey({ KeyId })).KeyMetadata;
    equal(m.KeyState, 'Enabled');
    equal(m.Enabled, true);
    await kms.enableKey({ KeyId });
  });

  test('scheduleKeyDeletion defaults to 30 days and returns a Date', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata: { KeyId, Arn } } = await kms.createKey();
    const res = await kms.scheduleKeyDeletion({ KeyId });
    hasMembers(res, ['KeyId', 'DeletionDate', 'KeyState', 'PendingWindowInDays']);
    equal(res.KeyId, Arn, 'KeyId is the key ARN');
    date(res.DeletionDate, 'DeletionDate');
    equal(res.DeletionDate.getTime(), clock.ms + 30 * DAY, 'DeletionDate is now + 30 days');
    equal(res.KeyState, 'PendingDeletion');
    equal(res.PendingWindowInDays, 30);
    const m = (await kms.describeKey({ KeyId })).KeyMetadata;
    equal(m.KeyState, 'PendingDeletion');
    equal(m.Enabled, false);
    date(m.DeletionDate, 'KeyMetadata.DeletionDate');
    equal(m.DeletionDate.getTime(), res.DeletionDate.getTime());
    equal(m.PendingDeletionWindowInDays, 30);
  });

  test('scheduleKeyDeletion accepts PendingWindowInDays 7..30 only', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    for (const days of [7, 19, 30]) {
      const { KeyMetadata: { KeyId } } = await kms.createKey();
      const res = await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: days });
      equal(res.PendingWindowInDays, days);
      equal(res.DeletionDate.getTime(), clock.ms + days * DAY, `DeletionDate for ${days} days`);
    }
    const { KeyMetadata: { KeyId } } = await kms.createKey();
    for (const days of [6, 31, 0, -7]) {
      await rejects(kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: days }), 'ValidationException', `${days} days`);
    }
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'Enabled', 'the refused schedules left the key Enabled');
  });

  test('scheduleKeyDeletion works on a disabled key', async () => {
    const kms = await createKms();
    const { KeyMetadata: { KeyId } } = await kms.createKey();
    await kms.disableKey({ KeyId });
    const res = await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 });
    equal(res.KeyState, 'PendingDeletion');
  });

  test('cancelKeyDeletion leaves the key Disabled', async () => {
    const kms = await createKms();
    const { KeyMetadata: { KeyId, Arn } } = await kms.createKey();
    await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 });
    const res = await kms.cancelKeyDeletion({ KeyId });
    equal(res.KeyId, Arn, 'KeyId is the key ARN');
    const m = (await kms.describeKey({ KeyId })).KeyMetadata;
    equal(m.KeyState, 'Disabled');
    equal(m.Enabled, false);
    equal(m.DeletionDate, undefined, 'no DeletionDate after cancelling');
    equal(m.PendingDeletionWindowInDays, undefined, 'no PendingDeletionWindowInDays after cancelling');
    await kms.enableKey({ KeyId });
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'Enabled', 'and it can be enabled again');
  });

  test('unknown request members are ignored and GrantTokens are accepted', async () => {
    const kms = await createKms();
    const { KeyMetadata: { KeyId } } = await kms.createKey({ SomethingNew: 42 });
    // Tokens must be real grant tokens (a malformed one is InvalidGrantTokenException, see access.js).
    const { GrantToken } = await kms.createGrant({
      KeyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Encrypt', 'Decrypt', 'DescribeKey'],
    });
    await kms.describeKey({ KeyId, GrantTokens: [GrantToken], Extra: 'ignored' });
    const enc = await kms.encrypt({ KeyId, Plaintext: new Uint8Array([1, 2, 3]), GrantTokens: [GrantToken], Whatever: true });
    const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, GrantTokens: [GrantToken] });
    deepEqual(dec.Plaintext, new Uint8Array([1, 2, 3]));
  });

  test('separate createKms instances share no keys', async () => {
    const a = await createKms();
    const b = await createKms();
    const { KeyMetadata: { KeyId } } = await a.createKey();
    await rejects(b.describeKey({ KeyId }), 'NotFoundException');
    deepEqual((await b.listKeys({})).Keys, []);
  });
});
