// `kms-wasm serve` authentication (npm/src/serve/sigv4.js, config.js): every
// request is checked as AWS checks Signature Version 4. The AWS SDK signing
// with a configured secret works (with and without a session token); a
// wrong secret, a header or body changed after signing, a request signed 6
// minutes ago (or ahead), no signature, an incomplete one, an unknown access
// key, a wrong session token each get AWS's exception, change nothing and
// leave no audit record (CloudTrail records authenticated calls only).
// --insecure-no-auth (insecureNoAuth) keeps the unsigned model on loopback
// only, with a warning; without credentials the server does not start.
// TLS: a self-signed certificate made with openssl.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { createKms } from 'kms-wasm';
import {
  loadStartServer, sdkClient, credentialsConfig, signedHeaders, secretOf,
} from './serve-kms-wasm.mjs';
import { answerOf, tempDir } from './helpers.mjs';

const startServer = await loadStartServer();
const utf8 = (s) => new TextEncoder().encode(s);
const quiet = () => {};

const ACCOUNT = '111122223333';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/app/session-1`;
const TOKEN = 'FQoGZXIvYXdzEXAMPLEsessionTOKEN/+==';
const MISMATCH = 'The request signature we calculated does not match the signature you provided. '
  + 'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/** A request to `url` with these headers and body; the answer as { status, headers, json, text }. */
async function post(url, headers, body) {
  return answerOf(await fetch(url, { method: 'POST', headers, body }));
}

/** Headers of a signed KMS call `op` with `body` (text), signed as `as` says. */
const kmsHeaders = (op) => ({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` });

function isAuthError(r, type, status = 400) {
  assert.equal(r.status, status, `HTTP status of ${type}: ${r.text}`);
  assert.deepEqual(Object.keys(r.json).sort(), ['__type', 'message'], r.text);
  assert.equal(r.json.__type, type, r.text);
  assert.equal(r.headers.get('x-amzn-errortype'), type);
}

