// The AWS CLI v1 (`awscli` from PyPI, in the venv of scripts/setup-python.sh)
// against `kms-wasm serve`: `aws kms create-key`, `encrypt`, `decrypt` with
// --endpoint-url and credentials from the environment (signed with SigV4,
// checked by the server); a wrong secret fails with InvalidSignatureException.
// Without that venv the test is skipped, or fails when CI=true.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStartServer, credentialsConfig, secretOf } from './serve-kms-wasm.mjs';
import { findPython } from './serve-python.mjs';
import { tempDir } from './helpers.mjs';

const { python, missing } = findPython(['awscli']);
const ci = process.env.CI === 'true';
const skip = missing && !ci ? missing : false;
const PRINCIPAL = 'arn:aws:iam::111122223333:user/cli';

describe('serve: the AWS CLI v1 against kms-wasm serve', { skip }, () => {
  let server;
  let dir;
  let cleanup;
  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    ({ dir, cleanup } = tempDir('kms-wasm-awscli-'));
    const startServer = await loadStartServer();
    server = await startServer({ port: 0, config: credentialsConfig({ AKIDAWSCLI: PRINCIPAL }, { accountId: '111122223333' }) });
  });
  after(async () => {
    await server?.close();
    cleanup?.();
  });

  /** `aws ARGS --endpoint-url URL` (python -m awscli); resolves to { code, out, err }. The server answers in this process meanwhile. */
  function aws(args, { secret = secretOf('AKIDAWSCLI') } = {}) {
    const child = spawn(python, ['-m', 'awscli', ...args, '--endpoint-url', server.url, '--region', 'us-east-1', '--output', 'json'], {
      env: {
        ...process.env,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_ACCESS_KEY_ID: 'AKIDAWSCLI',
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_MAX_ATTEMPTS: '1',
        AWS_PAGER: '',
      },
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    return new Promise((resolve) => {
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  }

  test('aws kms create-key, encrypt, decrypt (fileb://, base64 text output); the audit log names the principal', async () => {
    const created = await aws(['kms', 'create-key', '--description', 'from the AWS CLI']);
    assert.equal(created.code, 0, created.err);
    const meta = JSON.parse(created.out).KeyMetadata;
    assert.equal(meta.Description, 'from the AWS CLI');
    assert.equal(meta.KeyState, 'Enabled');

    const plaintext = Buffer.from('secret made by the AWS CLI test \u00e9\u0000\u00ff');
    writeFileSync(join(dir, 'plain.bin'), plaintext);
    const enc = await aws(['kms', 'encrypt', '--key-id', meta.KeyId, '--plaintext', 'fileb://plain.bin',
      '--encryption-context', 'purpose=awscli', '--query', 'CiphertextBlob']);
    assert.equal(enc.code, 0, enc.err);
    const blob = Buffer.from(JSON.parse(enc.out), 'base64');
    assert.ok(blob.length > plaintext.length);
    writeFileSync(join(dir, 'blob.bin'), blob);

    const dec = await aws(['kms', 'decrypt', '--ciphertext-blob', 'fileb://blob.bin', '--encryption-context', 'purpose=awscli']);
    assert.equal(dec.code, 0, dec.err);
    const answer = JSON.parse(dec.out);
    assert.deepEqual(Buffer.from(answer.Plaintext, 'base64'), plaintext);
    assert.equal(answer.KeyId, meta.Arn);
    assert.deepEqual(readFileSync(join(dir, 'plain.bin')), plaintext);

    const log = await server.kms.auditLog({ KeyId: meta.KeyId });
    assert.deepEqual(log.map((r) => r.eventName), ['CreateKey', 'Encrypt', 'Decrypt']);
    assert.deepEqual([...new Set(log.map((r) => r.userIdentity.arn))], [PRINCIPAL]);
  });

  test('a wrong secret: the AWS CLI reports InvalidSignatureException and nothing is made', async () => {
    const before = (await server.kms.listKeys({})).Keys.length;
    const r = await aws(['kms', 'create-key'], { secret: 'not-the-secret' });
    assert.notEqual(r.code, 0);
    assert.match(r.err, /\(InvalidSignatureException\) when calling the CreateKey operation: The request signature we calculated does not match/);
    assert.equal((await server.kms.listKeys({})).Keys.length, before);
  });
});
