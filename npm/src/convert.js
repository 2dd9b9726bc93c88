// Conversions at the JS ↔ wasm boundary. Requests: Dates become milliseconds,
// any binary (Buffer, typed array, DataView, ArrayBuffer) becomes a plain
// Uint8Array view, null/undefined members are dropped (as the AWS SDK does).
// Responses: timestamp members become Dates.

import { KmsError } from './errors.js';
import { REQUEST_BLOBS, RESPONSE_TIMESTAMPS } from './api.js';

const MAX_DEPTH = 32;

/** Timestamp members of responses (numbers of milliseconds from the wasm). */
export const DATE_MEMBERS = new Set(RESPONSE_TIMESTAMPS);

/**
 * Request members that are AWS blobs. They must be binary: a string or an
 * array of numbers is a ValidationException, as it would be for AWS.
 */
export const BINARY_MEMBERS = new Set(REQUEST_BLOBS);

const toString = Object.prototype.toString;

function isArrayBuffer(v) {
  const tag = toString.call(v);
  return tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]';
}

/**
 * Bytes as a Uint8Array of this realm, without copying; `undefined` when `v` is not binary.
 * @param {unknown} v
 * @returns {Uint8Array | undefined}
 */
export function asBytes(v) {
  if (ArrayBuffer.isView(v)) {
    // A Buffer (or any subclass or foreign-realm view) becomes a plain view of the same bytes.
    if (v instanceof Uint8Array && Object.getPrototypeOf(v) === Uint8Array.prototype) return v;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  if (isArrayBuffer(v)) return new Uint8Array(v);
  return undefined;
}

function isDate(v) {
  return v instanceof Date || toString.call(v) === '[object Date]';
}

function convertIn(v, depth) {
  if (depth > MAX_DEPTH) throw new KmsError('ValidationException', 'The request is nested too deeply.');
  if (v === null || typeof v !== 'object') return v;
  if (isDate(v)) return v.getTime();
  const bytes = asBytes(v);
  if (bytes) return bytes;
  if (Array.isArray(v)) return v.map((x) => convertIn(x, depth + 1));
  const out = {};
  for (const key of Object.keys(v)) {
    const x = v[key];
    if (x === undefined || x === null) continue;
    // defineProperty, not assignment: a member named `__proto__` (JSON.parse
    // makes such own properties) must stay a member, e.g. of an encryption context.
    Object.defineProperty(out, key, { value: convertIn(x, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * A request as the wasm takes it: a fresh plain object (so no getter of the
 * caller's object runs during the wasm call).
 */
export function toWasmRequest(request) {
  if (request === undefined || request === null) return {};
  if (typeof request !== 'object' || Array.isArray(request) || isDate(request) || asBytes(request)) {
    throw new KmsError('ValidationException', 'The request must be an object.');
  }
  const out = convertIn(request, 0);
  for (const key of Object.keys(out)) {
    if (BINARY_MEMBERS.has(key) && !(out[key] instanceof Uint8Array)) {
      throw new KmsError('ValidationException', `1 validation error detected: value at '${key}' must be binary data (a Uint8Array).`);
    }
  }
  return out;
}

/** A response as users get it: timestamp members as Dates, recursively. */
export function fromWasmResponse(v) {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fromWasmResponse(v[i]);
    return v;
  }
  for (const key of Object.keys(v)) {
    const x = v[key];
    if (typeof x === 'number' && DATE_MEMBERS.has(key)) v[key] = new Date(x);
    else if (x !== null && typeof x === 'object') v[key] = fromWasmResponse(x);
  }
  return v;
}

/** Milliseconds from what the clock returned (a Date, or a number of ms). */
export function clockMillis(t) {
  if (typeof t === 'number') return t;
  if (isDate(t)) return t.getTime();
  throw new KmsError('ValidationException', 'The clock (options.now) must return a Date.');
}
