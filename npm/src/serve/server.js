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
// Requests are authenticated as AWS does it: each must carry a Signature
// Version 4 made with a credential of the config (sigv4.js verifies it;
// config.js reads the config), and is made by that credential's principal
// (a `kms.withCaller(arn)` view), so key policies and grants are exercised
// and the audit log names it:
//
//   { "accessKeys": { "AKID": { "secretAccessKey": "...", "principal": "arn:aws:iam::111122223333:user/alice",
//                               "sessionToken": "... (optional)" } },
//     "accountId": "111122223333", "region": "us-east-1" }
//
// A request that is not signed, or not right, gets AWS's exception
// (MissingAuthenticationTokenException, IncompleteSignatureException,
// UnrecognizedClientException, InvalidSignatureException) and never reaches
// the KMS. Without credentials the server does not start, unless
// `insecureNoAuth` (--insecure-no-auth): then nothing is checked, the access
// key id alone names the caller (`"AKID": "arn:..."` accepted) or, without
// `accessKeys`, every call is the KMS's caller; the server warns on stderr
// and listens on loopback addresses only. `tls: { cert, key }` (PEM;
// --tls-cert/--tls-key) serves HTTPS. `accountId` and `region` are those of
// the KMS the server creates; with `region`, the signature's scope must name
// it.
//
// Calls go through the KMS client's queue (one at a time, each committed
// to the store before it answers), so concurrent requests are safe. Plaintexts
// and data keys pass through JS strings (JSON, base64), which cannot be wiped;
// the byte arrays the server handles are overwritten when it is done with them.
//
// Connections, request bytes in memory and the time a client may take are
// bounded (limits.js: `limits` of startServer, `serve --max-connections` ...).

import { randomUUID } from 'node:crypto';
import { createKms, fileStore } from '../node.js';
import { OPERATIONS, OTHER_KMS_OPERATIONS as OTHER_KMS_OPERATION_NAMES, REQUEST_BLOBS, REQUEST_TIMESTAMPS } from '../api.js';
import { KmsError } from '../errors.js';
import { loadConfig, accessKeyOf, authSetup, createServerFor, AuthError } from './config.js';

export { loadConfig, accessKeyOf };
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
 * `insecureNoAuth`: no signature checks (loopback only, warns through `warn`,
 * stderr by default). `tls`: `{ cert, key }` (PEM) to serve HTTPS.
 * `limits`: connections, request bytes and timeouts (limits.js, DEFAULT_LIMITS).
 * @returns {Promise<{ url: string, host: string, port: number, kms: object, limits(): object, close(): Promise<void> }>}
 */
export async function startServer({ host = '127.0.0.1', port = 4599, store, kms, config, insecureNoAuth = false, tls, warn, limits: limitOptions } = {}) {
  const cfg = loadConfig(config);
  const authenticate = authSetup(cfg, { host, insecureNoAuth, tls, warn });
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
  const viewOf = (principal) => {
    if (principal === null || principal === kms.caller) return kms;
    let view = views.get(principal);
    if (!view) views.set(principal, (view = kms.withCaller(principal)));
    return view;
  };
  /** The KMS view of the request's verified caller; an AWS error when it is not authenticated. */
  const callerOf = async (req, bytes) => {
    try {
      return viewOf(await authenticate(req, bytes));
    } catch (e) {
      throw e instanceof AuthError ? new ProtocolError(e.name, e.message, e.status) : e;
    }
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
      // Authenticated first: an unsigned caller learns nothing of the request's fate.
      const view = await callerOf(req, bytes);
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

  const server = createServerFor(tls, limits.serverOptions, (req, res) => {
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
  const url = `${tls ? 'https' : 'http'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

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
