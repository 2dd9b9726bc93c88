// Properties of npm/src/convert.js, the JS <-> wasm conversion of requests
// and responses (imported by path from the installed package: it is not in
// the exports map). Requests: Dates become milliseconds, every kind of
// binary becomes a Uint8Array view of the same bytes, null/undefined
// members are dropped, `__proto__` members stay members, blob members that
// are not binary and requests nested deeper than 32 levels are a
// ValidationException (and nothing else is ever thrown). Responses:
// timestamp members (numbers of ms) become Dates, everything else stays.
import assert from 'node:assert/strict';
import { KmsError } from 'kms-wasm';
import { fc, fuzz, internal, isProgrammingError } from './common.mjs';

const { toWasmRequest, fromWasmResponse, clockMillis, asBytes, BINARY_MEMBERS, DATE_MEMBERS } = await internal('./convert.js');

const BLOBS = [...BINARY_MEMBERS];
const DATES = [...DATE_MEMBERS];

const isValidation = (e) => e instanceof KmsError && e.name === 'ValidationException' && typeof e.message === 'string' && e.message.length > 0;

/** Every kind of binary a caller may pass, over `bytes` (a fresh copy, at an offset in a larger buffer sometimes). */
const binaryOf = (bytes) => fc.constantFrom('u8', 'buffer', 'i8', 'u8c', 'u16', 'f64', 'dataview', 'arraybuffer', 'offset', 'shared').map((kind) => {
  const n = bytes.length;
  switch (kind) {
    case 'u8': return { kind, value: Uint8Array.from(bytes), bytes };
    case 'buffer': return { kind, value: Buffer.from(bytes), bytes };
    case 'i8': return { kind, value: new Int8Array(Uint8Array.from(bytes).buffer), bytes };
    case 'u8c': return { kind, value: new Uint8ClampedArray(Uint8Array.from(bytes).buffer), bytes };
    case 'u16': { // whole 16-bit units only
      const even = bytes.subarray(0, n - (n % 2));
      return { kind, value: new Uint16Array(Uint8Array.from(even).buffer), bytes: even };
    }
    case 'f64': {
      const whole = bytes.subarray(0, n - (n % 8));
      return { kind, value: new Float64Array(Uint8Array.from(whole).buffer), bytes: whole };
    }
    case 'dataview': return { kind, value: new DataView(Uint8Array.from(bytes).buffer), bytes };
    case 'arraybuffer': return { kind, value: Uint8Array.from(bytes).buffer, bytes };
    case 'shared': {
      const sab = new SharedArrayBuffer(n);
      new Uint8Array(sab).set(bytes);
      return { kind, value: sab, bytes };
    }
    default: { // a view at an offset inside a larger buffer
      const big = new Uint8Array(n + 7);
      big.set(bytes, 3);
      return { kind, value: big.subarray(3, 3 + n), bytes };
    }
  }
});
const binary = fc.uint8Array({ maxLength: 64 }).chain(binaryOf);

const oddDate = fc.oneof(
  fc.date({ noInvalidDate: false }),
  fc.constantFrom(new Date(NaN), new Date(8.64e15), new Date(-8.64e15), new Date(0), new Date(-1)),
);
const key = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', ...BLOBS, ...DATES, 'EncryptionContext'),
);
const scalar = fc.oneof(fc.string({ maxLength: 20, unit: 'binary' }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt());

/** A request value tree (with Dates and binaries) and what the wasm must get for it. */
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    scalar,
    oddDate,
    binary.map((b) => b.value),
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('tree')), { maxLength: 5 }).map(objectOf)),
}));

