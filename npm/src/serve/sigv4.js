// AWS Signature Version 4 verification for `kms-wasm serve`.
//
// Every request must carry `Authorization: AWS4-HMAC-SHA256 Credential=AKID/
// YYYYMMDD/REGION/kms/aws4_request, SignedHeaders=..., Signature=...` made
// with the secret of a configured access key. The expected signature is
// computed by @smithy/signature-v4 (the signer of the AWS SDK for
// JavaScript) over the request as received: the canonical request (method,
// path, query, the signed headers with their values, the SHA-256 of the
// body), the string to sign and the signing key of the credential scope.
// It is compared with the client's in constant time.
//
// Rules (AWS's, as the SigV4 documentation gives them):
// - the credential scope is `DATE/REGION/kms/aws4_request`; DATE is the day
//   of `X-Amz-Date`; REGION is any region, or the server's when the config
//   sets `region`;
// - `X-Amz-Date` is within 5 minutes of the server's clock, either way;
// - `host` and `x-amz-date` are among the signed headers;
// - the payload hash is the SHA-256 of the body; an `x-amz-content-sha256`
//   header must carry that same hash (so a signed header cannot vouch for
//   another body);
// - a credential with a session token needs `X-Amz-Security-Token` equal to
//   it; a credential without one refuses a request that has one.
//
// Failures are AWS's exceptions, in the AWS JSON error shape the server uses
// (`{ __type, message }`). Names and texts, and where they come from:
//
// | case | exception (HTTP) | text | source |
// |---|---|---|---|
// | no `Authorization` header | MissingAuthenticationTokenException (403) | `Missing Authentication Token` | AWS Common Errors (MissingAuthenticationToken, HTTP 403); the text AWS JSON/REST services answer (API Gateway and JSON services: "Missing Authentication Token") |
// | `Authorization` lacks Credential / SignedHeaders / Signature, or no `X-Amz-Date` | IncompleteSignatureException (400) | `Authorization header requires 'Credential' parameter. ... Authorization=<header>`, `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ...` | AWS's answers as users quote them (e.g. API Gateway, DynamoDB); AWS Common Errors: IncompleteSignature, HTTP 400 |
// | another algorithm than AWS4-HMAC-SHA256, a malformed credential or X-Amz-Date, a `Date` header without `X-Amz-Date` (AWS takes either; kms-wasm only X-Amz-Date, which every SDK sends) | IncompleteSignatureException (400) | ours, in AWS's style | ours |
// | `host` not signed | IncompleteSignatureException (400) | `'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.` | AWS's answer as users quote it |
// | `x-amz-date` not signed | IncompleteSignatureException (400) | `'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.` | ours, after the `host` text |
// | an access key id not configured | UnrecognizedClientException (400) | `The security token included in the request is invalid.` | AWS KMS / AWS JSON 1.1 services (the AWS CLI's "An error occurred (UnrecognizedClientException) ... The security token included in the request is invalid.") |
// | a session token missing, wrong, or given to a credential without one | UnrecognizedClientException (400) | `The security token included in the request is invalid.` | as above (AWS answers a bad session token so) |
// | `X-Amz-Date` more than 5 min behind | InvalidSignatureException (400) | `Signature expired: <date> is now earlier than <now - 5 min> (<now> - 5 min.)` | AWS JSON services' clock-skew answer (InvalidSignatureException, as the AWS CLI shows it for KMS, EKS, ...); the 5 minutes: SigV4 documentation |
// | `X-Amz-Date` more than 5 min ahead | InvalidSignatureException (400) | `Signature not yet current: <date> is still later than <now + 5 min> (<now> + 5 min.)` | as above |
// | scope date is not the day of `X-Amz-Date` | InvalidSignatureException (400) | `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '<scope>' != '<day>', from '<X-Amz-Date>'.` | AWS's answer as users quote it |
// | scope service is not kms | InvalidSignatureException (400) | `Credential should be scoped to correct service: 'kms'.` | AWS's answer as users quote it |
// | scope region is not the server's (config `region`) | InvalidSignatureException (400) | `Credential should be scoped to a valid region, not '<region>'.` | AWS's answer as users quote it |
// | scope terminator is not aws4_request | InvalidSignatureException (400) | `Credential should be scoped with a valid terminator: 'aws4_request', not '<t>'.` | AWS's answer as users quote it |
// | wrong signature (wrong secret, a signed header or the body changed) | InvalidSignatureException (400) | `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.` | AWS KMS (AWS JSON 1.1): `{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match ..."}` (AWS SDK issue reports); query services name it SignatureDoesNotMatch |
//
// HTTP status: AWS JSON 1.1 services (KMS, DynamoDB) answer these with 400;
// MissingAuthenticationToken is 403 in AWS's Common Errors, kept here.
// Unauthenticated requests never reach the KMS, so they leave no audit
// record (CloudTrail records only authenticated calls).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { ProtocolError } from '../protocol.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'kms';
const TERMINATOR = 'aws4_request';
/** AWS allows a request's X-Amz-Date this far from its clock, either way. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

export const TEXTS = {
  missing: 'Missing Authentication Token',
  invalidToken: 'The security token included in the request is invalid.',
  mismatch: 'The request signature we calculated does not match the signature you provided. '
    + 'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
};

/** A refused request: an AWS exception name, its text and HTTP status (answered as every protocol error is). */
export class AuthError extends ProtocolError {}

