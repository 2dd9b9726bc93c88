// Cryptography: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
// GenerateDataKeyWithoutPlaintext, GenerateRandom.
import { createKms } from 'kms-wasm';
import {
  suite, ok, equal, deepEqual, notDeepEqual, bytes, hasMembers, rejects, observe, utf8, text, randomBytes, keyArnRe,
} from './harness.js';

async function oneKey(options) {
  const kms = await createKms(options);
  const { KeyMetadata } = await kms.createKey({ Description: 'crypto' });
  return { kms, KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

export default suite('cryptography', (test) => {
  test('encrypt and decrypt round-trip with the AWS response shapes', async () => {
    const { kms, KeyId, Arn } = await oneKey();
    const Plaintext = utf8('hello, kms-wasm');
    const enc = await kms.encrypt({ KeyId, Plaintext });
    hasMembers(enc, ['CiphertextBlob', 'KeyId', 'EncryptionAlgorithm']);
    bytes(enc.CiphertextBlob, 'CiphertextBlob');
    equal(enc.KeyId, Arn, 'Encrypt KeyId is the key ARN');
    equal(enc.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    ok(!text(enc.CiphertextBlob).includes('hello'), 'the blob does not hold the plaintext');
    const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob });
    hasMembers(dec, ['Plaintext', 'KeyId', 'EncryptionAlgorithm']);
    bytes(dec.Plaintext, 'Plaintext');
    deepEqual(dec.Plaintext, Plaintext);
    equal(dec.KeyId, Arn, 'Decrypt KeyId is the key ARN');
    equal(dec.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
  });

  test('decrypt with KeyId in every form, and with EncryptionAlgorithm SYMMETRIC_DEFAULT', async () => {
    const { kms, KeyId, Arn } = await oneKey();
    await kms.createAlias({ AliasName: 'alias/dec', TargetKeyId: KeyId });
    const { CiphertextBlob } = await kms.encrypt({ KeyId: Arn, Plaintext: utf8('x'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    for (const form of [KeyId, Arn, 'alias/dec', 'arn:aws:kms:us-east-1:111122223333:alias/dec']) {
      const dec = await kms.decrypt({ CiphertextBlob, KeyId: form, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      deepEqual(dec.Plaintext, utf8('x'), form);
    }
  });

  test('encryption is randomized: two blobs of one plaintext differ', async () => {
    const { kms, KeyId } = await oneKey();
    const a = await kms.encrypt({ KeyId, Plaintext: utf8('same') });
    const b = await kms.encrypt({ KeyId, Plaintext: utf8('same') });
    notDeepEqual(a.CiphertextBlob, b.CiphertextBlob);
  });

  test('plaintexts of 1 and 4096 bytes; the 4096-byte blob stays within 6144 bytes', async () => {
    const { kms, KeyId } = await oneKey();
    for (const n of [1, 17, 4096]) {
      const Plaintext = randomBytes(n);
      const enc = await kms.encrypt({ KeyId, Plaintext });
      ok(enc.CiphertextBlob.length <= 6144, `blob of ${n} bytes is ${enc.CiphertextBlob.length} bytes`);
      deepEqual((await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob })).Plaintext, Plaintext, `${n} bytes`);
    }
  });

  test('EncryptionContext binds: same context decrypts, pair order does not matter', async () => {
    const { kms, KeyId } = await oneKey();
    const EncryptionContext = { tenant: 'acme', purpose: 'test', 'ünïcödé': 'välue' };
    const enc = await kms.encrypt({ KeyId, Plaintext: utf8('bound'), EncryptionContext });
    const reordered = { 'ünïcödé': 'välue', purpose: 'test', tenant: 'acme' };
    const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: reordered });
    deepEqual(dec.Plaintext, utf8('bound'));
    const empty = await kms.encrypt({ KeyId, Plaintext: utf8('e'), EncryptionContext: {} });
    deepEqual((await kms.decrypt({ CiphertextBlob: empty.CiphertextBlob })).Plaintext, utf8('e'), 'empty context = no context');
  });

  test('a Uint8Array view with an offset is read as the view, not its buffer', async () => {
    const { kms, KeyId } = await oneKey();
    const backing = utf8('XXXXsecretYYYY');
    const view = backing.subarray(4, 10);
    const enc = await kms.encrypt({ KeyId, Plaintext: view });
    deepEqual((await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob })).Plaintext, utf8('secret'));
    const padded = new Uint8Array(enc.CiphertextBlob.length + 8);
    padded.set(enc.CiphertextBlob, 3);
    const blobView = padded.subarray(3, 3 + enc.CiphertextBlob.length);
    deepEqual((await kms.decrypt({ CiphertextBlob: blobView })).Plaintext, utf8('secret'), 'blob given as a view');
  });

  test('the caller may overwrite its input and output buffers afterwards', async () => {
    const { kms, KeyId } = await oneKey();
    const Plaintext = utf8('do not alias me');
    const enc = await kms.encrypt({ KeyId, Plaintext });
    Plaintext.fill(0);
    const blob = enc.CiphertextBlob.slice();
    const dec = await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob });
    enc.CiphertextBlob.fill(0);
    dec.Plaintext.fill(0);
    deepEqual((await kms.decrypt({ CiphertextBlob: blob })).Plaintext, utf8('do not alias me'));
  });

  test('reEncrypt moves a ciphertext to another key and context', async () => {
    const { kms, KeyId, Arn } = await oneKey();
    const { KeyMetadata: dest } = await kms.createKey({ Description: 'dest' });
    const enc = await kms.encrypt({ KeyId, Plaintext: utf8('moving'), EncryptionContext: { from: 'a' } });
    const re = await kms.reEncrypt({
      CiphertextBlob: enc.CiphertextBlob,
      SourceEncryptionContext: { from: 'a' },
      DestinationKeyId: dest.Arn,
      DestinationEncryptionContext: { to: 'b' },
    });
    hasMembers(re, ['CiphertextBlob', 'SourceKeyId', 'KeyId', 'SourceEncryptionAlgorithm', 'DestinationEncryptionAlgorithm']);
    bytes(re.CiphertextBlob);
    equal(re.SourceKeyId, Arn, 'SourceKeyId is the source key ARN');
    equal(re.KeyId, dest.Arn, 'KeyId is the destination key ARN');
    equal(re.SourceEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    equal(re.DestinationEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    const dec = await kms.decrypt({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { to: 'b' } });
    deepEqual(dec.Plaintext, utf8('moving'));
    equal(dec.KeyId, dest.Arn);
    await rejects(kms.decrypt({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { from: 'a' } }), 'InvalidCiphertextException');
    const same = await kms.reEncrypt({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { from: 'a' }, SourceKeyId: KeyId, DestinationKeyId: KeyId });
    equal(same.KeyId, Arn, 'reEncrypt to the same key');
    deepEqual((await kms.decrypt({ CiphertextBlob: same.CiphertextBlob })).Plaintext, utf8('moving'));
  });

  test('generateDataKey with KeySpec AES_256, AES_128 and NumberOfBytes', async () => {
    const { kms, KeyId, Arn } = await oneKey();
    for (const [req, len] of [[{ KeySpec: 'AES_256' }, 32], [{ KeySpec: 'AES_128' }, 16], [{ NumberOfBytes: 1 }, 1], [{ NumberOfBytes: 64 }, 64], [{ NumberOfBytes: 1024 }, 1024]]) {
      const what = JSON.stringify(req);
      const res = await kms.generateDataKey({ KeyId, ...req, EncryptionContext: { dk: 'yes' } });
      hasMembers(res, ['CiphertextBlob', 'Plaintext', 'KeyId'], what);
      bytes(res.Plaintext, what);
      bytes(res.CiphertextBlob, what);
      equal(res.Plaintext.length, len, `${what} length`);
      equal(res.KeyId, Arn, `${what} KeyId is the key ARN`);
      const dec = await kms.decrypt({ CiphertextBlob: res.CiphertextBlob, EncryptionContext: { dk: 'yes' } });
      deepEqual(dec.Plaintext, res.Plaintext, `${what}: the blob decrypts to the data key`);
    }
    const a = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });
    const b = await kms.generateDataKey({ KeyId, KeySpec: 'AES_256' });
    notDeepEqual(a.Plaintext, b.Plaintext, 'data keys are fresh');
  });

  test('generateDataKey needs exactly one of KeySpec and NumberOfBytes', async () => {
    const { kms, KeyId } = await oneKey();
    await rejects(kms.generateDataKey({ KeyId }), 'ValidationException', 'neither');
    await rejects(kms.generateDataKey({ KeyId, KeySpec: 'AES_256', NumberOfBytes: 32 }), 'ValidationException', 'both');
    await rejects(kms.generateDataKey({ KeyId, KeySpec: 'AES_512' }), 'ValidationException', 'unknown KeySpec');
    await rejects(kms.generateDataKey({ KeyId, NumberOfBytes: 0 }), 'ValidationException', '0 bytes');
    await rejects(kms.generateDataKey({ KeyId, NumberOfBytes: 1025 }), 'ValidationException', '1025 bytes');
    await rejects(kms.generateDataKeyWithoutPlaintext({ KeyId }), 'ValidationException', 'neither, without plaintext');
  });

  test('generateDataKeyWithoutPlaintext returns no plaintext; the blob decrypts to a key of that size', async () => {
    const { kms, KeyId, Arn } = await oneKey();
    for (const [req, len] of [[{ KeySpec: 'AES_256' }, 32], [{ KeySpec: 'AES_128' }, 16], [{ NumberOfBytes: 48 }, 48]]) {
      const res = await kms.generateDataKeyWithoutPlaintext({ KeyId, ...req, EncryptionContext: { w: 'o' } });
      hasMembers(res, ['CiphertextBlob', 'KeyId']);
      equal(res.Plaintext, undefined, 'no Plaintext member');
      equal(res.KeyId, Arn);
      bytes(res.CiphertextBlob);
      const dec = await kms.decrypt({ CiphertextBlob: res.CiphertextBlob, EncryptionContext: { w: 'o' } });
      equal(dec.Plaintext.length, len);
    }
  });

  test('generateRandom returns 1..1024 fresh bytes', async () => {
    const kms = await createKms();
    for (const n of [1, 32, 1024]) {
      const res = await kms.generateRandom({ NumberOfBytes: n });
      bytes(res.Plaintext);
      equal(res.Plaintext.length, n);
    }
    const a = (await kms.generateRandom({ NumberOfBytes: 32 })).Plaintext;
    const b = (await kms.generateRandom({ NumberOfBytes: 32 })).Plaintext;
    notDeepEqual(a, b, 'two calls differ');
    ok(a.some((x) => x !== 0), 'not all zero');
    for (const bad of [0, 1025, -1]) {
      await rejects(kms.generateRandom({ NumberOfBytes: bad }), 'ValidationException', `${bad} bytes`);
    }
    await rejects(kms.generateRandom({}), 'ValidationException', 'NumberOfBytes missing');
  });

  test('concurrent calls all complete correctly', async () => {
    const { kms, KeyId } = await oneKey();
    const inputs = Array.from({ length: 40 }, (_, i) => utf8(`message number ${i}`));
    const encs = await Promise.all(inputs.map((Plaintext) => kms.encrypt({ KeyId, Plaintext })));
    const mixed = await Promise.all([
      ...encs.map((e) => kms.decrypt({ CiphertextBlob: e.CiphertextBlob })),
      kms.createKey({}),
      kms.generateDataKey({ KeyId, KeySpec: 'AES_256' }),
      kms.listKeys({}),
      kms.rotateKeyOnDemand({ KeyId }),
      kms.describeKey({ KeyId }),
    ]);
    for (let i = 0; i < inputs.length; i += 1) deepEqual(mixed[i].Plaintext, inputs[i], `message ${i}`);
    const failing = await Promise.allSettled([
      kms.encrypt({ KeyId, Plaintext: new Uint8Array(0) }),
      kms.encrypt({ KeyId, Plaintext: utf8('fine') }),
      kms.describeKey({ KeyId: 'alias/none' }),
      kms.decrypt({ CiphertextBlob: encs[0].CiphertextBlob }),
    ]);
    deepEqual(failing.map((r) => r.status), ['rejected', 'fulfilled', 'rejected', 'fulfilled'], 'failures do not disturb their neighbours');
    equal(failing[0].reason.name, 'ValidationException');
    equal(failing[2].reason.name, 'NotFoundException');
  });

  test('cryptographic calls change nothing observable', async () => {
    const { kms, KeyId } = await oneKey();
    const before = await observe(kms);
    const enc = await kms.encrypt({ KeyId, Plaintext: utf8('x') });
    await kms.decrypt({ CiphertextBlob: enc.CiphertextBlob });
    await kms.generateDataKey({ KeyId, KeySpec: 'AES_128' });
    await kms.generateRandom({ NumberOfBytes: 8 });
    deepEqual(await observe(kms), before);
  });

  test('options accountId and region appear in every ARN', async () => {
    const { kms, KeyId, Arn } = await oneKey({ accountId: '444455556666', region: 'eu-west-2' });
    const re = keyArnRe('444455556666', 'eu-west-2');
    ok(re.test(Arn), `KeyMetadata.Arn ${Arn}`);
    const { KeyMetadata } = await kms.describeKey({ KeyId });
    equal(KeyMetadata.AWSAccountId, '444455556666');
    ok(re.test((await kms.encrypt({ KeyId, Plaintext: utf8('p') })).KeyId), 'Encrypt KeyId');
    await kms.createAlias({ AliasName: 'alias/eu', TargetKeyId: KeyId });
    const [alias] = (await kms.listAliases({})).Aliases.filter((a) => a.TargetKeyId);
    equal(alias.AliasArn, 'arn:aws:kms:eu-west-2:444455556666:alias/eu');
    equal((await kms.describeKey({ KeyId: alias.AliasArn })).KeyMetadata.Arn, Arn, 'alias ARN in this partition resolves');
    ok((await kms.listKeys({})).Keys.every((k) => re.test(k.KeyArn)), 'ListKeys KeyArn');
    const defaultArn = Arn.replace('eu-west-2:444455556666', 'us-east-1:111122223333');
    await rejects(kms.describeKey({ KeyId: defaultArn }), 'NotFoundException', 'the same key id under the default account and region');
  });

  test('an encryption context member named __proto__ (as JSON.parse makes it) is bound like any other', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey();
    const context = JSON.parse('{"__proto__":"tenant-a","k":"v"}');
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('x'), EncryptionContext: context });
    await rejects(kms.decrypt({ CiphertextBlob, EncryptionContext: { k: 'v' } }), 'InvalidCiphertextException', 'without the member');
    await rejects(kms.decrypt({ CiphertextBlob, EncryptionContext: JSON.parse('{"__proto__":"tenant-b","k":"v"}') }), 'InvalidCiphertextException', 'another value');
    equal(text((await kms.decrypt({ CiphertextBlob, EncryptionContext: JSON.parse('{"__proto__":"tenant-a","k":"v"}') })).Plaintext), 'x');
  });
});