function objectOf(entries) {
  const o = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** What toWasmRequest must make of `v` (a model written from its contract). */
function expected(v) {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.getTime();
  if (ArrayBuffer.isView(v)) return { bytes: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return { bytes: Array.from(new Uint8Array(v)) };
  if (Array.isArray(v)) return v.map(expected);
  const out = {};
  for (const k of Object.keys(v)) {
    if (v[k] === null || v[k] === undefined) continue;
    Object.defineProperty(out, k, { value: expected(v[k]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The converted value in the model's terms (Uint8Arrays as { bytes }). */
function observed(v) {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) {
    assert.equal(Object.getPrototypeOf(v), Uint8Array.prototype, 'binary becomes a plain Uint8Array');
    return { bytes: Array.from(v) };
  }
  if (Array.isArray(v)) return v.map(observed);
  assert.equal(Object.getPrototypeOf(v), Object.prototype, 'objects become plain objects');
  const out = {};
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: observed(v[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Whether toWasmRequest meets a string or member name with a lone surrogate in `v` (it walks what it converts). */
const hasIllFormed = (v) => {
  if (typeof v === 'string') return !v.isWellFormed();
  if (v === null || typeof v !== 'object' || v instanceof Date || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return false;
  if (Array.isArray(v)) return v.some(hasIllFormed);
  return Object.keys(v).some((k) => v[k] !== null && v[k] !== undefined && (!k.isWellFormed() || hasIllFormed(v[k])));
};

/** Whether toWasmRequest meets a list with a null or undefined element in `v` (members that are null are dropped, not walked). */
const hasNullInList = (v) => {
  if (v === null || typeof v !== 'object' || v instanceof Date || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return false;
  if (Array.isArray(v)) return v.some((x) => x === null || x === undefined || hasNullInList(x));
  return Object.keys(v).some((k) => v[k] !== null && v[k] !== undefined && hasNullInList(v[k]));
};

const depthOf = (v) => {
  if (v === null || typeof v !== 'object' || v instanceof Date || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return 0;
  const kids = Array.isArray(v) ? v : Object.keys(v).map((k) => v[k]).filter((x) => x !== null && x !== undefined);
  return 1 + kids.reduce((m, x) => Math.max(m, depthOf(x)), 0);
};

fuzz('convert: toWasmRequest of any request tree converts as documented or says ValidationException', () => fc.property(
  fc.array(fc.tuple(key, tree), { maxLength: 6 }).map(objectOf),
  (request) => {
    let out;
    try {
      out = toWasmRequest(request);
    } catch (e) {
      assert.ok(!isProgrammingError(e), `threw ${e && e.stack}`);
      assert.ok(isValidation(e), `threw ${e && e.stack}`);
      // Only for a blob member that is not binary (null/undefined ones are dropped).
      const badBlob = Object.keys(request).some((k) => BINARY_MEMBERS.has(k) && request[k] != null && asBytes(request[k]) === undefined);
      assert.ok(badBlob || depthOf(request) > 32 || hasIllFormed(request) || hasNullInList(request), `ValidationException without a reason: ${e.message}`);
      assert.match(e.message, /binary data|nested too deeply|not well-formed Unicode|null element/);
      assert.ok(e.message.isWellFormed(), 'the message itself is well-formed');
      return;
    }
    assert.ok(!hasIllFormed(request), 'a lone surrogate reached the wasm');
    assert.ok(!hasNullInList(request), 'a list with a null element reached the wasm');
    assert.deepEqual(observed(out), expected(request));
    for (const k of Object.keys(out)) if (BINARY_MEMBERS.has(k)) assert.ok(out[k] instanceof Uint8Array, `${k} is binary`);
  },
));

fuzz('convert: binary of every kind becomes a view of the same bytes (no copy), Dates their milliseconds', () => fc.property(
  binary, oddDate, fc.constantFrom(...BLOBS),
  (b, date, member) => {
    const out = toWasmRequest({ [member]: b.value, ValidTo: date, Nested: { When: date, Blob: b.value } });
    assert.ok(out[member] instanceof Uint8Array);
    assert.deepEqual(Array.from(out[member]), Array.from(b.bytes));
    if (out[member].length > 0) {
      // A view, not a copy: a change through it shows in the caller's bytes.
      out[member][0] ^= 0xff;
      const src = b.value instanceof ArrayBuffer || b.value instanceof SharedArrayBuffer ? new Uint8Array(b.value) : new Uint8Array(b.value.buffer, b.value.byteOffset, b.value.byteLength);
      assert.equal(src[0], b.bytes[0] ^ 0xff);
      out[member][0] ^= 0xff;
    }
    assert.ok(Object.is(out.ValidTo, date.getTime()));
    assert.ok(Object.is(out.Nested.When, date.getTime()));
    assert.deepEqual(Array.from(out.Nested.Blob), Array.from(b.bytes));
  },
));

fuzz('convert: a non-binary blob member, a non-object request or one nested past 32 levels is a ValidationException', () => fc.property(
  fc.oneof(
    fc.tuple(fc.constantFrom(...BLOBS), fc.oneof(fc.string(), fc.array(fc.integer({ min: 0, max: 255 })), fc.double(), fc.boolean(), fc.object(), fc.bigInt(), oddDate))
      // (a list with a null element inside a non-binary value is refused for that first)
      .map(([k, v]) => ({ request: { [k]: v }, why: /binary data|null element/ })),
    fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.array(fc.anything()), oddDate, binary.map((b) => b.value), fc.bigInt())
      .map((request) => ({ request, why: /must be an object/ })),
    fc.tuple(fc.integer({ min: 33, max: 3000 }), fc.boolean()).map(([depth, arrays]) => {
      let v = 'x';
      for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
      return { request: { KeyId: 'k', Deep: v }, why: /nested too deeply/ };
    }),
  ),
  ({ request, why }) => {
    // Date, binary or array as the whole request: not an object of members.
    assert.throws(() => toWasmRequest(request), (e) => isValidation(e) && why.test(e.message));
  },
));

fuzz('convert: fromWasmResponse turns timestamp members into Dates at any depth and leaves the rest alone; clockMillis', () => fc.property(
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(fc.tuple(fc.constantFrom(...DATES), fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.double({ noNaN: false }))), { maxLength: 4 }),
  fc.oneof(fc.double(), fc.date({ noInvalidDate: false }), fc.anything()),
  (json, stamps, clock) => {
    const response = { Inner: { List: [Object.fromEntries(stamps)] }, ...Object.fromEntries(stamps), Data: json };
    const copy = structuredClone(response);
    const out = fromWasmResponse(response);
    for (const [k] of stamps) {
      assert.ok(out[k] instanceof Date, `${k} is a Date`);
      assert.ok(Object.is(out[k].getTime(), new Date(copy[k]).getTime()), `${k} keeps its milliseconds`);
      assert.ok(out.Inner.List[0][k] instanceof Date);
      assert.ok(Object.is(out.Inner.List[0][k].getTime(), new Date(copy[k]).getTime()));
    }
    // Other JSON stays as it was, except timestamp-named numbers inside it.
    const strip = (v) => {
      if (v instanceof Date) return { date: v.getTime() };
      if (Array.isArray(v)) return v.map(strip);
      if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).map((k) => [k, strip(v[k])]));
      return v;
    };
    const model = (v) => {
      if (Array.isArray(v)) return v.map(model);
      if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).map((k) => [k, typeof v[k] === 'number' && DATE_MEMBERS.has(k) ? { date: new Date(v[k]).getTime() } : model(v[k])]));
      return v;
    };
    assert.deepEqual(strip(out.Data), model(copy.Data));
    // The clock: a number stays, a Date gives its milliseconds, anything else is a ValidationException.
    if (typeof clock === 'number') assert.ok(Object.is(clockMillis(clock), clock));
    else if (clock instanceof Date) assert.ok(Object.is(clockMillis(clock), clock.getTime()));
    else assert.throws(() => clockMillis(clock), (e) => isValidation(e) && /clock/.test(e.message));
  },
));

fuzz('convert: a lone surrogate in any string or member name is a ValidationException; well-formed strings pass unchanged', () => fc.property(
  fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uDC00\uD800', 'a\uD800b'),
  fc.nat(20), fc.constantFrom('value', 'contextKey', 'contextValue', 'nested', 'array', 'member'),
  (left, right, lone, cut, where) => {
    const good = left + right;
    const points = [...left]; // cut between code points, never inside a pair
    const at = cut % (points.length + 1);
    const bad = points.slice(0, at).join('') + lone + points.slice(at).join('') + right;
    const place = (s) => {
      switch (where) {
        case 'value': return { KeyId: s };
        case 'contextKey': return { KeyId: 'k', EncryptionContext: { [s]: 'v' } };
        case 'contextValue': return { KeyId: 'k', EncryptionContext: { a: s } };
        case 'nested': return { Policy: { Statement: [{ Sid: s }] } };
        case 'array': return { GrantTokens: ['t', s] };
        default: return { [s]: 'x' };
      }
    };
    assert.deepEqual(toWasmRequest(place(good)), place(good));
    assert.throws(() => toWasmRequest(place(bad)), (e) => isValidation(e) && /not well-formed Unicode/.test(e.message) && e.message.isWellFormed());
  },
));
