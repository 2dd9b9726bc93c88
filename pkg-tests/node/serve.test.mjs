// `kms-wasm serve` (npm/src/serve/server.js): the AWS KMS JSON 1.1 protocol
// on the wire (targets, errors, base64 blobs, epoch-second timestamps), the
// credentials -> principal mapping of the config with a key policy, the
// file store across a server restart, and the SDK's modeled exceptions.
// Requests are signed (SigV4); serve-auth.test.mjs tests the refusals.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createKms, KmsError } from 'kms-wasm';
import {
  NotFoundException, DisabledException, KMSServiceException,
} from '@aws-sdk/client-kms';
import {
  loadStartServer, sdkClient, credentialsConfig, signedHeaders,
} from './serve-kms-wasm.mjs';
import { answerOf, tempDir, wrapOaep } from './helpers.mjs';

const startServer = await loadStartServer();
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'));
const utf8 = (s) => new TextEncoder().encode(s);

const ACCOUNT = '111122223333';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;

/** The access key the raw requests sign with (the servers' configs hold it, for ROOT). */
const WIRE = 'AKIDWIRE';
const quiet = () => {};

/**
 * One raw request: `op` as the target (null: no header), `body` as JSON
 * text or a value to stringify; signed (SigV4) with the WIRE access key,
 * or as `sign` says (false: not signed).
 */
async function raw(url, op, body = {}, { headers = {}, method = 'POST', path = '/', sign = {} } = {}) {
  let h = { 'content-type': 'application/x-amz-json-1.1', ...headers };
  if (op !== null) h['x-amz-target'] = op.includes('.') ? op : `TrentService.${op}`;
  const payload = method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (sign) h = await signedHeaders(url, { method, path, headers: h, body: payload ?? '' }, { accessKeyId: WIRE, ...sign });
  return answerOf(await fetch(new URL(path, url), { method, headers: h, body: payload }));
}

/** An AWS JSON error: HTTP status, `{ __type, message }` and nothing else, a one-line message, the error type header. */
function isWireError(r, type, status = 400) {
  assert.equal(r.status, status, `HTTP status of ${type}: ${r.text}`);
  assert.match(r.headers.get('content-type'), /^application\/x-amz-json-1\.1/);
  assert.deepEqual(Object.keys(r.json).sort(), ['__type', 'message'], r.text);
  assert.equal(r.json.__type, type, r.text);
  assert.equal(r.headers.get('x-amzn-errortype'), type);
  // One line; AWS's own texts keep AWS's punctuation ("Missing Authentication Token",
  // "1 validation error detected: ...", "Invalid keyId 'x'": no final period; docs/aws-texts.md).
  assert.match(r.json.message, /^[^\n]+$/, 'one line');
}

