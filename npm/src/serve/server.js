// `kms-wasm serve`: the AWS KMS JSON 1.1 protocol over HTTP, on 127.0.0.1.
//
// Any AWS SDK or tool pointed at the URL (`endpoint` / `--endpoint-url`)
// talks to a kms-wasm KMS as it would to AWS KMS:
//
//   POST /   X-Amz-Target: TrentService.<Operation>
//            Content-Type: application/x-amz-json-1.1
//            body: the AWS request as JSON
//
// answers 200 with the AWS response as JSON, or an error
// `{"__type": "<ExceptionName>", "message": "..."}` with HTTP 400 (500 for
// KMSInternalException). As in the AWS JSON protocol, blob members
// (CiphertextBlob, Plaintext, ...) are base64 strings and timestamps are
// epoch seconds (with milliseconds as a fraction).
//
// Requests are NOT authenticated: the SigV4 signature is not checked, so
// any client that can reach the port can use every key. That is why the
// server binds 127.0.0.1 by default; do not expose it. The access key id
// of the `Authorization` header (`Credential=AKID/...`) only says who the
// caller is, through the optional config:
//
//   { "accessKeys": { "AKID": "arn:aws:iam::111122223333:user/alice" },
//     "accountId": "111122223333", "region": "us-east-1" }
//
// With `accessKeys`, each call is made by the principal its access key
// maps to (a `kms.withCaller(arn)` view), so key policies and grants are
// exercised; a request with an unlisted access key or none is refused
// (UnrecognizedClientException / MissingAuthenticationTokenException).
// Without `accessKeys`, every call is made by the KMS's caller (the
// account's root by default). `accountId` and `region` are those of the
// KMS the server creates.
//
// Calls go through the KMS client's queue (one at a time, each committed
// to the store before it answers), so concurrent requests are safe. Plaintexts
// and data keys pass through JS strings (JSON, base64), which cannot be wiped;
// the byte arrays the server handles are overwritten when it is done with them.
//
// Connections, request bytes in memory and the time a client may take are
// bounded (limits.js: `limits` of startServer, `serve --max-connections` ...).

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createKms, fileStore } from '../node.js';
import { OPERATIONS, OTHER_KMS_OPERATIONS as OTHER_KMS_OPERATION_NAMES, REQUEST_BLOBS, REQUEST_TIMESTAMPS } from '../api.js';
import { KmsError } from '../errors.js';
import { createLimits } from './limits.js';

const TARGET_PREFIX = 'TrentService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** How long close() waits for requests in flight before cutting their connections (ms). */
const CLOSE_GRACE_MS = 5000;

/** AWS KMS operations the package does not implement: UnsupportedOperationException rather than an unknown operation. */
const OTHER_KMS_OPERATIONS = new Set(OTHER_KMS_OPERATION_NAMES);

/**
 * Blob members of AWS KMS requests (from the service model: every blob
 * member of every operation's input is a top-level member, except
 * `Recipient.AttestationDocument`). Member names are unique in type across
 * the model, and maps (EncryptionContext) are never walked, so a context
 * key named `Plaintext` stays a string.
 */
const REQUEST_BLOB_MEMBERS = new Set(REQUEST_BLOBS);
/** Timestamp members of AWS KMS requests (ImportKeyMaterial's ValidTo). */
const REQUEST_TIMESTAMP_MEMBERS = new Set(REQUEST_TIMESTAMPS);

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A failure of the protocol layer, answered as an AWS error. */
class ProtocolError extends Error {
  constructor(name, message, status = 400) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

const serialization = (message) => new ProtocolError('SerializationException', message);

function lowerCamel(name) {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

// ---- configuration ---------------------------------------------------------

/**
 * The server's config: a path (string or URL) to a JSON file, an object, or nothing.
 * @returns {{ accessKeys: Map<string, string> | null, accountId?: string, region?: string }}
 */
export function loadConfig(config) {
  if (config === undefined || config === null) return { accessKeys: null };
  let raw = config;
  if (typeof config === 'string' || config instanceof URL) {
    let text;
    try {
      text = readFileSync(config, 'utf8');
    } catch (e) {
      throw new Error(`kms-wasm serve: cannot read the config file ${config} (${e.code ?? e.message}).`);
    }
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new Error(`kms-wasm serve: the config file ${config} is not valid JSON (${e.message}).`);
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('kms-wasm serve: the config must be a JSON object { "accessKeys": { "AKID": "principal ARN" }, "accountId": "...", "region": "..." }.');
  }
  const known = new Set(['accessKeys', 'accountId', 'region']);
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new Error(`kms-wasm serve: unknown config member(s) ${unknown.join(', ')}; the config takes accessKeys, accountId and region.`);
  }
  const out = { accessKeys: null };
  for (const k of ['accountId', 'region']) {
    if (raw[k] === undefined) continue;
    if (typeof raw[k] !== 'string' || raw[k] === '') throw new Error(`kms-wasm serve: config ${k} must be a non-empty string.`);
    out[k] = raw[k];
  }
  if (raw.accessKeys !== undefined) {
    const keys = raw.accessKeys;
    if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) {
      throw new Error('kms-wasm serve: config accessKeys must map access key ids to principal ARNs.');
    }
    out.accessKeys = new Map();
    for (const [akid, arn] of Object.entries(keys)) {
      if (typeof arn !== 'string' || arn === '') {
        throw new Error(`kms-wasm serve: config accessKeys.${akid} must be a principal ARN (a non-empty string).`);
      }
      out.accessKeys.set(akid, arn);
    }
  }
  return out;
}

