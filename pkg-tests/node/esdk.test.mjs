// The AWS Encryption SDK for JavaScript (Node), given a kms-wasm KMS as its
// KMS client through KmsKeyringNode's clientProvider.
import { test } from 'node:test';
import esdk from '@aws-crypto/client-node';
import { createKms } from 'kms-wasm';
import { ok, equal, deepEqual, utf8 } from '../suite/harness.js';

const { buildClient, CommitmentPolicy, KmsKeyringNode } = esdk;
const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

async function setup() {
  const kms = await createKms();
  const { KeyMetadata } = await kms.createKey({ Description: 'esdk' });
  const regions = [];
  const keyring = new KmsKeyringNode({
    generatorKeyId: KeyMetadata.Arn,
    clientProvider: (region) => {
      regions.push(region);
      return kms;
    },
  });
  return { kms, keyArn: KeyMetadata.Arn, keyring, regions };
}

test('the AWS Encryption SDK encrypts and decrypts a message with kms-wasm as its KMS client', async () => {
  const { keyArn, keyring, regions } = await setup();
  const plaintext = utf8('a message for the AWS Encryption SDK '.repeat(50));
  const encryptionContext = { stage: 'test', purpose: 'pkg-tests' };
  const { result, messageHeader } = await encrypt(keyring, plaintext, { encryptionContext });
  ok(result instanceof Uint8Array && result.length > plaintext.length, 'a message');
  equal(messageHeader.encryptedDataKeys.length, 1);
  equal(messageHeader.encryptedDataKeys[0].providerId, 'aws-kms');
  equal(messageHeader.encryptedDataKeys[0].providerInfo, keyArn, 'the EDK names the key ARN');
  const out = await decrypt(keyring, result);
  deepEqual(new Uint8Array(out.plaintext), plaintext);
  equal(out.messageHeader.encryptionContext.stage, 'test');
  equal(out.messageHeader.encryptionContext.purpose, 'pkg-tests');
  ok(regions.every((r) => r === 'us-east-1'), `clientProvider asked for region(s) ${regions}`);
});

test('the AWS Encryption SDK cannot decrypt once the key is disabled (DisabledException), and can again after enabling', async () => {
  const { kms, keyArn, keyring } = await setup();
  const { result } = await encrypt(keyring, utf8('locked away'));
  await kms.disableKey({ KeyId: keyArn });
  let error = null;
  try {
    await decrypt(keyring, result);
  } catch (err) {
    error = err;
  }
  ok(error instanceof Error, 'decrypt fails while the key is disabled');
  ok(/DisabledException/.test(`${error.message}`), `the failure names DisabledException: ${error.message.slice(0, 300)}`);
  await kms.enableKey({ KeyId: keyArn });
  deepEqual(new Uint8Array((await decrypt(keyring, result)).plaintext), utf8('locked away'));
});

test('a data key made through the SDK is a kms-wasm ciphertext of the key', async () => {
  const { kms, keyArn, keyring } = await setup();
  const encryptionContext = { a: 'b' };
  const { messageHeader } = await encrypt(keyring, utf8('x'), { encryptionContext });
  const edk = messageHeader.encryptedDataKeys[0];
  const dec = await kms.decrypt({
    CiphertextBlob: edk.encryptedDataKey,
    KeyId: keyArn,
    EncryptionContext: messageHeader.encryptionContext,
  });
  equal(dec.KeyId, keyArn);
  equal(dec.Plaintext.length, 32, 'a 256-bit data key for the committing suite');
});

test('a keyring of two keys: the SDK encrypts under both and decrypts with the second while the first is disabled', async () => {
  const { kms, keyArn } = await setup();
  const { KeyMetadata: second } = await kms.createKey({ Description: 'second' });
  const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, keyIds: [second.Arn], clientProvider: () => kms });
  const { result, messageHeader } = await encrypt(keyring, utf8('two keys'), { encryptionContext: { n: '2' } });
  deepEqual(messageHeader.encryptedDataKeys.map((k) => k.providerInfo), [keyArn, second.Arn], 'one EDK per key, in order');
  await kms.disableKey({ KeyId: keyArn });
  const onlySecond = new KmsKeyringNode({ keyIds: [second.Arn], clientProvider: () => kms });
  deepEqual(new Uint8Array((await decrypt(onlySecond, result)).plaintext), utf8('two keys'));
  deepEqual(new Uint8Array((await decrypt(keyring, result)).plaintext), utf8('two keys'), 'the keyring falls back to the second key');
});

// Multi-Region keys, both ways, with the Encryption SDK's own
// AwsKmsMrkAwareSymmetricKeyringNode: it takes one client per key, so each
// gets the kms-wasm view of its key's Region (kms.inRegion).
test('multi-Region keys: the SDK\'s MRK-aware keyring decrypts our messages with a replica, and we decrypt its messages', async () => {
  const { AwsKmsMrkAwareSymmetricKeyringNode } = esdk;
  const { encryptMessage, decryptMessage, kmsKeyring } = await import('kms-wasm');
  let t = Date.parse('2030-01-01T00:00:00Z');
  const kms = await createKms({ now: () => new Date(t) });
  const { KeyMetadata: primary } = await kms.createKey({ MultiRegion: true });
  const { ReplicaKeyMetadata: replica } = await kms.replicateKey({ KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1' });
  t += 1000; // the replica is Creating until the clock moves on
  ok(replica.Arn.startsWith('arn:aws:kms:eu-west-1:') && replica.Arn.endsWith(primary.KeyId), replica.Arn);
  const eu = kms.inRegion('eu-west-1');
  const encryptionContext = { purpose: 'mrk' };

  // Ours, made with the primary in us-east-1; the SDK decrypts with the replica in eu-west-1.
  const ours = await encryptMessage(utf8('made by kms-wasm'), { keyring: kmsKeyring({ client: kms, generatorKeyId: primary.Arn }), encryptionContext });
  const sdkReplica = new AwsKmsMrkAwareSymmetricKeyringNode({ keyId: replica.Arn, client: eu });
  const byThem = await decrypt(sdkReplica, ours.result);
  deepEqual(new Uint8Array(byThem.plaintext), utf8('made by kms-wasm'));
  equal(byThem.messageHeader.encryptionContext.purpose, 'mrk');

  // Theirs, made with the replica; we decrypt with the primary's ARN.
  const theirs = await encrypt(sdkReplica, utf8('made by the SDK'), { encryptionContext });
  equal(theirs.messageHeader.encryptedDataKeys[0].providerInfo, replica.Arn);
  const byUs = await decryptMessage(theirs.result, { keyring: kmsKeyring({ client: kms, generatorKeyId: primary.Arn }) });
  deepEqual(byUs.plaintext, utf8('made by the SDK'));

  // After a rotation of the primary, a message made in us-east-1 still opens in eu-west-1.
  await kms.rotateKeyOnDemand({ KeyId: primary.KeyId });
  const sdkPrimary = new AwsKmsMrkAwareSymmetricKeyringNode({ keyId: primary.Arn, client: kms });
  const rotated = await encrypt(sdkPrimary, utf8('after rotation'));
  deepEqual(new Uint8Array((await decrypt(sdkReplica, rotated.result)).plaintext), utf8('after rotation'));
});
