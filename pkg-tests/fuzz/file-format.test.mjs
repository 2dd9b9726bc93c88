// Properties of the file store's on-disk format (npm/src/stores/file-format.js,
// imported by path from the installed package: it is not in the exports
// map) and of a file store opened over damaged files (fileStore, through
// createKms):
//
//   - parseCopy on the state copies a real store wrote: every header field,
//     the MAC under the store's key (and not under another);
//   - parseCopy on arbitrary bytes, and on bytes whose trailing SHA-256 was
//     recomputed (an attacker's or a buggy writer's): never throws; reports
//     damage in one of its sentences, or (SHA-256 fixed) a header whose
//     lengths add up and whose MAC does not verify;
//   - parseCopy on mutations of real copies (bit flips, truncations,
//     extensions, splices of two copies, a swapped generation, edited
//     length fields and mode/version bytes, each with or without the
//     SHA-256 fixed): only an unmodified copy is accepted as intact;
//   - a store opened over mutated state copies: with an intact copy left it
//     opens at the newest intact generation (with a warning naming the
//     damaged file); with none it refuses with a KmsError naming the store;
//     never another error, never a hang;
//   - a store opened over a mutated audit.log (bytes flipped, cut, inserted,
//     frames dropped, duplicated, swapped, or rebuilt with edited headers
//     and a valid SHA-256): it opens at its state; auditLog() and
//     verifyAuditLog() answer or fail with a KmsError, never a TypeError.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { after } from 'node:test';
import { createKms, fileStore, KmsError } from 'kms-wasm';
import { fc, fuzz, internal, isProgrammingError, within } from './common.mjs';

const F = await internal('./stores/file-format.js');

const sha256 = (b) => createHash('sha256').update(b).digest();
const ROOT_KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 9);
const MAC_KEY = F.subkey(ROOT_KEY, 'state mac');
const KEY_ID = F.subkey(ROOT_KEY, 'key id', 8);
const DAMAGE = new Set([
  'it is truncated', 'its checksum does not match', 'it is not a kms-wasm state file', 'its length does not match its header',
]);
const isDamage = (s) => typeof s === 'string' && (DAMAGE.has(s) || /^it has an unknown (format version|key mode) \d+$/.test(s));

const scratch = mkdtempSync(join(tmpdir(), 'kms-wasm-fuzz-store-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Console warnings of damaged stores are the point here: keep them off the output.
async function quietly(fn) {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

// ---- a real store ---------------------------------------------------------

const storeDir = join(scratch, 'store');
{
  const kms = await createKms({ store: fileStore(storeDir, { rootKey: ROOT_KEY }) });
  const { KeyMetadata } = await kms.createKey({ Description: 'fuzz' });
  await kms.createAlias({ AliasName: 'alias/fuzz', TargetKeyId: KeyMetadata.KeyId });
  await kms.encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: new Uint8Array([1, 2, 3]) });
  await kms.tagResource({ KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] });
  await kms.createKey({ Description: 'second' }); // the two copies differ in their keys
  await kms.createKey({ Description: 'third' });
  await kms.close();
}
const ORIGINAL = {
  'state.0': readFileSync(join(storeDir, 'state.0')),
  'state.1': readFileSync(join(storeDir, 'state.1')),
  'journal.0': readFileSync(join(storeDir, 'journal.0')),
  'journal.1': readFileSync(join(storeDir, 'journal.1')),
  'audit.log': readFileSync(join(storeDir, 'audit.log')),
};
// The commits after the base are in the journals (mirrors).
const JOURNALS = { 'journal.0': ORIGINAL['journal.0'], 'journal.1': ORIGINAL['journal.1'] };
assert.ok(JOURNALS['journal.0'].length > 0 && JOURNALS['journal.0'].equals(JOURNALS['journal.1']), 'the journals are mirrors holding commits');
const COPIES = [ORIGINAL['state.0'], ORIGINAL['state.1']];
const GENERATIONS = COPIES.map((c) => F.u64(c, 8));