/** The access key id of a SigV4 `Authorization` header, or undefined. */
export function accessKeyOf(authorization) {
  if (typeof authorization !== 'string') return undefined;
  const m = /Credential=([^/,\s]+)\//.exec(authorization);
  return m ? m[1] : undefined;
}

// ---- conversions -----------------------------------------------------------

function decodeBlob(member, v) {
  if (typeof v !== 'string') throw serialization(`The value of '${member}' must be a base64 string.`);
  if (v.length % 4 !== 0 || !BASE64_RE.test(v)) throw serialization(`The value of '${member}' is not valid base64.`);
  const buf = Buffer.from(v, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function decodeTimestamp(member, v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw serialization(`The value of '${member}' must be a timestamp in epoch seconds.`);
  }
  return new Date(Math.round(v * 1000));
}

/** The JSON request as the KMS client takes it: blobs as bytes, timestamps as Dates. Records the byte arrays made in `owned`. */
function fromWire(body, owned) {
  const req = { ...body };
  for (const key of Object.keys(req)) {
    const v = req[key];
    if (v === null || v === undefined) continue;
    if (REQUEST_BLOB_MEMBERS.has(key)) {
      req[key] = decodeBlob(key, v);
      owned.push(req[key]);
    } else if (REQUEST_TIMESTAMP_MEMBERS.has(key)) {
      req[key] = decodeTimestamp(key, v);
    }
  }
  const recipient = req.Recipient;
  if (recipient && typeof recipient === 'object' && !Array.isArray(recipient) && recipient.AttestationDocument != null) {
    const doc = decodeBlob('Recipient.AttestationDocument', recipient.AttestationDocument);
    owned.push(doc);
    req.Recipient = { ...recipient, AttestationDocument: doc };
  }
  return req;
}

/** A response value as JSON: bytes as base64, Dates as epoch seconds. Records the byte arrays seen in `seen`. */
function toWire(v, seen) {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.getTime() / 1000;
  if (ArrayBuffer.isView(v)) {
    seen.push(v);
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  }
  if (Array.isArray(v)) return v.map((x) => toWire(x, seen));
  const out = {};
  for (const key of Object.keys(v)) {
    const x = v[key];
    if (x === undefined) continue;
    out[key] = toWire(x, seen);
  }
  return out;
}

function wipe(arrays) {
  for (const a of arrays) {
    try {
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0);
    } catch {
      // a view that cannot be written: nothing to do
    }
  }
}

// ---- HTTP ------------------------------------------------------------------

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function sendError(res, name, message, status) {
  send(res, status, { __type: name, message }, { 'x-amzn-ErrorType': name });
}

function parseJson(bytes) {
  const text = bytes.toString('utf8');
  if (text.trim() === '') return {};
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw serialization('The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw serialization('The request body must be a JSON object.');
  }
  return body;
}

function statusOf(e) {
  if (e instanceof ProtocolError) return e.status;
  return e.name === 'KMSInternalException' || e.name === 'KmsClosedException' ? 500 : 400;
}

/**
 * Starts the server. `store`: a directory path (or URL) for a `fileStore`
 * (root key in the key file `PATH.key` beside it, created on first use with
 * mode 0600), a store object, or nothing for a memory store. `kms`: an
 * existing KMS to serve instead (then `store` must not be given, and the
 * config's accountId/region do not apply). `config`: see the top of this
 * file (a path to a JSON file, or the object). `port` 0 picks a free port.
 * `limits`: connections, request bytes and timeouts (limits.js, DEFAULT_LIMITS).
 * @returns {Promise<{ url: string, host: string, port: number, kms: object, limits(): object, close(): Promise<void> }>}
 */
