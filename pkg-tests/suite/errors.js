// Every failure: the AWS exception name, a one-sentence message, and a KMS
// that is exactly as it was before the call.
import { createKms } from 'kms-wasm';
import { suite, deepEqual, rejects, observe, fakeClock, utf8, randomBytes, DEFAULT_ACCOUNT } from './harness.js';

/**
 * A KMS with: key A (Enabled, alias/a, a tag, rotation on), key B (Enabled,
 * alias/b), key D (Disabled), key P (PendingDeletion), and blobs made by
 * each before its state changed.
 */
async function world() {
  const clock = fakeClock();
  const kms = await createKms({ now: clock.now });
  const mk = async (Description) => (await kms.createKey({ Description, Tags: [{ TagKey: 'k', TagValue: Description }] })).KeyMetadata;
  const A = await mk('A');
  const B = await mk('B');
  const D = await mk('D');
  const P = await mk('P');
  await kms.createAlias({ AliasName: 'alias/a', TargetKeyId: A.KeyId });
  await kms.createAlias({ AliasName: 'alias/b', TargetKeyId: B.KeyId });
  await kms.createAlias({ AliasName: 'alias/p', TargetKeyId: P.KeyId });
  await kms.enableKeyRotation({ KeyId: A.KeyId, RotationPeriodInDays: 90 });
  const blob = async (KeyId, EncryptionContext) => (await kms.encrypt({ KeyId, Plaintext: utf8(`secret of ${KeyId}`), EncryptionContext })).CiphertextBlob;
  const blobs = {
    A: await blob(A.KeyId, { purpose: 'test' }),
    Actx: await blob(A.KeyId, { ab: 'c' }),
    B: await blob(B.KeyId),
    D: await blob(D.KeyId),
    P: await blob(P.KeyId),
  };
  await kms.disableKey({ KeyId: D.KeyId });
  await kms.scheduleKeyDeletion({ KeyId: P.KeyId, PendingWindowInDays: 7 });
  return { clock, kms, A, B, D, P, blobs };
}