/** Opens a store in a fresh folder holding `files`; returns what it shows, or the error. */
async function openStore(files, rootKey = ROOT_KEY) {
  const dir = mkdtempSync(join(scratch, 'open-'));
  try {
    for (const [name, bytes] of Object.entries(files)) if (bytes) writeFileSync(join(dir, name), bytes, { mode: 0o600 });
    return await quietly(async () => {
      const store = fileStore(dir, { rootKey });
      let kms;
      try {
        kms = await within(20_000, createKms({ store }), 'createKms over the store');
      } catch (error) {
        return { error, dir };
      }
      try {
        const keys = (await kms.listKeys({})).Keys.map((k) => k.KeyId).sort();
        let audit;
        let verify;
        try {
          audit = await within(20_000, kms.auditLog(), 'auditLog()');
        } catch (e) {
          audit = { error: e };
        }
        try {
          verify = await within(20_000, kms.verifyAuditLog(), 'verifyAuditLog()');
        } catch (e) {
          verify = { error: e };
        }
        return { keys, warnings: [...store.warnings], audit, verify, dir };
      } finally {
        await kms.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// What each copy holds on its own (the other one missing).
const KEYS_AT = new Map();
for (const name of ['state.0', 'state.1']) {
  const r = await openStore({ [name]: ORIGINAL[name], ...JOURNALS, 'audit.log': ORIGINAL['audit.log'] });
  assert.ok(!r.error, `the ${name} alone opens: ${r.error && r.error.stack}`);
  KEYS_AT.set(F.u64(ORIGINAL[name], 8), r.keys);
}
const FULL = await openStore(ORIGINAL);
assert.ok(!FULL.error && FULL.warnings.length === 0, 'the store opens cleanly');
assert.ok(Array.isArray(FULL.audit) && FULL.audit.length > 0);

// ---- mutations ------------------------------------------------------------

/** Rewrites the trailing SHA-256 over everything before it (when there is room). */
function fixDigest(b) {
  if (b.length < 32) return b;
  const out = Buffer.from(b);
  sha256(out.subarray(0, out.length - 32)).copy(out, out.length - 32);
  return out;
}

const mutationOf = (kinds) => fc.oneof(
  ...[
    kinds.includes('flip') && fc.record({ kind: fc.constant('flip'), at: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }) }),
    kinds.includes('truncate') && fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
    kinds.includes('extend') && fc.record({ kind: fc.constant('extend'), extra: fc.uint8Array({ minLength: 1, maxLength: 80 }) }),
    kinds.includes('splice') && fc.record({ kind: fc.constant('splice'), other: fc.nat(1), a: fc.nat(), b: fc.nat() }),
    kinds.includes('cut') && fc.record({ kind: fc.constant('cut'), from: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }),
    kinds.includes('insert') && fc.record({ kind: fc.constant('insert'), at: fc.nat(), extra: fc.uint8Array({ minLength: 1, maxLength: 80 }) }),
    kinds.includes('generation') && fc.record({ kind: fc.constant('generation'), value: fc.oneof(fc.constantFrom(...GENERATIONS, 0, 1, 2 ** 53, 2 ** 53 + 1), fc.bigUint64Array({ minLength: 1, maxLength: 1 }).map((a) => a[0])) }),
    kinds.includes('field') && fc.record({ kind: fc.constant('field'), offset: fc.constantFrom(40, 48, 52), value: fc.oneof(fc.nat(0xffffffff), fc.integer({ min: 0, max: 600 })) }),
    kinds.includes('byte') && fc.record({ kind: fc.constant('byte'), offset: fc.integer({ min: 0, max: 55 }), value: fc.integer({ min: 0, max: 255 }) }),
  ].filter(Boolean),
);

function applyTo(bytes, m, others) {
  const b = Buffer.from(bytes);
  const n = b.length;
  switch (m.kind) {
    case 'flip':
      for (const [pos, bit] of m.at) b[pos % n] ^= 1 << bit;
      return b;
    case 'truncate': return b.subarray(0, m.at % n);
    case 'extend': return Buffer.concat([b, m.extra]);
    case 'splice': {
      const o = others[m.other % others.length];
      return Buffer.concat([b.subarray(0, m.a % (n + 1)), o.subarray(m.b % (o.length + 1))]);
    }
    case 'cut': {
      const from = m.from % n;
      return Buffer.concat([b.subarray(0, from), b.subarray(Math.min(n, from + m.len))]);
    }
    case 'insert': {
      const at = m.at % (n + 1);
      return Buffer.concat([b.subarray(0, at), m.extra, b.subarray(at)]);
    }
    // Header edits apply where the header is still long enough.
    case 'generation': if (n >= 16) b.writeBigUInt64BE(BigInt(m.value), 8); return b;
    case 'field':
      if (m.offset === 40 && n >= 48) b.writeBigUInt64BE(BigInt(m.value), 40);
      else if (m.offset !== 40 && n >= m.offset + 4) b.writeUInt32BE(m.value, m.offset);
      return b;
    case 'byte': if (m.offset < n) b[m.offset] = m.value; return b;
    default: throw new Error(`unknown mutation ${m.kind}`);
  }
}

const ALL = ['flip', 'truncate', 'extend', 'splice', 'cut', 'insert', 'generation', 'field', 'byte'];
const mutatedCopy = fc.record({
  slot: fc.nat(1),
  steps: fc.array(mutationOf(ALL), { minLength: 1, maxLength: 3 }),
  fix: fc.boolean(),
}).map(({ slot, steps, fix }) => {
  let b = COPIES[slot];
  for (const m of steps) b = applyTo(b, m, COPIES);
  return { slot, steps, fix, bytes: fix ? fixDigest(b) : b };
});

const isOriginal = (b) => COPIES.some((c) => c.equals(b));

/** parseCopy's answer, checked for shape; `throws` never. */
function parsed(bytes) {
  let r;
  try {
    r = F.parseCopy(bytes);
  } catch (e) {
    assert.fail(`parseCopy threw ${isProgrammingError(e) ? 'a programming error ' : ''}${e && e.stack}`);
  }
  assert.ok(r && typeof r === 'object');
  if (r.damaged !== undefined) {
    assert.ok(isDamage(r.damaged), `an unknown damage sentence: ${r.damaged}`);
    return r;
  }
  // A parse: the lengths add up, the slices lie inside the bytes.
  assert.equal(F.STATE_HEADER + r.body.length + r.frame.length + 2 * F.DIGEST, bytes.length);
  assert.equal(r.salt.length, 16);
  assert.equal(r.keyId.length, 8);
  assert.ok(Number.isInteger(r.generation) && r.generation >= 0);
  assert.ok(Number.isInteger(r.auditEnd) && r.auditEnd >= 0);
  return r;
}

fuzz('file format: parseCopy reads the copies a real store wrote, and only its key verifies their MAC', () => fc.property(
  fc.nat(1), fc.uint8Array({ minLength: 32, maxLength: 32 }),
  (slot, otherKey) => {
    const r = parsed(COPIES[slot]);
    assert.equal(r.damaged, undefined);
    assert.equal(r.mode, F.MODE_KEY);
    assert.equal(r.generation, GENERATIONS[slot]);
    assert.ok(r.keyId.equals(KEY_ID));
    assert.ok(r.macOk(MAC_KEY));
    if (!Buffer.from(otherKey).equals(ROOT_KEY)) assert.equal(r.macOk(F.subkey(Buffer.from(otherKey), 'state mac')), false);
    assert.ok(r.frame.length === 0 || r.frame.subarray(0, 4).equals(F.AUDIT_MAGIC), 'the frame is an audit frame');
  },
), { smoke: 10 });

fuzz('file format: parseCopy of arbitrary bytes never throws; with a valid SHA-256 its MAC never verifies', () => fc.property(
  fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    // a plausible header: magic, version, lengths near the real ones
    fc.tuple(fc.uint8Array({ minLength: 48, maxLength: 48 }), fc.nat(300), fc.nat(300), fc.uint8Array({ maxLength: 700 }), fc.boolean())
      .map(([head, bodyLen, frameLen, rest, exact]) => {
        const h = Buffer.from(head);
        F.STATE_MAGIC.copy(h, 0);
        h[4] = F.VERSION;
        const lens = Buffer.alloc(8);
        lens.writeUInt32BE(bodyLen, 0);
        lens.writeUInt32BE(frameLen, 4);
        const tail = exact ? Buffer.alloc(bodyLen + frameLen + 64, 1) : Buffer.from(rest);
        return new Uint8Array(Buffer.concat([h, lens, tail]));
      }),
  ),
  fc.boolean(),
  (raw, fix) => {
    const bytes = fix ? fixDigest(Buffer.from(raw)) : Buffer.from(raw);
    const r = parsed(bytes);
    if (r.damaged === undefined) {
      assert.ok(fix, 'random bytes passed the SHA-256 check');
      assert.equal(r.macOk(MAC_KEY), false, 'a forged copy verifies under the store key');
    }
  },
));

fuzz('file format: parseCopy accepts a mutated copy never: damaged, or (SHA-256 fixed) a MAC that fails', () => fc.property(
  mutatedCopy,
  ({ bytes, fix }) => {
    const r = parsed(bytes);
    if (isOriginal(bytes)) {
      assert.equal(r.damaged, undefined);
      assert.ok(r.macOk(MAC_KEY));
      return;
    }
    if (r.damaged === undefined) {
      assert.ok(fix, 'a mutated copy passed the SHA-256 check');
      assert.equal(r.macOk(MAC_KEY), false, 'a mutated copy verifies under the store key');
    }
  },
), { smoke: 100 });

// ---- whole stores over damaged files --------------------------------------

const expectRefusal = (r, what) => {
  assert.ok(r.error, `${what}: the store opened over no intact copy (keys ${JSON.stringify(r.keys)}, warnings ${JSON.stringify(r.warnings)})`);
  assert.ok(!isProgrammingError(r.error), `${what}: ${r.error.stack}`);
  assert.ok(r.error instanceof KmsError, `${what}: not a KmsError: ${r.error.stack}`);
  assert.ok(r.error.message.includes(r.dir), `${what}: the error does not name the store: ${r.error.message}`);
};

const auditAnswers = (r) => {
  for (const [name, v] of [['auditLog()', r.audit], ['verifyAuditLog()', r.verify]]) {
    if (v && v.error) {
      assert.ok(!isProgrammingError(v.error) && v.error instanceof KmsError, `${name} threw ${v.error.stack}`);
      assert.ok(!/internal error/i.test(v.error.message) || !/TypeError|RangeError|Invalid/.test(v.error.message), `${name}: ${v.error.message}`);
    }
  }
};

/** A copy that passes the SHA-256 check and claims the passphrase mode (only a forgery can, here). */
const claimsPassphrase = (b) => {
  const r = F.parseCopy(b);
  return r.damaged === undefined && r.mode === F.MODE_PASSPHRASE;
};
// The passphrase mode, forged into a copy with its SHA-256 fixed.
const forgedModeCopy = fc.record({ slot: fc.nat(1), other: fc.array(mutationOf(['flip', 'generation', 'field']), { maxLength: 1 }) })
  .map(({ slot, other }) => {
    let b = Buffer.from(COPIES[slot]);
    for (const m of other) b = applyTo(b, m, COPIES);
    b[5] = F.MODE_PASSPHRASE;
    return { slot, steps: [...other, { kind: 'byte', offset: 5, value: F.MODE_PASSPHRASE }], fix: true, bytes: fixDigest(b) };
  });

const stateProperty = (forgedMode) => () => fc.asyncProperty(
  fc.tuple(
    fc.option(forgedMode ? fc.oneof(forgedModeCopy, mutatedCopy) : mutatedCopy, { nil: undefined }),
    fc.option(forgedMode ? fc.oneof(forgedModeCopy, mutatedCopy) : mutatedCopy, { nil: undefined }),
    fc.boolean(), fc.boolean(),
  ).filter(([a, b]) => a !== undefined || b !== undefined),
  async ([m0, m1, swap, wrongKey]) => {
    let files = { 'state.0': m0 ? m0.bytes : COPIES[0], 'state.1': m1 ? m1.bytes : COPIES[1] };
    if (swap) files = { 'state.0': files['state.1'], 'state.1': files['state.0'] };
    // A forged copy claiming the passphrase mode: the known failure below.
    if (!forgedMode) fc.pre(!Object.values(files).some(claimsPassphrase));
    else fc.pre(!wrongKey && Object.values(files).some(isOriginal) && Object.values(files).some(claimsPassphrase));
    const r = await openStore({ ...files, ...JOURNALS, 'audit.log': ORIGINAL['audit.log'] }, wrongKey ? OTHER_KEY : ROOT_KEY);
    const intact = Object.values(files).filter(isOriginal);
    if (wrongKey) {
      expectRefusal(r, 'another root key');
      return;
    }
    if (intact.length === 0) {
      expectRefusal(r, 'no intact copy');
      return;
    }
    assert.ok(!r.error, `an intact copy is left, yet: ${r.error && r.error.stack}`);
    const newest = Math.max(...intact.map((c) => F.u64(c, 8)));
    assert.deepEqual(r.keys, KEYS_AT.get(newest), 'the state of the newest intact generation');
    const damaged = Object.entries(files).filter(([, b]) => !isOriginal(b)).map(([name]) => name);
    for (const name of damaged) {
      assert.ok(r.warnings.some((w) => w.includes(name)), `no warning names the damaged ${name}: ${JSON.stringify(r.warnings)}`);
    }
    auditAnswers(r);
  },
);

fuzz('file store: opened over mutated state copies, it takes the newest intact one or refuses naming the store', stateProperty(false), { smoke: 12, weight: 0.3 });

// WAS FAILING, fixed in file-recovery.js (a copy whose mode byte is not the store's is damage when the other copy has it; found by the property above in a long run, seed 1503452493
// at run 1228: state.1 with byte 5 set to 0 and its SHA-256 fixed; the fix is in FileStore.scan in npm/src/stores/file.js, outside
// this change): a copy forged to claim the other key mode (byte 5, with its
// SHA-256 recomputed) that is the newest SHA-valid copy makes the store
// refuse to open — "The file store at DIR is sealed under a passphrase: open
// it with fileStore(path, { passphrase })." — although the other copy is
// intact and would open: scan() checks the mode of the newest SHA-valid copy
// before any MAC is checked, and refuses rather than falling back to an
// older copy of the right mode. (A mode that is neither 1 nor 2 is now
// reported by parseCopy as damage, "it has an unknown key mode N", the small
// part of the fix that belongs to file-format.js.)
fuzz('file store: a copy forged to claim the passphrase mode does not stop a store whose other copy is intact', stateProperty(true), {
  smoke: 12, weight: 0.3,
});

// audit.log, as frames (layout in file-format.js).
function framesOf(log) {
  const out = [];
  for (let pos = 0; pos + F.AUDIT_HEADER <= log.length;) {
    const total = F.AUDIT_HEADER + log.readUInt32BE(pos + 20) + F.DIGEST;
    out.push(log.subarray(pos, pos + total));
    pos += total;
  }
  return out;
}
const FRAMES = framesOf(ORIGINAL['audit.log']);
assert.ok(FRAMES.length >= 3 && Buffer.concat(FRAMES).equals(ORIGINAL['audit.log']), 'audit.log splits into frames');

/** A frame with an edited header field, its body cut or padded to the length it then claims, and a valid SHA-256. */
function rebuilt(frame, offset, value) {
  const header = Buffer.from(frame.subarray(0, F.AUDIT_HEADER));
  if (offset === 8) header.writeBigUInt64BE(BigInt(value), 8);
  else header.writeUInt32BE(value, offset);
  // A length past 1 MiB is not materialized: the frame then claims more than the file holds (torn).
  if (header.readUInt32BE(20) > 1 << 20) return Buffer.concat([header, frame.subarray(F.AUDIT_HEADER)]);
  const len = header.readUInt32BE(20);
  const body = Buffer.alloc(len);
  frame.subarray(F.AUDIT_HEADER, F.AUDIT_HEADER + Math.min(len, frame.length - F.AUDIT_HEADER - F.DIGEST)).copy(body);
  const without = Buffer.concat([header, body]);
  return Buffer.concat([without, sha256(without)]);
}

/** Body lengths (0-15) for which node:crypto throws outside readFrame's try (see the skipped property below). */
const CRASHING_BODY = (len) => len < 16;
const auditMutation = (shortFrames) => fc.oneof(
  mutationOf(['flip', 'truncate', 'extend', 'cut', 'insert']).map((m) => ({ bytes: true, m })),
  fc.record({ kind: fc.constant('drop'), i: fc.nat() }),
  fc.record({ kind: fc.constant('dup'), i: fc.nat() }),
  fc.record({ kind: fc.constant('swap'), i: fc.nat(), j: fc.nat() }),
  fc.record({
    kind: fc.constant('rebuild'),
    i: fc.nat(),
    offset: fc.constantFrom(8, 16, 20),
    value: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.nat(0xffff), fc.constantFrom(0, 1, 11, 12, 27, 28, 29, 0x7fffffff)),
  }).filter((m) => shortFrames || m.offset !== 20 || !CRASHING_BODY(m.value)),
);

function mutateAudit(steps) {
  let frames = [...FRAMES];
  let log = null;
  for (const s of steps) {
    if (s.bytes) {
      log = applyTo(log ?? Buffer.concat(frames), s.m, [ORIGINAL['audit.log']]);
      frames = null;
      continue;
    }
    if (!frames) frames = [log]; // after byte edits, frame edits act on the whole as one piece
    if (frames.length === 0) continue;
    const i = s.i % frames.length;
    if (s.kind === 'drop') frames.splice(i, 1);
    else if (s.kind === 'dup') frames.splice(i, 0, frames[i]);
    else if (s.kind === 'swap') {
      const j = s.j % frames.length;
      [frames[i], frames[j]] = [frames[j], frames[i]];
    } else if (s.kind === 'rebuild' && frames[i].length >= F.AUDIT_HEADER + F.DIGEST) frames[i] = rebuilt(frames[i], s.offset, s.value);
    log = Buffer.concat(frames);
  }
  return log ?? Buffer.concat(frames);
}

const auditProperty = (shortFrames) => () => fc.asyncProperty(
  shortFrames
    // at least one frame rebuilt with a 0-15-byte body
    ? fc.tuple(fc.array(auditMutation(true), { maxLength: 2 }), fc.nat(), fc.integer({ min: 0, max: 15 }))
      .map(([steps, i, len]) => [...steps, { kind: 'rebuild', i, offset: 20, value: len }])
    : fc.array(auditMutation(false), { minLength: 1, maxLength: 3 }),
  async (steps) => {
    const log = mutateAudit(steps);
    const r = await openStore({ 'state.0': COPIES[0], 'state.1': COPIES[1], ...JOURNALS, 'audit.log': log });
    if (r.error && steps.some((s) => s.kind === 'rebuild')) {
      // A frame with a valid SHA-256 whose sealed records do not open (its
      // header was edited): the store refuses, naming audit.log.
      assert.ok(!isProgrammingError(r.error) && r.error instanceof KmsError, `a forged frame: ${r.error.stack}`);
      assert.ok(r.error.message.includes(join(r.dir, 'audit.log')), `the error does not name audit.log: ${r.error.message}`);
      assert.ok(!/TypeError|RangeError|ERR_/.test(`${r.error.message} ${r.error.cause && r.error.cause.message}`), `a programming error inside: ${r.error.stack}`);
      return;
    }
    assert.ok(!r.error, `a damaged audit.log stopped the store: ${r.error && r.error.stack}`);
    assert.deepEqual(r.keys, FULL.keys);
    auditAnswers(r);
    if (log.equals(ORIGINAL['audit.log'])) assert.deepEqual(r.warnings, []);
    else if (Array.isArray(r.audit)) assert.ok(r.audit.length > 0, 'the current generation\'s records are there (from the copy, if need be)');
  },
);

fuzz('file store: opened over a mutated audit.log, it opens at its state and the audit calls answer or fail with a KmsError', auditProperty(false), { smoke: 12, weight: 0.3 });

// WAS FAILING, fixed in file.js (readFrame refuses a body shorter than nonce + tag; found by this property;
// outside this change): an audit frame whose body length field is 0-15 (not
// 4, 8 or 12), with a valid SHA-256, makes FileStore.readFrame call
// createDecipheriv / setAuthTag with an empty IV or a 1-15-byte tag outside
// its try: node:crypto throws a TypeError (ERR_CRYPTO_INVALID_IV,
// ERR_CRYPTO_INVALID_AUTH_TAG), and createKms over the store rejects with
// "KMSInternalException: An internal error occurred: Invalid authentication
// tag length: N" instead of the KMSInvalidStoreException naming audit.log
// that a longer forged frame gets. Counterexample (seed 1365223109):
// [{"kind":"rebuild","i":0,"offset":20,"value":0}] (the first frame rebuilt
// with body length 0). The fix: in readFrame, refuse `end - AUDIT_HEADER < 28`
// with the storeError of an unopenable frame (or move the frame parsing into
// file-format.js).
fuzz('file store: audit frames with bodies shorter than nonce + tag (valid SHA-256) are refused naming audit.log', auditProperty(true), {
  smoke: 12, weight: 0.3,
});

// ---- the journals ----------------------------------------------------------

const J = await internal('./stores/file-journal.js');
const JOURNAL = JOURNALS['journal.0'];
// The store's keys, as parseJournal checks entries against them.
const JSTORE = { mode: F.MODE_KEY, keyId: KEY_ID, macKey: MAC_KEY };

fuzz('file format: parseJournal of the journal a real store wrote reads every entry; of mutated or arbitrary bytes it never throws and keeps only intact entries', () => fc.property(
  fc.oneof(
    fc.array(mutationOf(['flip', 'truncate', 'extend', 'splice', 'cut', 'insert', 'field']), { minLength: 1, maxLength: 3 })
      .map((steps) => ({ steps, bytes: steps.reduce((b, m) => applyTo(b, m, [JOURNAL, COPIES[0]]), JOURNAL) })),
    fc.uint8Array({ maxLength: 600 }).map((b) => ({ steps: 'random', bytes: Buffer.from(b) })),
  ),
  ({ bytes }) => {
    const whole = J.parseJournal(JSTORE, JOURNAL);
    assert.equal(whole.stop, null);
    assert.ok(whole.entries.length >= 2);
    let r;
    try {
      r = J.parseJournal(JSTORE, bytes);
    } catch (e) {
      assert.fail(`parseJournal threw ${e && e.stack}`);
    }
    // Every entry it keeps is byte for byte one the store wrote, in order from the first.
    r.entries.forEach((e, i) => assert.ok(e.bytes.equals(whole.entries[i].bytes), `entry ${i} is not the store's`));
    if (r.stop === null) assert.equal(r.end, bytes.length);
    else assert.ok(r.stop.torn === true || typeof r.stop.damaged === 'string');
  },
), { smoke: 200, weight: 1 });

fuzz('file store: opened over mutated journals, it uses the intact one (warning naming the other) or, both damaged, refuses or opens at an earlier generation with a warning; never a programming error', () => fc.asyncProperty(
  fc.tuple(
    fc.option(fc.array(mutationOf(['flip', 'truncate', 'extend', 'cut', 'insert', 'field']), { minLength: 1, maxLength: 2 }), { nil: undefined }),
    fc.option(fc.array(mutationOf(['flip', 'truncate', 'extend', 'cut', 'insert', 'field']), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  ).filter(([a, b]) => a !== undefined || b !== undefined),
  async ([m0, m1]) => {
    const files = {
      'journal.0': m0 ? m0.reduce((b, m) => applyTo(b, m, [JOURNAL]), JOURNAL) : JOURNAL,
      'journal.1': m1 ? m1.reduce((b, m) => applyTo(b, m, [JOURNAL]), JOURNAL) : JOURNAL,
    };
    const r = await openStore({ 'state.0': COPIES[0], 'state.1': COPIES[1], ...files, 'audit.log': ORIGINAL['audit.log'] });
    const intact = Object.values(files).some((b) => b.equals(JOURNAL));
    if (intact) {
      assert.ok(!r.error, `an intact journal is left, yet: ${r.error && r.error.stack}`);
      assert.deepEqual(r.keys, FULL.keys, 'every commit is there');
      const whole = J.parseJournal(JSTORE, JOURNAL).entries.length;
      for (const [name, b] of Object.entries(files)) {
        // What a kill leaves — a torn last append, or one entry fewer — is
        // silent; damage, or a journal more than one entry behind, is not.
        const p = J.parseJournal(JSTORE, b);
        if ((p.stop && p.stop.damaged) || p.entries.length < whole - 1) {
          assert.ok(r.warnings.some((w) => w.includes(name)), `no warning names the damaged ${name}: ${JSON.stringify(r.warnings)}`);
        }
      }
    } else if (r.error) {
      assert.ok(!isProgrammingError(r.error) && r.error instanceof KmsError, `${r.error.stack}`);
      assert.ok(r.error.message.includes(r.dir), `the error does not name the store: ${r.error.message}`);
    } else {
      // Both journals changed. Each of them cut at an entry's edge, or with
      // a torn last entry, is what a kill during an append leaves (that
      // commit was never acknowledged): it may open silently at the last
      // entry both agree on. Damage inside an entry is reported by name.
      for (const [name, b] of Object.entries(files)) {
        const p = J.parseJournal(JSTORE, b);
        if (p.stop && p.stop.damaged) {
          assert.ok(r.warnings.some((w) => w.includes(name)), `no warning names the damaged ${name}: ${JSON.stringify(r.warnings)}`);
        }
      }
      assert.ok(r.keys.every((k) => FULL.keys.includes(k)), 'no key that the store never held');
    }
    auditAnswers(r);
  },
), { smoke: 12, weight: 0.3 });

assert.ok(existsSync(storeDir));