const incomplete = (message) => new AuthError('IncompleteSignatureException', message);
const invalid = (message) => new AuthError('InvalidSignatureException', message);

/** SHA-256 and HMAC-SHA256 from node:crypto, in the Hash interface @smithy/signature-v4 takes. */
class Sha256 {
  constructor(secret) {
    this.secret = secret;
    this.reset();
  }

  update(data) {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  async digest() {
    return new Uint8Array(this.hash.digest());
  }

  reset() {
    this.hash = this.secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', typeof this.secret === 'string' ? Buffer.from(this.secret, 'utf8') : this.secret);
  }
}

const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Constant-time equality of two strings (false at once when their lengths differ: the length is not secret). */
function sameText(a, b) {
  const x = Buffer.from(String(a), 'utf8');
  const y = Buffer.from(String(b), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The parts of a SigV4 `Authorization` header.
 * @returns {{ accessKeyId: string, scope: string[], signedHeaders: string[], signature: string }}
 */
export function parseAuthorization(header, hasDate) {
  const text = String(header).trim();
  const space = text.indexOf(' ');
  const algorithm = space < 0 ? text : text.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw incomplete(`Unsupported Authorization algorithm '${algorithm.slice(0, 40)}': kms-wasm serve takes ${ALGORITHM} (Signature Version 4).`);
  }
  const params = new Map();
  for (const part of (space < 0 ? '' : text.slice(space + 1)).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!params.has(name)) params.set(name, part.slice(eq + 1).trim());
  }
  const missing = [];
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params.get(name)) missing.push(`Authorization header requires '${name}' parameter.`);
  }
  if (!hasDate) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length) throw incomplete(`${missing.join(' ')} Authorization=${text.slice(0, 300)}`);
  const credential = params.get('Credential').split('/');
  if (credential.length !== 5 || credential.some((p) => p === '')) {
    throw incomplete(`The Credential of the Authorization header must be ACCESS_KEY_ID/YYYYMMDD/REGION/${SERVICE}/${TERMINATOR}.`);
  }
  const signedHeaders = params.get('SignedHeaders').split(';').map((h) => h.trim().toLowerCase());
  if (signedHeaders.some((h) => h === '')) throw incomplete('The SignedHeaders of the Authorization header has an empty header name.');
  return { accessKeyId: credential[0], scope: credential.slice(1), signedHeaders, signature: params.get('Signature') };
}

const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `X-Amz-Date` (ISO 8601 basic, UTC) as epoch ms, or NaN. */
function parseAmzDate(text) {
  const m = ISO_BASIC.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  return back.getUTCDate() === d && back.getUTCMonth() === mo - 1 && h < 24 && mi < 60 && s < 60 ? t : NaN;
}

const basic = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