describe('serve: SigV4 authentication', () => {
  let server;
  let kms;
  /**
   * Everything a refused request must leave alone: the keys and the audit
   * log (less the ListKeys records this function itself leaves).
   */
  const state = async () => ({
    keys: (await kms.listKeys({})).Keys.map((k) => k.KeyId),
    audit: (await kms.auditLog()).filter((r) => r.eventName !== 'ListKeys').map((r) => `${r.eventName} ${r.userIdentity.arn} ${r.errorCode ?? ''}`),
  });

  before(async () => {
    kms = await createKms({ accountId: ACCOUNT });
    server = await startServer({
      port: 0,
      kms,
      config: {
        accessKeys: {
          ...credentialsConfig({ AKIDROOT: ROOT, AKIDALICE: ALICE }).accessKeys,
          ASIATEMP: { secretAccessKey: secretOf('ASIATEMP'), principal: ROLE, sessionToken: TOKEN },
        },
      },
    });
  });
  after(async () => {
    await server?.close();
    await kms?.close();
  });

  test('@aws-sdk/client-kms with a configured secret: create, encrypt, decrypt; the audit log names the principal', async () => {
    const alice = sdkClient(server.url, { accessKeyId: 'AKIDALICE' });
    try {
      const { KeyMetadata } = await alice.createKey({ Description: 'signed' });
      const { CiphertextBlob } = await alice.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('hello'), EncryptionContext: { a: 'b' } });
      const { Plaintext } = await alice.decrypt({ CiphertextBlob, EncryptionContext: { a: 'b' } });
      assert.equal(Buffer.from(Plaintext).toString(), 'hello');
      const log = await kms.auditLog({ KeyId: KeyMetadata.KeyId });
      assert.deepEqual(log.map((r) => r.eventName), ['CreateKey', 'Encrypt', 'Decrypt']);
      assert.deepEqual([...new Set(log.map((r) => r.userIdentity.arn))], [ALICE]);
    } finally {
      alice.destroy();
    }
  });

  test('a session credential: the right token works (calls by its principal); a wrong or missing token: UnrecognizedClientException', async () => {
    const good = sdkClient(server.url, { accessKeyId: 'ASIATEMP', sessionToken: TOKEN });
    const wrong = sdkClient(server.url, { accessKeyId: 'ASIATEMP', sessionToken: `${TOKEN}x` });
    const none = sdkClient(server.url, { accessKeyId: 'ASIATEMP' });
    const extra = sdkClient(server.url, { accessKeyId: 'AKIDALICE', sessionToken: TOKEN });
    try {
      const { KeyMetadata } = await good.createKey({});
      const log = await kms.auditLog({ KeyId: KeyMetadata.KeyId });
      assert.equal(log[0].userIdentity.arn, ROLE);
      const before = await state();
      for (const client of [wrong, none, extra]) {
        const err = await client.createKey({}).catch((e) => e);
        assert.equal(err.name, 'UnrecognizedClientException', err.message);
        assert.equal(err.message, INVALID_TOKEN);
        assert.equal(err.$metadata.httpStatusCode, 400);
      }
      assert.deepEqual(await state(), before, 'no key made, no audit record');
    } finally {
      for (const c of [good, wrong, none, extra]) c.destroy();
    }
  });

  test('a wrong secret: InvalidSignatureException with AWS text; nothing changes, no audit record', async () => {
    const before = await state();
    const client = sdkClient(server.url, { accessKeyId: 'AKIDALICE', secretAccessKey: 'not-the-secret' });
    try {
      const err = await client.createKey({}).catch((e) => e);
      assert.equal(err.name, 'InvalidSignatureException');
      assert.equal(err.message, MISMATCH);
      assert.equal(err.$metadata.httpStatusCode, 400);
    } finally {
      client.destroy();
    }
    assert.deepEqual(await state(), before);
  });

  test('an unknown access key: UnrecognizedClientException; nothing changes', async () => {
    const before = await state();
    const client = sdkClient(server.url, { accessKeyId: 'AKIDSTRANGER' });
    try {
      const err = await client.createKey({}).catch((e) => e);
      assert.equal(err.name, 'UnrecognizedClientException');
      assert.equal(err.message, INVALID_TOKEN);
    } finally {
      client.destroy();
    }
    assert.deepEqual(await state(), before);
  });

  test('signed 6 minutes ago: "Signature expired"; 6 minutes ahead: "Signature not yet current" (InvalidSignatureException); 4 minutes either way passes', async () => {
    const before = await state();
    for (const [offset, text] of [[-6 * 60_000, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/],
      [6 * 60_000, /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/]]) {
      const client = sdkClient(server.url, { accessKeyId: 'AKIDALICE', systemClockOffset: offset });
      try {
        const err = await client.createKey({}).catch((e) => e);
        assert.equal(err.name, 'InvalidSignatureException', err.message);
        assert.match(err.message, text);
      } finally {
        client.destroy();
      }
      // the same, by hand: signingDate 6 minutes off
      const body = '{}';
      const h = await signedHeaders(server.url, { headers: kmsHeaders('CreateKey'), body }, { accessKeyId: 'AKIDALICE', signingDate: new Date(Date.now() + offset) });
      const r = await post(server.url, h, body);
      isAuthError(r, 'InvalidSignatureException');
      assert.match(r.json.message, text);
    }
    assert.deepEqual(await state(), before);
    for (const offset of [-4 * 60_000, 4 * 60_000]) {
      const h = await signedHeaders(server.url, { headers: kmsHeaders('ListKeys'), body: '{}' }, { accessKeyId: 'AKIDALICE', signingDate: new Date(Date.now() + offset) });
      assert.equal((await post(server.url, h, '{}')).status, 200);
    }
  });

  test('a signed request changed afterwards (X-Amz-Target, the body, a signed header, x-amz-content-sha256): InvalidSignatureException; nothing changes', async () => {
    const before = await state();
    const body = JSON.stringify({ Description: 'signed description' });
    const h = await signedHeaders(server.url, { headers: { ...kmsHeaders('DescribeKey'), 'x-custom': 'a' }, body }, { accessKeyId: 'AKIDROOT' });
    const cases = [
      [{ ...h, 'x-amz-target': 'TrentService.CreateKey' }, body],
      [{ ...h, 'x-amz-target': 'TrentService.CreateKey' }, JSON.stringify({ Description: 'other' })],
      [{ ...kmsHeaders('CreateKey'), ...(await signedHeaders(server.url, { headers: kmsHeaders('CreateKey'), body }, { accessKeyId: 'AKIDROOT' })) }, JSON.stringify({ Description: 'changed' })],
      [{ ...h, 'x-custom': 'b' }, body],
      [{ ...h, 'x-amz-date': h['x-amz-date'].replace(/(\d)Z$/, (_, d) => `${(Number(d) + 1) % 10}Z`) }, body],
    ];
    const signedCreate = await signedHeaders(server.url, { headers: kmsHeaders('CreateKey'), body }, { accessKeyId: 'AKIDROOT' });
    // an x-amz-content-sha256 header that does not hash the body
    cases.push([{ ...signedCreate, 'x-amz-content-sha256': '0'.repeat(64) }, body]);
    for (const [headers, text] of cases) {
      const r = await post(server.url, headers, text);
      isAuthError(r, 'InvalidSignatureException');
      assert.equal(r.json.message, MISMATCH);
    }
    assert.deepEqual(await state(), before);
    // the untouched CreateKey passes
    const ok = await post(server.url, signedCreate, body);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.KeyMetadata.Description, 'signed description');
  });

  test('no Authorization: MissingAuthenticationTokenException (403); an incomplete one, no X-Amz-Date, host or x-amz-date unsigned: IncompleteSignatureException; a wrong scope: InvalidSignatureException', async () => {
    const before = await state();
    const body = '{}';
    const missing = await post(server.url, kmsHeaders('CreateKey'), body);
    isAuthError(missing, 'MissingAuthenticationTokenException', 403);
    assert.equal(missing.json.message, 'Missing Authentication Token');
    // authentication comes first: an unsigned request learns nothing of its operation or body
    isAuthError(await post(server.url, kmsHeaders('NoSuchOperation'), 'not json'), 'MissingAuthenticationTokenException', 403);

    const h = await signedHeaders(server.url, { headers: kmsHeaders('CreateKey'), body }, { accessKeyId: 'AKIDROOT' });
    const noSignature = { ...h, authorization: h.authorization.replace(/, Signature=[0-9a-f]+$/, '') };
    let r = await post(server.url, noSignature, body);
    isAuthError(r, 'IncompleteSignatureException');
    assert.match(r.json.message, /^Authorization header requires 'Signature' parameter\. Authorization=AWS4-HMAC-SHA256 /);

    const noDate = { ...h };
    delete noDate['x-amz-date'];
    r = await post(server.url, noDate, body);
    isAuthError(r, 'IncompleteSignatureException');
    assert.match(r.json.message, /requires existence of either a 'X-Amz-Date' or a 'Date' header/);
    r = await post(server.url, { ...noDate, date: new Date().toUTCString() }, body);
    isAuthError(r, 'IncompleteSignatureException');
    assert.match(r.json.message, /X-Amz-Date header/);

    r = await post(server.url, { ...h, authorization: h.authorization.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512') }, body);
    isAuthError(r, 'IncompleteSignatureException');

    const hostless = await signedHeaders(server.url, { headers: kmsHeaders('CreateKey'), body }, { accessKeyId: 'AKIDROOT', unsignable: ['host'] });
    r = await post(server.url, hostless, body);
    isAuthError(r, 'IncompleteSignatureException');
    assert.equal(r.json.message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

    const wrongService = { ...h, authorization: h.authorization.replace('/kms/aws4_request', '/s3/aws4_request') };
    r = await post(server.url, wrongService, body);
    isAuthError(r, 'InvalidSignatureException');
    assert.equal(r.json.message, "Credential should be scoped to correct service: 'kms'.");

    const wrongDay = { ...h, authorization: h.authorization.replace(/Credential=AKIDROOT\/\d{8}\//, 'Credential=AKIDROOT/19990101/') };
    r = await post(server.url, wrongDay, body);
    isAuthError(r, 'InvalidSignatureException');
    assert.match(r.json.message, /^Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '19990101' != '\d{8}'/);

    const garbled = { ...h, authorization: 'AWS4-HMAC-SHA256 Credential=AKIDROOT/only-two, SignedHeaders=host;x-amz-date, Signature=00' };
    r = await post(server.url, garbled, body);
    isAuthError(r, 'IncompleteSignatureException');
    assert.deepEqual(await state(), before);
  });

  test('any region in the scope when the server has none; with config region, another region: InvalidSignatureException', async () => {
    const other = sdkClient(server.url, { accessKeyId: 'AKIDROOT', region: 'ap-southeast-2' });
    try {
      assert.ok(Array.isArray((await other.listKeys({})).Keys));
    } finally {
      other.destroy();
    }
    const regional = await startServer({ port: 0, config: credentialsConfig({ AKIDROOT: ROOT }, { accountId: ACCOUNT, region: 'eu-west-3' }) });
    const right = sdkClient(regional.url, { accessKeyId: 'AKIDROOT', region: 'eu-west-3' });
    const wrong = sdkClient(regional.url, { accessKeyId: 'AKIDROOT', region: 'us-east-1' });
    try {
      assert.deepEqual((await right.listKeys({})).Keys, []);
      const err = await wrong.listKeys({}).catch((e) => e);
      assert.equal(err.name, 'InvalidSignatureException');
      assert.equal(err.message, "Credential should be scoped to a valid region, not 'us-east-1'.");
    } finally {
      right.destroy();
      wrong.destroy();
      await regional.close();
    }
  });
});

describe('serve: without credentials, --insecure-no-auth, non-loopback hosts', () => {
  test('no credentials and no insecureNoAuth: refused at start; a string-form access key needs insecureNoAuth', async () => {
    await assert.rejects(startServer({ port: 0 }), /no credentials configured.*--insecure-no-auth/s);
    await assert.rejects(startServer({ port: 0, config: { accessKeys: {} } }), /no credentials configured/);
    await assert.rejects(startServer({ port: 0, config: { accessKeys: { AKID: ALICE } } }), /accessKeys\.AKID is a principal ARN without a secret/);
  });

  test('insecureNoAuth: a loud warning; unsigned requests served; the access key id alone names the principal (string form)', async () => {
    const warnings = [];
    const server = await startServer({ port: 0, insecureNoAuth: true, warn: (t) => warnings.push(t), config: { accountId: ACCOUNT, accessKeys: { AKIDALICE: ALICE } } });
    try {
      assert.match(warnings.join('\n'), /WARNING: --insecure-no-auth: request signatures are NOT checked/);
      const amzDate = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
      const r = await post(server.url, {
        ...kmsHeaders('CreateKey'),
        authorization: `AWS4-HMAC-SHA256 Credential=AKIDALICE/${amzDate.slice(0, 8)}/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00`,
      }, '{}');
      assert.equal(r.status, 200, r.text);
      const log = await server.kms.auditLog({ KeyId: r.json.KeyMetadata.KeyId });
      assert.equal(log[0].userIdentity.arn, ALICE);
      isAuthError(await post(server.url, kmsHeaders('ListKeys'), '{}'), 'MissingAuthenticationTokenException', 403);
    } finally {
      await server.close();
    }
    const open = await startServer({ port: 0, insecureNoAuth: true, warn: quiet });
    try {
      assert.equal((await post(open.url, kmsHeaders('ListKeys'), '{}')).status, 200, 'no accessKeys: every call by the KMS caller');
    } finally {
      await open.close();
    }
  });

  test('insecureNoAuth refuses a non-loopback host before listening; localhost and ::1 forms are loopback', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'example.com']) {
      await assert.rejects(startServer({ port: 0, host, insecureNoAuth: true, warn: quiet }), /--insecure-no-auth serves loopback addresses only/);
    }
    const { isLoopback } = await import(new URL('./serve/config.js', import.meta.resolve('kms-wasm')).href);
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', 'localhost.example.com']) assert.equal(isLoopback(h), false, h);
  });
});

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const noOpenssl = openssl.status === 0 ? false : 'openssl is not installed (apt-get install openssl): no self-signed certificate for the TLS test';

