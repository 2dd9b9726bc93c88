// Properties of `kms-wasm serve` (npm/src/serve/server.js) on the wire: a
// server started in this process with startServer (imported by path: it is
// not in the exports map), fed random HTTP requests through node:http and
// random bytes through node:net.
//
//   - any method, path, X-Amz-Target (valid, other AWS KMS operations,
//     garbage, missing), Content-Type, Authorization, and any body (real
//     requests of real operations with members mutated: wrong types, huge
//     strings, deep nesting, non-base64 blobs, odd timestamps, `__proto__`
//     members, unicode; arbitrary JSON; raw bytes; empty; over 1 MiB): the
//     answer is HTTP 200 with a JSON object, or 4xx with an AWS JSON error
//     (`{ __type, message }` only, one line, the x-amzn-ErrorType header,
//     the AWS content type) — never a 5xx, which would mean an error that
//     is not an AWS one escaped; the server answers an honest request
//     afterwards; no unhandled rejection or exception in the process;
//   - raw bytes on a socket (garbage, broken request lines, bad framing):
//     the server survives and still answers honestly;
//   - blobs and timestamps round trip: random plaintexts and encryption
//     contexts through Encrypt/Decrypt as base64, GenerateRandom lengths,
//     ImportKeyMaterial's ValidTo as epoch seconds with milliseconds.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { createKms } from 'kms-wasm';
import { fc, fuzz, internal, within } from './common.mjs';

const { startServer } = await internal('./serve/server.js');
const { OPERATIONS, OTHER_KMS_OPERATIONS } = await internal('./api.js');

const ACCOUNT = '111122223333';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const AKID = 'AKIDFUZZ';
const AUTH = `AWS4-HMAC-SHA256 Credential=${AKID}/20300101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00`;

// Problems of the server process (it is this one).
const problems = [];
const onProblem = (kind) => (e) => problems.push(`${kind}: ${e && e.stack ? e.stack : e}`);
process.on('unhandledRejection', onProblem('unhandledRejection'));
process.on('uncaughtException', onProblem('uncaughtException'));

const kms = await createKms({ accountId: ACCOUNT });
// insecureNoAuth: these properties fuzz the request path after
// authentication (SigV4 itself is tested in node/serve-auth.test.mjs).
const server = await startServer({ port: 0, kms, config: { accessKeys: { [AKID]: ROOT } }, insecureNoAuth: true, warn: () => {} });
after(() => server.close());
const PORT = server.port;

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const KEY = (await kms.createKey({ Description: 'fuzz' })).KeyMetadata.KeyId;
const SPARE = (await kms.createKey({ Description: 'spare' })).KeyMetadata.KeyId;
const EXTERNAL = (await kms.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.KeyId;
const CT = b64((await kms.encrypt({ KeyId: KEY, Plaintext: new Uint8Array([1, 2, 3]), EncryptionContext: { a: 'b' } })).CiphertextBlob);

/** One HTTP request; resolves with what came back (never rejects on HTTP errors). */
function send({ method = 'POST', path = '/', headers = {}, body = Buffer.alloc(0), chunked = false }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: PORT, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (chunked) {
      if (body.length) req.write(body);
      req.end();
    } else {
      req.setHeader('content-length', body.length);
      req.end(body);
    }
  });
}