describe('serve: the AWS JSON 1.1 protocol on the wire', () => {
  let server;
  let clock;
  before(async () => {
    clock = Date.parse('2030-01-01T00:00:00.123Z');
    const kms = await createKms({ now: () => new Date(clock) });
    server = await startServer({ port: 0, kms, config: credentialsConfig({ [WIRE]: kms.caller, AKIDEXAMPLE: kms.caller }) });
  });
  after(() => server.close());

  test('binds 127.0.0.1 on a free port by default, and answers JSON with a request id', async () => {
    assert.equal(server.host, '127.0.0.1');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    const r = await raw(server.url, 'ListKeys', {});
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/x-amz-json-1\.1/);
    assert.ok(r.headers.get('x-amzn-requestid'));
    assert.deepEqual(r.json, { Keys: [], Truncated: false });
  });

  test('a request with no X-Amz-Target: UnknownOperationException', async () => {
    isWireError(await raw(server.url, null, {}), 'UnknownOperationException');
  });

  test('an unknown operation or another service: UnknownOperationException; an AWS KMS operation kms-wasm lacks: UnsupportedOperationException', async () => {
    isWireError(await raw(server.url, 'TrentService.Nope', {}), 'UnknownOperationException');
    isWireError(await raw(server.url, 'DynamoDB_20120810.ListTables', {}), 'UnknownOperationException');
    isWireError(await raw(server.url, 'TrentService.constructor', {}), 'UnknownOperationException');
    isWireError(await raw(server.url, 'Sign', { KeyId: 'x', Message: 'AA==' }), 'UnsupportedOperationException');
  });

  test('malformed JSON, a body that is not an object, a wrong content type: SerializationException; an empty body is {}', async () => {
    isWireError(await raw(server.url, 'ListKeys', '{"Limit": '), 'SerializationException');
    isWireError(await raw(server.url, 'ListKeys', '[1, 2]'), 'SerializationException');
    isWireError(await raw(server.url, 'ListKeys', '"text"'), 'SerializationException');
    isWireError(await raw(server.url, 'ListKeys', 'null'), 'SerializationException');
    isWireError(await raw(server.url, 'ListKeys', '{}', { headers: { 'content-type': 'text/plain' } }), 'SerializationException');
    const empty = await raw(server.url, 'ListKeys', '');
    assert.equal(empty.status, 200, empty.text);
  });

  test('a blob that is not base64, or not a string: SerializationException, never quoting the value', async () => {
    const { json } = await raw(server.url, 'CreateKey', {});
    const KeyId = json.KeyMetadata.KeyId;
    for (const Plaintext of ['TOPSECRET!!', 'TOPSECRET', 'QQ=', 'QQ==QQ==', 42, [1, 2, 3], { a: 1 }, true]) {
      const r = await raw(server.url, 'Encrypt', { KeyId, Plaintext });
      isWireError(r, 'SerializationException');
      assert.ok(!r.text.includes('TOPSECRET'), r.text);
    }
    // An empty blob is valid base64 and reaches the KMS: AWS's length limit.
    isWireError(await raw(server.url, 'Encrypt', { KeyId, Plaintext: '' }), 'ValidationException');
  });

  test('an encryption context key named __proto__ is bound like any other', async () => {
    const { json } = await raw(server.url, 'CreateKey', {});
    const KeyId = json.KeyMetadata.KeyId;
    const context = (value) => `{"__proto__": ${JSON.stringify(value)}, "k": "v"}`;
    const enc = await raw(server.url, 'Encrypt', `{"KeyId": ${JSON.stringify(KeyId)}, "Plaintext": "AQ==", "EncryptionContext": ${context('tenant-a')}}`);
    assert.equal(enc.status, 200, enc.text);
    const blob = JSON.stringify(enc.json.CiphertextBlob);
    isWireError(await raw(server.url, 'Decrypt', `{"CiphertextBlob": ${blob}, "EncryptionContext": {"k": "v"}}`), 'InvalidCiphertextException');
    isWireError(await raw(server.url, 'Decrypt', `{"CiphertextBlob": ${blob}, "EncryptionContext": ${context('tenant-b')}}`), 'InvalidCiphertextException');
    const dec = await raw(server.url, 'Decrypt', `{"CiphertextBlob": ${blob}, "EncryptionContext": ${context('tenant-a')}}`);
    assert.equal(dec.json.Plaintext, 'AQ==');
  });

  test('other methods and paths are refused; a body over 1 MiB is refused with 413', async () => {
    const get = await raw(server.url, 'ListKeys', undefined, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.json.__type, 'UnknownOperationException');
    const path = await raw(server.url, 'ListKeys', {}, { path: '/other' });
    assert.equal(path.status, 404);
    const big = await raw(server.url, 'ListKeys', JSON.stringify({ Pad: 'x'.repeat(1024 * 1024 + 1) }));
    isWireError(big, 'SerializationException', 413);
    // still serving
    assert.equal((await raw(server.url, 'ListKeys', {})).status, 200);
  });

  test('AWS errors keep their exception name and message, HTTP 400', async () => {
    const r = await raw(server.url, 'DescribeKey', { KeyId: 'alias/none' });
    isWireError(r, 'NotFoundException');
    isWireError(await raw(server.url, 'Encrypt', { KeyId: 'alias/none', Plaintext: b64(utf8('x')) }), 'NotFoundException');
    const limit = await raw(server.url, 'ListKeys', { Limit: 0 });
    isWireError(limit, 'ValidationException');
    assert.equal(limit.json.message, "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", 'AWS\'s text');
    assert.match(r.json.message, /^Alias arn:aws:kms:[a-z0-9-]+:\d{12}:alias\/none is not found\.$/, 'the alias ARN, as AWS names it');
  });

  test('blobs are base64 both ways: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom', async () => {
    const KeyId = (await raw(server.url, 'CreateKey', {})).json.KeyMetadata.KeyId;
    const plaintext = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const ctx = { tenant: 'acme', Plaintext: 'a context key named like a blob member stays a string' };
    const enc = await raw(server.url, 'Encrypt', { KeyId, Plaintext: b64(plaintext), EncryptionContext: ctx });
    assert.equal(enc.status, 200, enc.text);
    assert.equal(typeof enc.json.CiphertextBlob, 'string');
    assert.ok(unb64(enc.json.CiphertextBlob).length > plaintext.length);
    const dec = await raw(server.url, 'Decrypt', { CiphertextBlob: enc.json.CiphertextBlob, EncryptionContext: ctx });
    assert.equal(dec.status, 200, dec.text);
    assert.deepEqual(unb64(dec.json.Plaintext), plaintext);
    assert.match(dec.json.KeyId, /^arn:aws:kms:us-east-1:111122223333:key\//);
    isWireError(await raw(server.url, 'Decrypt', { CiphertextBlob: enc.json.CiphertextBlob }), 'InvalidCiphertextException');

    const other = (await raw(server.url, 'CreateKey', {})).json.KeyMetadata.KeyId;
    const re = await raw(server.url, 'ReEncrypt', { CiphertextBlob: enc.json.CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: other });
    assert.equal(re.status, 200, re.text);
    const dec2 = await raw(server.url, 'Decrypt', { CiphertextBlob: re.json.CiphertextBlob });
    assert.deepEqual(unb64(dec2.json.Plaintext), plaintext);

    const dk = await raw(server.url, 'GenerateDataKey', { KeyId, KeySpec: 'AES_256' });
    assert.equal(unb64(dk.json.Plaintext).length, 32);
    const dkDec = await raw(server.url, 'Decrypt', { CiphertextBlob: dk.json.CiphertextBlob });
    assert.equal(dkDec.json.Plaintext, dk.json.Plaintext);
    const dkw = await raw(server.url, 'GenerateDataKeyWithoutPlaintext', { KeyId, NumberOfBytes: 7 });
    assert.equal(dkw.json.Plaintext, undefined);
    assert.equal(unb64((await raw(server.url, 'Decrypt', { CiphertextBlob: dkw.json.CiphertextBlob })).json.Plaintext).length, 7);
    assert.equal(unb64((await raw(server.url, 'GenerateRandom', { NumberOfBytes: 1024 })).json.Plaintext).length, 1024);
  });

  test('timestamps are epoch seconds with the milliseconds as a fraction, both ways (ImportKeyMaterial ValidTo)', async () => {
    const created = await raw(server.url, 'CreateKey', { Origin: 'EXTERNAL' });
    assert.equal(created.json.KeyMetadata.CreationDate, 1893456000.123);
    const KeyId = created.json.KeyMetadata.KeyId;
    const p = await raw(server.url, 'GetParametersForImport', { KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    assert.equal(p.status, 200, p.text);
    assert.equal(typeof p.json.ParametersValidTo, 'number');
    assert.equal(p.json.ParametersValidTo, 1893456000.123 + 24 * 3600, 'ParametersValidTo: 24 hours later');
    const material = new Uint8Array(32).fill(9);
    const validTo = 1893456000.123 + 30 * 86400 + 0.5; // a fraction of a second: ms precision
    const imp = await raw(server.url, 'ImportKeyMaterial', {
      KeyId,
      ImportToken: p.json.ImportToken,
      EncryptedKeyMaterial: b64(wrapOaep(unb64(p.json.PublicKey), material)),
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: validTo,
    });
    assert.equal(imp.status, 200, imp.text);
    const d = await raw(server.url, 'DescribeKey', { KeyId });
    assert.equal(d.json.KeyMetadata.KeyState, 'Enabled');
    assert.equal(d.json.KeyMetadata.ValidTo, validTo);
    isWireError(await raw(server.url, 'ImportKeyMaterial', { KeyId, ImportToken: p.json.ImportToken, EncryptedKeyMaterial: 'AA==', ValidTo: '2030-02-01' }), 'SerializationException');
  });

  test('concurrent requests all complete (the client queue serializes them)', async () => {
    const KeyId = (await raw(server.url, 'CreateKey', {})).json.KeyMetadata.KeyId;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => raw(server.url, 'Encrypt', { KeyId, Plaintext: b64(utf8(`m${i}`)) })));
    const plain = await Promise.all(results.map((r) => raw(server.url, 'Decrypt', { CiphertextBlob: r.json.CiphertextBlob })));
    assert.deepEqual(plain.map((r) => Buffer.from(r.json.Plaintext, 'base64').toString()), Array.from({ length: 40 }, (_, i) => `m${i}`));
  });

  test("through @aws-sdk/client-kms the errors are the SDK's modeled exception classes", async () => {
    const client = sdkClient(server.url);
    try {
      const err = await client.describeKey({ KeyId: 'alias/none' }).catch((e) => e);
      assert.ok(err instanceof NotFoundException, `${err.name}`);
      assert.equal(err.name, 'NotFoundException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      const { KeyMetadata } = await client.createKey({});
      await client.disableKey({ KeyId: KeyMetadata.KeyId });
      const dis = await client.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('x') }).catch((e) => e);
      assert.ok(dis instanceof DisabledException, `${dis.name}`);
      assert.ok(KeyMetadata.CreationDate instanceof Date);
      assert.equal(KeyMetadata.CreationDate.getTime(), clock);
    } finally {
      client.destroy();
    }
  });
});