describe('serve: TLS', { skip: noOpenssl && process.env.CI !== 'true' ? noOpenssl : false }, () => {
  test('tls { cert, key }: an https URL; the SDK trusting the self-signed certificate works; plain HTTP is not served', async () => {
    const { dir, cleanup } = tempDir('kms-wasm-serve-tls-');
    try {
      const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(made.status, 0, made.stderr);
      const cert = readFileSync(join(dir, 'cert.pem'));
      const key = readFileSync(join(dir, 'key.pem'));
      await assert.rejects(startServer({ port: 0, tls: { cert }, config: credentialsConfig({ AKIDROOT: ROOT }) }), /both a certificate and its private key/);
      const server = await startServer({ port: 0, tls: { cert, key }, config: credentialsConfig({ AKIDROOT: ROOT }, { accountId: ACCOUNT }) });
      const agent = new Agent({ ca: cert });
      const client = sdkClient(server.url, { accessKeyId: 'AKIDROOT', requestHandler: { httpsAgent: agent } });
      try {
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const { KeyMetadata } = await client.createKey({ Description: 'over TLS' });
        const { CiphertextBlob } = await client.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('tls') });
        assert.equal(Buffer.from((await client.decrypt({ CiphertextBlob })).Plaintext).toString(), 'tls');
        const plain = await fetch(server.url.replace('https:', 'http:'), { method: 'POST', body: '{}' }).then(() => 'answered', () => 'refused');
        assert.equal(plain, 'refused', 'no plain HTTP on the TLS port');
        const untrusted = sdkClient(server.url, { accessKeyId: 'AKIDROOT' });
        try {
          await assert.rejects(untrusted.listKeys({}), /self[- ]signed|certificate/i);
        } finally {
          untrusted.destroy();
        }
      } finally {
        client.destroy();
        agent.destroy();
        await server.close();
      }
    } finally {
      cleanup();
    }
  });
});