/** One header's value as Node gives it (a string, or an array for set-cookie). */
function headerValue(headers, name) {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * A verifier of requests: `verify({ method, url, headers, body })` resolves
 * to the credential's `{ accessKeyId, principal }` or rejects with an
 * AuthError. `credentials`: access key id -> `{ secretAccessKey, principal,
 * sessionToken? }`. `region`: the only region accepted in the scope
 * (any when undefined). `now`: the clock (ms), the real one by default.
 */
export function createVerifier({ credentials, region, now = Date.now }) {
  const signers = new Map();
  const signerOf = (accessKeyId, secretAccessKey) => {
    let signer = signers.get(accessKeyId);
    if (!signer) {
      // The session token is checked apart, and x-amz-content-sha256 never
      // added: the signer signs exactly the headers the client signed.
      signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: 'us-east-1', service: SERVICE, sha256: Sha256, applyChecksum: false });
      signers.set(accessKeyId, signer);
    }
    return signer;
  };

  return async function verify({ method, url, headers, body }) {
    const authorization = headerValue(headers, 'authorization');
    if (authorization === undefined || authorization === '') throw new AuthError('MissingAuthenticationTokenException', TEXTS.missing, 403);
    const amzDate = headerValue(headers, 'x-amz-date');
    if ((amzDate === undefined || amzDate === '') && headerValue(headers, 'date') !== undefined) {
      throw incomplete('kms-wasm serve takes the request date from the X-Amz-Date header (ISO 8601 basic), not from Date.');
    }
    const auth = parseAuthorization(authorization, amzDate !== undefined && amzDate !== '');
    const [scopeDate, scopeRegion, scopeService, terminator] = auth.scope;
    const signed = parseAmzDate(amzDate);
    if (Number.isNaN(signed)) {
      throw incomplete(`The X-Amz-Date header must be a date and time in ISO 8601 basic format (YYYYMMDD'T'HHMMSS'Z'), got '${String(amzDate).slice(0, 40)}'.`);
    }
    if (!auth.signedHeaders.includes('host')) throw incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    if (!auth.signedHeaders.includes('x-amz-date')) throw incomplete("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");

    const credential = credentials.get(auth.accessKeyId);
    if (!credential) throw new AuthError('UnrecognizedClientException', TEXTS.invalidToken);
    const token = headerValue(headers, 'x-amz-security-token');
    if (credential.sessionToken !== undefined ? !sameText(token ?? '', credential.sessionToken) : token !== undefined) {
      throw new AuthError('UnrecognizedClientException', TEXTS.invalidToken);
    }

    const t = now();
    if (signed < t - MAX_SKEW_MS) {
      throw invalid(`Signature expired: ${amzDate} is now earlier than ${basic(t - MAX_SKEW_MS)} (${basic(t)} - 5 min.)`);
    }
    if (signed > t + MAX_SKEW_MS) {
      throw invalid(`Signature not yet current: ${amzDate} is still later than ${basic(t + MAX_SKEW_MS)} (${basic(t)} + 5 min.)`);
    }
    if (scopeDate !== amzDate.slice(0, 8)) {
      throw invalid(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate.slice(0, 20)}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
    }
    if (scopeService !== SERVICE) throw invalid(`Credential should be scoped to correct service: '${SERVICE}'.`);
    if (region !== undefined && scopeRegion !== region) throw invalid(`Credential should be scoped to a valid region, not '${scopeRegion.slice(0, 40)}'.`);
    if (terminator !== TERMINATOR) throw invalid(`Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator.slice(0, 40)}'.`);

    const payloadHash = sha256Hex(body);
    const claimed = headerValue(headers, 'x-amz-content-sha256');
    if (claimed !== undefined && !sameText(claimed.trim().toLowerCase(), payloadHash)) throw invalid(TEXTS.mismatch);

    // The request as the client signed it: only its signed headers.
    const signedSet = new Set(auth.signedHeaders);
    const toSign = {};
    for (const name of signedSet) {
      const v = headerValue(headers, name);
      if (v !== undefined) toSign[name] = v;
    }
    const q = (url ?? '/').indexOf('?');
    const rawPath = q < 0 ? (url ?? '/') : url.slice(0, q);
    const query = {};
    if (q >= 0) {
      for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
        if (query[k] === undefined) query[k] = v;
        else query[k] = [].concat(query[k], v);
      }
    }
    let path;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw invalid(TEXTS.mismatch);
    }
    const hostHeader = toSign.host ?? '';
    const request = { method, protocol: 'http:', hostname: hostHeader, path, query, headers: toSign, body };
    const result = await signerOf(auth.accessKeyId, credential.secretAccessKey).sign(request, {
      signingDate: new Date(signed),
      signingRegion: scopeRegion,
      signingService: SERVICE,
      signableHeaders: signedSet,
    });
    const expected = /Signature=([0-9a-f]+)$/.exec(result.headers.authorization)?.[1] ?? '';
    const expectedList = /SignedHeaders=([^,]*),/.exec(result.headers.authorization)?.[1] ?? '';
    // Every header the client signed took part (a missing one makes the lists differ).
    const sameList = expectedList === [...signedSet].sort().join(';');
    if (!sameText(auth.signature, expected) || !sameList) throw invalid(TEXTS.mismatch);
    return { accessKeyId: auth.accessKeyId, principal: credential.principal };
  };
}
