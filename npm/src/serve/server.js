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
// KMSInternalException), each with an `x-amzn-RequestId` that the call's
// audit record carries too. The protocol itself (targets, conversions,
// errors) is ../protocol.js, which requestHandler (the AWS SDK's own client
// in-process) shares: this file adds HTTP, authentication and limits. The
// call is made in the region of the request's credential scope (any region
// the KMS has, or only the config's `region` when it sets one), through
// requestView (../client/request-view.js).
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

import { createKms, fileStore } from '../node.js';
import {
  ProtocolError, answer, errorAnswer, routeError, credentialScope, newRequestId,
} from '../protocol.js';
import { loadConfig, accessKeyOf, authSetup, createServerFor } from './config.js';

export { loadConfig, accessKeyOf };
import { createLimits } from './limits.js';

/** How long close() waits for requests in flight before cutting their connections (ms). */
const CLOSE_GRACE_MS = 5000;

/** Writes an answer of ../protocol.js as the HTTP response. */
function send(res, { status, headers, body }) {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
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
  /** The KMS view of the request's verified caller; an AWS error (AuthError) when it is not authenticated. */
  const callerOf = async (req, bytes) => viewOf(await authenticate(req, bytes));

  let inFlight = 0;
  let idle = null;
  const handle = async (req, res) => {
    const requestId = newRequestId();
    const refused = routeError(req.method, req.url);
    if (refused) {
      send(res, errorAnswer(refused, requestId));
      return;
    }
    try {
      const bytes = await limits.readBody(req, res);
      // Authenticated first: an unsigned caller learns nothing of the request's fate.
      const view = await callerOf(req, bytes);
      send(res, await answer(view, {
        target: req.headers['x-amz-target'],
        contentType: req.headers['content-type'],
        body: bytes,
        region: credentialScope(req.headers.authorization)?.region ?? cfg.region,
        requestId,
      }));
    } catch (e) {
      send(res, errorAnswer(e, requestId));
    }
  };

  const server = createServerFor(tls, limits.serverOptions, (req, res) => {
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      if (inFlight === 0 && idle) idle();
    });
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, errorAnswer(e, newRequestId()));
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
