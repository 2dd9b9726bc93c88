// Bounded resources for `kms-wasm serve` (server.js): how many connections,
// how many request bytes in memory at once, and how long a client may take.
//
//   maxConnections      256     open connections at once; one more is closed at
//                               once, before anything is read (node:http
//                               `server.maxConnections`), and the client sees
//                               the connection reset (AWS SDKs retry it)
//   maxInFlightBytes    64 MiB  request bodies held in memory, all connections
//                               together; a body that does not fit is refused
//                               at its headers: 503 ServiceUnavailableException,
//                               connection closed, nothing buffered. A quarter of
//                               it is kept for bodies of up to 64 KiB (every
//                               normal KMS call), so big bodies cannot starve them
//   maxBodyBytes        1 MiB   one request body: 413 SerializationException
//   headersTimeoutMs    10 s    request line and headers, from their first byte
//                               (node:http `headersTimeout`): 408 RequestTimeoutException
//   bodyTimeoutMs       10 s    the body, from the end of the headers: 408
//   minBodyRate         1024    bytes a second: a body still arriving after 2 s
//                               must bring at least this much every 2 s, else it
//                               is cut (408); a 1-byte/s trickle or a parked body
//                               lasts 2-3 s. 0: no rate check (bodyTimeoutMs only)
//   keepAliveTimeoutMs  5 s     an idle kept-alive connection is closed after this
//                               (node:http `keepAliveTimeout`)
//
// A request body is taken from the budget when its headers arrive: its whole
// Content-Length, or, for a chunked body, its bytes as they come. It is
// copied into one resizable ArrayBuffer (so a body sent one byte per packet
// costs no more than its bytes) that grows as the bytes arrive; when the
// response is sent or the connection closes, whichever comes first, the
// buffer is zeroed and resized to 0, which gives its pages back to the
// system at once (a resizable ArrayBuffer is reserved address space, not
// malloc memory, so no allocator keeps it), and the bytes go back to the
// budget. Nothing is kept per connection. Refused and cut requests are
// answered with `Connection: close`, their bodies are not read further, and
// the socket is destroyed a second later if the client has not gone.
//
// The headers timeout counts from the first byte of a request, not from the
// end of the previous one (node >= 18), so it does not race the keep-alive
// timeout: an idle kept-alive connection is governed by keepAliveTimeoutMs
// alone, a request under way by headersTimeoutMs and then the body limits.
// node:http also cuts any request not complete after headersTimeoutMs +
// bodyTimeoutMs (`requestTimeout`), checked every second.

import { STATUS_CODES } from 'node:http';
import { CONTENT_TYPE } from '../protocol.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LIMITS = Object.freeze({
  maxConnections: 256,
  maxInFlightBytes: 64 * MiB,
  maxBodyBytes: 1 * MiB,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  minBodyRate: 1024,
  keepAliveTimeoutMs: 5_000,
});

/** Bodies up to this size are "small": they may use the reserved part of the budget. */
export const SMALL_BODY = 64 * KiB;
/** The window of the minimum-rate check (ms): the first check comes this long after the headers. */
const RATE_WINDOW_MS = 2000;
/** How often bodies in progress are checked (ms). */
const TICK_MS = 250;
/** How long a refused or cut client has to take its answer before its socket is destroyed (ms). */
const LINGER_MS = 1000;
/** node:http checks headersTimeout / requestTimeout this often (its default is 30 s). */
const CONNECTIONS_CHECK_MS = 1000;

/**
 * The limits, defaults filled in and checked.
 * @param {Partial<typeof DEFAULT_LIMITS>} [given]
 */
