// requestHandler(kms) in Node, beside the portable suite (suite/request-handler.js):
// - it answers every request exactly as `kms-wasm serve` does (status,
//   headers, JSON body), since both use the package's protocol layer;
// - the package imports nothing of the AWS SDK or @smithy/* for it;
// - region and request id: the client's region picks the KMS's region, and
//   the audit record's requestID is the response's x-amzn-RequestId, through
//   the handler and through serve. These two wait for requestView
//   (client/request-view.js) to be real, and say so when skipped.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KMSClient, KMS, ListKeysCommand, CreateKeyCommand, DescribeKeyCommand, NotFoundException } from '@aws-sdk/client-kms';
import { createKms, requestHandler } from 'kms-wasm';
import { loadStartServer } from './serve-kms-wasm.mjs';
import { tempDir } from './helpers.mjs';

const startServer = await loadStartServer();
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not checked' };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const utf8 = (s) => new TextEncoder().encode(s);

/** The in-process client, and the SDK's client over serve (unsigned checks: insecureNoAuth), on one KMS. */
function clients(kms, server, region = 'us-east-1') {
  return {
    inProcess: new KMSClient({ region, credentials: CREDENTIALS, requestHandler: requestHandler(kms) }),
    overHttp: new KMS({ region, credentials: CREDENTIALS, endpoint: server.url, maxAttempts: 1 }),
  };
}

// What requestView gives today (client/request-view.js is a placeholder until regions and request ids reach the client).
const probe = await createKms();
const REGIONS_SKIP = typeof probe.inRegion !== 'function'
  && 'kms.inRegion does not exist yet: requestView (client/request-view.js) is a placeholder, so every region is the KMS\'s own';
const REQUEST_ID_SKIP = await (async () => {
  const { $metadata } = await new KMSClient({ region: 'us-east-1', credentials: CREDENTIALS, requestHandler: requestHandler(probe) }).send(new ListKeysCommand({}));
  const [record] = (await probe.auditLog()).slice(-1);
  return record.requestID !== $metadata.requestId && record.requestID === record.eventID
    && 'audit records do not carry the request id yet (their requestID is their eventID): requestView (client/request-view.js) is a placeholder';
})();
await probe.close();