export async function startServer({ host = '127.0.0.1', port = 4599, store, kms, config, limits: limitOptions } = {}) {
  const cfg = loadConfig(config);
  const limits = createLimits(limitOptions, { error: (name, message, status) => new ProtocolError(name, message, status) });
  if (kms && store !== undefined) throw new Error('kms-wasm serve: give either kms or store, not both.');
  let owned = false;
  if (!kms) {
    const options = {};
    if (cfg.accountId) options.accountId = cfg.accountId;
    if (cfg.region) options.region = cfg.region;
    if (typeof store === 'string' || store instanceof URL) options.store = fileStore(store);
    else if (store !== undefined && store !== null) options.store = store;
    kms = await createKms(options);
    owned = true;
  }
  const views = new Map();
  const viewOf = (akid) => {
    if (!cfg.accessKeys) return kms;
    if (akid === undefined) {
      throw new ProtocolError('MissingAuthenticationTokenException', 'The request has no AWS SigV4 Authorization header naming an access key.', 403);
    }
    const arn = cfg.accessKeys.get(akid);
    if (arn === undefined) {
      throw new ProtocolError('UnrecognizedClientException', 'The access key id of the request is not in the server config.');
    }
    let view = views.get(akid);
    if (!view) views.set(akid, (view = kms.withCaller(arn)));
    return view;
  };

  let inFlight = 0;
  let idle = null;
  const handle = async (req, res) => {
    if (req.method !== 'POST') {
      sendError(res, 'UnknownOperationException', 'kms-wasm serve answers POST / with an X-Amz-Target header (TrentService.<Operation>).', 405);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/') {
      sendError(res, 'UnknownOperationException', `There is nothing at ${JSON.stringify(path).slice(0, 80)}; requests go to POST /.`, 404);
      return;
    }
    const blobs = [];
    try {
      const bytes = await limits.readBody(req, res);
      const type = req.headers['content-type'];
      if (type !== undefined && !/^application\/(x-amz-json-1\.[01]|json)\s*(;|$)/i.test(type)) {
        throw serialization(`The Content-Type must be ${CONTENT_TYPE}.`);
      }
      const target = req.headers['x-amz-target'];
      if (typeof target !== 'string' || target === '') {
        throw new ProtocolError('UnknownOperationException', 'The request has no X-Amz-Target header (TrentService.<Operation>).');
      }
      const op = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      if (!OPERATIONS.includes(op)) {
        if (OTHER_KMS_OPERATIONS.has(op)) {
          throw new ProtocolError('UnsupportedOperationException', `kms-wasm does not implement ${op}.`);
        }
        throw new ProtocolError('UnknownOperationException', `The X-Amz-Target ${JSON.stringify(target.slice(0, 80))} is not an operation of AWS KMS (TrentService).`);
      }
      const view = viewOf(accessKeyOf(req.headers.authorization));
      const input = fromWire(parseJson(bytes), blobs);
      const output = await view[lowerCamel(op)](input);
      const seen = [];
      const body = toWire(output ?? {}, seen);
      wipe(seen);
      send(res, 200, body);
    } catch (e) {
      if (e instanceof ProtocolError || e instanceof KmsError) {
        sendError(res, e.name, e.message, statusOf(e));
      } else {
        // Not an AWS error: never echo internals to the client.
        sendError(res, 'KMSInternalException', 'An internal error occurred in kms-wasm serve.', 500);
      }
    } finally {
      wipe(blobs);
    }
  };

  const server = createServer(limits.serverOptions, (req, res) => {
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      if (inFlight === 0 && idle) idle();
    });
    handle(req, res).catch(() => {
      if (!res.headersSent) sendError(res, 'KMSInternalException', 'An internal error occurred in kms-wasm serve.', 500);
      else res.destroy();
    });
  });

  // Connection cap, header/body/keep-alive timeouts, AWS-shaped refusals (limits.js).
  limits.attach(server);
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    if (owned) await kms.close().catch(() => {});
    throw e;
  }
  const address = server.address();
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let closing = null;
  return {
    url,
    host: address.address,
    port: address.port,
    kms,
    /** The limits in force and what they have refused or cut so far. */
    limits: () => limits.stats(),
    /** Stops accepting requests, lets those in flight finish, then closes the KMS (and its store) if the server made it. */
    close() {
      if (closing) return closing;
      closing = (async () => {
        const closed = new Promise((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          // Requests in flight finish (a KMS call is quick); a client that never ends its request is cut off.
          let timer;
          await new Promise((resolve) => {
            idle = resolve;
            timer = setTimeout(resolve, CLOSE_GRACE_MS);
          });
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await closed;
        if (owned) await kms.close();
      })();
      return closing;
    },
  };
}
