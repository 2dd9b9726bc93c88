// `kms-wasm` as the portable suite sees it when run over `kms-wasm serve`
// (node/serve-suite.test.mjs maps the suite's `import ... from 'kms-wasm'`
// here with a module resolve hook). Everything is the package's, except
// createKms: it makes a KMS with the same options (so a fake clock still
// drives it), serves it with startServer on a free port of 127.0.0.1, and
// returns the AWS SDK's aggregated `KMS` client pointed at that endpoint.
// Every call of a test then goes JSON -> HTTP -> server -> KMS -> JSON.
import { createKms as createLocalKms } from 'kms-wasm';
import { KMS } from '@aws-sdk/client-kms';

export * from 'kms-wasm';

// The SDK warns once per process that its 2027 releases will need Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** startServer of the installed package (not in its exports map: the CLI imports it by path). */
export async function loadStartServer() {
  const url = new URL('./serve/server.js', import.meta.resolve('kms-wasm'));
  return (await import(url.href)).startServer;
}

/**
 * The AWS SDK's KMS client for an endpoint (a URL, or an async function
 * giving one), with dummy credentials and no retries.
 */
export function sdkClient(endpoint, { accessKeyId = 'AKIDEXAMPLE', region = 'us-east-1' } = {}) {
  return new KMS({
    endpoint: typeof endpoint === 'function' ? async () => ({ url: new URL(await endpoint()) }) : endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: 'not-checked' },
    maxAttempts: 1, // a retried call may not be idempotent; the suite wants exactly one
  });
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
 * The SDK client of a server in front of `kms`. With `caller`, the server's
 * config maps the client's access key id to that principal, so its calls
 * are that principal's: `withCaller` of the JS client, done the AWS way,
 * by credentials. Like the JS client's, the client's `withCaller(arn)` is
 * synchronous: its server starts on the first call.
 */
function serveAs(kms, caller, region = 'us-east-1') {
  const accessKeyId = caller ? `AKIDCALLER${(keys += 1)}` : 'AKIDEXAMPLE';
  const entry = { server: null, client: null };
  open.push(entry);
  let starting;
  const url = () => {
    starting ??= loadStartServer()
      .then((startServer) => startServer({ port: 0, kms, config: caller ? { accessKeys: { [accessKeyId]: caller } } : undefined }))
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
