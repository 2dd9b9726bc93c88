// Regions: one KMS holds every region of its account. `createKms({ region })`
// names the home region; `kms.inRegion(r)` is a view acting in another one,
// with its own keys, aliases, audit records and usage, and that region in
// its ARNs. Stores and backups keep every region.
import { createKms, memoryStore } from 'kms-wasm';
import {
  suite, equal, deepEqual, ok, rejects, utf8, text, keyArnRe, observe, DEFAULT_REGION, fakeClock, DAY,
} from './harness.js';

const EU = 'eu-west-1';
const arns = async (kms) => (await kms.listKeys()).Keys.map((k) => k.KeyArn).sort();

export default suite('regions', (test) => {
  test('each region has its own keys and aliases, with its name in their ARNs', async () => {
    const kms = await createKms();
    const eu = kms.inRegion(EU);
    equal(kms.region, DEFAULT_REGION);
    equal(eu.region, EU);
    equal(eu.caller, kms.caller, 'the view keeps the caller');
    equal(kms.inRegion(DEFAULT_REGION).region, DEFAULT_REGION);

    const { KeyMetadata: home } = await kms.createKey({ Description: 'home' });
    const { KeyMetadata: there } = await eu.createKey({ Description: 'eu' });
    ok(keyArnRe().test(home.Arn), home.Arn);
    ok(keyArnRe(undefined, EU).test(there.Arn), there.Arn);
    deepEqual(await arns(kms), [home.Arn]);
    deepEqual(await arns(eu), [there.Arn]);

    // A key of another region is not found, by id or by ARN.
    await rejects(kms.describeKey({ KeyId: there.KeyId }), 'NotFoundException');
    await rejects(kms.describeKey({ KeyId: there.Arn }), 'NotFoundException');
    equal((await eu.describeKey({ KeyId: there.KeyId })).KeyMetadata.Description, 'eu');

    // One alias name, two regions, two keys.
    await kms.createAlias({ AliasName: 'alias/app', TargetKeyId: home.KeyId });
    await eu.createAlias({ AliasName: 'alias/app', TargetKeyId: there.KeyId });
    equal((await kms.describeKey({ KeyId: 'alias/app' })).KeyMetadata.Arn, home.Arn);
    equal((await eu.describeKey({ KeyId: 'alias/app' })).KeyMetadata.Arn, there.Arn);
    const euAlias = (await eu.listAliases()).Aliases.find((a) => a.AliasName === 'alias/app');
    equal(euAlias.AliasArn, `arn:aws:kms:${EU}:${home.AWSAccountId}:alias/app`);

    // Ciphertexts decrypt in their key's region only.
    const { CiphertextBlob } = await eu.encrypt({ KeyId: 'alias/app', Plaintext: utf8('in eu') });
    equal(text((await eu.decrypt({ CiphertextBlob })).Plaintext), 'in eu');
    const e = await kms.decrypt({ CiphertextBlob }).then(() => null, (err) => err);
    ok(e && ['NotFoundException', 'InvalidCiphertextException'].includes(e.name), `home decrypt of an eu ciphertext: ${e && e.name}`);
  });

  test('a region AWS does not have is refused and changes nothing', async () => {
    const kms = await createKms();
    await kms.createKey();
    const before = await observe(kms);
    const mars = kms.inRegion('mars-north-1');
    const err = await rejects(mars.createKey(), 'ValidationException');
    ok(/is not an AWS region/.test(err.message), err.message);
    await rejects(mars.listKeys(), 'ValidationException');
    await rejects(mars.auditLog(), 'ValidationException');
    deepEqual(await observe(kms), before);
    for (const bad of ['', 42, null]) {
      let threw = null;
      try {
        kms.inRegion(bad);
      } catch (x) {
        threw = x;
      }
      ok(threw && threw.name === 'ValidationException', `inRegion(${JSON.stringify(bad)}) throws ValidationException`);
    }
  });

  test('audit records and usage are per region; the chain is one', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const eu = kms.inRegion(EU);
    const { KeyMetadata: home } = await kms.createKey();
    const { KeyMetadata: there } = await eu.createKey();
    await eu.encrypt({ KeyId: there.KeyId, Plaintext: utf8('x') });
    const homeLog = await kms.auditLog();
    const euLog = await eu.auditLog();
    deepEqual(homeLog.map((r) => [r.eventName, r.awsRegion]), [['CreateKey', DEFAULT_REGION]]);
    deepEqual(euLog.map((r) => [r.eventName, r.awsRegion]), [['CreateKey', EU], ['Encrypt', EU]]);
    equal(euLog[1].resources[0].ARN, there.Arn);
    deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
    deepEqual((await eu.auditLog({ KeyId: there.KeyId })).length, 2);

    clock.advance(DAY);
    const month = clock.now().toISOString().slice(0, 7);
    const homeUsage = await kms.usage({ month });
    const euUsage = await eu.usage({ month });
    deepEqual(homeUsage.keys.map((k) => k.keyId), [home.Arn]);
    deepEqual(euUsage.keys.map((k) => k.keyId), [there.Arn]);
  });

  test('a store keeps every region; a KMS opened with another home region finds each key in its own', async () => {
    const store = memoryStore();
    const first = await createKms({ store });
    const { KeyMetadata: home } = await first.createKey();
    const { KeyMetadata: there } = await first.inRegion(EU).createKey();
    const { KeyMetadata: west } = await first.inRegion('us-west-2').createKey();
    await first.close();

    const again = await createKms({ store });
    deepEqual(await arns(again), [home.Arn]);
    deepEqual(await arns(again.inRegion(EU)), [there.Arn]);
    deepEqual(await arns(again.inRegion('us-west-2')), [west.Arn]);
    await again.close();

    const euHome = await createKms({ store, region: EU });
    equal(euHome.region, EU);
    deepEqual(await arns(euHome), [there.Arn]);
    deepEqual(await arns(euHome.inRegion(DEFAULT_REGION)), [home.Arn]);
    await euHome.close();
  });

  test('a backup keeps every region', async () => {
    const kms = await createKms();
    const { KeyMetadata: there } = await kms.inRegion(EU).createKey();
    const { CiphertextBlob } = await kms.inRegion(EU).encrypt({ KeyId: there.KeyId, Plaintext: utf8('kept') });
    const backup = await kms.exportBackup({ passphrase: 'regions' });
    // A KMS whose only key is in another region is not empty.
    const busy = await createKms();
    await busy.inRegion('us-west-2').createKey();
    await rejects(busy.restoreBackup(backup, { passphrase: 'regions' }), 'KMSInvalidStateException');
    const restored = await createKms();
    await restored.restoreBackup(backup, { passphrase: 'regions' });
    deepEqual(await arns(restored.inRegion(EU)), [there.Arn]);
    deepEqual(await arns(restored), []);
    equal(text((await restored.inRegion(EU).decrypt({ CiphertextBlob })).Plaintext), 'kept');
  });
});
