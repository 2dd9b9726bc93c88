// `kms-wasm` as the portable suite sees it when run over `kms-wasm serve`
// (node/serve-suite.test.mjs maps the suite's `import ... from 'kms-wasm'`
// here with a module resolve hook). Everything is the package's, except
// createKms: it makes a KMS with the same options (so a fake clock still
// drives it), serves it with startServer on a free port of 127.0.0.1, and
// returns the AWS SDK's aggregated `KMS` client pointed at that endpoint,
// signing (SigV4) with a credential the server's config holds. Every call
// of a test then goes JSON -> signed HTTP -> server -> KMS -> JSON.
import { createKms as createLocalKms } from 'kms-wasm';
import { KMS } from '@aws-sdk/client-kms';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';

export * from 'kms-wasm';

// The SDK warns once per process that its 2027 releases will need Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** startServer of the installed package (not in its exports map: the CLI imports it by path). */
export async function loadStartServer() {
  const url = new URL('./serve/server.js', import.meta.resolve('kms-wasm'));
  return (await import(url.href)).startServer;
}

/** The secret the tests give an access key id (in the server's config and the client's credentials). */
export const secretOf = (accessKeyId) => `kms-wasm-test-secret-of-${accessKeyId}`;

/**
 * A server config whose access keys (id -> principal ARN) each have the
 * secret `secretOf(id)`; `extra` (accountId, region) is merged in.
 */
export function credentialsConfig(principals, extra = {}) {
  const accessKeys = {};
  for (const [accessKeyId, principal] of Object.entries(principals)) {
    accessKeys[accessKeyId] = { secretAccessKey: secretOf(accessKeyId), principal };
  }
  return { accessKeys, ...extra };
}

/**
 * The AWS SDK's KMS client for an endpoint (a URL, or an async function
 * giving one), signing with `accessKeyId` and its test secret (or the
 * `secretAccessKey` / `sessionToken` given), with no retries. Other
 * options go to the client (`requestHandler`, `systemClockOffset`, ...).
 */
export function sdkClient(endpoint, {
  accessKeyId = 'AKIDEXAMPLE', secretAccessKey = secretOf(accessKeyId), sessionToken, region = 'us-east-1', ...options
} = {}) {
  return new KMS({
    endpoint: typeof endpoint === 'function' ? async () => ({ url: new URL(await endpoint()) }) : endpoint,
    region,
    credentials: sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken },
    maxAttempts: 1, // a retried call may not be idempotent; the suite wants exactly one
    ...options,
  });
}

/** SHA-256 / HMAC-SHA256 from node:crypto in the Hash interface of @smithy/signature-v4. */
class Sha256 {
  constructor(secret) {
    this.secret = secret;
    this.reset();
  }

  update(data) {
    this.hash.update(typeof data === 'string' ? Buffer.from(data) : data);
  }

  async digest() {
    return new Uint8Array(this.hash.digest());
  }

  reset() {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

/**
 * Headers for a request to `url` signed with SigV4 (service kms) as the
 * SDKs sign it: `headers` are signed along with host and x-amz-date.
 * `signingDate` (default now), `region` (default us-east-1),
 * `accessKeyId`/`secretAccessKey` (default AKIDEXAMPLE and its test
 * secret), `sessionToken`, `unsignable` (header names left out of the
 * signature).
 */
export async function signedHeaders(url, { method = 'POST', path = '/', headers = {}, body = '' } = {}, {
  accessKeyId = 'AKIDEXAMPLE', secretAccessKey = secretOf(accessKeyId), sessionToken, region = 'us-east-1', signingDate = new Date(), unsignable,
} = {}) {
  const u = new URL(url);
  const signer = new SignatureV4({
    credentials: sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken },
    region,
    service: 'kms',
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method, protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path, query: {}, headers: { host: u.host, ...headers }, body,
  }, { signingDate, unsignableHeaders: unsignable ? new Set(unsignable) : undefined });
  const out = { ...signed.headers };
  delete out.host; // fetch sets it from the URL
  return out;
}

/**
 * The SDK adds `$metadata` (HTTP status, a request id that differs on every
 * call) to each response; the AWS response shape has no such member, and
 * the suite compares whole responses, so it is taken off (a middleware
 * around each call; the client's methods are otherwise the SDK's own).
 */
export function withoutMetadata(client) {
  client.middlewareStack.add((next) => async (args) => {
    const result = await next(args);
    if (result && result.output) delete result.output.$metadata;
    return result;
  }, { step: 'initialize', name: 'kmsWasmTestsWithoutMetadata' });
  return client;
}

const open = [];
let keys = 0;

/** A KMS behind `kms-wasm serve`, seen through @aws-sdk/client-kms. */
export async function createKms(options = {}) {
  const kms = await createLocalKms(options);
  open.push({ kms });
  return serveAs(kms, undefined, options.region);
}

/**
 * The SDK client of a server in front of `kms`. The server's config holds
 * the client's credential, for the KMS's own caller or, with `caller`, for
 * that principal, so its calls are that principal's: `withCaller` of the JS
 * client, done the AWS way, by credentials. Like the JS client's, the
 * client's `withCaller(arn)` is synchronous: its server starts on the first
 * call.
 */
function serveAs(kms, caller, region = 'us-east-1') {
  const accessKeyId = caller ? `AKIDCALLER${(keys += 1)}` : 'AKIDEXAMPLE';
  const entry = { server: null, client: null };
  open.push(entry);
  let starting;
  const url = () => {
    starting ??= loadStartServer()
      .then((startServer) => startServer({ port: 0, kms, config: credentialsConfig({ [accessKeyId]: caller ?? kms.caller }) }))
      .then((server) => {
        entry.server = server;
        return server.url;
      });
    return starting;
  };
  const client = withoutMetadata(sdkClient(url, { accessKeyId, region }));
  client.withCaller = (arn) => serveAs(kms, arn, region);
  // The audit log is CloudTrail's in AWS, not a KMS operation: it is read
  // from the served KMS itself. The access suite checks with it that every
  // refused call left a record naming the caller the access key maps to.
  client.auditLog = (filter) => kms.auditLog(filter);
  entry.client = client;
  return client;
}

/** Closes every server, KMS and client made so far (after each test). */
export async function closeAll() {
  const all = open.splice(0);
  for (const { server, client } of all) {
    if (client) client.destroy();
    if (server) await server.close();
  }
  for (const { kms } of all) if (kms) await kms.close();
}