/** The answer is AWS-shaped: 200 and a JSON object, or a 4xx AWS JSON error. */
function checkAnswer(r, method) {
  assert.ok(r.status < 500, `HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(String(r.headers['content-type']), /^application\/x-amz-json-1\.1/, `content type of HTTP ${r.status}`);
  assert.ok(r.headers['x-amzn-requestid'], 'a request id');
  if (method === 'HEAD') {
    assert.equal(r.text, '');
    return;
  }
  let json;
  try {
    json = JSON.parse(r.text);
  } catch {
    assert.fail(`HTTP ${r.status} with a body that is not JSON: ${r.text.slice(0, 300)}`);
  }
  assert.ok(json !== null && typeof json === 'object' && !Array.isArray(json), `not a JSON object: ${r.text.slice(0, 300)}`);
  if (r.status === 200) return json;
  assert.ok(r.status >= 400, `HTTP ${r.status}`);
  assert.deepEqual(Object.keys(json).sort(), ['__type', 'message'], r.text.slice(0, 300));
  assert.match(json.__type, /^[A-Za-z]+$/, `__type ${json.__type}`);
  assert.equal(r.headers['x-amzn-errortype'], json.__type);
  assert.equal(typeof json.message, 'string');
  assert.ok(json.message.length > 0, 'a message');
  // Not a programming error's text. (Not "one line" either: messages quote
  // the caller's input as AWS does, e.g. "Invalid keyId 'a\nb'.", newlines and all.)
  assert.doesNotMatch(json.message, /TypeError|RangeError|ReferenceError|SyntaxError|is not a function|Cannot read propert|\bat .+\.m?js:\d+/, json.message.slice(0, 300));
  return json;
}

const honest = async () => {
  const r = await send({
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys', authorization: AUTH },
    body: Buffer.from('{"Limit":1}'),
  });
  assert.equal(r.status, 200, `the honest request after: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  assert.ok(Array.isArray(JSON.parse(r.text).Keys));
  assert.deepEqual(problems, [], 'unhandled errors in the server process');
};

// ---- generators -----------------------------------------------------------

const TEMPLATES = {
  Encrypt: { KeyId: KEY, Plaintext: b64([5, 6, 7]), EncryptionContext: { a: 'b' } },
  Decrypt: { CiphertextBlob: CT, EncryptionContext: { a: 'b' } },
  ReEncrypt: { CiphertextBlob: CT, SourceEncryptionContext: { a: 'b' }, DestinationKeyId: KEY },
  GenerateDataKey: { KeyId: KEY, KeySpec: 'AES_256', EncryptionContext: { x: 'y' } },
  GenerateDataKeyWithoutPlaintext: { KeyId: KEY, NumberOfBytes: 32 },
  GenerateRandom: { NumberOfBytes: 16 },
  DescribeKey: { KeyId: KEY },
  ListKeys: { Limit: 10 },
  ListAliases: { KeyId: KEY },
  CreateAlias: { AliasName: 'alias/fuzz', TargetKeyId: KEY },
  UpdateKeyDescription: { KeyId: KEY, Description: 'fuzzed' },
  TagResource: { KeyId: KEY, Tags: [{ TagKey: 'k', TagValue: 'v' }] },
  ListResourceTags: { KeyId: KEY },
  CreateGrant: { KeyId: KEY, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/bob`, Operations: ['Encrypt', 'Decrypt'], Constraints: { EncryptionContextSubset: { t: 'v' } } },
  ListGrants: { KeyId: KEY },
  GetKeyPolicy: { KeyId: KEY, PolicyName: 'default' },
  GetKeyRotationStatus: { KeyId: KEY },
  ListKeyRotations: { KeyId: KEY },
  CreateKey: { Description: 'made by fuzz', KeyUsage: 'ENCRYPT_DECRYPT', Tags: [{ TagKey: 't', TagValue: 'v' }] },
  ScheduleKeyDeletion: { KeyId: SPARE, PendingWindowInDays: 7 },
  CancelKeyDeletion: { KeyId: SPARE },
  ImportKeyMaterial: { KeyId: EXTERNAL, ImportToken: b64(randomBytes(64)), EncryptedKeyMaterial: b64(randomBytes(256)), ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: 1.9e9 },
  DeleteImportedKeyMaterial: { KeyId: EXTERNAL },
  DescribeCustomKeyStores: {},
};
const TEMPLATE_OPS = Object.keys(TEMPLATES);

const unicode = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }), // lone surrogates included
  fc.constantFrom('\u0000', '\uFEFF', '\uD800', '\uDFFF', 'e\u0301', '🔑'.repeat(50), 'a\nb', '\u2028'),
);
// Up to 600 levels (JSON.stringify of it must not overflow); deeper bodies come as text (rawBody).
const nested = fc.tuple(fc.integer({ min: 1, max: 600 }), fc.boolean()).map(([n, arrays]) => {
  let v = 'x';
  for (let i = 0; i < n; i++) v = arrays ? [v] : { a: v };
  return v;
});
const protoObject = fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }).map((o) => {
  Object.defineProperty(o, '__proto__', { value: { polluted: 'yes' }, enumerable: true, writable: true, configurable: true });
  return o;
});
const oddValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 1e20, -1e20, 1e308, 5e-324, 253402300800, 8.64e12, 2 ** 53 + 2, '', '2030-01-01T00:00:00Z', [], {}),
  fc.double(),
  fc.integer(),
  unicode,
  // not base64: wrong alphabet, wrong padding, wrong length
  fc.constantFrom('not base64!', 'YQ', 'YQ=', 'YQ===', '====', '-_-_', 'YWJj\n', ' YWJj', 'YW Jj', 'AAAA'.repeat(5) + '='),
  fc.integer({ min: 10_000, max: 1_200_000 }).map((n) => 'A'.repeat(n)), // huge (over 1 MiB now and then)
  nested,
  protoObject,
  fc.jsonValue({ maxDepth: 3 }),
);

/** A body object: a real request of a real operation, with members mutated. */
const mutatedRequest = fc.record({
  op: fc.constantFrom(...TEMPLATE_OPS),
  edits: fc.array(fc.oneof(
    fc.record({ kind: fc.constant('set'), member: fc.nat(), value: oddValue }),
    fc.record({ kind: fc.constant('deep'), member: fc.nat(), value: oddValue }),
    fc.record({ kind: fc.constant('drop'), member: fc.nat() }),
    fc.record({ kind: fc.constant('add'), name: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'Plaintext', 'CiphertextBlob', 'ValidTo', 'Recipient', 'GrantTokens', 'Unknown'), unicode), value: oddValue }),
    fc.record({ kind: fc.constant('recipient'), doc: oddValue }),
  ), { maxLength: 3 }),
}).map(({ op, edits }) => {
  const body = structuredClone(TEMPLATES[op]);
  for (const e of edits) {
    const members = Object.keys(body);
    const name = members.length ? members[e.member % members.length] : 'KeyId';
    if (e.kind === 'set') body[name] = e.value;
    else if (e.kind === 'deep') {
      const v = body[name];
      if (v && typeof v === 'object' && !Array.isArray(v)) Object.defineProperty(v, Object.keys(v)[0] ?? '__proto__', { value: e.value, enumerable: true, writable: true, configurable: true });
      else if (Array.isArray(v) && v.length) v[0] = e.value;
      else body[name] = e.value;
    } else if (e.kind === 'drop') delete body[name];
    else if (e.kind === 'add') Object.defineProperty(body, e.name, { value: e.value, enumerable: true, writable: true, configurable: true });
    else body.Recipient = { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: e.doc };
  }
  return { op, body: Buffer.from(JSON.stringify(body)) };
});

const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const target = (op) => fc.oneof(
  { weight: 8, arbitrary: fc.constant(`TrentService.${op}`) },
  fc.constantFrom(...OPERATIONS, ...OTHER_KMS_OPERATIONS).map((o) => `TrentService.${o}`),
  fc.constantFrom(undefined, '', 'TrentService.', 'TrentService', `trentservice.${op}`, `Kms.${op}`, `TrentService.${op.toLowerCase()}`, `TrentService.${op} `, 'TrentService.__proto__', 'TrentService.constructor', 'TrentService.toString', 'TrentService.then'),
  headerText,
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/x-amz-json-1.1') },
  fc.constantFrom(undefined, 'application/json', 'application/x-amz-json-1.0', 'application/x-amz-json-1.1; charset=utf-8', 'APPLICATION/X-AMZ-JSON-1.1', 'text/plain', 'application/x-amz-json-1.10', 'multipart/form-data; boundary=x', ''),
  headerText,
);
const authorization = fc.oneof(
  { weight: 6, arbitrary: fc.constant(AUTH) },
  fc.constantFrom(undefined, '', 'Credential=/', `AWS4-HMAC-SHA256 Credential=OTHER/20300101/us-east-1/kms/aws4_request`, `Credential=${AKID}`, `Credential=__proto__/x`, `Credential=constructor/x`, `Credential=toString/x`),
  headerText,
);
const extraHeaders = fc.dictionary(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((n) => !['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade'].includes(n)),
  headerText, { maxKeys: 3 },
);

const rawBody = fc.oneof(
  { weight: 6, arbitrary: mutatedRequest },
  fc.json({ maxDepth: 4 }).map((t) => ({ body: Buffer.from(t) })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ body: Buffer.from(b) })),
  fc.constantFrom('', ' ', '{}', 'null', '[]', '"x"', '1', '{', '{"a":1}{"b":2}', '\uFEFF{}', '{"__proto__":{"KeyId":"x"}}', '{"KeyId":"x","KeyId":"y"}')
    .map((t) => ({ body: Buffer.from(t) })),
  fc.tuple(fc.integer({ min: 1000, max: 200_000 }), fc.boolean()).map(([n, arr]) => ({ body: Buffer.from(arr ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) })),
);

const request = rawBody.chain(({ op, body }) => fc.record({
  method: fc.oneof({ weight: 10, arbitrary: fc.constant('POST') }, fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD')),
  path: fc.oneof({ weight: 10, arbitrary: fc.constant('/') }, fc.constantFrom('/?x=1', '//', '/%00', '/..', '/TrentService.ListKeys', '*'), fc.webPath().map((p) => `/${p.replace(/^\/+/, '')}`)),
  target: op ? target(op) : fc.constantFrom(...TEMPLATE_OPS).chain(target),
  contentType,
  authorization,
  extra: extraHeaders,
  chunked: fc.boolean(),
}).map((r) => ({ ...r, body })));

function headersOf(r) {
  const h = { ...r.extra };
  if (r.target !== undefined) h['x-amz-target'] = r.target;
  if (r.contentType !== undefined) h['content-type'] = r.contentType;
  if (r.authorization !== undefined) h.authorization = r.authorization;
  return h;
}

// ---- properties -----------------------------------------------------------

/** Whether a JSON body holds an array with a null element (the known bug at the end of this file). */

fuzz('serve: any request gets 200 JSON or a 4xx AWS JSON error, and the server answers honestly after', () => fc.asyncProperty(
  request,
  async (r) => {
    const answer = await within(30_000, send({ method: r.method, path: r.path, headers: headersOf(r), body: r.body, chunked: r.chunked }), 'the answer');
    checkAnswer(answer, r.method);
    if (r.body.length > 1024 * 1024 && r.method === 'POST' && r.path === '/') assert.equal(answer.status, 413);
    await honest();
  },
), { smoke: 100, weight: 1, shrink: false });

/** Raw bytes on a socket; resolves with what the server sent before closing (or after `ms`). */
function rawExchange(bytes, ms = 300) {
  return new Promise((resolve) => {
    const chunks = [];
    const socket = net.connect(PORT, '127.0.0.1', () => {
      socket.end(bytes);
    });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', done);
    socket.on('close', done);
  });
}

const rawStream = fc.oneof(
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
  fc.tuple(
    fc.constantFrom('POST', 'GET', 'P0ST', '', 'POST POST'),
    fc.constantFrom('/', '', '/ /', '\x00', 'http://x/'),
    fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', ''),
    fc.array(fc.tuple(fc.constantFrom('Content-Length', 'Transfer-Encoding', 'X-Amz-Target', 'Content-Type', 'Host', 'Expect'), fc.oneof(headerText, fc.constantFrom('-1', '99999999999', 'chunked', 'chunked, chunked', '100-continue', 'TrentService.ListKeys', ' 5', '0x10'))), { maxLength: 5 }),
    fc.oneof(fc.constantFrom('', '{}', '5\r\n{}\r\n0\r\n\r\n', 'zz\r\n', '{"KeyId":'), fc.string({ maxLength: 100 })),
  ).map(([m, p, v, hs, body]) => Buffer.from(`${m} ${p} ${v}\r\n${hs.map(([k, x]) => `${k}: ${x}\r\n`).join('')}\r\n${body}`, 'latin1')),
);

fuzz('serve: raw bytes on a socket never bring the server down; its own answers stay AWS-shaped', () => fc.asyncProperty(
  rawStream,
  async (bytes) => {
    const got = await rawExchange(bytes);
    // An answer from server.js (it has a request id) is AWS-shaped; Node's HTTP
    // parser answers broken framing on its own (a bare 400 and a close).
    for (const part of got.split(/(?=HTTP\/1\.1 \d{3} )/)) {
      if (!/x-amzn-requestid/i.test(part)) continue;
      const [head, ...rest] = part.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)[1]);
      assert.ok(status < 500, `HTTP ${status}: ${part.slice(0, 300)}`);
      const text = rest.join('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(head);
      if (len && text.length >= Number(len[1])) {
        const json = JSON.parse(text.slice(0, Number(len[1])));
        if (status !== 200) assert.deepEqual(Object.keys(json).sort(), ['__type', 'message']);
      }
    }
    await honest();
  },
), { smoke: 30, weight: 0.3, shrink: false });

const call = async (op, body) => {
  const r = await send({ headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}`, authorization: AUTH }, body: Buffer.from(JSON.stringify(body)) });
  return { ...r, json: checkAnswer(r, 'POST') };
};