const uuid = () => {
  const h = Array.from(randomBytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const long = (n) => new Uint8Array(n).fill(7);
const otherAccountArn = (arn) => arn.replace(`:${DEFAULT_ACCOUNT}:`, ':444455556666:');
const otherRegionArn = (arn) => arn.replace(':us-east-1:', ':eu-west-1:');

// [exception, description, (world) => promise]
const CASES = [
  // ValidationException
  ['ValidationException', 'encrypt: Plaintext of 0 bytes', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: new Uint8Array(0) })],
  ['ValidationException', 'encrypt: Plaintext of 4097 bytes', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: long(4097) })],
  ['ValidationException', 'encrypt: Plaintext missing', (w) => w.kms.encrypt({ KeyId: w.A.KeyId })],
  ['ValidationException', 'encrypt: a string as Plaintext', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: 'a string is not bytes' })],
  ['ValidationException', 'encrypt: a number as Plaintext', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: 42 })],
  ['ValidationException', 'encrypt: an array of numbers as Plaintext', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: [1, 2, 3] })],
  ['ValidationException', 'encrypt: KeyId of 2049 characters', (w) => w.kms.encrypt({ KeyId: 'k'.repeat(2049), Plaintext: utf8('x') })],
  ['ValidationException', 'encrypt: 11 GrantTokens', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x'), GrantTokens: Array(11).fill('token') })],
  ['ValidationException', 'encrypt: an EncryptionContext that is a string', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x'), EncryptionContext: 'a=b' })],
  ['ValidationException', 'generateDataKey: NumberOfBytes as a string', (w) => w.kms.generateDataKey({ KeyId: w.A.KeyId, NumberOfBytes: '32' })],
  ['ValidationException', 'tagResource: Tags as an object', (w) => w.kms.tagResource({ KeyId: w.A.KeyId, Tags: { env: 'prod' } })],
  ['ValidationException', 'encrypt: KeyId missing', (w) => w.kms.encrypt({ Plaintext: utf8('x') })],
  ['ValidationException', 'encrypt: KeyId empty', (w) => w.kms.encrypt({ KeyId: '', Plaintext: utf8('x') })],
  ['ValidationException', 'encrypt: empty EncryptionContext value', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x'), EncryptionContext: { k: '' } })],
  ['ValidationException', 'encrypt: empty EncryptionContext key', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x'), EncryptionContext: { '': 'v' } })],
  ['ValidationException', 'encrypt: a number as EncryptionContext value', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x'), EncryptionContext: { k: 5 } })],
  ['ValidationException', 'encrypt: unknown EncryptionAlgorithm', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'AES_999' })],
  ['ValidationException', 'decrypt: CiphertextBlob missing', (w) => w.kms.decrypt({})],
  ['ValidationException', 'decrypt: CiphertextBlob of 0 bytes', (w) => w.kms.decrypt({ CiphertextBlob: new Uint8Array(0) })],
  ['ValidationException', 'decrypt: CiphertextBlob of 6145 bytes', (w) => w.kms.decrypt({ CiphertextBlob: long(6145) })],
  ['ValidationException', 'decrypt: a string as CiphertextBlob', (w) => w.kms.decrypt({ CiphertextBlob: 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QA==' })],
  ['ValidationException', 'decrypt: empty EncryptionContext value', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.A, EncryptionContext: { purpose: '' } })],
  ['ValidationException', 'reEncrypt: DestinationKeyId missing', (w) => w.kms.reEncrypt({ CiphertextBlob: w.blobs.A, SourceEncryptionContext: { purpose: 'test' } })],
  ['ValidationException', 'listKeys: Limit 0', (w) => w.kms.listKeys({ Limit: 0 })],
  ['ValidationException', 'listKeys: Limit 1001', (w) => w.kms.listKeys({ Limit: 1001 })],
  ['ValidationException', 'listKeys: Limit as a string', (w) => w.kms.listKeys({ Limit: 'ten' })],
  ['ValidationException', 'listAliases: Limit 101', (w) => w.kms.listAliases({ Limit: 101 })],
  ['ValidationException', 'listResourceTags: Limit 51', (w) => w.kms.listResourceTags({ KeyId: w.A.KeyId, Limit: 51 })],
  ['ValidationException', 'listKeyRotations: Limit 0', (w) => w.kms.listKeyRotations({ KeyId: w.A.KeyId, Limit: 0 })],
  ['ValidationException', 'createKey: unknown KeyUsage', (w) => w.kms.createKey({ KeyUsage: 'ENCRYPT_EVERYTHING' })],
  ['ValidationException', 'createKey: unknown KeySpec', (w) => w.kms.createKey({ KeySpec: 'AES_1024' })],
  ['ValidationException', 'createKey: Description of 8193 characters', (w) => w.kms.createKey({ Description: 'd'.repeat(8193) })],
  ['ValidationException', 'generateDataKey: unknown KeySpec', (w) => w.kms.generateDataKey({ KeyId: w.A.KeyId, KeySpec: 'AES_512' })],
  ['ValidationException', 'generateDataKey: KeySpec and NumberOfBytes', (w) => w.kms.generateDataKey({ KeyId: w.A.KeyId, KeySpec: 'AES_128', NumberOfBytes: 16 })],
  ['ValidationException', 'generateDataKey: neither KeySpec nor NumberOfBytes', (w) => w.kms.generateDataKey({ KeyId: w.A.KeyId })],
  ['ValidationException', 'generateDataKey: NumberOfBytes 1025', (w) => w.kms.generateDataKey({ KeyId: w.A.KeyId, NumberOfBytes: 1025 })],
  ['ValidationException', 'generateRandom: NumberOfBytes 0', (w) => w.kms.generateRandom({ NumberOfBytes: 0 })],
  ['ValidationException', 'generateRandom: NumberOfBytes 1025', (w) => w.kms.generateRandom({ NumberOfBytes: 1025 })],
  ['ValidationException', 'scheduleKeyDeletion: PendingWindowInDays 6', (w) => w.kms.scheduleKeyDeletion({ KeyId: w.A.KeyId, PendingWindowInDays: 6 })],
  ['ValidationException', 'scheduleKeyDeletion: PendingWindowInDays 31', (w) => w.kms.scheduleKeyDeletion({ KeyId: w.A.KeyId, PendingWindowInDays: 31 })],
  ['ValidationException', 'enableKeyRotation: RotationPeriodInDays 89', (w) => w.kms.enableKeyRotation({ KeyId: w.B.KeyId, RotationPeriodInDays: 89 })],
  ['ValidationException', 'enableKeyRotation: RotationPeriodInDays 2561', (w) => w.kms.enableKeyRotation({ KeyId: w.A.KeyId, RotationPeriodInDays: 2561 })],
  ['ValidationException', 'updateKeyDescription: 8193 characters', (w) => w.kms.updateKeyDescription({ KeyId: w.A.KeyId, Description: 'd'.repeat(8193) })],
  ['ValidationException', 'updateKeyDescription: Description missing', (w) => w.kms.updateKeyDescription({ KeyId: w.A.KeyId })],
  ['ValidationException', 'createAlias: alias/ with no name', (w) => w.kms.createAlias({ AliasName: 'alias/', TargetKeyId: w.B.KeyId })],
  ['ValidationException', 'createAlias: a space in the name', (w) => w.kms.createAlias({ AliasName: 'alias/has space', TargetKeyId: w.B.KeyId })],
  ['ValidationException', 'describeKey: KeyId missing', (w) => w.kms.describeKey({})],

  // NotFoundException
  ['NotFoundException', 'describeKey: unknown key id', (w) => w.kms.describeKey({ KeyId: uuid() })],
  ['NotFoundException', 'describeKey: unknown key ARN', (w) => w.kms.describeKey({ KeyId: `arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:key/${uuid()}` })],
  ['NotFoundException', 'describeKey: unknown alias', (w) => w.kms.describeKey({ KeyId: 'alias/nope' })],
  ['NotFoundException', 'describeKey: unknown alias ARN', (w) => w.kms.describeKey({ KeyId: `arn:aws:kms:us-east-1:${DEFAULT_ACCOUNT}:alias/nope` })],
  ['NotFoundException', 'describeKey: malformed key id', (w) => w.kms.describeKey({ KeyId: 'not-a-key-id' })],
  ['NotFoundException', 'describeKey: key id with a wrong character', (w) => w.kms.describeKey({ KeyId: `${w.A.KeyId.slice(0, -1)}z` })],
  ['NotFoundException', 'describeKey: ARN of another account', (w) => w.kms.describeKey({ KeyId: otherAccountArn(w.A.Arn) })],
  ['NotFoundException', 'describeKey: ARN of another region', (w) => w.kms.describeKey({ KeyId: otherRegionArn(w.A.Arn) })],
  ['NotFoundException', 'encrypt: ARN of another account', (w) => w.kms.encrypt({ KeyId: otherAccountArn(w.A.Arn), Plaintext: utf8('x') })],
  ['NotFoundException', 'encrypt: unknown alias', (w) => w.kms.encrypt({ KeyId: 'alias/none', Plaintext: utf8('x') })],
  ['NotFoundException', 'generateDataKey: unknown key', (w) => w.kms.generateDataKey({ KeyId: uuid(), KeySpec: 'AES_256' })],
  ['NotFoundException', 'enableKey: an alias name (not accepted there)', (w) => w.kms.enableKey({ KeyId: 'alias/a' })],
  ['NotFoundException', 'disableKey: unknown key', (w) => w.kms.disableKey({ KeyId: uuid() })],
  ['NotFoundException', 'scheduleKeyDeletion: unknown key', (w) => w.kms.scheduleKeyDeletion({ KeyId: uuid() })],
  ['NotFoundException', 'tagResource: unknown key', (w) => w.kms.tagResource({ KeyId: uuid(), Tags: [{ TagKey: 'a', TagValue: 'b' }] })],
  ['NotFoundException', 'createAlias: unknown target key', (w) => w.kms.createAlias({ AliasName: 'alias/new', TargetKeyId: uuid() })],
  ['NotFoundException', 'updateAlias: unknown alias', (w) => w.kms.updateAlias({ AliasName: 'alias/none', TargetKeyId: w.B.KeyId })],
  ['NotFoundException', 'updateAlias: unknown target key', (w) => w.kms.updateAlias({ AliasName: 'alias/a', TargetKeyId: uuid() })],
  ['NotFoundException', 'deleteAlias: unknown alias', (w) => w.kms.deleteAlias({ AliasName: 'alias/none' })],
  ['NotFoundException', 'listAliases: unknown key', (w) => w.kms.listAliases({ KeyId: uuid() })],
  ['NotFoundException', 'decrypt: KeyId of an unknown key', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.B, KeyId: uuid() })],
  ['NotFoundException', 'scheduleKeyDeletion: an alias name (not accepted there)', (w) => w.kms.scheduleKeyDeletion({ KeyId: 'alias/a' })],
  ['NotFoundException', 'rotateKeyOnDemand: unknown key', (w) => w.kms.rotateKeyOnDemand({ KeyId: uuid() })],

  // DisabledException
  ['DisabledException', 'encrypt with a disabled key', (w) => w.kms.encrypt({ KeyId: w.D.KeyId, Plaintext: utf8('x') })],
  ['DisabledException', 'decrypt with a disabled key', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.D })],
  ['DisabledException', 'reEncrypt from a disabled key', (w) => w.kms.reEncrypt({ CiphertextBlob: w.blobs.D, DestinationKeyId: w.B.KeyId })],
  ['DisabledException', 'reEncrypt to a disabled key', (w) => w.kms.reEncrypt({ CiphertextBlob: w.blobs.B, DestinationKeyId: w.D.KeyId })],
  ['DisabledException', 'generateDataKey with a disabled key', (w) => w.kms.generateDataKey({ KeyId: w.D.Arn, KeySpec: 'AES_256' })],
  ['DisabledException', 'generateDataKeyWithoutPlaintext with a disabled key', (w) => w.kms.generateDataKeyWithoutPlaintext({ KeyId: w.D.KeyId, NumberOfBytes: 8 })],

  // KMSInvalidStateException
  ['KMSInvalidStateException', 'encrypt with a key pending deletion', (w) => w.kms.encrypt({ KeyId: w.P.KeyId, Plaintext: utf8('x') })],
  ['KMSInvalidStateException', 'encrypt through the alias of a key pending deletion', (w) => w.kms.encrypt({ KeyId: 'alias/p', Plaintext: utf8('x') })],
  ['KMSInvalidStateException', 'decrypt with a key pending deletion', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.P })],
  ['KMSInvalidStateException', 'reEncrypt to a key pending deletion', (w) => w.kms.reEncrypt({ CiphertextBlob: w.blobs.B, DestinationKeyId: w.P.Arn })],
  ['KMSInvalidStateException', 'generateDataKey with a key pending deletion', (w) => w.kms.generateDataKey({ KeyId: w.P.KeyId, KeySpec: 'AES_128' })],
  ['KMSInvalidStateException', 'generateDataKeyWithoutPlaintext with a key pending deletion', (w) => w.kms.generateDataKeyWithoutPlaintext({ KeyId: w.P.KeyId, KeySpec: 'AES_128' })],
  ['KMSInvalidStateException', 'enableKey on a key pending deletion', (w) => w.kms.enableKey({ KeyId: w.P.KeyId })],
  ['KMSInvalidStateException', 'disableKey on a key pending deletion', (w) => w.kms.disableKey({ KeyId: w.P.KeyId })],
  ['KMSInvalidStateException', 'tagResource on a key pending deletion', (w) => w.kms.tagResource({ KeyId: w.P.KeyId, Tags: [{ TagKey: 'n', TagValue: 'v' }] })],
  ['KMSInvalidStateException', 'untagResource on a key pending deletion', (w) => w.kms.untagResource({ KeyId: w.P.KeyId, TagKeys: ['k'] })],
  ['KMSInvalidStateException', 'updateKeyDescription on a key pending deletion', (w) => w.kms.updateKeyDescription({ KeyId: w.P.KeyId, Description: 'new' })],
  ['KMSInvalidStateException', 'createAlias for a key pending deletion', (w) => w.kms.createAlias({ AliasName: 'alias/to-p', TargetKeyId: w.P.KeyId })],
  ['KMSInvalidStateException', 'updateAlias to a key pending deletion', (w) => w.kms.updateAlias({ AliasName: 'alias/a', TargetKeyId: w.P.KeyId })],
  ['KMSInvalidStateException', 'scheduleKeyDeletion on a key pending deletion', (w) => w.kms.scheduleKeyDeletion({ KeyId: w.P.KeyId, PendingWindowInDays: 30 })],
  ['KMSInvalidStateException', 'enableKeyRotation on a key pending deletion', (w) => w.kms.enableKeyRotation({ KeyId: w.P.KeyId })],
  ['KMSInvalidStateException', 'rotateKeyOnDemand on a key pending deletion', (w) => w.kms.rotateKeyOnDemand({ KeyId: w.P.KeyId })],
  ['KMSInvalidStateException', 'cancelKeyDeletion on an enabled key', (w) => w.kms.cancelKeyDeletion({ KeyId: w.A.KeyId })],
  ['KMSInvalidStateException', 'cancelKeyDeletion on a disabled key', (w) => w.kms.cancelKeyDeletion({ KeyId: w.D.KeyId })],

  // InvalidCiphertextException
  ['InvalidCiphertextException', 'decrypt: wrong EncryptionContext value', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.A, EncryptionContext: { purpose: 'other' } })],
  ['InvalidCiphertextException', 'decrypt: EncryptionContext missing', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.A })],
  ['InvalidCiphertextException', 'decrypt: an extra EncryptionContext pair', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.A, EncryptionContext: { purpose: 'test', more: 'x' } })],
  ['InvalidCiphertextException', 'decrypt: EncryptionContext given for a blob made without one', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.B, EncryptionContext: { purpose: 'test' } })],
  ['InvalidCiphertextException', 'decrypt: context {a:"bc"} for a blob made with {ab:"c"}', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.Actx, EncryptionContext: { a: 'bc' } })],
  ['InvalidCiphertextException', 'decrypt: a blob cut by one byte', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.B.subarray(0, w.blobs.B.length - 1) })],
  ['InvalidCiphertextException', 'decrypt: a blob with one byte appended', (w) => w.kms.decrypt({ CiphertextBlob: Uint8Array.from([...w.blobs.B, 0]) })],
  ['InvalidCiphertextException', 'decrypt: random bytes', (w) => w.kms.decrypt({ CiphertextBlob: randomBytes(120) })],
  ['InvalidCiphertextException', 'decrypt: one byte', (w) => w.kms.decrypt({ CiphertextBlob: new Uint8Array([1]) })],
  ['InvalidCiphertextException', 'reEncrypt: wrong SourceEncryptionContext', (w) => w.kms.reEncrypt({ CiphertextBlob: w.blobs.A, SourceEncryptionContext: { purpose: 'nope' }, DestinationKeyId: w.B.KeyId })],

  // IncorrectKeyException
  ['IncorrectKeyException', 'decrypt: KeyId of another key', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.B, KeyId: w.A.KeyId })],
  ['IncorrectKeyException', 'decrypt: KeyId as the alias of another key', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.A, KeyId: 'alias/b', EncryptionContext: { purpose: 'test' } })],
  ['IncorrectKeyException', 'reEncrypt: SourceKeyId of another key', (w) => w.kms.reEncrypt({ CiphertextBlob: w.blobs.B, SourceKeyId: w.A.Arn, DestinationKeyId: w.B.KeyId })],

  // AlreadyExistsException, InvalidAliasNameException
  ['AlreadyExistsException', 'createAlias: the name is taken', (w) => w.kms.createAlias({ AliasName: 'alias/a', TargetKeyId: w.B.KeyId })],
  ['InvalidAliasNameException', 'createAlias: alias/aws/...', (w) => w.kms.createAlias({ AliasName: 'alias/aws/lambda', TargetKeyId: w.B.KeyId })],
  ['ValidationException', 'createAlias: no alias/ prefix (AWS: ValidationException)', (w) => w.kms.createAlias({ AliasName: 'plain-name', TargetKeyId: w.B.KeyId })],
  ['ValidationException', 'deleteAlias: no alias/ prefix (AWS: ValidationException)', (w) => w.kms.deleteAlias({ AliasName: 'plain-name' })],
  ['InvalidAliasNameException', 'updateAlias: alias/aws/...', (w) => w.kms.updateAlias({ AliasName: 'alias/aws/lambda', TargetKeyId: w.B.KeyId })],

  // InvalidMarkerException
  ['InvalidMarkerException', 'listKeys: a Marker we never gave out', (w) => w.kms.listKeys({ Marker: 'bogus-marker' })],
  ['InvalidMarkerException', 'listAliases: a Marker we never gave out', (w) => w.kms.listAliases({ Marker: 'bogus-marker' })],
  ['InvalidMarkerException', 'listResourceTags: a Marker we never gave out', (w) => w.kms.listResourceTags({ KeyId: w.A.KeyId, Marker: 'bogus-marker' })],
  ['InvalidMarkerException', 'listKeyRotations: a Marker we never gave out', (w) => w.kms.listKeyRotations({ KeyId: w.A.KeyId, Marker: 'bogus-marker' })],

  // UnsupportedOperationException
  ['UnsupportedOperationException', 'createKey: an asymmetric KeySpec', (w) => w.kms.createKey({ KeySpec: 'RSA_2048' })],
  ['UnsupportedOperationException', 'createKey: KeyUsage SIGN_VERIFY', (w) => w.kms.createKey({ KeyUsage: 'SIGN_VERIFY' })],
  ['UnsupportedOperationException', 'createKey: an HMAC KeySpec', (w) => w.kms.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })],
  ['UnsupportedOperationException', 'createKey: MultiRegion', (w) => w.kms.createKey({ MultiRegion: true })],
  ['UnsupportedOperationException', 'decrypt: Recipient (Nitro enclaves)', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.B, Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: new Uint8Array(8) } })],

  // DryRunOperationException
  ['DryRunOperationException', 'encrypt with DryRun', (w) => w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x'), DryRun: true })],
  ['DryRunOperationException', 'decrypt with DryRun', (w) => w.kms.decrypt({ CiphertextBlob: w.blobs.B, DryRun: true })],
  ['DryRunOperationException', 'generateDataKey with DryRun', (w) => w.kms.generateDataKey({ KeyId: w.A.KeyId, KeySpec: 'AES_256', DryRun: true })],

  // TagException, LimitExceededException
  ['TagException', 'tagResource: TagKey in the aws: namespace', (w) => w.kms.tagResource({ KeyId: w.A.KeyId, Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] })],
  ['ValidationException', 'tagResource: TagValue of 257 characters (a model constraint)', (w) => w.kms.tagResource({ KeyId: w.A.KeyId, Tags: [{ TagKey: 'x', TagValue: 'y'.repeat(257) }] })],
  ['ValidationException', 'createKey: an empty TagKey (a model constraint)', (w) => w.kms.createKey({ Tags: [{ TagKey: '', TagValue: 'y' }] })],
  ['TagException', 'createKey: a TagKey in the aws: namespace', (w) => w.kms.createKey({ Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] })],
  ['LimitExceededException', 'tagResource: 51 tags', (w) => w.kms.tagResource({ KeyId: w.B.KeyId, Tags: Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'v' })) })],
];

