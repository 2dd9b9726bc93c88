// The audit log (CloudTrail-style records, hash chain), EventBridge-style
// events and usage metering (issue 3), and the client members around them:
// composed views, grantPropagationSeconds, trap recovery.
import { createKms, verifyAuditRecords, memoryStore } from 'kms-wasm';
import {
  suite, ok, equal, deepEqual, rejects, isAwsError, match, fakeClock, utf8, UUID_RE, DEFAULT_ACCOUNT, DAY,
} from './harness.js';

const ROOT = `arn:aws:iam::${DEFAULT_ACCOUNT}:root`;
const ADMIN = `arn:aws:iam::${DEFAULT_ACCOUNT}:user/admin`;
const ALICE = `arn:aws:iam::${DEFAULT_ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${DEFAULT_ACCOUNT}:user/bob`;
const READER = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/reader`;
const VPCE = 'vpce-0a1b2c3d4e5f60001';
const VPC = 'vpc-0123456789abcdef0';

const policy = (...Statement) => JSON.stringify({ Version: '2012-10-17', Statement });
const allowAccount = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' };
const allowAdmin = { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:*', Resource: '*' };

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const base64 = (b) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join(''));
const base64url = (b) => base64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Every way bytes could show up in JSON. */
function encodings(bytes) {
  const b64 = base64(bytes);
  return [hex(bytes), hex(bytes).toUpperCase(), b64, b64.replace(/=+$/, ''), base64url(bytes), JSON.stringify(Array.from(bytes)), Array.from(bytes).join(',')];
}

/** Requires `json` not to contain `bytes` in any encoding (nor `text`, if given). */
function leaksNothing(json, what, bytes, textForm) {
  if (textForm !== undefined) ok(!json.includes(textForm), `the audit log contains the ${what} as text`);
  for (const form of encodings(bytes)) ok(!json.includes(form), `the audit log contains the ${what} (${form.slice(0, 16)}…)`);
}

const close = (a, b, msg, eps = 1e-9) => ok(typeof a === 'number' && Math.abs(a - b) <= eps, `${msg}: expected ≈${b}, got ${a}`);

/** Runs `fn` with console.error captured; returns what was reported. */
async function capturingConsoleError(fn) {
  const original = console.error;
  const reported = [];
  console.error = (...args) => {
    reported.push(args);
  };
  try {
    await fn(reported);
  } finally {
    console.error = original;
  }
  return reported;
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

export default suite('audit, events and usage', (test) => {
  // ---- audit log ----------------------------------------------------------

  test('one audit record per call, in order: allowed and denied, successful and failed, with errorCode', async () => {
    const clock = fakeClock('2030-03-04T05:06:07.000Z');
    const kms = await createKms({ now: clock.now });
    const alice = kms.withCaller(ALICE);
    const { KeyMetadata } = await kms.createKey({
      Description: 'audited',
      Policy: policy(allowAccount, { Sid: 'NoAliceDecrypt', Effect: 'Deny', Principal: { AWS: ALICE }, Action: 'kms:Decrypt', Resource: '*' }),
    });
    const ctx = { tenant: 'acme' };
    clock.advance(1000);
    const { CiphertextBlob } = await alice.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('hello'), EncryptionContext: ctx });
    await kms.decrypt({ CiphertextBlob, EncryptionContext: ctx });
    clock.advance(1000);
    await rejects(alice.decrypt({ CiphertextBlob, EncryptionContext: ctx }), 'AccessDeniedException');
    await rejects(kms.describeKey({ KeyId: 'alias/missing' }), 'NotFoundException');
    await rejects(kms.generateDataKey({ KeyId: KeyMetadata.KeyId, NumberOfBytes: 2048 }), 'ValidationException');
    await rejects(kms.withCaller('arn:aws:iam::444455556666:root').encrypt({ KeyId: KeyMetadata.Arn, Plaintext: utf8('x') }), 'AccessDeniedException');
    await kms.generateRandom({ NumberOfBytes: 16 });

    const log = await kms.auditLog();
    const expected = [
      ['CreateKey', ROOT, undefined],
      ['Encrypt', ALICE, undefined],
      ['Decrypt', ROOT, undefined],
      ['Decrypt', ALICE, 'AccessDeniedException'],
      ['DescribeKey', ROOT, 'NotFoundException'],
      ['GenerateDataKey', ROOT, 'ValidationException'],
      ['Encrypt', 'arn:aws:iam::444455556666:root', 'AccessDeniedException'],
      ['GenerateRandom', ROOT, undefined],
    ];
    deepEqual(log.map((r) => [r.eventName, r.userIdentity.arn, r.errorCode]), expected, 'one record per call, in call order');
    const ids = new Set();
    for (const r of log) {
      equal(r.eventSource, 'kms.amazonaws.com');
      equal(r.eventType, 'AwsApiCall');
      equal(r.awsRegion, 'us-east-1');
      equal(r.recipientAccountId, DEFAULT_ACCOUNT);
      match(r.eventID, UUID_RE, 'eventID');
      ok(!ids.has(r.eventID), 'eventIDs are unique');
      ids.add(r.eventID);
      equal(typeof r.readOnly, 'boolean', 'readOnly');
      if (r.errorCode) ok(typeof r.errorMessage === 'string' && r.errorMessage.length > 0, 'a failed call has errorMessage');
      else equal(r.errorMessage, undefined, 'a successful call has no errorMessage');
    }
    equal(log[0].eventTime, '2030-03-04T05:06:07Z', 'eventTime follows the clock');
    equal(log[3].eventTime, '2030-03-04T05:06:09Z');
    equal(log[0].userIdentity.type, 'Root');
    equal(log[1].userIdentity.type, 'IAMUser');
    equal(log[0].readOnly, false, 'CreateKey writes');
    equal(log[1].readOnly, true, 'Encrypt is read-only in CloudTrail (it changes no state)');
    equal(log[4].readOnly, true, 'DescribeKey is read-only');
    deepEqual(log[0].resources, [{ accountId: DEFAULT_ACCOUNT, type: 'AWS::KMS::Key', ARN: KeyMetadata.Arn }], 'CreateKey names its key');
    deepEqual(log[3].resources.map((x) => x.ARN), [KeyMetadata.Arn], 'so does a denied Decrypt');
    deepEqual(log[1].requestParameters.encryptionContext, ctx, 'Encrypt records its encryption context');
    equal(log[1].requestParameters.keyId, KeyMetadata.KeyId, 'and the key id as given');
    deepEqual(log[3].requestParameters.encryptionContext, ctx, 'a denied Decrypt records its context too');
    match(log[3].errorMessage, /not authorized to perform: kms:Decrypt/, 'the denial as AWS words it');
    equal(log[0].responseElements.keyMetadata.arn, KeyMetadata.Arn, 'CreateKey records its response');
  });

  test('audit records hold encryption contexts and key ids, never plaintext, data keys or grant tokens', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({});
    const KeyId = KeyMetadata.KeyId;
    const secretText = 'TOP-SECRET-plaintext-7f3a9c1e-never-log-me';
    const secret = utf8(secretText);
    const ctx = { tenant: 'acme', 'doc-id': 'doc-123' };
    const { CiphertextBlob } = await kms.encrypt({ KeyId, Plaintext: secret, EncryptionContext: ctx });
    const dec = await kms.decrypt({ CiphertextBlob, EncryptionContext: ctx });
    deepEqual(dec.Plaintext, secret);
    const dk = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: ctx });
    const dk2 = await kms.generateDataKey({ KeyId, NumberOfBytes: 48 });
    const re = await kms.reEncrypt({ CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: KeyId, DestinationEncryptionContext: { tenant: 'acme2' } });
    await kms.decrypt({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { tenant: 'acme2' } });
    const random = await kms.generateRandom({ NumberOfBytes: 32 });
    const { GrantToken } = await kms.createGrant({ KeyId, GranteePrincipal: READER, Operations: ['Encrypt', 'RetireGrant'] });
    await kms.withCaller(READER).encrypt({ KeyId, Plaintext: secret, GrantTokens: [GrantToken] });
    await rejects(kms.encrypt({ KeyId, Plaintext: secret, EncryptionContext: { tenant: 'x' }, GrantTokens: ['bad-token'] }), 'InvalidGrantTokenException');
    await kms.withCaller(READER).retireGrant({ GrantToken });

    const log = await kms.auditLog();
    const json = JSON.stringify(log);
    leaksNothing(json, 'plaintext', secret, secretText);
    leaksNothing(json, 'data key', dk.Plaintext);
    leaksNothing(json, 'second data key', dk2.Plaintext);
    leaksNothing(json, 'random bytes', random.Plaintext);
    ok(!json.includes(GrantToken), 'the audit log contains a grant token');
    const byName = (name) => log.filter((r) => r.eventName === name);
    for (const r of [...byName('Encrypt'), ...byName('Decrypt'), ...byName('GenerateDataKey')]) {
      ok(r.requestParameters && typeof r.requestParameters === 'object', `${r.eventName} has requestParameters`);
    }
    deepEqual(byName('Encrypt')[0].requestParameters.encryptionContext, ctx);
    equal(byName('Encrypt')[0].requestParameters.keyId, KeyId);
    deepEqual(byName('Decrypt')[0].requestParameters.encryptionContext, ctx);
    deepEqual(byName('GenerateDataKey')[0].requestParameters.encryptionContext, ctx);
    equal(byName('GenerateDataKey')[0].requestParameters.keySpec, 'AES_256');
    ok(byName('CreateGrant')[0].responseElements && byName('CreateGrant')[0].responseElements.grantId, 'CreateGrant records the grant id');
  });

  test('verifyAuditLog is valid; an exported copy with one edited record is reported at that index', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata } = await kms.createKey({});
    for (let i = 0; i < 4; i += 1) {
      clock.advance(1000);
      await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8(`m${i}`), EncryptionContext: { n: String(i) } });
    }
    await rejects(kms.describeKey({ KeyId: 'alias/none' }), 'NotFoundException');
    deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
    const log = await kms.auditLog();
    equal(log.length, 6);
    for (let i = 1; i < log.length; i += 1) equal(log[i].previousDigest, log[i - 1].digest, `record ${i} links to the one before`);

    const exported = JSON.parse(JSON.stringify(log)); // as a user would keep it, e.g. in a file
    deepEqual(await verifyAuditRecords(exported), { valid: true, firstInvalidIndex: null }, 'an untouched copy verifies');

    const edited = JSON.parse(JSON.stringify(log));
    edited[3].requestParameters.encryptionContext.n = 'forged';
    deepEqual(await verifyAuditRecords(edited), { valid: false, firstInvalidIndex: 3 }, 'an edited request parameter');
    const renamed = JSON.parse(JSON.stringify(log));
    renamed[2].userIdentity.arn = ALICE;
    deepEqual(await verifyAuditRecords(renamed), { valid: false, firstInvalidIndex: 2 }, 'an edited identity');
    const hidden = JSON.parse(JSON.stringify(log));
    delete hidden[5].errorCode;
    deepEqual(await verifyAuditRecords(hidden), { valid: false, firstInvalidIndex: 5 }, 'a removed errorCode');
    const removed = JSON.parse(JSON.stringify(log));
    removed.splice(1, 1);
    deepEqual(await verifyAuditRecords(removed), { valid: false, firstInvalidIndex: 1 }, 'a removed record');
    const swapped = JSON.parse(JSON.stringify(log));
    [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
    deepEqual(await verifyAuditRecords(swapped), { valid: false, firstInvalidIndex: 3 }, 'two records swapped');
    const redigested = JSON.parse(JSON.stringify(log));
    redigested[3].eventTime = '2000-01-01T00:00:00Z';
    redigested[3].digest = 'f'.repeat(64);
    deepEqual(await verifyAuditRecords(redigested), { valid: false, firstInvalidIndex: 3 }, 'an edited record with a made-up digest');

    deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null }, 'editing a copy leaves the log intact');
    await rejects(verifyAuditRecords('not records'), 'ValidationException', 'a string');
    await rejects(verifyAuditRecords({ 0: log[0] }), 'ValidationException', 'an object');
    deepEqual(await verifyAuditRecords([]), { valid: true, firstInvalidIndex: null }, 'an empty log');
  });

  test('auditLog filters by key (id, ARN or alias) and by time (Dates)', async () => {
    const clock = fakeClock('2030-01-01T00:00:00.000Z');
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata: a } = await kms.createKey({});
    const { KeyMetadata: b } = await kms.createKey({});
    await kms.createAlias({ AliasName: 'alias/b', TargetKeyId: b.KeyId });
    clock.set('2030-01-02T00:00:00.000Z');
    await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8('a') });
    clock.set('2030-01-03T00:00:00.000Z');
    await kms.encrypt({ KeyId: 'alias/b', Plaintext: utf8('b') });
    await kms.generateRandom({ NumberOfBytes: 1 });

    const all = await kms.auditLog({});
    equal(all.length, 6);
    const names = (rs) => rs.map((r) => r.eventName);
    deepEqual(names(await kms.auditLog({ KeyId: a.KeyId })), ['CreateKey', 'Encrypt'], 'by key id');
    deepEqual(names(await kms.auditLog({ KeyId: b.Arn })), ['CreateKey', 'CreateAlias', 'Encrypt'], 'by key ARN');
    deepEqual(names(await kms.auditLog({ KeyId: 'alias/b' })), ['CreateKey', 'CreateAlias', 'Encrypt'], 'by alias');
    const day2 = await kms.auditLog({ StartTime: new Date('2030-01-02T00:00:00Z'), EndTime: new Date('2030-01-02T23:59:59Z') });
    deepEqual(names(day2), ['Encrypt'], 'by time');
    deepEqual(names(await kms.auditLog({ StartTime: new Date('2030-01-03T00:00:00Z') })), ['Encrypt', 'GenerateRandom'], 'from a time on');
    deepEqual(names(await kms.auditLog({ KeyId: b.KeyId, EndTime: new Date('2030-01-01T12:00:00Z') })), ['CreateKey', 'CreateAlias'], 'key and time');
    await rejects(kms.auditLog({ KeyId: 'alias/none' }), 'NotFoundException', 'an unknown alias');
  });

  // ---- events -------------------------------------------------------------

  test('a rotation event reaches its handlers with the next call after the rotation date', async () => {
    const clock = fakeClock('2030-01-01T00:00:00.000Z');
    const kms = await createKms({ now: clock.now });
    const alice = kms.withCaller(ALICE);
    const rotations = [];
    const all = [];
    const deletions = [];
    const onRotation = (e) => rotations.push(e);
    equal(alice.on('KMS CMK Rotation', onRotation), alice, 'on returns the view');
    kms.on('*', (e) => all.push(e));
    kms.on('KMS CMK Deletion', (e) => deletions.push(e));
    const { KeyMetadata } = await kms.createKey({});
    await kms.enableKeyRotation({ KeyId: KeyMetadata.KeyId, RotationPeriodInDays: 90 });
    clock.advance(90 * DAY - 1);
    await kms.describeKey({ KeyId: KeyMetadata.KeyId });
    equal(rotations.length, 0, 'no rotation before the period ends');
    clock.advance(1);
    equal(rotations.length, 0, 'events come with calls, not timers');
    await kms.generateRandom({ NumberOfBytes: 1 }); // any call applies the clock
    equal(rotations.length, 1, 'one rotation event');
    const [e] = rotations;
    equal(e['detail-type'], 'KMS CMK Rotation');
    equal(e.source, 'aws.kms');
    equal(e.account, DEFAULT_ACCOUNT);
    equal(e.region, 'us-east-1');
    deepEqual(e.resources, [KeyMetadata.Arn]);
    equal(e.detail['key-id'], KeyMetadata.KeyId);
    equal(Date.parse(e.time), Date.parse('2030-04-01T00:00:00Z'), 'time is the rotation date');
    match(e.id, UUID_RE, 'id');
    deepEqual(all, [e], "the '*' handler got it too");
    equal(deletions.length, 0, 'handlers of other types get nothing');
    const rotateRecords = (await kms.auditLog({ KeyId: KeyMetadata.KeyId })).filter((r) => r.eventName === 'RotateKey');
    equal(rotateRecords.length, 1, 'a RotateKey service event in the audit log');
    equal(rotateRecords[0].eventType, 'AwsServiceEvent');
    equal(rotateRecords[0].serviceEventDetails.rotationType, 'AUTOMATIC');
    deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });

    equal(alice.off('KMS CMK Rotation', onRotation), alice, 'off returns the view');
    clock.advance(90 * DAY);
    await kms.listKeys({});
    equal(rotations.length, 1, 'no delivery after off');
    equal(all.length, 2, "the '*' handler still gets events");
  });

  test('a pending-deletion alarm reaches its handler when someone tries to decrypt with a key pending deletion', async () => {
    const clock = fakeClock('2030-01-01T00:00:00.000Z');
    const kms = await createKms({ now: clock.now });
    const alarms = [];
    kms.on('KMS CMK Pending Deletion Use Attempt', (e) => alarms.push(e));
    const { KeyMetadata: doomed } = await kms.createKey({});
    const { KeyMetadata: kept } = await kms.createKey({});
    const { KeyMetadata: off } = await kms.createKey({});
    const blob = (await kms.encrypt({ KeyId: doomed.KeyId, Plaintext: utf8('x') })).CiphertextBlob;
    const keptBlob = (await kms.encrypt({ KeyId: kept.KeyId, Plaintext: utf8('y') })).CiphertextBlob;
    const offBlob = (await kms.encrypt({ KeyId: off.KeyId, Plaintext: utf8('z') })).CiphertextBlob;
    await kms.disableKey({ KeyId: off.KeyId });
    const { DeletionDate } = await kms.scheduleKeyDeletion({ KeyId: doomed.KeyId, PendingWindowInDays: 7 });
    // no alarm: enabled and disabled keys, and looking at the doomed key
    await kms.decrypt({ CiphertextBlob: keptBlob });
    await rejects(kms.decrypt({ CiphertextBlob: offBlob }), 'DisabledException');
    await kms.describeKey({ KeyId: doomed.KeyId });
    equal(alarms.length, 0, 'no alarm without an attempt to use a key pending deletion');
    // alarm: alice tries to decrypt
    clock.advance(DAY);
    await rejects(kms.withCaller(ALICE).decrypt({ CiphertextBlob: blob }), 'KMSInvalidStateException', 'the call still fails as AWS does');
    equal(alarms.length, 1, 'one alarm');
    const [e] = alarms;
    equal(e['detail-type'], 'KMS CMK Pending Deletion Use Attempt');
    equal(e.source, 'aws.kms');
    equal(e.detail['key-id'], doomed.KeyId);
    equal(e.detail['event-name'], 'Decrypt');
    equal(e.detail.principal, ALICE);
    equal(Date.parse(e.detail['deletion-date']), DeletionDate.getTime());
    equal(Date.parse(e.time), clock.ms, 'when the attempt was made');
    deepEqual(e.resources, [doomed.Arn]);
    await rejects(kms.encrypt({ KeyId: doomed.KeyId, Plaintext: utf8('x') }), 'KMSInvalidStateException');
    equal(alarms.length, 2, 'encrypt raises one too');
    equal(alarms[1].detail['event-name'], 'Encrypt');
  });

  test('the end of a deletion window raises KMS CMK Deletion and leaves a DeleteKey service event', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const events = [];
    kms.on('KMS CMK Deletion', (e) => events.push(e));
    const { KeyMetadata } = await kms.createKey({});
    const { DeletionDate } = await kms.scheduleKeyDeletion({ KeyId: KeyMetadata.KeyId, PendingWindowInDays: 7 });
    clock.set(DeletionDate.getTime());
    await rejects(kms.generateRandom({ NumberOfBytes: 0 }), 'ValidationException', 'even a failing call applies the clock');
    equal(events.length, 1, 'delivered with a call that failed');
    equal(events[0].detail['key-id'], KeyMetadata.KeyId);
    equal(Date.parse(events[0].time), DeletionDate.getTime());
    const records = await kms.auditLog();
    const del = records.find((r) => r.eventName === 'DeleteKey');
    ok(del, 'a DeleteKey record');
    equal(del.eventType, 'AwsServiceEvent');
    deepEqual(del.resources.map((r) => r.ARN), [KeyMetadata.Arn]);
  });

  test('a handler that throws or rejects is reported and never breaks a call or other handlers', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata } = await kms.createKey({});
    const blob = (await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('x') })).CiphertextBlob;
    await kms.enableKeyRotation({ KeyId: KeyMetadata.KeyId, RotationPeriodInDays: 90 });
    const seen = [];
    kms.on('KMS CMK Rotation', () => {
      throw new Error('handler bug');
    });
    kms.on('KMS CMK Rotation', async () => {
      throw new Error('async handler bug');
    });
    kms.on('KMS CMK Rotation', (e) => seen.push(e));
    kms.on('KMS CMK Pending Deletion Use Attempt', () => {
      throw new Error('alarm handler bug');
    });
    const reported = await capturingConsoleError(async () => {
      clock.advance(90 * DAY);
      const dec = await kms.decrypt({ CiphertextBlob: blob });
      deepEqual(dec.Plaintext, utf8('x'), 'the call resolves as usual');
      equal(seen.length, 1, 'the later handler still ran');
      await nextTask();
      await kms.scheduleKeyDeletion({ KeyId: KeyMetadata.KeyId });
      await rejects(kms.decrypt({ CiphertextBlob: blob }), 'KMSInvalidStateException', 'a failing call keeps its own error');
      await nextTask();
    });
    equal(reported.length, 3, `each failing handler is reported once (got ${reported.length})`);
    const messages = reported.map((args) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    ok(messages.some((m) => m.includes('handler bug')), 'the sync failure');
    ok(messages.some((m) => m.includes('async handler bug')), 'the async failure');
    ok(messages.some((m) => m.includes('alarm handler bug')), 'the alarm handler failure');
    equal((await kms.describeKey({ KeyId: KeyMetadata.KeyId })).KeyMetadata.KeyState, 'PendingDeletion', 'the KMS works on');
  });

  test('handlers may call the KMS; on and off check their arguments', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata } = await kms.createKey({});
    await kms.enableKeyRotation({ KeyId: KeyMetadata.KeyId, RotationPeriodInDays: 90 });
    const states = [];
    kms.on('KMS CMK Rotation', (e) => kms.listKeyRotations({ KeyId: e.detail['key-id'] }).then((r) => states.push(r.Rotations.length)));
    clock.advance(90 * DAY);
    await kms.describeKey({ KeyId: KeyMetadata.KeyId });
    await kms.generateRandom({ NumberOfBytes: 1 }); // queued behind the handler's call
    deepEqual(states, [1], "the handler's own call ran, seeing the rotation");
    for (const [what, call] of [
      ['an empty type', () => kms.on('', () => {})],
      ['a handler that is not a function', () => kms.on('KMS CMK Rotation', 'log it')],
    ]) {
      let err = null;
      try {
        call();
      } catch (e) {
        err = e;
      }
      ok(err, `on with ${what} throws`);
      isAwsError(err, 'ValidationException', what);
    }
    kms.off('never registered', () => {});
  });

  // ---- usage --------------------------------------------------------------

  test('usage: key-months, billed key versions, requests per operation and cost for a month', async () => {
    const clock = fakeClock('2030-01-01T00:00:00.000Z');
    const kms = await createKms({ now: clock.now });
    const { KeyMetadata: a } = await kms.createKey({ Description: 'all month' });
    for (let i = 0; i < 3; i += 1) {
      const { CiphertextBlob } = await kms.encrypt({ KeyId: a.KeyId, Plaintext: utf8(`u${i}`) });
      if (i < 2) await kms.decrypt({ CiphertextBlob });
    }
    await kms.forService('s3').generateDataKey({ KeyId: 'alias/aws/s3', KeySpec: 'AES_256' }); // an AWS managed key: not billed
    clock.set('2030-01-11T00:00:00.000Z');
    await kms.rotateKeyOnDemand({ KeyId: a.KeyId });
    clock.set('2030-01-16T00:00:00.000Z');
    const { KeyMetadata: b } = await kms.createKey({ Description: 'half month' });
    clock.set('2030-02-01T00:00:00.000Z');
    await kms.describeKey({ KeyId: b.KeyId });

    const jan = await kms.usage({ month: '2030-01' });
    equal(jan.month, '2030-01');
    equal(jan.keys.length, 2, 'the two customer managed keys');
    const ka = jan.keys.find((k) => k.keyId === a.Arn);
    const kb = jan.keys.find((k) => k.keyId === b.Arn);
    ok(ka && kb, 'keys by ARN');
    close(ka.keyMonths, 1, 'a: all month');
    close(ka.billedKeyVersions, (10 * 1 + 21 * 2) / 31, 'a: one version for 10 days, two for 21');
    close(kb.keyMonths, 16 / 31, 'b: from the 16th');
    close(kb.billedKeyVersions, 1, 'b: one version');
    close(jan.keyMonths, 1 + 16 / 31, 'keyMonths');
    close(jan.billedKeyVersionMonths, 52 / 31 + 16 / 31, 'billedKeyVersionMonths');
    deepEqual(jan.requests, { CreateKey: 2, Encrypt: 3, Decrypt: 2, GenerateDataKey: 1, RotateKeyOnDemand: 1 }, 'requests per operation');
    equal(jan.totalRequests, 9);
    equal(jan.billableRequests, 0, 'within the free tier');
    close(jan.estimatedCost.keys, 68 / 31, 'key cost at $1 per key version month');
    close(jan.estimatedCost.requests, 0, 'request cost');
    close(jan.estimatedCost.total, 68 / 31, 'total');
    equal(jan.estimatedCost.currency, 'USD');
    deepEqual(jan.prices, { keyMonth: 1, per10kRequests: 0.03, freeRequests: 20000 }, 'the default prices');

    const priced = await kms.usage({ month: '2030-01', prices: { keyMonth: 2, per10kRequests: 10000, freeRequests: 4 } });
    equal(priced.billableRequests, 5);
    close(priced.estimatedCost.requests, 5, 'request cost with the caller’s prices');
    close(priced.estimatedCost.keys, 136 / 31, 'key cost with the caller’s prices');
    close((await kms.usage({ month: '2030-01', prices: { keyMonth: 3 } })).estimatedCost.keys, 3 * 68 / 31, 'one price given alone');

    const feb = await kms.usage({ month: '2030-02' });
    deepEqual(feb.requests, { DescribeKey: 1 }, 'February counts only its own calls');
    const dec = await kms.usage({ month: '2029-12' });
    deepEqual([dec.keys, dec.totalRequests], [[], 0], 'nothing before the first key');
    close(dec.keyMonths, 0, 'no key-months before the first key');
    close(dec.estimatedCost.total, 0, 'no cost before the first key');
  });

  test('usage refuses a malformed month or prices with ValidationException', async () => {
    const kms = await createKms();
    for (const month of ['2030-13', '2030-1', '30-01', '2030/01', '', undefined]) {
      await rejects(kms.usage({ month }), 'ValidationException', `month ${JSON.stringify(month)}`);
    }
    await rejects(kms.usage({ month: '2030-01', prices: { keyMonth: -1 } }), 'ValidationException', 'a negative price');
  });

  // ---- the client around them ---------------------------------------------

  test('views compose: caller, endpoint and service all reach the call and its audit record', async () => {
    const kms = await createKms();
    await kms.createEndpoint({ VpcEndpointId: VPCE, VpcId: VPC });
    const view = kms.withCaller(ALICE).viaEndpoint(VPCE).forService('s3');
    deepEqual([view.caller, view.endpoint, view.service], [ALICE, VPCE, 's3']);
    const again = view.withCaller(BOB);
    deepEqual([again.caller, again.endpoint, again.service], [BOB, VPCE, 's3'], 'withCaller keeps the endpoint and service');
    deepEqual([kms.caller, kms.endpoint, kms.service], [ROOT, undefined, undefined], 'the base is unchanged');
    const enc = await view.encrypt({ KeyId: 'alias/aws/s3', Plaintext: utf8('through everything') });
    deepEqual((await again.decrypt({ CiphertextBlob: enc.CiphertextBlob })).Plaintext, utf8('through everything'));
    const [r] = (await kms.auditLog()).filter((x) => x.eventName === 'Encrypt');
    equal(r.userIdentity.arn, ALICE);
    equal(r.userIdentity.invokedBy, 's3.amazonaws.com');
    equal(r.vpcEndpointId, VPCE);
    equal(typeof kms.createEndpoint, 'function');
    for (const m of ['viaEndpoint', 'forService', 'createEndpoint', 'auditLog', 'verifyAuditLog', 'usage', 'on', 'off']) {
      equal(typeof view[m], 'function', `views have ${m}`);
    }
    equal(typeof verifyAuditRecords, 'function', 'the module exports verifyAuditRecords');
  });

  test('createKms refuses a grantPropagationSeconds that is not a non-negative number', async () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '30', {}]) {
      await rejects(() => createKms({ grantPropagationSeconds: bad }), 'ValidationException', `grantPropagationSeconds ${String(bad)}`);
    }
    ok(await createKms({ grantPropagationSeconds: 0.5 }), 'fractions of a second are fine');
  });

  test('recovery from a wasm trap keeps grantPropagationSeconds', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now, grantPropagationSeconds: 600 });
    const admin = kms.withCaller(ADMIN);
    const reader = kms.withCaller(READER);
    const { KeyMetadata } = await admin.createKey({ Policy: policy(allowAdmin) });
    const KeyId = KeyMetadata.KeyId;
    const { GrantToken } = await admin.createGrant({ KeyId, GranteePrincipal: READER, Operations: ['Encrypt'] });
    const recoveries = kms.__recoveries;
    await rejects(kms.__trapForTesting(), 'KMSInternalException', 'the trap');
    await rejects(reader.encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', 'still propagating after the recovery');
    equal(kms.__recoveries, recoveries + 1, 'the KMS moved to a fresh instance');
    ok((await reader.encrypt({ KeyId, Plaintext: utf8('x'), GrantTokens: [GrantToken] })).CiphertextBlob.length > 0, 'with the token');
    clock.advance(600_000);
    ok((await reader.encrypt({ KeyId, Plaintext: utf8('x') })).CiphertextBlob.length > 0, 'propagated');
    deepEqual(await kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null }, 'the log after the recovery verifies');
  });

  test('getKeyLastUsage: the last successful cryptographic call, with its audit record\'s ids; failures are not uses and change nothing', async () => {
    const clock = fakeClock();
    const store = memoryStore();
    const kms = await createKms({ now: clock.now, store });
    const { KeyMetadata } = await kms.createKey();
    const fresh = await kms.getKeyLastUsage({ KeyId: KeyMetadata.KeyId });
    equal(fresh.KeyId, KeyMetadata.Arn);
    ok(fresh.KeyCreationDate instanceof Date && fresh.TrackingStartDate instanceof Date);
    equal(fresh.TrackingStartDate.getTime(), KeyMetadata.CreationDate.getTime());
    equal(fresh.KeyLastUsage, undefined, 'no use yet');

    clock.advance(60_000);
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('x'), EncryptionContext: { a: 'b' } });
    const used = (await kms.getKeyLastUsage({ KeyId: KeyMetadata.Arn })).KeyLastUsage;
    equal(used.Operation, 'Encrypt');
    ok(used.Timestamp instanceof Date && used.Timestamp.getTime() === clock.ms, 'the call\'s time');
    const record = (await kms.auditLog()).find((r) => r.eventName === 'Encrypt');
    equal(used.CloudTrailEventId, record.eventID);
    equal(used.KmsRequestId, record.requestID);

    clock.advance(60_000);
    await rejects(kms.decrypt({ CiphertextBlob, EncryptionContext: { a: 'other' } }), 'InvalidCiphertextException');
    deepEqual((await kms.getKeyLastUsage({ KeyId: KeyMetadata.KeyId })).KeyLastUsage, used, 'a failed call is no use');
    await rejects(kms.getKeyLastUsage({ KeyId: 'alias/none' }), 'NotFoundException');
    await rejects(kms.getKeyLastUsage({}), 'ValidationException');
    await rejects(kms.withCaller('arn:aws:iam::444455556666:user/mallory').getKeyLastUsage({ KeyId: KeyMetadata.KeyId }), 'AccessDeniedException');

    // Persisted: a KMS opened again on the store reports it.
    await kms.close();
    const again = await createKms({ now: clock.now, store });
    deepEqual((await again.getKeyLastUsage({ KeyId: KeyMetadata.KeyId })).KeyLastUsage, used);
  });
});
