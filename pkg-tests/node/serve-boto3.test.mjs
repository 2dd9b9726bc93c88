// boto3 (the AWS SDK for Python) against `kms-wasm serve`: starts the
// server on a free port with a credential in its config, and runs
// python/boto3_smoke.py (signing with it, from the environment) with the venv of
// scripts/setup-python.sh (KMS_WASM_PYTHON, set by run.sh; else
// pkg-tests/.venv seen from the default work folder). Without that Python
// the test is skipped, or fails when CI=true.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadStartServer, credentialsConfig, secretOf } from './serve-kms-wasm.mjs';
import { findPython } from './serve-python.mjs';

const { python, missing } = findPython();
const ci = process.env.CI === 'true';
const skip = missing && !ci ? missing : false;

describe('serve: boto3 against kms-wasm serve', { skip }, () => {
  let server;
  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    const startServer = await loadStartServer();
    server = await startServer({ port: 0, config: credentialsConfig({ AKIDBOTO3: 'arn:aws:iam::111122223333:user/boto3' }, { accountId: '111122223333' }) });
  });
  after(() => server?.close());

  test('create-key, create-alias, encrypt, decrypt, rotate-on-demand, list-key-rotations, old ciphertext, generate-data-key, DisabledException; a wrong secret: InvalidSignatureException', async () => {
    const script = fileURLToPath(new URL('../python/boto3_smoke.py', import.meta.url));
    // Asynchronous: the server answers in this process while Python runs.
    const child = spawn(python, [script, server.url], {
      env: {
        ...process.env,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_ACCESS_KEY_ID: 'AKIDBOTO3',
        AWS_SECRET_ACCESS_KEY: secretOf('AKIDBOTO3'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, `boto3_smoke.py exited with ${code}:\n${out}`);
    assert.match(out, /^boto3 smoke: ok$/m, out);
    // the calls are the configured principal's
    const log = await server.kms.auditLog();
    assert.ok(log.length > 5);
    assert.deepEqual([...new Set(log.map((r) => r.userIdentity.arn))], ['arn:aws:iam::111122223333:user/boto3']);
  });
});