const contextArb = fc.dictionary(fc.oneof(unicode.filter((s) => s.length > 0), fc.constantFrom('__proto__', 'constructor', 'Plaintext')), unicode.filter((s) => s.length > 0), { maxKeys: 4 })
  .map((entries) => {
    const o = {};
    for (const k of Object.keys(entries)) Object.defineProperty(o, k, { value: entries[k], enumerable: true, writable: true, configurable: true });
    return o;
  });

// Its own key: the request property may disable or delete the template's keys.
const ROUND_TRIP_KEY = (await kms.createKey({ Description: 'round trips' })).KeyMetadata.KeyId;
fuzz('serve: base64 blobs and encryption contexts round trip through Encrypt/Decrypt; GenerateRandom gives the bytes asked for', () => fc.asyncProperty(
  fc.uint8Array({ minLength: 1, maxLength: 4096 }), contextArb, fc.integer({ min: 1, max: 1024 }),
  async (plaintext, context, n) => {
    const enc = await call('Encrypt', { KeyId: ROUND_TRIP_KEY, Plaintext: b64(plaintext), EncryptionContext: context });
    const wellFormed = Object.keys(context).every((k) => k === k.toWellFormed() && context[k] === context[k].toWellFormed());
    if (!wellFormed) {
      // A lone surrogate has no UTF-8 form: refused, never taken as U+FFFD
      // (which would make '\uD800' and '\uDFFF' one context).
      assert.equal(enc.json.__type, 'ValidationException', `Encrypt: ${enc.text}`);
      return;
    }
    assert.equal(enc.status, 200, `Encrypt: ${enc.text}`);
    assert.match(enc.json.CiphertextBlob, /^[A-Za-z0-9+/]+={0,2}$/);
    const dec = await call('Decrypt', { CiphertextBlob: enc.json.CiphertextBlob, EncryptionContext: context });
    assert.equal(dec.status, 200, dec.text);
    assert.equal(dec.json.Plaintext, b64(plaintext));
    const other = await call('Decrypt', { CiphertextBlob: enc.json.CiphertextBlob, EncryptionContext: { ...context, extra: 'x' } });
    assert.equal(other.json.__type, 'InvalidCiphertextException');
    const random = await call('GenerateRandom', { NumberOfBytes: n });
    assert.equal(random.status, 200, random.text);
    assert.equal(Buffer.from(random.json.Plaintext, 'base64').length, n);
  },
), { smoke: 20, weight: 0.5 });

