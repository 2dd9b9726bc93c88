// Conversions at the JS ↔ wasm boundary. Requests: Dates become milliseconds,
// any binary (Buffer, typed array, DataView, ArrayBuffer) becomes a plain
// Uint8Array view, null/undefined members are dropped (as the AWS SDK does),
// a string (or member name) with a lone UTF-16 surrogate is a
// ValidationException: it has no UTF-8 form, and the wasm would get U+FFFD in
// its place, so '\uD800' and '\uDFFF' would be one encryption context.
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

/** Whether `s` is well-formed UTF-16 (no lone surrogate): String#isWellFormed where the engine has it. */
const isWellFormed = typeof String.prototype.isWellFormed === 'function'
  ? (s) => s.isWellFormed()
  : (s) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xdc00 && c <= 0xdfff) return false;
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = s.charCodeAt(i + 1);
        if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
        i += 1;
      }
    }
    return true;
  };

function illFormed(member) {
  return new KmsError('ValidationException', `1 validation error detected: ${member === undefined ? 'a value of the request' : `the value at ${JSON.stringify(member)}`} is not well-formed Unicode (it has a lone UTF-16 surrogate).`);
}

function convertIn(v, depth, member) {
  if (depth > MAX_DEPTH) throw new KmsError('ValidationException', 'The request is nested too deeply.');
  if (typeof v === 'string') {
    if (!isWellFormed(v)) throw illFormed(member);
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (isDate(v)) return v.getTime();
  const bytes = asBytes(v);
  if (bytes) return bytes;
  if (Array.isArray(v)) {
    // A list holds no null (AWS's JSON protocol has none); the wasm's map
    // decoding would trap on one where a map is given as a list.
    if (v.some((x) => x === null || x === undefined)) {
      throw new KmsError('ValidationException', `1 validation error detected: ${member === undefined ? 'a list of the request' : `the value at ${JSON.stringify(member)}`} has a null element.`);
    }
    return v.map((x) => convertIn(x, depth + 1, member));
  }
  const out = {};
  for (const key of Object.keys(v)) {
    const x = v[key];
    if (x === undefined || x === null) continue;
    if (!isWellFormed(key)) throw illFormed(member);
    // defineProperty, not assignment: a member named `__proto__` (JSON.parse
    // makes such own properties) must stay a member, e.g. of an encryption context.
    Object.defineProperty(out, key, { value: convertIn(x, depth + 1, member ?? key), enumerable: true, writable: true, configurable: true });
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