export default suite('errors', (test) => {
  for (const [name, what, call] of CASES) {
    test(`${name}: ${what}; nothing changes`, async () => {
      const w = await world();
      const before = await observe(w.kms);
      await rejects(() => call(w), name, what);
      deepEqual(await observe(w.kms), before, 'the failed call changed nothing');
    });
  }

  test('InvalidCiphertextException: flipping any byte of a blob (every byte, every position)', async () => {
    const w = await world();
    const blob = w.blobs.A;
    const EncryptionContext = { purpose: 'test' };
    const before = await observe(w.kms);
    for (let i = 0; i < blob.length; i += 1) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const t = blob.slice();
        t[i] ^= mask;
        await rejects(w.kms.decrypt({ CiphertextBlob: t, EncryptionContext }), 'InvalidCiphertextException', `byte ${i} ^ ${mask}`);
      }
    }
    deepEqual(await observe(w.kms), before);
    const ok = await w.kms.decrypt({ CiphertextBlob: blob, EncryptionContext });
    deepEqual(ok.Plaintext, utf8(`secret of ${w.A.KeyId}`), 'the untouched blob still decrypts');
  });

  test('InvalidCiphertextException: every truncation of a blob', async () => {
    const w = await world();
    const blob = w.blobs.B;
    for (let len = 1; len < blob.length; len += 1) {
      await rejects(w.kms.decrypt({ CiphertextBlob: blob.slice(0, len) }), 'InvalidCiphertextException', `first ${len} bytes`);
    }
  });

  test('InvalidCiphertextException: a blob of one key relabelled as another key', async () => {
    const w = await world();
    const a = w.blobs.B.slice();
    const other = (await w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8('x') })).CiphertextBlob;
    a.set(other.subarray(1, 17), 1); // the key id field of the blob layout
    await rejects(w.kms.decrypt({ CiphertextBlob: a }), 'InvalidCiphertextException');
  });

  test('error messages never quote the plaintext', async () => {
    const w = await world();
    const secret = 'TOPSECRET-PLAINTEXT-4711';
    const errs = [
      await rejects(w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: secret }), 'ValidationException', 'string Plaintext'),
      await rejects(w.kms.encrypt({ KeyId: w.D.KeyId, Plaintext: utf8(secret) }), 'DisabledException'),
      await rejects(w.kms.encrypt({ KeyId: 'alias/none', Plaintext: utf8(secret) }), 'NotFoundException'),
      await rejects(w.kms.encrypt({ KeyId: w.A.KeyId, Plaintext: utf8(secret), EncryptionContext: { k: '' } }), 'ValidationException'),
    ];
    for (const e of errs) deepEqual(e.message.includes('TOPSECRET') || String(e.stack).includes('TOPSECRET'), false, `${e.name}: ${e.message}`);
  });
});
