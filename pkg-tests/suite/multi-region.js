// Multi-Region keys: createKey({ MultiRegion: true }) makes a primary key
// (`mrk-` id); replicateKey copies it to another Region of the same KMS
// (same id, same material); ciphertexts cross Regions; rotation on the
// primary reaches the replicas; updatePrimaryRegion swaps the roles; the
// envelope keyring decrypts with the key of its own Region.
import { createKms, kmsKeyring, encryptMessage, decryptMessage } from 'kms-wasm';
import { suite, equal, deepEqual, ok, rejects, utf8, text, fakeClock, observe } from './harness.js';

const EU = 'eu-west-1';
const WEST = 'us-west-2';

async function primaryWithReplicas(regions = [EU]) {
  const clock = fakeClock();
  const kms = await createKms({ now: clock.now });
  const { KeyMetadata: primary } = await kms.createKey({ MultiRegion: true, Description: 'primary' });
  const replicas = {};
  for (const region of regions) {
    replicas[region] = (await kms.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: region, Description: `in ${region}`, Tags: [{ TagKey: 'r', TagValue: region }] })).ReplicaKeyMetadata;
  }
  clock.advance(1000);
  return { clock, kms, primary, replicas };
}

export default suite('multi-region', (test) => {
  test('a multi-Region primary key and its replica: one id, one material, ciphertexts cross Regions', async () => {
    const { clock, kms, primary } = await primaryWithReplicas([]);
    ok(/^mrk-[0-9a-f]{32}$/.test(primary.KeyId), primary.KeyId);
    equal(primary.MultiRegion, true);
    deepEqual(primary.MultiRegionConfiguration, {
      MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Arn: primary.Arn, Region: 'us-east-1' }, ReplicaKeys: [],
    });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('from us-east-1') });

    const r = await kms.replicateKey({ KeyId: primary.Arn, ReplicaRegion: EU, Description: 'replica', Tags: [{ TagKey: 'k', TagValue: 'v' }] });
    const replicaArn = primary.Arn.replace('us-east-1', EU);
    equal(r.ReplicaKeyMetadata.Arn, replicaArn);
    equal(r.ReplicaKeyMetadata.KeyState, 'Creating');
    deepEqual(r.ReplicaTags, [{ TagKey: 'k', TagValue: 'v' }]);
    ok(JSON.parse(r.ReplicaPolicy).Statement.length > 0, 'the replica has a key policy');
    const eu = kms.inRegion(EU);
    await rejects(eu.decrypt({ CiphertextBlob }), 'KMSInvalidStateException');
    clock.advance(1000);

    const replica = (await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata;
    equal(replica.KeyState, 'Enabled');
    equal(replica.Description, 'replica');
    equal(replica.MultiRegionConfiguration.MultiRegionKeyType, 'REPLICA');
    deepEqual(replica.MultiRegionConfiguration.ReplicaKeys, [{ Arn: replicaArn, Region: EU }]);
    deepEqual((await kms.describeKey({ KeyId: primary.KeyId })).KeyMetadata.MultiRegionConfiguration.ReplicaKeys, [{ Arn: replicaArn, Region: EU }]);

    equal(text((await eu.decrypt({ CiphertextBlob })).Plaintext), 'from us-east-1');
    const back = await eu.encrypt({ KeyId: replicaArn, Plaintext: utf8('from eu-west-1') });
    equal(text((await kms.decrypt({ CiphertextBlob: back.CiphertextBlob })).Plaintext), 'from eu-west-1');
  });

  test('rotation of the primary reaches every replica; a replica refuses to rotate', async () => {
    const { kms, primary } = await primaryWithReplicas([EU, WEST]);
    await kms.rotateKeyOnDemand({ KeyId: primary.KeyId });
    await kms.enableKeyRotation({ KeyId: primary.KeyId, RotationPeriodInDays: 90 });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('after rotation') });
    for (const region of [EU, WEST]) {
      const view = kms.inRegion(region);
      equal(text((await view.decrypt({ CiphertextBlob })).Plaintext), 'after rotation', region);
      equal((await view.getKeyRotationStatus({ KeyId: primary.KeyId })).RotationPeriodInDays, 90, `${region}: the primary's settings`);
      await rejects(view.rotateKeyOnDemand({ KeyId: primary.KeyId }), 'UnsupportedOperationException');
      await rejects(view.disableKeyRotation({ KeyId: primary.KeyId }), 'UnsupportedOperationException');
    }
  });

  test('updatePrimaryRegion swaps the roles; both keys report Updating until the clock moves', async () => {
    const { clock, kms, primary } = await primaryWithReplicas([EU]);
    const before = await kms.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('before') });
    deepEqual(await kms.updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: EU }), {});
    const eu = kms.inRegion(EU);
    equal((await kms.describeKey({ KeyId: primary.KeyId })).KeyMetadata.KeyState, 'Updating');
    equal((await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata.KeyState, 'Updating');
    clock.advance(1000);
    const config = (await eu.describeKey({ KeyId: primary.KeyId })).KeyMetadata.MultiRegionConfiguration;
    equal(config.MultiRegionKeyType, 'PRIMARY');
    equal(config.PrimaryKey.Region, EU);
    await eu.rotateKeyOnDemand({ KeyId: primary.KeyId });
    await rejects(kms.rotateKeyOnDemand({ KeyId: primary.KeyId }), 'UnsupportedOperationException');
    const after = await eu.encrypt({ KeyId: primary.KeyId, Plaintext: utf8('after') });
    equal(text((await kms.decrypt({ CiphertextBlob: after.CiphertextBlob })).Plaintext), 'after');
    equal(text((await eu.decrypt({ CiphertextBlob: before.CiphertextBlob })).Plaintext), 'before');
  });

  test('wrong requests get AWS exceptions and change nothing', async () => {
    const { kms, primary } = await primaryWithReplicas([EU]);
    const { KeyMetadata: single } = await kms.createKey();
    const seen = await observe(kms);
    const seenEu = await observe(kms.inRegion(EU));
    await rejects(kms.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: EU }), 'AlreadyExistsException');
    await rejects(kms.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'us-east-1' }), 'ValidationException');
    await rejects(kms.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'mars-north-1' }), 'ValidationException');
    await rejects(kms.replicateKey({ KeyId: primary.KeyId }), 'ValidationException');
    await rejects(kms.replicateKey({ KeyId: single.KeyId, ReplicaRegion: EU }), 'UnsupportedOperationException');
    await rejects(kms.inRegion(EU).replicateKey({ KeyId: primary.KeyId, ReplicaRegion: WEST }), 'UnsupportedOperationException');
    await rejects(kms.updatePrimaryRegion({ KeyId: primary.KeyId, PrimaryRegion: WEST }), 'NotFoundException');
    await rejects(kms.updatePrimaryRegion({ KeyId: single.KeyId, PrimaryRegion: EU }), 'UnsupportedOperationException');
    deepEqual(await observe(kms), seen);
    deepEqual(await observe(kms.inRegion(EU)), seenEu);
    const west = await observe(kms.inRegion(WEST));
    deepEqual(west.keys, [], 'no replica was made in us-west-2');
    ok(west.aliases.every((a) => a.TargetKeyId === undefined), 'only the predefined aliases AWS lists in every region');
  });

  test('a primary with replicas waits in PendingReplicaDeletion; its window starts when the last replica is deleted', async () => {
    const { clock, kms, primary } = await primaryWithReplicas([EU]);
    const r = await kms.scheduleKeyDeletion({ KeyId: primary.KeyId, PendingWindowInDays: 7 });
    equal(r.KeyState, 'PendingReplicaDeletion');
    equal(r.DeletionDate, undefined);
    await kms.inRegion(EU).scheduleKeyDeletion({ KeyId: primary.KeyId, PendingWindowInDays: 7 });
    clock.advance(7 * 86_400_000 + 1000);
    const m = (await kms.describeKey({ KeyId: primary.KeyId })).KeyMetadata;
    equal(m.KeyState, 'PendingDeletion');
    ok(m.DeletionDate instanceof Date && m.DeletionDate.getTime() > clock.ms, 'its own window started');
    await rejects(kms.inRegion(EU).describeKey({ KeyId: primary.KeyId }), 'NotFoundException');
  });

  test('kmsKeyring decrypts a message made with a replica in another Region with its own key', async () => {
    const { kms, primary } = await primaryWithReplicas([EU]);
    const replicaArn = primary.Arn.replace('us-east-1', EU);
    const { result } = await encryptMessage(utf8('multi-Region message'), { keyring: kmsKeyring({ client: kms, generatorKeyId: replicaArn }) });
    const { plaintext } = await decryptMessage(result, { keyring: kmsKeyring({ client: kms, generatorKeyId: primary.Arn }) });
    equal(text(plaintext), 'multi-Region message');
    // A single-Region key's ARN in another Region is not the same key.
    const { KeyMetadata: single } = await kms.createKey();
    const other = single.Arn.replace('us-east-1', EU);
    const { result: r2 } = await encryptMessage(utf8('x'), { keyring: kmsKeyring({ client: kms, generatorKeyId: single.Arn }) });
    await decryptMessage(r2, { keyring: kmsKeyring({ client: kms, generatorKeyId: other }) }).then(
      () => { throw new Error('decrypted with another Region\'s ARN of a single-Region key'); },
      (e) => ok(e instanceof Error, String(e)),
    );
  });
});
