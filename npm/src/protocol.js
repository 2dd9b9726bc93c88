// The AWS KMS JSON 1.1 protocol: one request in, one response out. Shared by
// `kms-wasm serve` (serve/server.js, over HTTP) and requestHandler
// (request-handler.js, the AWS SDK's own KMSClient in-process), so both speak
// exactly the same wire format:
//
//   POST /   X-Amz-Target: TrentService.<Operation>
//            Content-Type: application/x-amz-json-1.1
//            body: the AWS request as JSON
//
// answers 200 with the AWS response as JSON, or an error
// `{"__type": "<ExceptionName>", "message": "..."}` with HTTP 400 (500 for
// KMSInternalException) and an `x-amzn-ErrorType` header; every answer
// carries an `x-amzn-RequestId`, which the call's audit record carries too.
// As in the AWS JSON protocol, blob members (CiphertextBlob, Plaintext, ...)
// are base64 strings and timestamps are epoch seconds (with milliseconds as
// a fraction).
//
// The call goes through `requestView(kms, { region, requestId })`: the region
// is the one of the request's SigV4 credential scope (`Credential=AKID/DATE/
// REGION/kms/aws4_request`), or the caller's default. Verifying the
// signature is not this module's business: serve does it (sigv4.js) before
// answering; the in-process handler does not (the credentials are the app's
// own).
//
// Portable (Node and browsers): no Node module is imported; Buffer is used
// for base64 where there is one (Node), Uint8Array.fromBase64/toBase64 or
// atob/btoa elsewhere. Byte arrays made from the request and those of the
// response are overwritten once the answer is made; the JSON texts, being
// strings, cannot be.

import { OPERATIONS, OTHER_KMS_OPERATIONS, REQUEST_BLOBS, REQUEST_TIMESTAMPS, REGIONS } from './api.js';
import { KmsError } from './errors.js';
import { requestView } from './client/request-view.js';

export const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'TrentService.';
const CONTENT_TYPE_RE = /^application\/(x-amz-json-1\.[01]|json)\s*(;|$)/i;
const INTERNAL_ERROR = 'An internal error occurred in kms-wasm.';

