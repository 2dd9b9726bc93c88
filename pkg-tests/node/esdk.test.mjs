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
