// The portable test harness: plain ES module, no Node or browser globals.
// Suite files call `suite(name, (test) => { test('...', async () => {}) })`
// and export the result; node/suite.test.mjs registers the tests with
// node:test and browser/runner.js runs them in a page.

/** Collects the tests of one suite file. */
export function suite(name, define) {
  const tests = [];
  define((testName, fn) => {
    if (typeof fn !== 'function') throw new TypeError(`test ${testName} has no body`);
    tests.push({ name: testName, fn });
  });
  return { name, tests };
}

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
  }
}

// ---- formatting ----------------------------------------------------------

export function show(v, depth = 0) {
  if (v instanceof Uint8Array) {
    const head = Array.from(v.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
    return `Uint8Array(${v.length})[${head}${v.length > 16 ? '…' : ''}]`;
  }
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return String(v);
  if (depth > 3) return Array.isArray(v) ? '[…]' : '{…}';
  if (Array.isArray(v)) return `[${v.slice(0, 20).map((x) => show(x, depth + 1)).join(', ')}${v.length > 20 ? ', …' : ''}]`;
  const entries = Object.entries(v).map(([k, x]) => `${k}: ${show(x, depth + 1)}`);
  return `{${entries.join(', ')}}`;
}

const where = (msg) => (msg ? `${msg}: ` : '');

// ---- assertions ----------------------------------------------------------

export function ok(cond, msg = 'expected a truthy value') {
  if (!cond) throw new AssertionError(msg);
}

export function equal(actual, expected, msg) {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${where(msg)}expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function notEqual(actual, unexpected, msg) {
  if (Object.is(actual, unexpected)) throw new AssertionError(`${where(msg)}expected anything but ${show(unexpected)}`);
}

/** Structural equality: Dates by time, Uint8Arrays by bytes, objects by own enumerable keys. */
export function same(a, b) {
  if (Object.is(a, b)) return true;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ka = Object.keys(a).filter((k) => a[k] !== undefined).sort();
  const kb = Object.keys(b).filter((k) => b[k] !== undefined).sort();
  return same(ka, kb) && ka.every((k) => same(a[k], b[k]));
}

export function deepEqual(actual, expected, msg) {
  if (!same(actual, expected)) {
    throw new AssertionError(`${where(msg)}expected ${show(expected)},\n       got ${show(actual)}`);
  }
}

export function notDeepEqual(actual, expected, msg) {
  if (same(actual, expected)) throw new AssertionError(`${where(msg)}expected a value other than ${show(expected)}`);
}

export function bytes(v, msg) {
  if (!(v instanceof Uint8Array)) throw new AssertionError(`${where(msg)}expected a Uint8Array, got ${show(v)}`);
  return v;
}

export function date(v, msg) {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) {
    throw new AssertionError(`${where(msg)}expected a valid Date, got ${show(v)}`);
  }
  return v;
}

export function match(str, re, msg) {
  if (typeof str !== 'string' || !re.test(str)) throw new AssertionError(`${where(msg)}expected ${show(str)} to match ${re}`);
}

export function hasMembers(obj, members, msg) {
  ok(obj !== null && typeof obj === 'object', `${where(msg)}expected an object, got ${show(obj)}`);
  const missing = members.filter((m) => !(m in obj) || obj[m] === undefined);
  if (missing.length) throw new AssertionError(`${where(msg)}missing member(s) ${missing.join(', ')} in ${show(obj)}`);
}

/** An AWS-style failure: an Error whose name is the exception name and whose message is one sentence. */
export function isAwsError(err, name, msg) {
  if (!(err instanceof Error)) throw new AssertionError(`${where(msg)}expected an Error named ${name}, got ${show(err)}`);
  if (err.name !== name) {
    throw new AssertionError(`${where(msg)}expected ${name}, got ${err.name}: ${err.message}`);
  }
  const m = err.message;
  // One line. (AWS's own texts, which kms-wasm uses where it knows them, do
  // not always end in a period: "A validTo date must be set if ...".)
  if (typeof m !== 'string' || m.trim().length === 0 || /\n/.test(m)) {
    throw new AssertionError(`${where(msg)}${name} should carry a one-line message, got ${show(m)}`);
  }
  return err;
}

/**
 * Awaits `call` (a promise or a function returning one, or throwing) and
 * requires it to reject with an AWS error named `name`. Returns the error.
 */
export async function rejects(call, name, msg) {
  let value;
  try {
    value = await (typeof call === 'function' ? call() : call);
  } catch (err) {
    return isAwsError(err, name, msg);
  }
  throw new AssertionError(`${where(msg)}expected a rejection with ${name}, but it resolved to ${show(value)}`);
}

// ---- helpers -------------------------------------------------------------

export const DAY = 86_400_000;
export const DEFAULT_ACCOUNT = '111122223333';
export const DEFAULT_REGION = 'us-east-1';
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function keyArnRe(account = DEFAULT_ACCOUNT, region = DEFAULT_REGION) {
  return new RegExp(`^arn:aws:kms:${region}:${account}:key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);
}

export const utf8 = (s) => new TextEncoder().encode(s);
export const text = (b) => new TextDecoder().decode(b);

export function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A fake clock for `createKms({ now })`. */
export function fakeClock(start = '2030-01-01T00:00:00.000Z') {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    get ms() {
      return t;
    },
    date: (offsetMs = 0) => new Date(t + offsetMs),
    advance(ms) {
      t += ms;
    },
    set(d) {
      t = new Date(d).getTime();
    },
  };
}

/** All items of a paged List operation, following NextMarker. */
export async function listAll(call, request, member, limit) {
  const out = [];
  let Marker;
  for (let pages = 0; pages < 1000; pages += 1) {
    const req = { ...request };
    if (limit !== undefined) req.Limit = limit;
    if (Marker !== undefined) req.Marker = Marker;
    const res = await call(req);
    out.push(...res[member]);
    if (!res.Truncated) return out;
    Marker = res.NextMarker;
    ok(typeof Marker === 'string' && Marker.length > 0, 'a truncated page carries NextMarker');
  }
  throw new AssertionError('paging did not end');
}

/** Everything a caller can observe about the KMS, for "a failed call changes nothing". */
export async function observe(kms) {
  const keys = await listAll((r) => kms.listKeys(r), {}, 'Keys');
  const aliases = await listAll((r) => kms.listAliases(r), {}, 'Aliases');
  const perKey = {};
  for (const { KeyId, KeyArn } of keys) {
    const { KeyMetadata } = await kms.describeKey({ KeyId });
    perKey[KeyArn] = {
      KeyMetadata,
      tags: await listAll((r) => kms.listResourceTags(r), { KeyId }, 'Tags'),
      rotation: await kms.getKeyRotationStatus({ KeyId }),
      rotations: await listAll((r) => kms.listKeyRotations(r), { KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }, 'Rotations').catch((e) => `${e.name}`),
    };
  }
  const sortBy = (k) => (a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0);
  return { keys: keys.sort(sortBy('KeyArn')), aliases: aliases.sort(sortBy('AliasName')), perKey };
}
