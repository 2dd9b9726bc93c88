// Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
// RotateKeyOnDemand, ListKeyRotations, and automatic rotation driven by a
// fake clock.
import { createKms } from 'kms-wasm';
import {
  suite, ok, equal, notDeepEqual, deepEqual, date, hasMembers, rejects, listAll, observe, fakeClock, utf8, DAY,
} from './harness.js';

// The blob layout (docs/ciphertext-format.md): version (1), key id (16),
// backing key id (32), nonce (12), body, tag (16). Bytes 17..49 name the
// rotation's material.
const backingId = (blob) => Array.from(blob.subarray(17, 49)).join(',');

async function setup(clockStart) {
  const clock = fakeClock(clockStart);
  const kms = await createKms({ now: clock.now });
  const { KeyMetadata } = await kms.createKey({ Description: 'rotating' });
  return { clock, kms, KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

async function rotations(kms, KeyId) {
  return listAll((r) => kms.listKeyRotations(r), { KeyId }, 'Rotations');
}

export default suite('rotation', (test) => {
  test('getKeyRotationStatus of a new key: rotation off', async () => {
    const { kms, KeyId, Arn } = await setup();
    const s = await kms.getKeyRotationStatus({ KeyId });
    equal(s.KeyRotationEnabled, false);
    equal(s.KeyId, Arn, 'KeyId is the key ARN');
    equal(s.NextRotationDate, undefined, 'no NextRotationDate while rotation is off');
    const list = await kms.listKeyRotations({ KeyId });
    hasMembers(list, ['Rotations', 'Truncated']);
    deepEqual(list.Rotations, [], 'a new key has no rotations');
    equal(list.Truncated, false);
  });

  test('enableKeyRotation defaults to 365 days; NextRotationDate one period ahead', async () => {
    const { clock, kms, KeyId, Arn } = await setup();
    const res = await kms.enableKeyRotation({ KeyId });
    ok(res !== null && typeof res === 'object', 'resolves to a response object');
    const s = await kms.getKeyRotationStatus({ KeyId: Arn });
    equal(s.KeyRotationEnabled, true);
    equal(s.RotationPeriodInDays, 365);
    date(s.NextRotationDate, 'NextRotationDate');
    equal(s.NextRotationDate.getTime(), clock.ms + 365 * DAY);
  });

  test('enableKeyRotation accepts RotationPeriodInDays 90..2560 only', async () => {
    const { clock, kms, KeyId } = await setup();
    for (const days of [90, 1000, 2560]) {
      await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: days });
      const s = await kms.getKeyRotationStatus({ KeyId });
      equal(s.RotationPeriodInDays, days);
      equal(s.NextRotationDate.getTime(), clock.ms + days * DAY, `NextRotationDate for ${days}`);
    }
    const before = await observe(kms);
    for (const days of [89, 2561, 0, -1]) {
      await rejects(kms.enableKeyRotation({ KeyId, RotationPeriodInDays: days }), 'ValidationException', `${days} days`);
    }
    deepEqual(await observe(kms), before, 'refused periods change nothing');
  });

  test('disableKeyRotation turns rotation off', async () => {
    const { kms, KeyId } = await setup();
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 180 });
    const res = await kms.disableKeyRotation({ KeyId });
    ok(res !== null && typeof res === 'object', 'resolves to a response object');
    const s = await kms.getKeyRotationStatus({ KeyId });
    equal(s.KeyRotationEnabled, false);
    equal(s.NextRotationDate, undefined);
  });

  test('rotateKeyOnDemand adds an ON_DEMAND rotation and new ciphertexts use new material', async () => {
    const { clock, kms, KeyId, Arn } = await setup();
    const before = await kms.encrypt({ KeyId, Plaintext: utf8('before') });
    clock.advance(1000);
    const res = await kms.rotateKeyOnDemand({ KeyId });
    equal(res.KeyId, Arn, 'KeyId is the key ARN');
    const list = await kms.listKeyRotations({ KeyId });
    equal(list.Rotations.length, 1);
    const r = list.Rotations[0];
    equal(r.RotationType, 'ON_DEMAND');
    equal(r.KeyId, Arn, 'Rotations[].KeyId is the key ARN');
    date(r.RotationDate, 'RotationDate');
    equal(r.RotationDate.getTime(), clock.ms);
    const after = await kms.encrypt({ KeyId, Plaintext: utf8('after') });
    notDeepEqual(backingId(after.CiphertextBlob), backingId(before.CiphertextBlob), 'a rotation changes the material used');
    equal((await kms.getKeyRotationStatus({ KeyId })).KeyRotationEnabled, false, 'on-demand rotation does not turn on automatic rotation');
  });

  test('rotateKeyOnDemand: 25 rotations, then LimitExceededException; every ciphertext still decrypts', async () => {
    const { kms, KeyId } = await setup();
    const blobs = [];
    for (let i = 0; i < 25; i += 1) {
      blobs.push([i, (await kms.encrypt({ KeyId, Plaintext: utf8(`version ${i}`), EncryptionContext: { v: String(i) } })).CiphertextBlob]);
      await kms.rotateKeyOnDemand({ KeyId });
    }
    blobs.push([25, (await kms.encrypt({ KeyId, Plaintext: utf8('version 25'), EncryptionContext: { v: '25' } })).CiphertextBlob]);
    const before = await observe(kms);
    await rejects(kms.rotateKeyOnDemand({ KeyId }), 'LimitExceededException', '26th on-demand rotation');
    deepEqual(await observe(kms), before, 'the refused rotation changed nothing');
    const list = await rotations(kms, KeyId);
    equal(list.length, 25);
    ok(list.every((r) => r.RotationType === 'ON_DEMAND'), 'all ON_DEMAND');
    equal(new Set(blobs.map(([, b]) => backingId(b))).size, 26, '26 distinct versions of material');
    for (const [i, blob] of blobs) {
      const { Plaintext } = await kms.decrypt({ CiphertextBlob: blob, EncryptionContext: { v: String(i) } });
      deepEqual(Plaintext, utf8(`version ${i}`), `blob of version ${i}`);
    }
  });

  test('listKeyRotations pages with Limit and Marker', async () => {
    const { kms, KeyId } = await setup();
    for (let i = 0; i < 5; i += 1) await kms.rotateKeyOnDemand({ KeyId });
    const p1 = await kms.listKeyRotations({ KeyId, Limit: 2 });
    equal(p1.Rotations.length, 2);
    equal(p1.Truncated, true);
    const all = await listAll((r) => kms.listKeyRotations(r), { KeyId }, 'Rotations', 2);
    equal(all.length, 5);
    await rejects(kms.listKeyRotations({ KeyId, Marker: 'not-a-marker' }), 'InvalidMarkerException');
  });

  test('automatic rotation happens one period after enabling, then every period', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    const b0 = await kms.encrypt({ KeyId, Plaintext: utf8('v0') });
    clock.set(t0 + 90 * DAY - 1);
    deepEqual(await rotations(kms, KeyId), [], 'no rotation a millisecond before the period ends');
    clock.set(t0 + 90 * DAY);
    let list = await rotations(kms, KeyId);
    equal(list.length, 1, 'one rotation when the period ends');
    equal(list[0].RotationType, 'AUTOMATIC');
    equal(list[0].RotationDate.getTime(), t0 + 90 * DAY, 'RotationDate is the due date');
    const s = await kms.getKeyRotationStatus({ KeyId });
    equal(s.NextRotationDate.getTime(), t0 + 180 * DAY, 'next rotation one period later');
    const b1 = await kms.encrypt({ KeyId, Plaintext: utf8('v1') });
    notDeepEqual(backingId(b1.CiphertextBlob), backingId(b0.CiphertextBlob), 'new material after the rotation');
    clock.set(t0 + 180 * DAY - 1);
    equal((await rotations(kms, KeyId)).length, 1, 'still one just before the second period ends');
    clock.set(t0 + 180 * DAY);
    list = await rotations(kms, KeyId);
    equal(list.length, 2, 'second rotation');
    equal(list[1].RotationDate.getTime(), t0 + 180 * DAY);
    for (const [blob, pt] of [[b0, 'v0'], [b1, 'v1']]) {
      deepEqual((await kms.decrypt({ CiphertextBlob: blob.CiphertextBlob })).Plaintext, utf8(pt), `${pt} decrypts`);
    }
  });

  test('a clock jump performs every missed rotation at its own date', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 100 });
    const blob = await kms.encrypt({ KeyId, Plaintext: utf8('old'), EncryptionContext: { a: 'b' } });
    clock.set(t0 + 350 * DAY);
    const list = await rotations(kms, KeyId);
    deepEqual(list.map((r) => r.RotationDate.getTime()), [100, 200, 300].map((d) => t0 + d * DAY));
    ok(list.every((r) => r.RotationType === 'AUTOMATIC'), 'AUTOMATIC');
    equal((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate.getTime(), t0 + 400 * DAY);
    const dec = await kms.decrypt({ CiphertextBlob: blob.CiphertextBlob, EncryptionContext: { a: 'b' } });
    deepEqual(dec.Plaintext, utf8('old'));
  });

  test('on-demand rotation does not move the automatic schedule', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    clock.advance(10 * DAY);
    await kms.rotateKeyOnDemand({ KeyId });
    equal((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate.getTime(), t0 + 90 * DAY);
    clock.set(t0 + 90 * DAY);
    deepEqual((await rotations(kms, KeyId)).map((r) => r.RotationType), ['ON_DEMAND', 'AUTOMATIC']);
  });

  test('ciphertexts decrypt after many rotations of both kinds, also through reEncrypt', async () => {
    const { clock, kms, KeyId } = await setup();
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    const blobs = [];
    for (let i = 0; i < 12; i += 1) {
      blobs.push((await kms.encrypt({ KeyId, Plaintext: utf8(`m${i}`) })).CiphertextBlob);
      if (i % 2) clock.advance(91 * DAY);
      else await kms.rotateKeyOnDemand({ KeyId });
    }
    const list = await rotations(kms, KeyId);
    equal(list.filter((r) => r.RotationType === 'AUTOMATIC').length, 6);
    equal(list.filter((r) => r.RotationType === 'ON_DEMAND').length, 6);
    const { KeyMetadata: other } = await kms.createKey();
    for (let i = 0; i < blobs.length; i += 1) {
      deepEqual((await kms.decrypt({ CiphertextBlob: blobs[i] })).Plaintext, utf8(`m${i}`), `m${i}`);
      const re = await kms.reEncrypt({ CiphertextBlob: blobs[i], DestinationKeyId: other.KeyId });
      deepEqual((await kms.decrypt({ CiphertextBlob: re.CiphertextBlob })).Plaintext, utf8(`m${i}`), `m${i} re-encrypted`);
    }
  });

  test('a disabled key does not rotate, and rotates at once when re-enabled overdue', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    const blob = await kms.encrypt({ KeyId, Plaintext: utf8('kept') });
    await kms.disableKey({ KeyId });
    clock.set(t0 + 200 * DAY);
    deepEqual(await rotations(kms, KeyId), [], 'no rotation while disabled');
    await kms.enableKey({ KeyId });
    const list = await rotations(kms, KeyId);
    equal(list.length, 1, 'exactly one rotation on re-enabling');
    equal(list[0].RotationType, 'AUTOMATIC');
    equal(list[0].RotationDate.getTime(), t0 + 200 * DAY, 'rotated at the time of enabling');
    const s = await kms.getKeyRotationStatus({ KeyId });
    equal(s.NextRotationDate.getTime(), t0 + 290 * DAY, 'next rotation one period after the catch-up');
    clock.set(t0 + 290 * DAY);
    equal((await rotations(kms, KeyId)).length, 2, 'and then every period');
    deepEqual((await kms.decrypt({ CiphertextBlob: blob.CiphertextBlob })).Plaintext, utf8('kept'));
  });

  test('a re-enabled key that is not overdue keeps its schedule', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    await kms.disableKey({ KeyId });
    clock.set(t0 + 30 * DAY);
    await kms.enableKey({ KeyId });
    deepEqual(await rotations(kms, KeyId), [], 'no rotation');
    equal((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate.getTime(), t0 + 90 * DAY);
  });

  test('changing the period of an enabled rotation counts from the last rotation', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 365 });
    clock.set(t0 + 10 * DAY);
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    let s = await kms.getKeyRotationStatus({ KeyId });
    equal(s.RotationPeriodInDays, 90);
    equal(s.NextRotationDate.getTime(), t0 + 90 * DAY, 'from the enabling date, not from the change');
    clock.set(t0 + 90 * DAY);
    equal((await rotations(kms, KeyId)).length, 1);
    clock.set(t0 + 100 * DAY);
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 180 });
    s = await kms.getKeyRotationStatus({ KeyId });
    equal(s.NextRotationDate.getTime(), t0 + 270 * DAY, 'from the last rotation');
  });

  test('turning rotation off and on again starts a new period', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    clock.set(t0 + 60 * DAY);
    await kms.disableKeyRotation({ KeyId });
    clock.set(t0 + 120 * DAY);
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    equal((await kms.getKeyRotationStatus({ KeyId })).NextRotationDate.getTime(), t0 + 210 * DAY);
    deepEqual(await rotations(kms, KeyId), [], 'nothing rotated meanwhile');
  });

  test('a clock that goes back neither undoes nor repeats rotations', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    clock.set(t0 + 90 * DAY);
    const blob = (await kms.encrypt({ KeyId, Plaintext: utf8('after first rotation') })).CiphertextBlob;
    equal((await rotations(kms, KeyId)).length, 1);
    clock.set(t0 + 10 * DAY);
    equal((await rotations(kms, KeyId)).length, 1, 'still one after going back');
    deepEqual((await kms.decrypt({ CiphertextBlob: blob })).Plaintext, utf8('after first rotation'));
    clock.set(t0 + 90 * DAY);
    equal((await rotations(kms, KeyId)).length, 1, 'no repeat when the due date comes again');
  });

  test('a key pending deletion does not rotate; after cancelling and enabling it rotates at once', async () => {
    const { clock, kms, KeyId } = await setup();
    const t0 = clock.ms;
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    clock.set(t0 + 80 * DAY);
    await kms.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 30 });
    clock.set(t0 + 100 * DAY);
    deepEqual(await rotations(kms, KeyId), [], 'no rotation while pending deletion');
    await kms.cancelKeyDeletion({ KeyId });
    deepEqual(await rotations(kms, KeyId), [], 'no rotation while disabled');
    await kms.enableKey({ KeyId });
    equal((await rotations(kms, KeyId)).length, 1, 'overdue rotation on enabling');
  });

  test('a key with rotation turned off does not rotate', async () => {
    const { clock, kms, KeyId } = await setup();
    await kms.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 });
    await kms.disableKeyRotation({ KeyId });
    clock.advance(1000 * DAY);
    deepEqual(await rotations(kms, KeyId), []);
  });

  test('rotation operations on a disabled key: DisabledException; status still readable', async () => {
    const { kms, KeyId } = await setup();
    await kms.disableKey({ KeyId });
    await rejects(kms.enableKeyRotation({ KeyId }), 'DisabledException');
    await rejects(kms.rotateKeyOnDemand({ KeyId }), 'DisabledException');
    await rejects(kms.disableKeyRotation({ KeyId }), 'DisabledException');
    equal((await kms.getKeyRotationStatus({ KeyId })).KeyRotationEnabled, false);
    deepEqual((await kms.listKeyRotations({ KeyId })).Rotations, []);
  });
});