const importKey = await kms.createKey({ Origin: 'EXTERNAL' });
const MATERIAL = randomBytes(32); // a key's material, once imported, is the only one it takes again
fuzz('serve: ImportKeyMaterial ValidTo (epoch seconds, with a fraction) comes back from DescribeKey to the millisecond', () => fc.asyncProperty(
  // from a minute ahead to 300 days ahead, with milliseconds (and sub-millisecond noise)
  fc.integer({ min: 60_000, max: 300 * 86_400_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }),
  async (aheadMs, noise) => {
    const params = await call('GetParametersForImport', { KeyId: importKey.KeyMetadata.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    assert.equal(params.status, 200, params.text);
    const wrapped = publicEncrypt({ key: Buffer.from(params.json.PublicKey, 'base64'), format: 'der', type: 'spki', padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, MATERIAL);
    const validTo = (Date.now() + aheadMs + noise) / 1000;
    const imported = await call('ImportKeyMaterial', { KeyId: importKey.KeyMetadata.KeyId, ImportToken: params.json.ImportToken, EncryptedKeyMaterial: b64(wrapped), ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo });
    assert.equal(imported.status, 200, imported.text);
    const described = await call('DescribeKey', { KeyId: importKey.KeyMetadata.KeyId });
    assert.equal(described.json.KeyMetadata.ValidTo, Math.round(validTo * 1000) / 1000);
    const deleted = await call('DeleteImportedKeyMaterial', { KeyId: importKey.KeyMetadata.KeyId });
    assert.equal(deleted.status, 200, deleted.text);
  },
), { smoke: 1, weight: 0.01 });

// WAS FAILING, fixed (the stored grant constraints skipped unset members, which postcard cannot read back; found by the first property, seed 890038021 at run 190,
// reduced by delta debugging to two requests; the bug is in the engines,
// outside this change): on a KMS still on the core engine, CreateGrant with
// `Constraints` (EncryptionContextSubset or EncryptionContextEquals), then
// the first call that needs the full engine (GetParametersForImport,
// ImportKeyMaterial) answers HTTP 500 KMSInternalException "The KMS core
// failed (TypeError: Cannot read properties of null (reading 'takeEvents'))
// and was restarted from its last saved state; the call changed nothing.
// Recovery failed too (The stored state cannot be used: its contents cannot
// be decoded.)", and from then on EVERY call (ListKeys too) answers
// KMSInvalidStoreException "The stored state cannot be used: its contents
// cannot be decoded." — the full engine cannot decode the core's snapshot of
// a grant with constraints. The same happens without serve
// (kms.createGrant({ ..., Constraints }) then kms.getParametersForImport(...))
// and not with engine: 'full' from the start, nor for a grant without
// constraints.
fuzz('serve: a grant with constraints survives the KMS\'s move to the full engine', () => fc.asyncProperty(
  fc.constantFrom('EncryptionContextSubset', 'EncryptionContextEquals'),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ minLength: 1, maxLength: 8 }), { minKeys: 1, maxKeys: 3 }),
  async (kind, context) => {
    const own = await createKms({ accountId: ACCOUNT });
    const srv = await startServer({ port: 0, kms: own, insecureNoAuth: true, warn: () => {} });
    try {
      const post = async (op, body) => {
        const res = await fetch(srv.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` }, body: JSON.stringify(body) });
        return { status: res.status, json: await res.json() };
      };
      const key = (await post('CreateKey', { Origin: 'EXTERNAL' })).json.KeyMetadata.KeyId;
      const grant = await post('CreateGrant', { KeyId: key, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/bob`, Operations: ['Encrypt'], Constraints: { [kind]: context } });
      assert.equal(grant.status, 200, JSON.stringify(grant.json));
      const full = await post('ImportKeyMaterial', { KeyId: key }); // needs the full engine; fails validation there
      assert.ok(full.status < 500, JSON.stringify(full.json));
      const list = await post('ListGrants', { KeyId: key });
      assert.equal(list.status, 200, JSON.stringify(list.json));
      assert.deepEqual(list.json.Grants[0].Constraints, { [kind]: { ...context } }); // (fast-check's dictionaries have no prototype)
    } finally {
      await srv.close();
    }
  },
), { smoke: 5, weight: 0.02 });

