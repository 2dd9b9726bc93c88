// The package's kmsKeyring against a second implementation of the real AWS
// KMS protocol: moto's server (`moto_server` from the venv of
// scripts/setup-python.sh), started here on a free port of 127.0.0.1 and
// stopped afterwards, driven through @aws-sdk/client-kms with dummy
// credentials. Keys are made in moto with the SDK; messages made by
// kms-wasm's encryptMessage are decrypted by kms-wasm and by the AWS
// Encryption SDK (KmsKeyringNode on the same SDK client), and the other way.
// Without the venv the tests are skipped, or fail when CI=true.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import esdk from '@aws-crypto/client-node';
import {
  createKms, kmsKeyring, multiKeyring, encryptMessage, decryptMessage,
} from 'kms-wasm';
import { sdkClient } from './serve-kms-wasm.mjs';
import { findPython } from './serve-python.mjs';

const { buildClient, CommitmentPolicy, KmsKeyringNode } = esdk;
const esdkClient = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

const { python, missing } = findPython(['moto']);
const ci = process.env.CI === 'true';
const skip = missing && !ci ? missing : false;

const utf8 = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);
const MOTO_KEY_ARN = /^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]{36}$/;

/** A free TCP port of 127.0.0.1 (closed again, so moto can bind it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts moto_server and waits until it answers; rejects with its output if it exits or stays silent. */
async function startMoto() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(join(dirname(python), 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let output = '';
  child.stdout.on('data', (d) => { output = (output + d).slice(-4000); });
  child.stderr.on('data', (d) => { output = (output + d).slice(-4000); });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  // If this process dies without after() (a crash), moto must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`moto_server exited (${exited.code ?? exited.signal}) before answering:\n${output}`);
    try {
      const res = await fetch(`${url}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${url} within 60 s:\n${output}`);
    }
    await sleep(100);
  }
  return { url, stop, output: () => output };
}

describe('moto: kms-wasm envelope encryption over the real AWS KMS protocol (moto_server)', { skip }, () => {
  let moto;
  let client;
  let keyArn;
  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    moto = await startMoto();
    client = sdkClient(moto.url, { accessKeyId: 'testing', region: 'us-east-1' });
    ({ KeyMetadata: { Arn: keyArn } } = await client.createKey({ Description: 'kms-wasm pkg-tests' }));
  });
  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  test('a key made in moto with @aws-sdk/client-kms; encryptMessage/decryptMessage round trip through kmsKeyring({ client })', async () => {
    assert.match(keyArn, MOTO_KEY_ARN, 'a key of moto (its default account)');
    const keyring = kmsKeyring({ client, generatorKeyId: keyArn });
    const plaintext = utf8('a message whose data key moto wraps '.repeat(100));
    const encryptionContext = { tenant: 'acme', purpose: 'moto' };
    const { result, messageHeader } = await encryptMessage(plaintext, { keyring, encryptionContext });
    assert.equal(messageHeader.encryptedDataKeys.length, 1);
    assert.equal(messageHeader.encryptedDataKeys[0].providerId, 'aws-kms');
    assert.equal(messageHeader.encryptedDataKeys[0].providerInfo, keyArn, 'the EDK names the moto key ARN');
    const out = await decryptMessage(result, { keyring, requiredEncryptionContext: encryptionContext });
    assert.deepEqual(out.plaintext, plaintext);
    assert.equal(out.messageHeader.encryptionContext.tenant, 'acme');
    // moto binds the encryption context too: the EDK does not decrypt under another one.
    const edk = messageHeader.encryptedDataKeys[0].encryptedDataKey;
    const err = await client.decrypt({ CiphertextBlob: edk, EncryptionContext: { other: 'x' }, KeyId: keyArn }).catch((e) => e);
    assert.equal(err.name, 'InvalidCiphertextException');
  });

  test('the AWS Encryption SDK (KmsKeyringNode, the same SDK client) decrypts the kms-wasm message, and kms-wasm decrypts the ESDK message', async () => {
    const keyring = kmsKeyring({ client, generatorKeyId: keyArn });
    const regions = [];
    const esdkKeyring = new KmsKeyringNode({
      generatorKeyId: keyArn,
      clientProvider: (region) => {
        regions.push(region);
        return client;
      },
    });
    const encryptionContext = { stage: 'moto' };
    const plaintext = utf8('kms-wasm -> AWS Encryption SDK through moto');
    const { result } = await encryptMessage(plaintext, { keyring, encryptionContext });
    const out = await esdkClient.decrypt(esdkKeyring, result);
    assert.deepEqual(new Uint8Array(out.plaintext), plaintext);
    assert.equal(out.messageHeader.encryptionContext.stage, 'moto');

    const back = utf8('AWS Encryption SDK -> kms-wasm through moto');
    const made = await esdkClient.encrypt(esdkKeyring, back, { encryptionContext });
    assert.deepEqual((await decryptMessage(made.result, { keyring })).plaintext, back);
    assert.ok(regions.length > 0 && regions.every((r) => r === 'us-east-1'), `clientProvider asked for ${regions}`);
  });

  test('a multi-keyring of a moto key and a kms-wasm key: either alone decrypts, and so does the ESDK with the moto key', async () => {
    const local = await createKms();
    try {
      const { KeyMetadata } = await local.createKey({ Description: 'local' });
      const multi = multiKeyring({
        generator: kmsKeyring({ client, generatorKeyId: keyArn }),
        children: [kmsKeyring({ client: local, keyIds: [KeyMetadata.Arn] })],
      });
      const plaintext = utf8('wrapped by moto and by kms-wasm');
      const { result, messageHeader } = await encryptMessage(plaintext, { keyring: multi, encryptionContext: { k: 'v' } });
      assert.deepEqual(messageHeader.encryptedDataKeys.map((e) => e.providerInfo), [keyArn, KeyMetadata.Arn]);
      assert.deepEqual((await decryptMessage(result, { keyring: kmsKeyring({ client: local, keyIds: [KeyMetadata.Arn] }) })).plaintext, plaintext, 'kms-wasm key alone');
      assert.deepEqual((await decryptMessage(result, { keyring: kmsKeyring({ client, keyIds: [keyArn] }) })).plaintext, plaintext, 'moto key alone');
      const esdkKeyring = new KmsKeyringNode({ keyIds: [keyArn], clientProvider: () => client });
      assert.deepEqual(new Uint8Array((await esdkClient.decrypt(esdkKeyring, result)).plaintext), plaintext, 'the ESDK with the moto key');
    } finally {
      await local.close();
    }
  });

  test("moto's refusals reach the caller: an encrypted data key altered in one byte fails decryptMessage naming InvalidCiphertextException", async () => {
    const keyring = kmsKeyring({ client, generatorKeyId: keyArn });
    const { result, messageHeader } = await encryptMessage(utf8('tampered'), { keyring });
    const edk = Buffer.from(messageHeader.encryptedDataKeys[0].encryptedDataKey);
    const at = Buffer.from(result).indexOf(edk);
    assert.ok(at > 0, 'the EDK is in the message header');
    const altered = Uint8Array.from(result);
    altered[at + edk.length - 1] ^= 0x01; // the last byte of moto's blob (its GCM tag)
    const err = await decryptMessage(altered, { keyring }).catch((e) => e);
    assert.ok(err instanceof Error, 'refused');
    assert.match(`${err.message}`, /InvalidCiphertextException/, err.message);
    assert.equal(text((await decryptMessage(result, { keyring })).plaintext), 'tampered', 'the untouched message still decrypts');
  });
});