describe('requestHandler answers as kms-wasm serve answers', () => {
  let kms;
  let server;
  let handler;
  before(async () => {
    kms = await createKms();
    server = await startServer({ port: 0, kms, insecureNoAuth: true, warn: () => {} });
    handler = requestHandler(kms);
  });
  after(() => server.close());

  /** One request to both: the handler's response and serve's, each as { status, headers, json }. */
  async function both({ method = 'POST', path = '/', headers = {}, body = '' }) {
    const { response } = await handler.handle({ method, protocol: 'http:', hostname: 'kms', path, headers, body });
    assert.ok(response.body instanceof Uint8Array, 'the body is a Uint8Array');
    const inProcess = { status: response.statusCode, headers: response.headers, json: JSON.parse(new TextDecoder().decode(response.body)) };
    const res = await fetch(new URL(path, server.url), { method, headers, body: method === 'GET' ? undefined : body });
    const overHttp = { status: res.status, headers: Object.fromEntries(res.headers), json: await res.json() };
    return { inProcess, overHttp };
  }

  /** The headers both give, without the request id (a new one each time) and HTTP's own. */
  const comparable = (headers) => {
    const out = {};
    for (const [k, v] of Object.entries(headers)) {
      if (!['x-amzn-requestid', 'date', 'connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v;
    }
    return out;
  };

  const json = { 'content-type': 'application/x-amz-json-1.1' };
  const target = (op) => ({ ...json, 'x-amz-target': `TrentService.${op}` });
  const CASES = [
    ['a listing', { headers: target('ListKeys'), body: '{}' }, 200],
    ['an empty body', { headers: target('ListAliases'), body: '' }, 200],
    ['no X-Amz-Target', { headers: json, body: '{}' }, 400, 'UnknownOperationException'],
    ['another service\'s target', { headers: { ...json, 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{}' }, 400, 'UnknownOperationException'],
    ['an unknown operation', { headers: target('NoSuchThing'), body: '{}' }, 400, 'UnknownOperationException'],
    ['an operation kms-wasm does not implement', { headers: target('Sign'), body: '{}' }, 400, 'UnsupportedOperationException'],
    ['a body that is not JSON', { headers: target('ListKeys'), body: '{"Limit": ' }, 400, 'SerializationException'],
    ['a JSON array', { headers: target('ListKeys'), body: '[]' }, 400, 'SerializationException'],
    ['a blob that is not base64', { headers: target('Decrypt'), body: '{"CiphertextBlob": "%%%"}' }, 400, 'SerializationException'],
    ['a blob that is a number', { headers: target('Decrypt'), body: '{"CiphertextBlob": 5}' }, 400, 'SerializationException'],
    ['a timestamp that is a string', { headers: target('ImportKeyMaterial'), body: '{"ValidTo": "tomorrow"}' }, 400, 'SerializationException'],
    ['another content type', { headers: { ...target('ListKeys'), 'content-type': 'text/plain' }, body: '{}' }, 400, 'SerializationException'],
    ['a KMS error', { headers: target('DescribeKey'), body: '{"KeyId": "alias/none"}' }, 400, 'NotFoundException'],
    ['a validation error', { headers: target('GenerateRandom'), body: '{"NumberOfBytes": 0}' }, 400, 'ValidationException'],
    ['a GET', { method: 'GET', headers: target('ListKeys') }, 405, 'UnknownOperationException'],
    ['another path', { path: '/other', headers: target('ListKeys'), body: '{}' }, 404, 'UnknownOperationException'],
  ];
  for (const [what, request, status, type] of CASES) {
    test(`${what}: HTTP ${status}${type ? ` ${type}` : ''}, the same headers and body`, async () => {
      const { inProcess, overHttp } = await both(request);
      assert.equal(inProcess.status, status);
      assert.equal(overHttp.status, status);
      assert.deepEqual(inProcess.json, overHttp.json);
      assert.deepEqual(comparable(inProcess.headers), comparable(overHttp.headers));
      assert.equal(inProcess.headers['content-type'], 'application/x-amz-json-1.1');
      assert.match(inProcess.headers['x-amzn-requestid'], UUID_RE);
      assert.match(overHttp.headers['x-amzn-requestid'], UUID_RE);
      if (type) {
        assert.deepEqual(Object.keys(inProcess.json).sort(), ['__type', 'message']);
        assert.equal(inProcess.json.__type, type);
        assert.equal(inProcess.headers['x-amzn-errortype'], type);
      }
    });
  }

  test('blobs (base64) and timestamps (epoch seconds) are the same bytes both ways', async () => {
    const { KeyMetadata } = await kms.createKey({});
    const { CiphertextBlob } = await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('same bytes') });
    const body = JSON.stringify({ CiphertextBlob: Buffer.from(CiphertextBlob).toString('base64') });
    const { inProcess, overHttp } = await both({ headers: target('Decrypt'), body });
    assert.equal(inProcess.status, 200);
    assert.deepEqual(inProcess.json, overHttp.json);
    assert.equal(Buffer.from(inProcess.json.Plaintext, 'base64').toString(), 'same bytes');
    const described = await both({ headers: target('DescribeKey'), body: JSON.stringify({ KeyId: KeyMetadata.KeyId }) });
    assert.deepEqual(described.inProcess.json, described.overHttp.json);
    assert.equal(described.inProcess.json.KeyMetadata.CreationDate, KeyMetadata.CreationDate.getTime() / 1000);
  });

  test('each response has a request id of its own', async () => {
    const ids = new Set();
    for (let i = 0; i < 5; i++) {
      const { inProcess, overHttp } = await both({ headers: target('ListKeys'), body: '{}' });
      ids.add(inProcess.headers['x-amzn-requestid']).add(overHttp.headers['x-amzn-requestid']);
    }
    assert.equal(ids.size, 10);
  });

  test('the SDK over the handler and over serve: the same outputs, the same exceptions', async () => {
    const { inProcess, overHttp } = clients(kms, server);
    const { KeyMetadata } = await inProcess.send(new CreateKeyCommand({ Description: 'both ways' }));
    const a = await inProcess.send(new DescribeKeyCommand({ KeyId: KeyMetadata.KeyId }));
    const b = await overHttp.describeKey({ KeyId: KeyMetadata.KeyId });
    assert.deepEqual(a.KeyMetadata, b.KeyMetadata);
    const [e1, e2] = await Promise.all([
      inProcess.send(new DescribeKeyCommand({ KeyId: 'alias/none' })).catch((e) => e),
      overHttp.describeKey({ KeyId: 'alias/none' }).catch((e) => e),
    ]);
    for (const e of [e1, e2]) {
      assert.ok(e instanceof NotFoundException);
      assert.equal(e.$metadata.httpStatusCode, 400);
    }
    assert.equal(e1.message, e2.message);
    inProcess.destroy();
    overHttp.destroy();
  });
});

describe('requestHandler: region and request id (through requestView)', () => {
  let kms;
  let server;
  before(async () => {
    kms = await createKms();
    server = await startServer({ port: 0, kms, insecureNoAuth: true, warn: () => {} });
  });
  after(() => server.close());

  test('the audit record of a call carries the response\'s x-amzn-RequestId, through the handler and through serve', { skip: REQUEST_ID_SKIP }, async () => {
    const { inProcess, overHttp } = clients(kms, server);
    const seen = [];
    inProcess.middlewareStack.add((next) => async (args) => {
      const result = await next(args);
      seen.push(result.response.headers['x-amzn-requestid']);
      return result;
    }, { step: 'deserialize', name: 'rawRequestId' });
    const inProcessIds = [];
    for (const [where, call] of [
      ['in-process', () => inProcess.send(new CreateKeyCommand({}))],
      ['http', () => overHttp.createKey({})],
      ['in-process', () => inProcess.send(new DescribeKeyCommand({ KeyId: 'alias/none' })).catch((e) => e)],
      ['http', () => overHttp.describeKey({ KeyId: 'alias/none' }).catch((e) => e)],
    ]) {
      const { $metadata } = await call();
      assert.match($metadata.requestId, UUID_RE);
      const [record] = (await kms.auditLog()).slice(-1);
      assert.equal(record.requestID, $metadata.requestId);
      if (where === 'in-process') inProcessIds.push($metadata.requestId);
    }
    // The raw responses (before the SDK reads them, errors too) carry the same ids.
    assert.deepEqual(seen, inProcessIds, 'the x-amzn-RequestId header of each in-process response');
    inProcess.destroy();
    overHttp.destroy();
  });

  test('the client\'s region picks the KMS\'s region (the SigV4 credential scope), through the handler and through serve', { skip: REGIONS_SKIP }, async () => {
    for (const via of ['inProcess', 'overHttp']) {
      const east = clients(kms, server, 'us-east-1')[via];
      const west = clients(kms, server, 'eu-west-1')[via];
      const send = (client, Command, input) => client.send(new Command(input));
      const { KeyMetadata } = await send(west, CreateKeyCommand, { Description: `${via} in eu-west-1` });
      assert.match(KeyMetadata.Arn, /^arn:aws:kms:eu-west-1:111122223333:key\//);
      assert.equal((await send(west, DescribeKeyCommand, { KeyId: KeyMetadata.KeyId })).KeyMetadata.Arn, KeyMetadata.Arn);
      const listed = async (client) => (await send(client, ListKeysCommand, {})).Keys.map((k) => k.KeyId);
      assert.ok((await listed(west)).includes(KeyMetadata.KeyId));
      assert.ok(!(await listed(east)).includes(KeyMetadata.KeyId), 'keys are regional');
      await assert.rejects(send(east, DescribeKeyCommand, { KeyId: KeyMetadata.KeyId }), NotFoundException);
      // Each region has its own audit log: the call is recorded in eu-west-1's.
      const [record] = (await kms.inRegion('eu-west-1').auditLog()).filter((r) => r.eventName === 'CreateKey').slice(-1);
      assert.equal(record.awsRegion, 'eu-west-1');
      assert.equal(record.resources[0].ARN, KeyMetadata.Arn);
      east.destroy();
      west.destroy();
    }
  });

  test('a credential scope naming a region AWS does not have is AWS\'s InvalidSignatureException, through the handler and through serve, and changes nothing', async () => {
    const before = (await kms.auditLog()).length;
    for (const via of ['inProcess', 'overHttp']) {
      const mars = clients(kms, server, 'mars-north-1')[via];
      const err = await mars.send(new CreateKeyCommand({})).then(() => null, (e) => e);
      assert.ok(err, `${via}: refused`);
      assert.equal(err.name, 'InvalidSignatureException', `${via}: ${err.name}: ${err.message}`);
      assert.equal(err.message, "Credential should be scoped to a valid region, not 'mars-north-1'.");
      assert.equal(err.$metadata.httpStatusCode, 400);
      mars.destroy();
    }
    assert.equal((await kms.auditLog()).length, before, 'no call was made');
    assert.deepEqual((await kms.inRegion('us-east-1').listKeys({})).Keys.filter((k) => k.KeyId.startsWith('mars')), []);
  });
});

describe('the protocol layer where there is no Buffer (browsers)', () => {
  test('base64 both ways through atob/btoa (no Buffer, no Uint8Array.fromBase64), and request ids without crypto.randomUUID', () => {
    // A fresh process whose globals are those of an older browser, importing the package's protocol module by path.
    const sizes = [0, 1, 2, 3, 4, 5, 31, 32, 33, 0x8000 - 1, 0x8000, 0x8000 + 1, 70000];
    const script = `
      delete globalThis.Buffer;
      delete Uint8Array.fromBase64;
      delete Uint8Array.prototype.toBase64;
      Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined });
      if (typeof Buffer !== 'undefined' || Uint8Array.fromBase64 || crypto.randomUUID) throw new Error('the globals are still there');
      const { fromWire, toWire, newRequestId } = await import(new URL('./protocol.js', import.meta.resolve('kms-wasm')).href);
      const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      const out = [];
      for (const n of ${JSON.stringify(sizes)}) {
        const bytes = new Uint8Array(n);
        for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
        const { Plaintext: text } = toWire({ Plaintext: bytes }, []);
        const back = fromWire({ Plaintext: text }, []).Plaintext;
        out.push({ n, hex: hex(bytes), text, back: hex(back) });
      }
      console.log(JSON.stringify({ out, ids: [newRequestId(), newRequestId()] }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const { out, ids } = JSON.parse(r.stdout);
    assert.deepEqual(out.map((x) => x.n), sizes);
    for (const { n, hex, text, back } of out) {
      assert.equal(text, Buffer.from(hex, 'hex').toString('base64'), `base64 of ${n} bytes`);
      assert.equal(back, hex, `${n} bytes back from base64`);
    }
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a version 4 UUID');
    assert.notEqual(ids[0], ids[1]);
  });
});

describe('requestHandler imports nothing of the AWS SDK', () => {
  test('kms-wasm with requestHandler answering a call loads no @aws-sdk/* or @smithy/* module', () => {
    const { dir, cleanup } = tempDir('kms-wasm-rh-');
    const hooks = join(dir, 'hooks.mjs');
    const log = join(dir, 'resolved.txt');
    // A resolve hook (it runs on the loader's thread) writing every module URL resolved after it is registered.
    writeFileSync(hooks, `
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
        return r;
      }`);
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(pathToFileURL(hooks).href)});
      const { createKms, requestHandler } = await import('kms-wasm');
      const kms = await createKms();
      const { response } = await requestHandler(kms).handle({ method: 'POST', path: '/', headers: { 'x-amz-target': 'TrentService.CreateKey' }, body: '{}' });
      if (response.statusCode !== 200) throw new Error('status ' + response.statusCode);
      console.log('answered');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
    const resolved = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    cleanup();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'answered');
    assert.ok(resolved.some((u) => /\/node_modules\/kms-wasm\/src\/request-handler\.js$/.test(u)), 'the hook saw the package load its request handler');
    assert.deepEqual(resolved.filter((u) => /\/node_modules\/@(aws-sdk|smithy)\//.test(u)), []);
  });
});