const IMPLEMENTED = new Set(OPERATIONS);
/** AWS KMS operations the package does not implement: UnsupportedOperationException rather than an unknown operation. */
const OTHER = new Set(OTHER_KMS_OPERATIONS);

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
export class ProtocolError extends Error {
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

// ---- base64 ----------------------------------------------------------------

const NodeBuffer = typeof globalThis.Buffer === 'function' ? globalThis.Buffer : undefined;

/** Bytes of a base64 text already checked against BASE64_RE. */
const fromBase64 = NodeBuffer
  ? (text) => {
    const buf = NodeBuffer.from(text, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  : typeof Uint8Array.fromBase64 === 'function'
    ? (text) => Uint8Array.fromBase64(text)
    : (text) => {
      const binary = atob(text);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return bytes;
    };

/** The base64 text of a byte array view. */
const toBase64 = NodeBuffer
  ? (v) => NodeBuffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  : typeof Uint8Array.prototype.toBase64 === 'function'
    ? (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength).toBase64()
    : (v) => {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    };

// ---- conversions -----------------------------------------------------------

function decodeBlob(member, v) {
  if (typeof v !== 'string') throw serialization(`The value of '${member}' must be a base64 string.`);
  if (v.length % 4 !== 0 || !BASE64_RE.test(v)) throw serialization(`The value of '${member}' is not valid base64.`);
  return fromBase64(v);
}

function decodeTimestamp(member, v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw serialization(`The value of '${member}' must be a timestamp in epoch seconds.`);
  }
  return new Date(Math.round(v * 1000));
}

/** The JSON request as the KMS client takes it: blobs as bytes, timestamps as Dates. Records the byte arrays made in `owned`. */
export function fromWire(body, owned) {
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
export function toWire(v, seen) {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.getTime() / 1000;
  if (ArrayBuffer.isView(v)) {
    seen.push(v);
    return toBase64(v);
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

/** Overwrites byte arrays with zeros (those that can be written). */
export function wipe(arrays) {
  for (const a of arrays) {
    try {
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0);
    } catch {
      // a view that cannot be written: nothing to do
    }
  }
}

// BOM kept, as Node's Buffer#toString keeps it: a body starting with one is not JSON.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The request body (bytes or a string; nothing is an empty body) as a JSON object. */
function parseJson(body) {
  const text = body === undefined || body === null ? '' : typeof body === 'string' ? body : utf8Decoder.decode(body);
  if (text.trim() === '') return {};
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw serialization('The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw serialization('The request body must be a JSON object.');
  }
  return parsed;
}

// ---- requests --------------------------------------------------------------

/**
 * The refusal of a request that is not `POST /` (query strings aside), or
 * null. Checked before the body is read.
 */
export function routeError(method, url) {
  if (method !== 'POST') {
    return new ProtocolError('UnknownOperationException', 'kms-wasm answers POST / with an X-Amz-Target header (TrentService.<Operation>).', 405);
  }
  const path = (url ?? '/').split('?')[0];
  if (path !== '/') {
    return new ProtocolError('UnknownOperationException', `There is nothing at ${JSON.stringify(path).slice(0, 80)}; requests go to POST /.`, 404);
  }
  return null;
}

/** The AWS operation an `X-Amz-Target` names; a ProtocolError when it names none that kms-wasm answers. */
function operationOf(target) {
  if (typeof target !== 'string' || target === '') {
    throw new ProtocolError('UnknownOperationException', 'The request has no X-Amz-Target header (TrentService.<Operation>).');
  }
  const op = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  if (IMPLEMENTED.has(op)) return op;
  if (OTHER.has(op)) throw new ProtocolError('UnsupportedOperationException', `kms-wasm does not implement ${op}.`);
  throw new ProtocolError('UnknownOperationException', `The X-Amz-Target ${JSON.stringify(target.slice(0, 80))} is not an operation of AWS KMS (TrentService).`);
}

const CREDENTIAL_RE = /Credential=([^/,\s]+)\/(?:[^/,\s]*\/([^/,\s]*)\/)?/;

/**
 * The access key id and region of a SigV4 `Authorization` header's
 * credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`),
 * unverified; undefined when it has none.
 * @returns {{ accessKeyId: string, region: string | undefined } | undefined}
 */
export function credentialScope(authorization) {
  if (typeof authorization !== 'string') return undefined;
  const m = CREDENTIAL_RE.exec(authorization);
  return m ? { accessKeyId: m[1], region: m[2] || undefined } : undefined;
}

/** A new request id (a UUID, as AWS's `x-amzn-RequestId`). */
export function newRequestId() {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  // Outside secure contexts browsers have no randomUUID: a version 4 UUID by hand.
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---- responses -------------------------------------------------------------

/**
 * One answer: HTTP status, headers (AWS's spelling; HTTP readers lower-case
 * them) and the JSON text of the body.
 * @typedef {{ status: number, headers: Record<string, string>, body: string }} Answer
 */

/** @returns {Answer} */
function answerWith(status, body, requestId, headers) {
  return { status, headers: { 'Content-Type': CONTENT_TYPE, 'x-amzn-RequestId': requestId, ...headers }, body: JSON.stringify(body) };
}

/**
 * The AWS error answer for what a request failed with: a ProtocolError or a
 * KmsError as itself, anything else as a KMSInternalException that never
 * echoes internals.
 * @returns {Answer}
 */
export function errorAnswer(e, requestId) {
  let name = 'KMSInternalException';
  let message = INTERNAL_ERROR;
  let status = 500;
  if (e instanceof ProtocolError) {
    ({ name, message, status } = e);
  } else if (e instanceof KmsError) {
    ({ name, message } = e);
    status = name === 'KMSInternalException' || name === 'KmsClosedException' ? 500 : 400;
  }
  return answerWith(status, { __type: name, message }, requestId, { 'x-amzn-ErrorType': name });
}

/**
 * Answers one request on `kms` (a KMS or a view of one, e.g. the verified
 * caller's): checks the content type and the target, converts the JSON
 * body, makes the call through `requestView(kms, { region, requestId })`
 * and converts its response. Never rejects: a failure is its AWS error answer.
 * @param {import('./client.js').Kms} kms
 * @param {{ target?: string, contentType?: string, body?: Uint8Array | string, region?: string, requestId?: string }} request
 * @returns {Promise<Answer>}
 */
export async function answer(kms, { target, contentType, body, region, requestId = newRequestId() }) {
  const blobs = [];
  try {
    if (contentType !== undefined && !CONTENT_TYPE_RE.test(contentType)) {
      throw serialization(`The Content-Type must be ${CONTENT_TYPE}.`);
    }
    const op = operationOf(target);
    // A credential scope must name a region AWS has (or the KMS's own).
    if (region !== undefined && region !== kms.region && !REGIONS.includes(region)) {
      const shown = String(region).replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
      throw new ProtocolError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${shown}'.`);
    }
    const input = fromWire(parseJson(body), blobs);
    const output = await requestView(kms, { region, requestId })[lowerCamel(op)](input);
    const seen = [];
    const text = toWire(output ?? {}, seen);
    wipe(seen);
    return answerWith(200, text, requestId);
  } catch (e) {
    return errorAnswer(e, requestId);
  } finally {
    wipe(blobs);
  }
}
