// The configuration of `kms-wasm serve`: the config file (credentials,
// account, region), who may call (SigV4 or --insecure-no-auth), where it may
// listen, and TLS.
//
//   { "accessKeys": {
//       "AKIDALICE": { "secretAccessKey": "...", "principal": "arn:aws:iam::111122223333:user/alice" },
//       "ASIATEMP":  { "secretAccessKey": "...", "principal": "arn:aws:sts::111122223333:assumed-role/app/s1",
//                      "sessionToken": "..." } },
//     "accountId": "111122223333", "region": "us-east-1" }
//
// Every request must be signed (Signature Version 4, sigv4.js) with one of
// these credentials, and is made by its principal. The string form
// `"AKID": "arn:..."` (no secret: the access key id alone names the caller,
// nothing is checked) is accepted only with `insecureNoAuth` (the CLI's
// --insecure-no-auth), which also serves without any config (every call by
// the KMS's own caller), prints a warning, and binds loopback addresses only.

import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createVerifier, AuthError } from './sigv4.js';
import { credentialScope } from '../protocol.js';

const SHAPE = '{ "accessKeys": { "AKID": { "secretAccessKey": "...", "principal": "arn:..." } }, "accountId": "...", "region": "..." }';

/**
 * The server's config: a path (string or URL) to a JSON file, an object, or nothing.
 * `accessKeys` maps each access key id to `{ principal, secretAccessKey?, sessionToken? }`
 * (no secret: the string form, for --insecure-no-auth only).
 * @returns {{ accessKeys: Map<string, { principal: string, secretAccessKey?: string, sessionToken?: string }> | null, accountId?: string, region?: string }}
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
    throw new Error(`kms-wasm serve: the config must be a JSON object ${SHAPE}.`);
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
      throw new Error('kms-wasm serve: config accessKeys must map access key ids to credentials { "secretAccessKey": "...", "principal": "arn:..." }.');
    }
    out.accessKeys = new Map();
    for (const [akid, entry] of Object.entries(keys)) {
      out.accessKeys.set(akid, credentialOf(akid, entry));
    }
  }
  return out;
}

const nonEmpty = (v) => typeof v === 'string' && v !== '';

function credentialOf(akid, entry) {
  const where = `config accessKeys.${akid}`;
  if (typeof entry === 'string') {
    if (entry === '') throw new Error(`kms-wasm serve: ${where} must be a principal ARN (a non-empty string) or { "secretAccessKey": "...", "principal": "arn:..." }.`);
    return { principal: entry };
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new Error(`kms-wasm serve: ${where} must be { "secretAccessKey": "...", "principal": "arn:..." } (or, with --insecure-no-auth only, a principal ARN).`);
  }
  const unknown = Object.keys(entry).filter((k) => !['secretAccessKey', 'principal', 'sessionToken'].includes(k));
  if (unknown.length) throw new Error(`kms-wasm serve: unknown member(s) ${unknown.join(', ')} in ${where}; it takes secretAccessKey, principal and sessionToken.`);
  if (!nonEmpty(entry.principal)) throw new Error(`kms-wasm serve: ${where}.principal must be a principal ARN (a non-empty string).`);
  if (!nonEmpty(entry.secretAccessKey)) throw new Error(`kms-wasm serve: ${where}.secretAccessKey must be a non-empty string.`);
  if (entry.sessionToken !== undefined && !nonEmpty(entry.sessionToken)) throw new Error(`kms-wasm serve: ${where}.sessionToken must be a non-empty string when given.`);
  const out = { principal: entry.principal, secretAccessKey: entry.secretAccessKey };
  if (entry.sessionToken !== undefined) out.sessionToken = entry.sessionToken;
  return out;
}

/** The access key id of a SigV4 `Authorization` header, or undefined. */
export function accessKeyOf(authorization) {
  return credentialScope(authorization)?.accessKeyId;
}

/** Whether `host` names this machine only: localhost, 127.0.0.0/8, ::1 (or an IPv4-mapped 127.x). */
export function isLoopback(host) {
  const h = String(host).toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

const WARN_NO_AUTH = [
  'kms-wasm serve: WARNING: --insecure-no-auth: request signatures are NOT checked.',
  'kms-wasm serve: WARNING: any program that can reach the port can use every key, as any principal of the config.',
  'kms-wasm serve: WARNING: for local tests only; configure accessKeys with secrets for anything else.',
].join('\n');

/**
 * Checks the server's setup before it listens, prints the warnings it
 * deserves, and returns `authenticate(req, body)`: the principal that makes
 * the call (null: the KMS's own caller), or throws the AWS error (an Error
 * with `name` and `status`) that refuses the request.
 */
export function authSetup(cfg, { host, insecureNoAuth = false, tls, warn = (text) => process.stderr.write(`${text}\n`) }) {
  if (tls !== undefined && tls !== null) {
    if (typeof tls !== 'object' || !tls.cert || !tls.key) throw new Error('kms-wasm serve: TLS needs both a certificate and its private key (--tls-cert FILE --tls-key FILE; tls: { cert, key } as PEM).');
  }
  if (insecureNoAuth) {
    if (!isLoopback(host)) {
      throw new Error(`kms-wasm serve: --insecure-no-auth serves loopback addresses only (127.0.0.1, ::1, localhost), not ${host}; configure accessKeys with secrets to listen on ${host}.`);
    }
    warn(WARN_NO_AUTH);
    return legacyAuthenticate(cfg);
  }
  if (!cfg.accessKeys || cfg.accessKeys.size === 0) {
    throw new Error('kms-wasm serve: no credentials configured: requests are authenticated (AWS Signature Version 4), so the config needs '
      + `accessKeys with secrets, e.g. ${SHAPE} (--config FILE); or run with --insecure-no-auth for local tests without signature checks.`);
  }
  for (const [akid, c] of cfg.accessKeys) {
    if (c.secretAccessKey === undefined) {
      throw new Error(`kms-wasm serve: config accessKeys.${akid} is a principal ARN without a secret; give { "secretAccessKey": "...", "principal": "${c.principal}" }, or run with --insecure-no-auth (no signature checks).`);
    }
  }
  if (!isLoopback(host) && !tls) {
    warn(`kms-wasm serve: WARNING: listening on ${host} without TLS: plaintexts, data keys and ciphertexts cross the network in clear; give --tls-cert and --tls-key.`);
  }
  const verify = createVerifier({ credentials: cfg.accessKeys, region: cfg.region });
  return async (req, body) => (await verify({ method: req.method, url: req.url, headers: req.headers, body })).principal;
}

/** --insecure-no-auth: the access key id alone names the caller (today's model); no accessKeys: the KMS's caller. */
function legacyAuthenticate(cfg) {
  return async (req) => {
    if (!cfg.accessKeys) return null;
    const akid = accessKeyOf(req.headers.authorization);
    if (akid === undefined) {
      throw new AuthError('MissingAuthenticationTokenException', 'The request has no AWS SigV4 Authorization header naming an access key.', 403);
    }
    const c = cfg.accessKeys.get(akid);
    if (c === undefined) {
      throw new AuthError('UnrecognizedClientException', 'The access key id of the request is not in the server config.');
    }
    return c.principal;
  };
}

export { AuthError };

/** An HTTP server, or HTTPS with `tls: { cert, key }` (PEM), with `listener` for its requests. */
export function createServerFor(tls, options, listener) {
  if (!tls) return createHttpServer(options, listener);
  const { cert, key, ...rest } = tls;
  return createHttpsServer({ ...options, ...rest, cert, key }, listener);
}
