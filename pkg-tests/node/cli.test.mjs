// The `kms-wasm` command line, run as users get it: node_modules/.bin/kms-wasm
// of the temp project the packed tarball was installed into. Every command's
// success, usage errors (exit 2), AWS errors (exit 1, one line on stderr),
// --help everywhere, persistence across invocations, encrypt-file /
// decrypt-file (context, stdin/stdout, progress, interop with the package
// and the AWS Encryption SDK), audit, backup/restore, serve, and a 200 MiB
// round trip in constant memory.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  createReadStream, createWriteStream, existsSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync,
  statSync, writeFileSync, mkdirSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import esdk from '@aws-crypto/client-node';
import { createKms, fileStore, kmsKeyring, encryptMessage, decryptMessage } from 'kms-wasm';
import { sdkClient, credentialsConfig } from './serve-kms-wasm.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BIN = [join(HERE, '..', 'node_modules', '.bin', 'kms-wasm'), join(process.cwd(), 'node_modules', '.bin', 'kms-wasm')]
  .find((p) => existsSync(p));
const PKG_DIR = [join(HERE, '..', 'node_modules', 'kms-wasm'), join(process.cwd(), 'node_modules', 'kms-wasm')]
  .find((p) => existsSync(p));
const COMMANDS = [
  'create-key', 'list-keys', 'describe-key', 'create-alias', 'enable-key', 'disable-key', 'rotate',
  'schedule-deletion', 'cancel-deletion', 'encrypt-file', 'decrypt-file', 'audit', 'backup', 'restore', 'serve',
];
const MiB = 1024 * 1024;