export function resolveLimits(given = {}) {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new Error('kms-wasm serve: limits must be an object.');
  }
  const unknown = Object.keys(given).filter((k) => !(k in DEFAULT_LIMITS));
  if (unknown.length) {
    throw new Error(`kms-wasm serve: unknown limit(s) ${unknown.join(', ')}; the limits are ${Object.keys(DEFAULT_LIMITS).join(', ')}.`);
  }
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    const min = k === 'minBodyRate' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new Error(`kms-wasm serve: limit ${k} must be a whole number >= ${min}, got ${String(v)}.`);
    }
    out[k] = v;
  }
  if (out.maxInFlightBytes < out.maxBodyBytes) {
    throw new Error(`kms-wasm serve: limit maxInFlightBytes (${out.maxInFlightBytes}) must be at least maxBodyBytes (${out.maxBodyBytes}).`);
  }
  return Object.freeze(out);
}

/**
 * The limits of one server. `error(name, message, status)` makes the error
 * the server answers as an AWS error (server.js's ProtocolError).
 */
export function createLimits(given, { error }) {
  const limits = resolveLimits(given);
  // Large bodies may use all but the reserve; small ones the whole budget.
  const reserve = Math.max(0, Math.min(Math.floor(limits.maxInFlightBytes / 4), limits.maxInFlightBytes - limits.maxBodyBytes));
  const largeLimit = limits.maxInFlightBytes - reserve;
  const counters = {
    connections: 0,
    inFlightBytes: 0,
    peakInFlightBytes: 0,
    bodies: 0,
    refusedConnections: 0,
    refusedBodies: 0,
    tooLargeBodies: 0,
    cutBodies: 0,
  };
  /** Bodies being received: checked on each tick. */
  const active = new Set();
  let server = null;
  let ticker = null;

  const take = (n, large) => {
    if (counters.inFlightBytes + n > (large ? largeLimit : limits.maxInFlightBytes)) return false;
    counters.inFlightBytes += n;
    if (counters.inFlightBytes > counters.peakInFlightBytes) counters.peakInFlightBytes = counters.inFlightBytes;
    return true;
  };

  const tick = () => {
    const now = performance.now();
    for (const body of active) {
      const elapsed = now - body.start;
      if (elapsed > limits.bodyTimeoutMs) {
        body.cut(`The request body did not arrive within ${limits.bodyTimeoutMs / 1000} s.`);
      } else if (limits.minBodyRate > 0 && now >= body.checkAt) {
        const window = now - body.windowStart;
        if ((body.size - body.sizeAtWindow) * 1000 < limits.minBodyRate * window) {
          body.cut(`The request body arrived slower than ${limits.minBodyRate} bytes a second.`);
        } else {
          body.windowStart = now;
          body.sizeAtWindow = body.size;
          body.checkAt = now + RATE_WINDOW_MS;
        }
      }
    }
  };

  /** Answered with Connection: close; the socket goes a little later if the client keeps it. */
  const closeAfter = (req, res) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    const socket = req.socket;
    if (socket && !socket.destroyed) setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };

  /**
   * The request body, within the limits: resolves to its bytes (valid until
   * the response is sent), rejects with an `error(...)` to answer.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @returns {Promise<Buffer>}
   */
  function readBody(req, res) {
    return new Promise((resolve, reject) => {
      const header = req.headers['content-length'];
      const declared = header === undefined ? undefined : Number(header);
      /** The body: a resizable ArrayBuffer (at most the declared length or maxBodyBytes), grown as bytes arrive. */
      let store = null;
      let charged = 0;
      let done = false;
      const body = {
        start: performance.now(),
        size: 0,
        windowStart: 0,
        sizeAtWindow: 0,
        checkAt: 0,
        cut: (message) => {
          counters.cutBodies += 1;
          fail(error('RequestTimeoutException', message, 408), true);
        },
      };
      body.windowStart = body.start;
      body.checkAt = body.start + RATE_WINDOW_MS;

      const release = () => {
        active.delete(body);
        if (store) {
          new Uint8Array(store).fill(0);
          store.resize(0); // the pages go back to the system now, not at the next GC
          store = null;
        }
        if (charged) {
          counters.inFlightBytes -= charged;
          charged = 0;
        }
      };
      // Back to the budget when the answer is out or the connection is gone.
      res.once('close', release);

      function fail(e, close) {
        if (done) return;
        done = true;
        release();
        if (close) {
          // Read no more of it: the connection closes once the answer is out.
          req.pause();
          closeAfter(req, res);
        } else {
          req.resume(); // read and drop the rest; the connection stays usable
        }
        reject(e);
      }
      const tooLarge = () => {
        counters.tooLargeBodies += 1;
        fail(error('SerializationException', `The request body exceeds ${limits.maxBodyBytes} bytes.`, 413), false);
      };
      const refuse = () => {
        counters.refusedBodies += 1;
        fail(error('ServiceUnavailableException', 'kms-wasm serve is holding as many request bytes as it may; retry later.', 503), true);
      };

      if (declared !== undefined) {
        if (declared > limits.maxBodyBytes) return tooLarge();
        if (declared > 0) {
          if (!take(declared, declared > SMALL_BODY)) return refuse();
          charged = declared;
        }
      }
      counters.bodies += 1;
      active.add(body);

      req.on('data', (chunk) => {
        if (done) return;
        const size = body.size + chunk.length;
        if (size > limits.maxBodyBytes) return tooLarge();
        if (size > charged) {
          // A chunked body (no Content-Length): its bytes are taken from the budget as they come.
          if (!take(size - charged, size > SMALL_BODY)) return refuse();
          charged = size;
        }
        store ??= new ArrayBuffer(0, { maxByteLength: declared ?? limits.maxBodyBytes });
        store.resize(size);
        new Uint8Array(store).set(chunk, body.size);
        body.size = size;
      });
      req.on('end', () => {
        if (done) return;
        done = true;
        active.delete(body);
        resolve(store ? Buffer.from(store, 0, body.size) : Buffer.alloc(0));
      });
      req.on('error', (e) => fail(e, true));
      req.on('close', () => {
        // The client went away before the end of its request: nothing to answer.
        if (!done && !req.complete) fail(error('SerializationException', 'The request body was cut short.', 400), true);
      });
    });
  }

  /** AWS-shaped answers to what node:http refuses itself (header timeouts, bad HTTP, headers too large). */
  function onClientError(err, socket) {
    const message = socket._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || (message && message.headersSent)) {
      socket.destroy();
      return;
    }
    let status = 400;
    let name = 'SerializationException';
    let text = 'The request is not valid HTTP/1.1.';
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      name = 'RequestTimeoutException';
      text = `The request did not arrive in time (headers within ${limits.headersTimeoutMs / 1000} s, the whole request within ${(limits.headersTimeoutMs + limits.bodyTimeoutMs) / 1000} s).`;
      counters.cutBodies += 1;
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      text = 'The request headers are too large.';
    }
    const json = JSON.stringify({ __type: name, message: text });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nx-amzn-ErrorType: ${name}\r\nConnection: close\r\n\r\n${json}`,
    );
    socket.destroy();
  }

  return {
    limits,
    /** Options for node:http createServer. */
    serverOptions: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
    /** Sets the connection limits on the server and starts the body checks (stopped when the server closes). */
    attach(s) {
      server = s;
      server.maxConnections = limits.maxConnections;
      server.headersTimeout = limits.headersTimeoutMs;
      server.requestTimeout = limits.headersTimeoutMs + limits.bodyTimeoutMs;
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      server.on('connection', (socket) => {
        counters.connections += 1;
        socket.once('close', () => {
          counters.connections -= 1;
        });
      });
      server.on('drop', () => {
        counters.refusedConnections += 1;
      });
      server.on('clientError', onClientError);
      ticker = setInterval(tick, TICK_MS);
      ticker.unref();
      server.once('close', () => clearInterval(ticker));
    },
    readBody,
    /** The limits and what they have done so far (`inFlightBytes` is 0 when no request is in progress). */
    stats() {
      return { ...limits, ...counters, bodiesInProgress: active.size };
    },
  };
}