describe('serve: errors that are not AWS errors', () => {
  /** A stand-in KMS whose operations throw what we choose. */
  function fakeKms(thrown) {
    const kms = {
      withCaller: () => kms,
      listKeys: async () => {
        throw thrown;
      },
      describeKey: async () => ({ KeyMetadata: { KeyId: 'k', CreationDate: new Date(1500), Blob: new Uint8Array([1, 2]) } }),
    };
    return kms;
  }

  test('KMSInternalException is HTTP 500; any other failure becomes a KMSInternalException that does not leak it', async () => {
    const a = await startServer({ port: 0, kms: fakeKms(new KmsError('KMSInternalException', 'The KMS core failed.')), insecureNoAuth: true, warn: quiet });
    const b = await startServer({ port: 0, kms: fakeKms(new TypeError('secret internals at /some/path')), insecureNoAuth: true, warn: quiet });
    try {
      isWireError(await raw(a.url, 'ListKeys', {}), 'KMSInternalException', 500);
      const r = await raw(b.url, 'ListKeys', {});
      isWireError(r, 'KMSInternalException', 500);
      assert.ok(!r.text.includes('secret') && !r.text.includes('/some/path'), r.text);
      // any Date and byte array in a response: epoch seconds and base64
      assert.deepEqual((await raw(a.url, 'DescribeKey', { KeyId: 'k' })).json, { KeyMetadata: { KeyId: 'k', CreationDate: 1.5, Blob: 'AQI=' } });
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a port in use rejects startServer; kms and store together are refused', async () => {
    const config = credentialsConfig({ [WIRE]: ROOT }, { accountId: ACCOUNT });
    const a = await startServer({ port: 0, config });
    try {
      await assert.rejects(startServer({ port: a.port, config }), { code: 'EADDRINUSE' });
      assert.equal((await raw(a.url, 'ListKeys', {})).status, 200);
      await assert.rejects(startServer({ port: 0, kms: a.kms, store: '/tmp/x', config }), /either kms or store/);
    } finally {
      await a.close();
    }
  });
});

describe('serve: credentials map to principals (config)', () => {
  let dir;
  let cleanup;
  let server;
  let root;
  let alice;
  let bob;
  before(async () => {
    ({ dir, cleanup } = tempDir('kms-wasm-serve-'));
    const config = join(dir, 'serve.json');
    writeFileSync(config, JSON.stringify(credentialsConfig(
      { AKIDROOT: ROOT, AKIDALICE: ALICE, AKIDBOB: BOB },
      { accountId: ACCOUNT, region: 'eu-west-3' },
    )));
    server = await startServer({ port: 0, config });
    root = sdkClient(server.url, { accessKeyId: 'AKIDROOT', region: 'eu-west-3' });
    alice = sdkClient(server.url, { accessKeyId: 'AKIDALICE', region: 'eu-west-3' });
    bob = sdkClient(server.url, { accessKeyId: 'AKIDBOB', region: 'eu-west-3' });
  });
  after(async () => {
    for (const c of [root, alice, bob]) c?.destroy();
    await server?.close();
    cleanup?.();
  });

  test('a key policy that denies bob kms:Decrypt: bob gets AccessDeniedException naming him, alice decrypts', async () => {
    const Policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
        { Sid: 'NoBobDecrypt', Effect: 'Deny', Principal: { AWS: BOB }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    });
    const { KeyMetadata } = await root.createKey({ Policy, Description: 'policy over the wire' });
    assert.match(KeyMetadata.Arn, /^arn:aws:kms:eu-west-3:111122223333:key\//, 'the config region and account');
    const { CiphertextBlob } = await alice.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('for alice') });
    assert.equal(Buffer.from((await alice.decrypt({ CiphertextBlob })).Plaintext).toString(), 'for alice');
    const err = await bob.decrypt({ CiphertextBlob }).catch((e) => e);
    // AccessDeniedException is not in the KMS model: the SDK's generic service exception, by name.
    assert.ok(err instanceof KMSServiceException, `${err.name}: ${err.message}`);
    assert.equal(err.name, 'AccessDeniedException', err.message);
    assert.ok(err.message.includes(BOB) && err.message.includes('kms:Decrypt'), err.message);
    // bob may still encrypt (only Decrypt is denied)
    await bob.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('x') });
    const log = await server.kms.auditLog({ KeyId: KeyMetadata.KeyId });
    const denied = log.filter((r) => r.errorCode === 'AccessDeniedException');
    assert.equal(denied.length, 1);
    assert.equal(denied[0].userIdentity.arn, BOB, 'the audit record names the principal of the access key');
    assert.deepEqual([...new Set(log.map((r) => r.userIdentity.arn))].sort(), [ROOT, ALICE, BOB].sort());
  });

  test('an access key not in the config: UnrecognizedClientException; no Authorization header: MissingAuthenticationTokenException; a bad signature: InvalidSignatureException', async () => {
    const stranger = sdkClient(server.url, { accessKeyId: 'AKIDSTRANGER', region: 'eu-west-3' });
    try {
      const err = await stranger.listKeys({}).catch((e) => e);
      assert.equal(err.name, 'UnrecognizedClientException');
    } finally {
      stranger.destroy();
    }
    isWireError(await raw(server.url, 'ListKeys', {}, { sign: false }), 'MissingAuthenticationTokenException', 403);
    const amzDate = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const r = await raw(server.url, 'ListKeys', {}, {
      sign: false,
      headers: {
        'x-amz-date': amzDate,
        authorization: `AWS4-HMAC-SHA256 Credential=AKIDALICE/${amzDate.slice(0, 8)}/eu-west-3/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
    });
    isWireError(r, 'InvalidSignatureException');
  });

  test('a bad config is refused at start: unknown member, not JSON, a principal that is not a string', async () => {
    const write = (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    await assert.rejects(startServer({ port: 0, config: write('a.json', '{"accesKeys": {}}') }), /unknown config member\(s\) accesKeys/);
    await assert.rejects(startServer({ port: 0, config: write('b.json', '{"accessKeys": ') }), /not valid JSON/);
    await assert.rejects(startServer({ port: 0, config: write('c.json', '{"accessKeys": {"AKID": 7}}') }), /principal ARN/);
    await assert.rejects(startServer({ port: 0, config: write('d.json', '{"accessKeys": {"AKID": {"principal": "arn:aws:iam::111122223333:user/x"}}}') }), /secretAccessKey must be a non-empty string/);
    await assert.rejects(startServer({ port: 0, config: write('e.json', '{"accessKeys": {"AKID": {"principal": "p", "secretAccessKey": "s", "token": "t"}}}') }), /unknown member\(s\) token/);
    await assert.rejects(startServer({ port: 0, config: join(dir, 'missing.json') }), /cannot read the config file/);
  });
});

describe('serve: a file store across a server restart', () => {
  test('keys, aliases and ciphertexts survive closing and restarting the server on the same store', async () => {
    const { dir, cleanup } = tempDir('kms-wasm-serve-store-');
    const store = join(dir, 'kms');
    try {
      const config = credentialsConfig({ AKIDEXAMPLE: ROOT }, { accountId: ACCOUNT });
      let server = await startServer({ port: 0, store, config });
      let client = sdkClient(server.url);
      const { KeyMetadata } = await client.createKey({ Description: 'durable' });
      await client.createAlias({ AliasName: 'alias/durable', TargetKeyId: KeyMetadata.KeyId });
      const { CiphertextBlob } = await client.encrypt({ KeyId: 'alias/durable', Plaintext: utf8('kept'), EncryptionContext: { a: 'b' } });
      await client.rotateKeyOnDemand({ KeyId: KeyMetadata.KeyId });
      client.destroy();
      await server.close();
      assert.ok(existsSync(`${store}.key`), 'the root key file beside the store');
      assert.equal(statSync(`${store}.key`).mode & 0o777, 0o600);

      server = await startServer({ port: 0, store, config });
      client = sdkClient(server.url);
      try {
        const d = await client.describeKey({ KeyId: 'alias/durable' });
        assert.equal(d.KeyMetadata.Arn, KeyMetadata.Arn);
        assert.equal(d.KeyMetadata.Description, 'durable');
        const p = await client.decrypt({ CiphertextBlob, EncryptionContext: { a: 'b' } });
        assert.equal(Buffer.from(p.Plaintext).toString(), 'kept');
        assert.equal((await client.listKeyRotations({ KeyId: KeyMetadata.KeyId })).Rotations.length, 1);
        // the audit log of both sessions is one chain
        assert.deepEqual(await server.kms.verifyAuditLog(), { valid: true, firstInvalidIndex: null });
      } finally {
        client.destroy();
        await server.close();
      }
    } finally {
      cleanup();
    }
  });
});