// WAS FAILING, fixed (null list elements are refused by convert.js; found by the first property in a long run, seed 1169643908
// at run 6429; the bug is in the wasm's request decoding, outside this
// change): a map member (EncryptionContext, SourceEncryptionContext, ...)
// given as an array whose element is null, e.g.
//   {"KeyId":"<a key>","Plaintext":"AA==","EncryptionContext":[null]}
// (through serve, or kms.encrypt({ ..., EncryptionContext: [null] }) in JS)
// answers KMSInternalException (HTTP 500) "The KMS core failed (TypeError:
// Cannot read properties of null (reading '0')) and was restarted from its
// last saved state; the call changed nothing." — the decoder reads an array
// as [key, value] entries and reads entry[0] of null — instead of the
// ValidationException it gives for ["x"] or [1, "x"] ("value at
// 'EncryptionContext.x' has the wrong type"), and the KMS core is restarted
// for it.
fuzz('serve: a map member given as an array with a null element is a 4xx, not a trap', () => fc.asyncProperty(
  fc.constantFrom('Encrypt', 'GenerateDataKey', 'Decrypt', 'ReEncrypt'),
  fc.array(fc.oneof(fc.constant(null), fc.string({ maxLength: 4 }), fc.integer()), { minLength: 1, maxLength: 3 }).filter((a) => a.includes(null)),
  async (op, array) => {
    const body = { ...TEMPLATES[op] };
    const member = op === 'ReEncrypt' ? 'SourceEncryptionContext' : 'EncryptionContext';
    body[member] = array;
    const r = await send({ headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}`, authorization: AUTH }, body: Buffer.from(JSON.stringify(body)) });
    checkAnswer(r, 'POST');
    await honest();
  },
), { smoke: 5, weight: 0.01 });
