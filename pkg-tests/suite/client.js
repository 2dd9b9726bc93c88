// The JS client around the operations: the fake clock and deletion,
// withCaller views, loading options, and recovery from a wasm trap.
import { createKms } from 'kms-wasm';
import {
  suite, ok, equal, deepEqual, date, rejects, isAwsError, listAll, observe, fakeClock, utf8, keyArnRe, DAY,
} from './harness.js';

export default suite('client', (test) => {
  test('the package exports createKms as a function resolving to a KMS', async () => {
    equal(typeof createKms, 'function');
    const kms = await createKms();
    for (const op of [
      'createKey', 'describeKey', 'listKeys', 'updateKeyDescription', 'enableKey', 'disableKey', 'scheduleKeyDeletion',
      'cancelKeyDeletion', 'enableKeyRotation', 'disableKeyRotation', 'getKeyRotationStatus', 'rotateKeyOnDemand',
      'listKeyRotations', 'createAlias', 'updateAlias', 'deleteAlias', 'listAliases', 'tagResource', 'untagResource',
      'listResourceTags', 'encrypt', 'decrypt', 'reEncrypt', 'generateDataKey', 'generateDataKeyWithoutPlaintext',
      'generateRandom', 'withCaller',
    ]) {
      equal(typeof kms[op], 'function', `kms.${op}`);
    }
    const { KeyMetadata } = await kms.createKey({});
    ok(keyArnRe().test(KeyMetadata.Arn), 'default account 111122223333 and region us-east-1');
  });

  test('send takes the AWS SDK command form (recognized by its schema) and refuses what is not a KMS command, changing nothing', async () => {
    const kms = await createKms();
    // What @aws-sdk/client-kms's commands carry (the SDK itself is tested with send in node/sdk-send.test.mjs).
    const command = (op, input) => ({ schema: [9, 'com.amazonaws.kms', op], input });
    const { KeyMetadata } = await kms.send(command('CreateKey', { Description: 'sent' }));
    equal(KeyMetadata.Description, 'sent');
    const { CiphertextBlob } = await kms.send(command('Encrypt', { KeyId: KeyMetadata.Arn, Plaintext: utf8('x') }));
    deepEqual(await kms.send(command('Decrypt', { CiphertextBlob })), await kms.decrypt({ CiphertextBlob }));
    const before = await observe(kms);
    await rejects(kms.send(command('Sign', { KeyId: KeyMetadata.Arn })), 'UnsupportedOperationException');
    await rejects(kms.send({ schema: [9, 'com.amazonaws.s3', 'ListBuckets'], input: {} }), 'UnsupportedOperationException');
    await rejects(kms.send(command('DisableKey', { KeyId: 'alias/none' })), 'NotFoundException');
    await rejects(kms.send(null), 'ValidationException');
    deepEqual(await observe(kms), before, 'refused commands changed nothing');
  });

  test('createKms rejects an invalid accountId or region with ValidationException', async () => {
    await rejects(() => createKms({ accountId: '12' }), 'ValidationException', 'accountId 12');
    await rejects(() => createKms({ accountId: 'abcdefghijkl' }), 'ValidationException', 'accountId of letters');
    await rejects(() => createKms({ region: 'US EAST' }), 'ValidationException', 'region with a space');
  });

  test('timestamps follow the injected clock', async () => {
    const clock = fakeClock('2031-06-15T12:34:56.789Z');
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata } = await kms.createKey({});
    date(KeyMetadata.CreationDate);
    equal(KeyMetadata.CreationDate.toISOString(), '2031-06-15T12:34:56.789Z');
    clock.advance(DAY);
    const { KeyMetadata: k2 } = await kms.createKey({});
    equal(k2.CreationDate.getTime() - KeyMetadata.CreationDate.getTime(), DAY);
  });

  test('a key pending deletion is gone, with its aliases, once the clock passes DeletionDate', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata: doomed } = await kms.createKey({ Description: 'doomed' });
    const { KeyMetadata: keeper } = await kms.createKey({ Description: 'keeper' });
    await kms.createAlias({ AliasName: 'alias/doomed-1', TargetKeyId: doomed.KeyId });
    await kms.createAlias({ AliasName: 'alias/doomed-2', TargetKeyId: doomed.KeyId });
    await kms.createAlias({ AliasName: 'alias/keeper', TargetKeyId: keeper.KeyId });
    const blob = (await kms.encrypt({ KeyId: doomed.KeyId, Plaintext: utf8('last words') })).CiphertextBlob;
    const keeperBlob = (await kms.encrypt({ KeyId: keeper.KeyId, Plaintext: utf8('kept') })).CiphertextBlob;
    const { DeletionDate } = await kms.scheduleKeyDeletion({ KeyId: doomed.KeyId, PendingWindowInDays: 7 });
    equal(DeletionDate.getTime(), clock.ms + 7 * DAY);

    clock.set(DeletionDate.getTime() - 1);
    equal((await kms.describeKey({ KeyId: doomed.KeyId })).KeyMetadata.KeyState, 'PendingDeletion', 'still there 1 ms before');
    equal((await kms.describeKey({ KeyId: 'alias/doomed-1' })).KeyMetadata.Arn, doomed.Arn, 'alias still there');

    clock.set(DeletionDate.getTime());
    await rejects(kms.describeKey({ KeyId: doomed.KeyId }), 'NotFoundException', 'describeKey by id');
    await rejects(kms.describeKey({ KeyId: doomed.Arn }), 'NotFoundException', 'describeKey by ARN');
    await rejects(kms.describeKey({ KeyId: 'alias/doomed-1' }), 'NotFoundException', 'describeKey by alias');
    await rejects(kms.cancelKeyDeletion({ KeyId: doomed.KeyId }), 'NotFoundException', 'too late to cancel');
    await rejects(kms.decrypt({ CiphertextBlob: blob }), 'NotFoundException', 'its ciphertexts name a deleted key');
    const keys = await listAll((r) => kms.listKeys(r), {}, 'Keys');
    deepEqual(keys.map((k) => k.KeyArn), [keeper.Arn], 'listKeys no longer lists it');
    const aliases = await listAll((r) => kms.listAliases(r), {}, 'Aliases');
    deepEqual(aliases.filter((a) => a.TargetKeyId).map((a) => a.AliasName), ['alias/keeper'], 'its aliases are gone');
    deepEqual((await kms.decrypt({ CiphertextBlob: keeperBlob })).Plaintext, utf8('kept'), 'other keys are untouched');
    await kms.createAlias({ AliasName: 'alias/doomed-1', TargetKeyId: keeper.KeyId });
  });

  test('deletion takes effect after DeletionDate whatever the next call is, even a failing one', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata } = await kms.createKey({});
    await kms.scheduleKeyDeletion({ KeyId: KeyMetadata.KeyId });
    clock.advance(31 * DAY);
    await rejects(kms.generateRandom({ NumberOfBytes: 0 }), 'ValidationException');
    deepEqual((await kms.listKeys({})).Keys, []);
  });

  test('a cancelled deletion does not happen', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata } = await kms.createKey({});
    await kms.scheduleKeyDeletion({ KeyId: KeyMetadata.KeyId, PendingWindowInDays: 7 });
    clock.advance(3 * DAY);
    await kms.cancelKeyDeletion({ KeyId: KeyMetadata.KeyId });
    clock.advance(30 * DAY);
    equal((await kms.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.KeyState, 'Disabled');
  });

  test('withCaller returns a view sharing keys, aliases and clock', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const alice = await kms.withCaller('arn:aws:iam::111122223333:user/alice');
    ok(alice && typeof alice.encrypt === 'function', 'the view has the operations');
    const { KeyMetadata } = await kms.createKey({ Description: 'shared' });
    equal((await alice.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.Description, 'shared', 'the view sees the key');
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('between callers') });
    deepEqual((await alice.decrypt({ CiphertextBlob })).Plaintext, utf8('between callers'), 'the view decrypts');
    const { KeyMetadata: hers } = await alice.createKey({ Description: 'made by alice' });
    await alice.createAlias({ AliasName: 'alias/alice', TargetKeyId: hers.KeyId });
    equal((await kms.describeKey({ KeyId: 'alias/alice' })).KeyMetadata.Arn, hers.Arn, 'the base sees what the view made');
    equal(hers.CreationDate.getTime(), clock.ms, 'the view uses the same clock');
    deepEqual(await observe(alice), await observe(kms), 'both see the same state');
    const bob = await alice.withCaller('arn:aws:iam::111122223333:role/bob');
    equal((await bob.listKeys({})).Keys.length, 2, 'a view of a view');
    await rejects(alice.describeKey({ KeyId: 'alias/none' }), 'NotFoundException', 'errors keep their names in views');
  });

  test('a trap in the wasm instance becomes KMSInternalException, and the KMS recovers with its keys', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata } = await kms.createKey({ Description: 'survivor' });
    await kms.createAlias({ AliasName: 'alias/survivor', TargetKeyId: KeyMetadata.KeyId });
    await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] });
    await kms.rotateKeyOnDemand({ KeyId: KeyMetadata.KeyId });
    const blob = (await kms.encrypt({ KeyId: 'alias/survivor', Plaintext: utf8('before the trap'), EncryptionContext: { t: '1' } })).CiphertextBlob;
    const before = await observe(kms);
    equal(typeof kms.__trapForTesting, 'function', 'the test hook exists');

    let trapError = null;
    try {
      await kms.__trapForTesting();
    } catch (err) {
      trapError = err;
    }
    if (trapError) {
      isAwsError(trapError, 'KMSInternalException', 'the trapping call');
    } else {
      await rejects(kms.describeKey({ KeyId: KeyMetadata.KeyId }), 'KMSInternalException', 'the call after the trap');
    }

    deepEqual(await observe(kms), before, 'keys, aliases, tags and rotations survive');
    const dec = await kms.decrypt({ CiphertextBlob: blob, EncryptionContext: { t: '1' } });
    deepEqual(dec.Plaintext, utf8('before the trap'), 'earlier ciphertexts still decrypt');
    const enc = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('after') });
    deepEqual((await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob })).Plaintext, utf8('after'), 'new work succeeds');
    await kms.createKey({ Description: 'after the trap' });
    equal((await kms.listKeys({})).Keys.length, 2);
  });

  test('a trap does not lose calls that were queued behind it', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({});
    const trap = Promise.resolve().then(() => kms.__trapForTesting());
    const queued = [1, 2, 3].map((i) => kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8(`q${i}`) }));
    const settled = await Promise.allSettled([trap, ...queued]);
    for (const r of settled) {
      if (r.status === 'rejected') isAwsError(r.reason, 'KMSInternalException', 'a call around the trap');
    }
    const survivors = settled.slice(1).filter((r) => r.status === 'fulfilled');
    for (const r of survivors) {
      const dec = await kms.decrypt({ CiphertextBlob: r.value.CiphertextBlob });
      ok(/^q[123]$/.test(new TextDecoder().decode(dec.Plaintext)), 'a fulfilled call around the trap produced a good blob');
    }
    equal((await kms.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.KeyState, 'Enabled', 'the KMS works afterwards');
  });
});