const dirs = [];
function tempDir(prefix = 'kms-wasm-cli-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A HOME of our own, so that no test can touch the real ~/.kms-wasm. */
const HOME = tempDir('kms-wasm-cli-home-');

/**
 * Runs the CLI. `input`: bytes for stdin; `stdinFile`: a file as stdin
 * (a real file descriptor). Resolves to { code, stdout (Buffer), out (utf8), err }.
 */
function run(args, { env = {}, input, stdinFile, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    delete base.KMS_WASM_STORE;
    delete base.KMS_WASM_BACKUP_PASSPHRASE;
    delete base.KMS_WASM_CLI_REPORT_RSS;
    const fd = stdinFile ? openSync(stdinFile, 'r') : undefined;
    const child = spawn(BIN, args, {
      env: { ...base, HOME, ...env },
      cwd,
      stdio: [fd ?? 'pipe', 'pipe', 'pipe'],
    });
    if (fd !== undefined) closeSync(fd);
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', reject);
    if (child.stdin) {
      child.stdin.on('error', () => {}); // the CLI may exit before reading it all
      child.stdin.end(input ?? undefined);
    }
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out);
      resolve({ code, signal, stdout, out: stdout.toString('utf8'), err: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** A CLI bound to one store. */
const on = (store, extra = []) => (args, opts) => run(['--store', store, ...extra, ...args], opts);

function ok(r, what = '') {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.err}`);
  return r;
}

/** Exit 1 and exactly one line on stderr: `kms-wasm: NAME: message`, no stack. */
function awsError(r, name, pattern) {
  assert.equal(r.code, 1, `expected exit 1 (${name}), got ${r.code}; stdout ${r.out}; stderr ${r.err}`);
  const lines = r.err.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.err}`);
  assert.match(lines[0], new RegExp(`^kms-wasm: ${name}: \\S`), r.err);
  assert.doesNotMatch(r.err, /\n\s+at /);
  if (pattern) assert.match(lines[0], pattern);
  return lines[0];
}

/** Exit 2, a message and a hint to --help. */
function usageError(r, pattern) {
  assert.equal(r.code, 2, `expected exit 2, got ${r.code}; stdout ${r.out}; stderr ${r.err}`);
  assert.match(r.err, /^kms-wasm: /);
  assert.match(r.err, /--help/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  if (pattern) assert.match(r.err, pattern);
}

const sha256File = async (file) => {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
};

/** Files left beside outputs (temporary files of a failed run). */
const leftovers = (dir) => readdirSync(dir).filter((n) => n.endsWith('.kms-wasm-tmp'));

// The groups run side by side (each on its own store); the tests of a group one after the other.
describe('cli', { concurrency: 3 }, () => {
  before(() => assert.ok(BIN, 'node_modules/.bin/kms-wasm is installed by the tarball'));

  describe('cli help and usage', () => {
    test('cli --help, -h, no command, --version', async () => {
      const [help, h, helpCmd, version] = await Promise.all([run(['--help']), run(['-h']), run(['help']), run(['--version'])]);
      for (const r of [help, h, helpCmd]) {
        ok(r, 'help');
        assert.match(r.out, /^kms-wasm \S+ — /);
        for (const c of COMMANDS) assert.match(r.out, new RegExp(`^  ${c} `, 'm'), c);
        assert.match(r.out, /Exit status: 0 success, 1 .*, 2 usage error/);
      }
      ok(version);
      assert.equal(version.out.trim(), JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')).version);
      usageError(await run([]), /no command given/);
    });

    test('cli COMMAND --help / -h / help COMMAND for every command', async () => {
      const runs = await Promise.all(COMMANDS.flatMap((c) => [run([c, '--help']), run([c, '-h']), run(['help', c])]));
      runs.push(await run(['--store', '/nonexistent/x', 'describe-key', 'extra', 'args', '--help']));
      for (let i = 0; i < runs.length; i++) {
        const c = COMMANDS[Math.floor(i / 3)] ?? 'describe-key';
        ok(runs[i], `${c} help`);
        assert.match(runs[i].out, new RegExp(`^Usage: kms-wasm ${c}\\b`), c);
        assert.match(runs[i].out, /--store DIR/);
        assert.equal(runs[i].err, '');
      }
      assert.ok(!existsSync('/nonexistent/x'));
    });

    test('cli usage errors exit 2 and touch no store', async () => {
      const dir = tempDir();
      const store = join(dir, 'store');
      const cli = on(store);
      const cases = [
        [['frobnicate'], /unknown command 'frobnicate'/],
        [['create-key', '--nope'], /unknown option '--nope'/],
        [['create-key', 'extra'], /unexpected argument 'extra'/],
        [['describe-key'], /missing KEY/],
        [['create-alias', 'a'], /missing KEY/],
        [['encrypt-file', 'k', 'in'], /missing OUT/],
        [['decrypt-file', 'in', 'out', 'more'], /unexpected argument/],
        [['create-key', '--tags', 'novalue'], /--tags needs KEY=VALUE/],
        [['create-key', '--tags', 'a=1', '--tags', 'a=2'], /given twice/],
        [['encrypt-file', 'k', 'in', 'out', '--context', '=x'], /--context needs KEY=VALUE/],
        [['encrypt-file', 'k', 'in', 'out', '--frame-length', 'big'], /whole number/],
        [['schedule-deletion', 'k', '--days', '-3'], /./],
        [['schedule-deletion', 'k', '--days', 'seven'], /--days needs a whole number/],
        [['rotate', 'k', '--period', '100'], /--period goes with --enable-automatic/],
        [['rotate', 'k', '--enable-automatic', '--disable-automatic'], /not both/],
        [['audit', '--since', 'yesterday'], /--since needs a time/],
        [['audit', '--verify', '--key', 'k'], /takes no filter/],
        [['backup', 'out.bak'], /passphrase/],
        [['restore', 'in.bak'], /passphrase/],
        [['describe-key', 'k', '--store'], /needs a value|argument missing/],
        [['--passphrase-env', 'KMS_WASM_CLI_TEST_UNSET', 'list-keys'], /KMS_WASM_CLI_TEST_UNSET/],
        [['serve', '--port', '70000'], /--port/],
        [['serve', '--tls-cert', 'cert.pem'], /--tls-cert and --tls-key go together/],
      ];
      const results = await Promise.all(cases.map(([args]) => cli(args)));
      results.forEach((r, i) => usageError(r, cases[i][1]));
      assert.ok(!existsSync(store), 'a usage error creates no store');
      assert.ok(!existsSync(`${store}.key`), 'nor a key file');
    });
  });

  describe('cli keys', { concurrency: 1 }, () => {
    let dir;
    let cli;
    let key;
    before(() => {
      dir = tempDir();
      cli = on(join(dir, 'store'));
    });

    test('cli create-key: description, alias, tags; a key file with mode 0600 beside the store', async () => {
      const r = ok(await cli(['create-key', '--description', 'app data', '--alias', 'app', '--tags', 'team=web', '--tag', 'env=dev']));
      assert.match(r.out, /^KeyId\s+[0-9a-f-]{36}$/m);
      assert.match(r.out, /^State\s+Enabled$/m);
      assert.match(r.out, /^Aliases\s+alias\/app$/m);
      assert.match(r.out, /^Tags\s+env=dev, team=web$/m);
      assert.match(r.out, /^Description\s+app data$/m);
      key = /^KeyId\s+(\S+)$/m.exec(r.out)[1];
      assert.equal(statSync(join(dir, 'store.key')).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'store')).isDirectory(), true);
      const j = JSON.parse(ok(await cli(['create-key', '--json'])).out);
      assert.equal(j.KeyMetadata.KeyState, 'Enabled');
      assert.deepEqual(j.Aliases, []);
      assert.equal(j.KeyMetadata.Description, '');
    });

    test('cli list-keys and describe-key: persisted across invocations, table and --json', async () => {
      const r = ok(await cli(['list-keys']));
      const lines = r.out.trim().split('\n');
      assert.match(lines[0], /^KEY ID\s+STATE\s+ALIASES\s+CREATED\s+DESCRIPTION$/);
      assert.equal(lines.length, 3);
      assert.match(lines[1], new RegExp(`^${key}\\s+Enabled\\s+alias/app\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+app data$`));
      const j = JSON.parse(ok(await cli(['list-keys', '--json'])).out);
      assert.equal(j.Keys.length, 2);
      assert.equal(j.Keys[0].KeyId, key);
      assert.deepEqual(j.Keys[0].Aliases, ['alias/app']);
      assert.match(j.Keys[0].KeyArn, /^arn:aws:kms:us-east-1:111122223333:key\//);
      for (const form of [key, 'alias/app', j.Keys[0].KeyArn]) {
        const d = JSON.parse(ok(await cli(['describe-key', form, '--json'])).out);
        assert.equal(d.KeyMetadata.KeyId, key);
        assert.deepEqual(d.Aliases, ['alias/app']);
        assert.deepEqual(d.Tags, [{ TagKey: 'env', TagValue: 'dev' }, { TagKey: 'team', TagValue: 'web' }]);
        assert.equal(d.RotationStatus.KeyRotationEnabled, false);
      }
      const t = ok(await cli(['describe-key', 'alias/app'])).out;
      assert.match(t, /^Arn\s+arn:aws:kms:/m);
      assert.match(t, /^Rotation\s+automatic rotation off$/m);
    });

    test('cli --region: commands act in that region of the store; other regions do not see its keys', async () => {
      const eu = JSON.parse(ok(await cli(['--region', 'eu-west-1', 'create-key', '--alias', 'app', '--json'])).out);
      assert.match(eu.KeyMetadata.Arn, /^arn:aws:kms:eu-west-1:111122223333:key\//);
      const listed = JSON.parse(ok(await cli(['--region', 'eu-west-1', 'list-keys', '--json'])).out);
      assert.deepEqual(listed.Keys.map((k) => k.KeyId), [eu.KeyMetadata.KeyId]);
      assert.deepEqual(listed.Keys[0].Aliases, ['alias/app']);
      const home = JSON.parse(ok(await cli(['list-keys', '--json'])).out);
      assert.ok(!home.Keys.some((k) => k.KeyId === eu.KeyMetadata.KeyId), 'the home region does not list it');
      awsError(await cli(['describe-key', eu.KeyMetadata.KeyId]), 'NotFoundException');
      awsError(await cli(['--region', 'mars-north-1', 'list-keys']), 'ValidationException', /not an AWS region/);
      const audit = ok(await cli(['--region', 'eu-west-1', 'audit', '--json'])).out.trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(audit.length >= 3 && audit.every((r) => r.awsRegion === 'eu-west-1'), 'the region\'s own records');
    });

    test('cli create-alias ALIAS KEY (alias/ added when missing)', async () => {
      const r = ok(await cli(['create-alias', 'second', key]));
      assert.match(r.out, /Created alias\/second -> /);
      ok(await cli(['create-alias', 'alias/third', 'alias/app']));
      const d = JSON.parse(ok(await cli(['describe-key', 'alias/second', '--json'])).out);
      assert.deepEqual(d.Aliases.sort(), ['alias/app', 'alias/second', 'alias/third']);
    });

    test('cli disable-key / enable-key (by alias)', async () => {
      assert.match(ok(await cli(['disable-key', 'alias/app'])).out, /Disabled/);
      assert.match(ok(await cli(['describe-key', 'alias/app'])).out, /^State\s+Disabled$/m);
      const input = join(dir, 'x.txt');
      writeFileSync(input, 'x');
      awsError(await cli(['encrypt-file', 'alias/app', input, join(dir, 'x.enc')]), 'DisabledException');
      assert.ok(!existsSync(join(dir, 'x.enc')));
      assert.match(ok(await cli(['enable-key', key])).out, /Enabled/);
      assert.match(ok(await cli(['describe-key', key])).out, /^State\s+Enabled$/m);
    });

    test('cli rotate: on demand, --enable-automatic --period, --disable-automatic', async () => {
      const r = ok(await cli(['rotate', 'alias/app']));
      assert.match(r.out, /^Rotated on demand: arn:aws:kms:/);
      assert.match(r.out, /^Rotations\s+1$/m);
      const j = JSON.parse(ok(await cli(['rotate', 'alias/app', '--enable-automatic', '--period', '180', '--json'])).out);
      assert.equal(j.KeyRotationEnabled, true);
      assert.equal(j.RotationPeriodInDays, 180);
      assert.equal(j.Rotations.length, 1);
      assert.equal(j.Rotations[0].RotationType, 'ON_DEMAND');
      assert.match(ok(await cli(['describe-key', key])).out, /^Rotation\s+automatic every 180 days, next \d{4}-/m);
      assert.match(ok(await cli(['rotate', key, '--disable-automatic'])).out, /automatic rotation off/);
      awsError(await cli(['rotate', key, '--enable-automatic', '--period', '10']), 'ValidationException');
    });

    test('cli schedule-deletion --days / cancel-deletion', async () => {
      const { KeyMetadata: k } = JSON.parse(ok(await cli(['create-key', '--json', '--description', 'doomed'])).out);
      const r = ok(await cli(['schedule-deletion', k.KeyId, '--days', '7']));
      assert.match(r.out, /is PendingDeletion; it will be deleted on \d{4}-\S+ \(in 7 days\)/);
      const d = JSON.parse(ok(await cli(['describe-key', k.KeyId, '--json'])).out);
      assert.equal(d.KeyMetadata.KeyState, 'PendingDeletion');
      assert.equal(d.KeyMetadata.PendingDeletionWindowInDays, 7);
      assert.match(ok(await cli(['list-keys'])).out, new RegExp(`${k.KeyId}\\s+PendingDeletion`));
      awsError(await cli(['enable-key', k.KeyId]), 'KMSInvalidStateException');
      const c = JSON.parse(ok(await cli(['cancel-deletion', k.KeyId, '--json'])).out);
      assert.equal(c.KeyId, k.Arn);
      assert.match(ok(await cli(['describe-key', k.KeyId])).out, /^State\s+Disabled$/m);
      const s = JSON.parse(ok(await cli(['schedule-deletion', k.KeyId, '--json'])).out);
      assert.equal(s.PendingWindowInDays, 30);
      assert.equal(s.KeyState, 'PendingDeletion');
    });

    test('cli AWS errors: exit 1, one line with the exception name, nothing changed', async () => {
      const before = ok(await cli(['list-keys', '--json'])).out;
      awsError(await cli(['describe-key', 'alias/missing']), 'NotFoundException');
      awsError(await cli(['enable-key', '00000000-0000-0000-0000-000000000000']), 'NotFoundException');
      awsError(await cli(['create-alias', 'app', key]), 'AlreadyExistsException');
      awsError(await cli(['create-alias', 'alias/aws/x', key]), '\\w+Exception');
      awsError(await cli(['create-key', '--alias', 'app']), 'AlreadyExistsException', /no key was created/);
      awsError(await cli(['schedule-deletion', key, '--days', '3']), 'ValidationException');
      awsError(await cli(['cancel-deletion', key]), 'KMSInvalidStateException');
      awsError(await cli(['create-key', '--tags', 'aws:x=1']), 'TagException');
      assert.equal(ok(await cli(['list-keys', '--json'])).out, before);
    });
  });

  describe('cli stores', { concurrency: 1 }, () => {
    test('cli store: $KMS_WASM_STORE, the default ~/.kms-wasm/store, --key-file, --passphrase-env', async () => {
      const d = tempDir();
      const envStore = join(d, 'env-store');
      ok(await run(['create-key', '--description', 'from env'], { env: { KMS_WASM_STORE: envStore } }));
      assert.match(ok(await run(['list-keys'], { env: { KMS_WASM_STORE: envStore } })).out, /from env/);
      assert.equal(ok(await run(['--store', join(d, 'other'), 'list-keys'], { env: { KMS_WASM_STORE: envStore } })).out, 'No keys.\n');

      const home = join(d, 'home');
      mkdirSync(home);
      ok(await run(['create-key', '--description', 'in home'], { env: { HOME: home } }));
      assert.ok(statSync(join(home, '.kms-wasm', 'store')).isDirectory());
      assert.equal(statSync(join(home, '.kms-wasm', 'store.key')).mode & 0o777, 0o600);
      assert.match(ok(await run(['list-keys'], { env: { HOME: home } })).out, /in home/);

      const keyFile = join(d, 'root.key');
      const kf = on(join(d, 'kf-store'), ['--key-file', keyFile]);
      ok(await kf(['create-key']));
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.equal(JSON.parse(ok(await kf(['list-keys', '--json'])).out).Keys.length, 1);
      awsError(await run(['--store', join(d, 'kf-store'), 'list-keys']), 'KMSInvalidStoreException', /key file .* is missing/);

      const ps = join(d, 'pass-store');
      const env = { MY_PASS: 'correct horse battery staple' };
      ok(await run(['--store', ps, '--passphrase-env', 'MY_PASS', 'create-key', '--description', 'sealed'], { env }));
      assert.ok(!existsSync(`${ps}.key`), 'no key file with a passphrase');
      assert.match(ok(await run(['--store', ps, 'list-keys', '--passphrase-env', 'MY_PASS'], { env })).out, /sealed/);
      awsError(await run(['--store', ps, '--passphrase-env', 'MY_PASS', 'list-keys'], { env: { MY_PASS: 'wrong' } }), 'KMSInvalidStoreException');
      awsError(await run(['--store', ps, 'list-keys']), 'KMSInvalidStoreException', /passphrase/);
    });
  });

  describe('cli files', { concurrency: 1 }, () => {
    let dir;
    let cli;
    let store;
    before(async () => {
      dir = tempDir();
      store = join(dir, 'store');
      cli = on(store);
      ok(await cli(['create-key', '--alias', 'files']));
      ok(await cli(['create-key', '--alias', 'other']));
    });

    test('cli encrypt-file / decrypt-file round trip with an encryption context', async () => {
      const plain = randomBytes(300_000);
      writeFileSync(join(dir, 'a.bin'), plain);
      const e = ok(await cli(['encrypt-file', 'alias/files', join(dir, 'a.bin'), join(dir, 'a.enc'), '--context', 'tenant=acme', '--context', 'purpose=test']));
      assert.equal(e.out, '');
      assert.equal(e.err, '', 'no progress bar when stderr is not a terminal');
      const msg = readFileSync(join(dir, 'a.enc'));
      assert.equal(msg[0], 0x02, 'AWS Encryption SDK message format v2');
      assert.equal(msg.readUInt16BE(1), 0x0478);
      assert.ok(msg.includes(Buffer.from('tenant')) && msg.includes(Buffer.from('acme')), 'the context is in the header');
      assert.ok(!msg.includes(plain.subarray(0, 32)));
      ok(await cli(['decrypt-file', join(dir, 'a.enc'), join(dir, 'a.out'), '--context', 'tenant=acme']));
      assert.ok(readFileSync(join(dir, 'a.out')).equals(plain));
      assert.equal(statSync(join(dir, 'a.out')).mode & 0o777, 0o600, 'plaintext is written with mode 0600');
      ok(await cli(['decrypt-file', join(dir, 'a.enc'), join(dir, 'a2.out')]));
      assert.ok(readFileSync(join(dir, 'a2.out')).equals(plain));
      // frame length and the signing suite
      ok(await cli(['encrypt-file', 'alias/files', join(dir, 'a.bin'), join(dir, 'b.enc'), '--frame-length', '1000', '--signed']));
      assert.equal(readFileSync(join(dir, 'b.enc')).readUInt16BE(1), 0x0578);
      ok(await cli(['decrypt-file', join(dir, 'b.enc'), join(dir, 'b.out')]));
      assert.ok(readFileSync(join(dir, 'b.out')).equals(plain));
      awsError(await cli(['encrypt-file', 'alias/files', join(dir, 'a.bin'), join(dir, 'c.enc'), '--frame-length', '0']), '\\w+Error');
      // an empty file
      writeFileSync(join(dir, 'empty'), '');
      ok(await cli(['encrypt-file', 'alias/files', join(dir, 'empty'), join(dir, 'empty.enc')]));
      ok(await cli(['decrypt-file', join(dir, 'empty.enc'), join(dir, 'empty.out')]));
      assert.equal(readFileSync(join(dir, 'empty.out')).length, 0);
      assert.deepEqual(leftovers(dir), []);
    });

    test('cli decrypt-file: another context, a damaged message, a disabled key, --key', async () => {
      writeFileSync(join(dir, 'c.txt'), 'context bound');
      ok(await cli(['encrypt-file', 'alias/files', join(dir, 'c.txt'), join(dir, 'c.enc'), '--context', 'tenant=acme']));
      awsError(await cli(['decrypt-file', join(dir, 'c.enc'), join(dir, 'c.out'), '--context', 'tenant=evil']), 'EncryptionContextError');
      awsError(await cli(['decrypt-file', join(dir, 'c.enc'), join(dir, 'c.out'), '--context', 'missing=1']), 'EncryptionContextError');
      assert.ok(!existsSync(join(dir, 'c.out')), 'nothing written on failure');
      const damaged = readFileSync(join(dir, 'c.enc'));
      damaged[damaged.length - 20] ^= 1;
      writeFileSync(join(dir, 'd.enc'), damaged);
      awsError(await cli(['decrypt-file', join(dir, 'd.enc'), join(dir, 'd.out')]), 'AuthenticationError');
      assert.ok(!existsSync(join(dir, 'd.out')));
      awsError(await cli(['decrypt-file', join(dir, 'c.txt'), join(dir, 'd.out')]), 'MalformedMessageError');
      awsError(await cli(['decrypt-file', join(dir, 'c.enc'), join(dir, 'c.out'), '--key', 'alias/other']), 'KeyringError');
      ok(await cli(['decrypt-file', join(dir, 'c.enc'), join(dir, 'c.out'), '--key', 'alias/other', '--key', 'alias/files']));
      assert.equal(readFileSync(join(dir, 'c.out'), 'utf8'), 'context bound');
      ok(await cli(['disable-key', 'alias/files']));
      awsError(await cli(['decrypt-file', join(dir, 'c.enc'), join(dir, 'c2.out')]), 'DisabledException');
      ok(await cli(['enable-key', 'alias/files']));
      awsError(await cli(['encrypt-file', 'alias/files', join(dir, 'nope'), join(dir, 'n.enc')]), 'ENOENT');
      awsError(await cli(['encrypt-file', 'alias/nope', join(dir, 'c.txt'), join(dir, 'n.enc')]), 'NotFoundException');
      awsError(await cli(['encrypt-file', 'alias/files', join(dir, 'c.txt'), join(dir, 'no-such-dir', 'n.enc')]), 'ENOENT');
      assert.deepEqual(leftovers(dir), []);
    });

    test('cli encrypt-file / decrypt-file: - for stdin and stdout; rotation keeps old files readable', async () => {
      const plain = randomBytes(200_000);
      const e = ok(await cli(['encrypt-file', 'alias/files', '-', '-', '--context', 'via=pipe'], { input: plain }));
      assert.equal(e.stdout[0], 0x02);
      writeFileSync(join(dir, 'p.enc'), e.stdout);
      const d = ok(await cli(['decrypt-file', '-', '-', '--context', 'via=pipe'], { input: e.stdout }));
      assert.ok(d.stdout.equals(plain));
      // stdin a file, output a file
      ok(await cli(['encrypt-file', 'alias/files', '-', join(dir, 'q.enc')], { stdinFile: join(dir, 'p.enc') }));
      const back = ok(await cli(['decrypt-file', join(dir, 'q.enc'), '-'])).stdout;
      assert.ok(back.equals(e.stdout));
      awsError(await cli(['decrypt-file', '-', '-', '--context', 'via=mail'], { input: e.stdout }), 'EncryptionContextError');
      ok(await cli(['rotate', 'alias/files']));
      assert.ok(ok(await cli(['decrypt-file', join(dir, 'p.enc'), '-'])).stdout.equals(plain));
    });

    test('cli progress bar on stderr with --progress (throughput, percentage)', async () => {
      writeFileSync(join(dir, 'big'), randomBytes(3 * MiB));
      const e = ok(await cli(['encrypt-file', 'alias/files', join(dir, 'big'), join(dir, 'big.enc'), '--progress']));
      assert.match(e.err, /encrypt\s+100%\s+\[#+\]\s+3\.0 MiB \/ 3\.0 MiB\s+[\d.]+ [KMG]?i?B\/s\s+in \d+s\s*\n$/);
      assert.match(e.err, /\r/);
      const d = ok(await cli(['decrypt-file', join(dir, 'big.enc'), join(dir, 'big.out'), '--progress']));
      assert.match(d.err, /decrypt\s+100%.*B\/s/);
      assert.ok(readFileSync(join(dir, 'big.out')).equals(readFileSync(join(dir, 'big'))));
      const piped = ok(await cli(['decrypt-file', '-', join(dir, 'big2.out'), '--progress'], { input: readFileSync(join(dir, 'big.enc')) }));
      assert.match(piped.err, /decrypt\s+3\.0 MiB\s+[\d.]+ \S+\/s\s+in/, 'no total known: bytes and throughput');
      const quiet = ok(await cli(['decrypt-file', join(dir, 'big.enc'), join(dir, 'big3.out'), '--no-progress']));
      assert.equal(quiet.err, '');
    });

    test('cli files interoperate with the package API and the AWS Encryption SDK', async () => {
      const plain = randomBytes(70_000);
      writeFileSync(join(dir, 'i.bin'), plain);
      ok(await cli(['encrypt-file', 'alias/files', join(dir, 'i.bin'), join(dir, 'i.enc'), '--context', 'k=v']));
      const kms = await createKms({ store: fileStore(store) });
      try {
        const arn = (await kms.describeKey({ KeyId: 'alias/files' })).KeyMetadata.Arn;
        const ours = await decryptMessage(readFileSync(join(dir, 'i.enc')), { keyring: kmsKeyring({ client: kms, keyIds: [arn] }) });
        assert.ok(Buffer.from(ours.plaintext).equals(plain));
        const { buildClient, CommitmentPolicy, KmsKeyringNode } = esdk;
        const sdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
        const keyring = new KmsKeyringNode({ generatorKeyId: arn, clientProvider: () => kms });
        const theirs = await sdk.decrypt(keyring, readFileSync(join(dir, 'i.enc')));
        assert.ok(Buffer.from(theirs.plaintext).equals(plain));
        const { result } = await sdk.encrypt(keyring, plain, { encryptionContext: { from: 'esdk' } });
        writeFileSync(join(dir, 'esdk.enc'), result);
        const { result: pkg } = await encryptMessage(plain, { keyring: kmsKeyring({ client: kms, generatorKeyId: arn }), encryptionContext: { from: 'pkg' } });
        writeFileSync(join(dir, 'pkg.enc'), pkg);
      } finally {
        await kms.close();
      }
      ok(await cli(['decrypt-file', join(dir, 'esdk.enc'), join(dir, 'esdk.out'), '--context', 'from=esdk']));
      assert.ok(readFileSync(join(dir, 'esdk.out')).equals(plain));
      ok(await cli(['decrypt-file', join(dir, 'pkg.enc'), join(dir, 'pkg.out'), '--context', 'from=pkg']));
      assert.ok(readFileSync(join(dir, 'pkg.out')).equals(plain));
    });
  });

  describe('cli audit', { concurrency: 1 }, () => {
    let cli;
    let key;
    before(async () => {
      cli = on(join(tempDir(), 'store'));
      key = JSON.parse(ok(await cli(['create-key', '--json', '--alias', 'audited'])).out).KeyMetadata.KeyId;
      ok(await cli(['create-key']));
      awsError(await cli(['describe-key', 'alias/missing']), 'NotFoundException');
    });

    test('cli audit: a table of every call, failed ones with their error', async () => {
      const r = ok(await cli(['audit']));
      const lines = r.out.trim().split('\n');
      assert.match(lines[0], /^TIME\s+EVENT\s+CALLER\s+KEY\s+RESULT$/);
      assert.ok(lines.some((l) => new RegExp(`^\\d{4}-\\S+Z\\s+CreateKey\\s+arn:aws:iam::111122223333:root\\s+${key}\\s+OK$`).test(l)), r.out);
      assert.ok(lines.some((l) => /\sCreateAlias\s.*\sOK$/.test(l)));
      assert.ok(lines.some((l) => /\sDescribeKey\s.*\sNotFoundException$/.test(l)), r.out);
    });

    test('cli audit --json: one record per line; --key, --since, --until filter', async () => {
      const all = ok(await cli(['audit', '--json'])).out.trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(all.length >= 4);
      for (const rec of all) {
        assert.equal(rec.eventSource, 'kms.amazonaws.com');
        assert.match(rec.digest, /^[0-9a-f]{64}$/);
      }
      assert.equal(all.filter((x) => x.eventName === 'CreateKey').length, 2);
      const mine = ok(await cli(['audit', '--json', '--key', 'alias/audited'])).out.trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(mine.length > 0 && mine.length < all.length);
      for (const rec of mine) assert.ok(rec.resources.some((x) => x.ARN.endsWith(key)), JSON.stringify(rec));
      assert.equal(ok(await cli(['audit', '--json', '--since', '2999-01-01T00:00:00Z'])).out, '');
      assert.equal(ok(await cli(['audit', '--until', '2000-01-01'])).out, 'No audit records.\n');
      const recent = ok(await cli(['audit', '--json', '--since', '1h', '--until', new Date(Date.now() + 60_000).toISOString()])).out.trim().split('\n');
      assert.ok(recent.length >= all.length);
      awsError(await cli(['audit', '--key', 'alias/missing']), 'NotFoundException');
    });

    test('cli audit --verify', async () => {
      assert.match(ok(await cli(['audit', '--verify'])).out, /intact: \d+ records/);
      const j = JSON.parse(ok(await cli(['audit', '--verify', '--json'])).out);
      assert.equal(j.valid, true);
    });
  });

  describe('cli backup and restore', { concurrency: 1 }, () => {
    let dir;
    let cli;
    before(async () => {
      dir = tempDir();
      cli = on(join(dir, 'store'));
      ok(await cli(['create-key', '--alias', 'kept', '--description', 'backed up']));
      writeFileSync(join(dir, 'pass'), 'a long passphrase\n');
      writeFileSync(join(dir, 'wrong'), 'another passphrase\n');
      writeFileSync(join(dir, 'secret.txt'), 'sealed before the backup');
      ok(await cli(['encrypt-file', 'alias/kept', join(dir, 'secret.txt'), join(dir, 'secret.enc')]));
    });

    test('cli backup / restore round trip (--passphrase-file), into a new store', async () => {
      const b = ok(await cli(['backup', join(dir, 'keys.backup'), '--passphrase-file', join(dir, 'pass')]));
      assert.match(b.err, /backup of \d+ bytes written/);
      assert.equal(statSync(join(dir, 'keys.backup')).mode & 0o777, 0o600);
      const restored = on(join(dir, 'restored'));
      const r = ok(await restored(['restore', join(dir, 'keys.backup'), '--passphrase-file', join(dir, 'pass')]));
      assert.match(r.out, /Restored 1 key into /);
      assert.equal(ok(await restored(['list-keys', '--json'])).out, ok(await cli(['list-keys', '--json'])).out);
      ok(await restored(['decrypt-file', join(dir, 'secret.enc'), join(dir, 'secret.out')]));
      assert.equal(readFileSync(join(dir, 'secret.out'), 'utf8'), 'sealed before the backup');
      assert.match(ok(await restored(['audit'])).out, /\sCreateAlias\s/, 'the audit log comes along');
      awsError(await restored(['restore', join(dir, 'keys.backup'), '--passphrase-file', join(dir, 'pass')]), 'KMSInvalidStateException');
    });

    test('cli restore: wrong passphrase, damaged backup restore nothing; env passphrase and - both ways', async () => {
      ok(await cli(['backup', join(dir, 'k2.backup'), '--passphrase-file', join(dir, 'pass')]));
      const empty = on(join(dir, 'empty'));
      awsError(await empty(['restore', join(dir, 'k2.backup'), '--passphrase-file', join(dir, 'wrong')]), 'KMSInvalidStoreException');
      const bytes = readFileSync(join(dir, 'k2.backup'));
      bytes[bytes.length >> 1] ^= 0x40;
      writeFileSync(join(dir, 'damaged.backup'), bytes);
      awsError(await empty(['restore', join(dir, 'damaged.backup'), '--passphrase-file', join(dir, 'pass')]), 'KMSInvalidStoreException');
      assert.equal(ok(await empty(['list-keys'])).out, 'No keys.\n');
      awsError(await empty(['restore', join(dir, 'missing.backup'), '--passphrase-file', join(dir, 'pass')]), 'ENOENT');
      const env = { KMS_WASM_BACKUP_PASSPHRASE: 'from the environment' };
      const piped = ok(await cli(['backup', '-'], { env }));
      assert.ok(piped.stdout.length > 100);
      const r = ok(await empty(['restore', '-'], { env, input: piped.stdout }));
      assert.match(r.out, /Restored 1 key/);
      assert.match(ok(await empty(['list-keys'])).out, /alias\/kept/);
    });
  });

  describe('cli serve', { concurrency: 1 }, () => {
    /** Starts `kms-wasm serve` with `args`; resolves to { child, url, err() } once it prints its URL. */
    async function startServe(store, args) {
      const child = spawn(BIN, ['--store', store, 'serve', '--port', '0', ...args], { env: { ...process.env, HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (b) => { err += b; });
      const url = await new Promise((resolve, reject) => {
        child.stdout.on('data', (b) => {
          out += b;
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
        setTimeout(() => reject(new Error(`serve printed no URL: ${err}`)), 30_000);
      });
      return { child, url, err: () => err };
    }

    async function stop({ child, err }) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, err());
    }

    test('cli serve --config with credentials: SigV4-signed SDK calls work, unsigned ones are refused; stops on SIGTERM', async (t) => {
      const dir = tempDir();
      const cli = on(join(dir, 'store'));
      const key = JSON.parse(ok(await cli(['create-key', '--json'])).out).KeyMetadata.KeyId;
      if (!existsSync(join(PKG_DIR, 'src', 'serve', 'server.js'))) {
        awsError(await cli(['serve', '--port', '0']), 'UnsupportedOperationException');
        t.diagnostic('src/serve/server.js is not in the package: serve reports it');
        return;
      }
      const probe = await createKms();
      const caller = probe.caller; // the account's root, as the store's KMS has it
      await probe.close();
      writeFileSync(join(dir, 'serve.json'), JSON.stringify(credentialsConfig({ AKIDCLI: caller })));
      const served = await startServe(join(dir, 'store'), ['--config', join(dir, 'serve.json')]);
      const client = sdkClient(served.url, { accessKeyId: 'AKIDCLI' });
      try {
        assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.deepEqual((await client.listKeys({})).Keys.map((k) => k.KeyId), [key]);
        const res = await fetch(served.url, {
          method: 'POST',
          headers: { 'X-Amz-Target': 'TrentService.ListKeys', 'Content-Type': 'application/x-amz-json-1.1' },
          body: '{}',
        });
        assert.equal(res.status, 403);
        assert.equal((await res.json()).__type, 'MissingAuthenticationTokenException');
        assert.doesNotMatch(served.err(), /WARNING/);
      } finally {
        client.destroy();
        await stop(served);
      }
    });

    test('cli serve --insecure-no-auth: warns on stderr, answers unsigned requests', async () => {
      const dir = tempDir();
      const cli = on(join(dir, 'store'));
      const key = JSON.parse(ok(await cli(['create-key', '--json'])).out).KeyMetadata.KeyId;
      const served = await startServe(join(dir, 'store'), ['--insecure-no-auth']);
      try {
        assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.match(served.err(), /WARNING: --insecure-no-auth: request signatures are NOT checked/);
        const res = await fetch(served.url, {
          method: 'POST',
          headers: { 'X-Amz-Target': 'TrentService.ListKeys', 'Content-Type': 'application/x-amz-json-1.1' },
          body: '{}',
        });
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.deepEqual(body.Keys.map((k) => k.KeyId), [key]);
      } finally {
        await stop(served);
      }
    });

    test('cli serve without credentials, or --insecure-no-auth on a non-loopback host: usage error (exit 2), nothing served', async () => {
      const dir = tempDir();
      const cli = on(join(dir, 'store'));
      usageError(await cli(['serve', '--port', '0']), /no credentials configured.*--insecure-no-auth/);
      usageError(await cli(['serve', '--port', '0', '--insecure-no-auth', '--host', '0.0.0.0']), /loopback addresses only/);
      writeFileSync(join(dir, 'legacy.json'), JSON.stringify({ accessKeys: { AKID: 'arn:aws:iam::111122223333:user/a' } }));
      usageError(await cli(['serve', '--port', '0', '--config', join(dir, 'legacy.json')]), /principal ARN without a secret/);
    });
  });

  describe('cli large file', { concurrency: 1 }, () => {
    test('cli 200 MiB encrypt-file / decrypt-file round trip in constant memory', async (t) => {
      const dir = tempDir();
      const cli = on(join(dir, 'store'));
      ok(await cli(['create-key', '--alias', 'big']));
      const size = 200 * MiB;
      // Written in 1 MiB blocks, never held whole; hashed on the way.
      const block = randomBytes(MiB);
      const hash = createHash('sha256');
      const ws = createWriteStream(join(dir, 'big.bin'));
      for (let i = 0; i < size / MiB; i++) {
        block.writeUInt32BE(i, 0);
        hash.update(block);
        if (!ws.write(Buffer.from(block))) await once(ws, 'drain');
      }
      ws.end();
      await once(ws, 'finish');
      const want = hash.digest('hex');
      const rss = (r) => Number(/maxrss (\d+) KiB/.exec(r.err)[1]) * 1024;
      const env = { KMS_WASM_CLI_REPORT_RSS: '1' };
      let t0 = performance.now();
      const e = ok(await cli(['encrypt-file', 'alias/big', join(dir, 'big.bin'), join(dir, 'big.enc'), '--context', 'size=200MiB'], { env }));
      const encSecs = (performance.now() - t0) / 1000;
      rmSync(join(dir, 'big.bin'));
      assert.ok(statSync(join(dir, 'big.enc')).size > size);
      t0 = performance.now();
      const d = ok(await cli(['decrypt-file', join(dir, 'big.enc'), join(dir, 'big.out'), '--context', 'size=200MiB'], { env }));
      const decSecs = (performance.now() - t0) / 1000;
      assert.equal(await sha256File(join(dir, 'big.out')), want);
      const small = ok(await cli(['encrypt-file', 'alias/big', '-', '-'], { env, input: Buffer.from('x') }));
      t.diagnostic(`encrypt ${encSecs.toFixed(1)} s (${(200 / encSecs).toFixed(0)} MiB/s), peak RSS ${(rss(e) / MiB).toFixed(0)} MiB; `
        + `decrypt ${decSecs.toFixed(1)} s (${(200 / decSecs).toFixed(0)} MiB/s), peak RSS ${(rss(d) / MiB).toFixed(0)} MiB; `
        + `1-byte encrypt peak RSS ${(rss(small) / MiB).toFixed(0)} MiB`);
      assert.ok(rss(e) < 200 * MiB, `encrypt-file peak RSS ${rss(e)} bytes`);
      assert.ok(rss(d) < 200 * MiB, `decrypt-file peak RSS ${rss(d)} bytes`);
      // Constant: within 64 MiB of what a 1-byte file costs.
      assert.ok(rss(e) - rss(small) < 64 * MiB, `encrypt: ${rss(e)} vs ${rss(small)} for 1 byte`);
      assert.ok(rss(d) - rss(small) < 64 * MiB, `decrypt: ${rss(d)} vs ${rss(small)} for 1 byte`);
    });
  });
});
