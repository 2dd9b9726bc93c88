// requestHandler(kms): the AWS SDK for JavaScript v3's own client over a
// kms-wasm KMS, in-process, with no network:
//
//   const client = new KMSClient({ region, credentials, requestHandler: requestHandler(kms) });
//
// The SDK builds, signs and sends its HTTP request as it would to AWS KMS;
// this handler answers it with the protocol layer `kms-wasm serve` uses
// (protocol.js), so both speak the same AWS JSON 1.1, and everything of the
// SDK above the handler works: paginators, middleware, retries, `$metadata`,
// the SDK's exception classes.
//
// The handler is the SDK's HttpHandler contract, written out so that nothing
// of the SDK (or @smithy/*) is imported: `handle(request, { abortSignal })`
// resolves to `{ response: { statusCode, headers, body } }`. The body is a
// Uint8Array: the SDK's deserializers take one as is (collectBody in
// @smithy/core returns a Uint8Array body unread, before it asks the
// platform's stream collector, in Node and in browsers alike). Headers are
// lower-cased, as Node's and fetch's handlers give them, so `$metadata`
// finds `x-amzn-requestid`. `updateHttpClientConfig`, `httpHandlerConfigs`
// and `destroy` are there because the SDK calls them on every handler; none
// of their settings (timeouts, agents) applies to a call in-process.
//
// Signatures are not verified: the request never leaves the process and the
// credentials are the app's own. Calls are made by `kms`'s caller (give
// `kms.withCaller(arn)` for another principal), in the region of the
// request's SigV4 credential scope: the SDK signs every request for the
// client's `region`, so the client's region picks the KMS's region
// (requestView, client/request-view.js).

import { answer, errorAnswer, credentialScope, newRequestId, routeError } from './protocol.js';
import { KmsError } from './errors.js';

const encoder = new TextEncoder();

/** A request header by name, whatever the case the SDK (or a middleware) spelled it in. */
function headerOf(headers, name) {
  if (!headers) return undefined;
  if (headers[name] !== undefined) return headers[name];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

/** An abort as the SDK's handlers report it (an Error named AbortError). */
function abortError(signal) {
  const reason = signal && typeof signal === 'object' && 'reason' in signal ? signal.reason : undefined;
  const e = new Error(reason instanceof Error ? 'Request aborted' : reason !== undefined ? String(reason) : 'Request aborted');
  e.name = 'AbortError';
  if (reason instanceof Error) e.cause = reason;
  return e;
}

/** The SDK's HttpResponse of an answer: lower-cased headers, the JSON as bytes. */
function toResponse({ status, headers, body }) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  const bytes = encoder.encode(body);
  out['content-length'] = String(bytes.byteLength);
  return { statusCode: status, headers: out, body: bytes };
}

/**
 * An AWS SDK request handler answering AWS JSON 1.1 requests in-process on `kms`.
 * @param {import('./client.js').Kms} kms
 */
export function requestHandler(kms) {
  if (kms === null || typeof kms !== 'object' || typeof kms.withCaller !== 'function' || typeof kms.encrypt !== 'function') {
    throw new KmsError('ValidationException', 'requestHandler needs a kms-wasm KMS (from createKms()).');
  }
  let config = {};
  return {
    metadata: { handlerProtocol: 'kms-wasm/in-process' },

    /**
     * Answers one request of the SDK. An abort (the SDK's `abortSignal`)
     * rejects with an AbortError at once, as the SDK's own handlers do; a
     * call the KMS has begun still completes there, as one that has reached
     * a server does.
     * @param {{ method?: string, path?: string, headers?: Record<string, string>, body?: string | Uint8Array }} request
     * @param {{ abortSignal?: { aborted: boolean, reason?: unknown } }} [options]
     */
    async handle(request, options) {
      const signal = options?.abortSignal;
      if (signal?.aborted) throw abortError(signal);
      const requestId = newRequestId();
      const headers = request?.headers;
      const refused = routeError(request?.method, request?.path);
      const answering = refused ? errorAnswer(refused, requestId) : answer(kms, {
        target: headerOf(headers, 'x-amz-target'),
        contentType: headerOf(headers, 'content-type'),
        body: request?.body,
        region: credentialScope(headerOf(headers, 'authorization'))?.region,
        requestId,
      });
      if (!signal) return { response: toResponse(await answering) };
      let stop = () => {};
      const aborted = new Promise((_, reject) => {
        const onAbort = () => reject(abortError(signal));
        if (typeof signal.addEventListener === 'function') {
          signal.addEventListener('abort', onAbort, { once: true });
          stop = () => signal.removeEventListener('abort', onAbort);
        } else {
          signal.onabort = onAbort;
          stop = () => { signal.onabort = null; };
        }
      });
      try {
        return { response: toResponse(await Promise.race([answering, aborted])) };
      } finally {
        stop();
      }
    },

    /** Kept as the SDK's handlers keep it; no setting applies to a call in-process. */
    updateHttpClientConfig(key, value) {
      config = { ...config, [key]: value };
    },

    httpHandlerConfigs() {
      return config;
    },

    /** Nothing to release (no sockets); the KMS stays open: close it with kms.close(). */
    destroy() {},
  };
}
