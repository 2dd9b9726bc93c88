// What the file store does when it opens or reloads (under its lock): read
// both state copies and the audit log, choose the copy to use, tell an
// interrupted commit from damage and from a rollback, and repair.
//
// The rules (file.js describes the files):
// - Both copies normally hold the same generation G (a commit writes both).
//   A kill between the two renames leaves one copy at G and the other at
//   G-1; the older one is rewritten silently. So does a store written by
//   earlier versions, which kept the current and the previous generation.
// - A commit appends its audit frame (tagged G+1) before it renames the
//   copies, so a kill leaves at most ONE frame newer than the copies: the
//   last frame of the log, tagged G+1. It is cut off silently.
// - More than that (several newer frames, a frame tagged G+2 or later, or a
//   generation older than this process already saw) cannot come from a
//   kill: the copies were replaced by older ones (a rollback), which would
//   bring back deleted or disabled keys. It is refused with
//   KMSInvalidStoreException and nothing is written.
// - A damaged or missing copy costs nothing when the other holds the same
//   generation. When the log shows a newer generation that no intact copy
//   holds (a store of an earlier version that lost its newest copy), that
//   change is lost: it is reported, its audit records are kept, and the
//   copies are rewritten as that newer generation so the log and the state
//   agree again.
// Every write happens after every refusal was decided: a refused open
// changes no file.

import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, readSync, statSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { storeError } from './spi.js';
import { listSegments } from './file-segments.js';
import { readIfExists, readRange, writeAll, writeAtomic, writeMirrored } from './file-io.js';
import {
  AUDIT_MAGIC, VERSION, AUDIT_HEADER, DIGEST, MODE_PASSPHRASE, STATE_HEADER, sha256, u64, parseCopy, peekGeneration,
} from './file-format.js';
import {
  readJournals, journalBytes, journalDamage, repairJournals, closeJournals, resetJournals, parseJournal,
} from './file-journal.js';

const EMPTY = Buffer.alloc(0);

/** What a copy that is not used holds, for messages. */
function describe(c) {
  if (c.missing) return `${c.file} is missing`;
  if (c.damaged) return `${c.file} is damaged (${c.damaged})`;
  if (c.wrongKey) return `${c.file} is damaged (it is sealed under another key)`;
  return `${c.file} holds generation ${c.generation}`;
}

/**
 * Catches up with commits other processes appended to the journal since
 * the last scan, reading only what was appended (the journal's and the
 * log's new tails), not the base. True when that was all that happened;
 * false for anything else (a new base, a journal that shrank or whose
 * copies differ, damage, frames that are not one commit's remnant): then
 * the full scan decides, reports and repairs.
 */
function scanTail(store) {
  if (!store.base || store.base.stamp !== `${peekGeneration(store.statePaths[0])}|${peekGeneration(store.statePaths[1])}`) return false;
  const tails = [];
  for (const file of store.journalPaths) {
    if (!existsSync(file)) return false;
    const size = statSync(file).size;
    if (size < store.journalEnd) return false;
    tails.push(readRange(file, store.journalEnd, size - store.journalEnd));
  }
  if (!tails[0].equals(tails[1])) return false;
  const { entries, stop } = parseJournal(store, tails[0], 0, store.seq + 1);
  if (stop) return false;
  const G = store.seq + entries.length;
  const log = readLog(store);
  if (log.tailCut !== null) return false;
  const ahead = log.frames.filter((f) => f.tag > G);
  let remnant = null;
  if (ahead.length === 1 && ahead[0].tag === G + 1 && ahead[0] === log.frames.at(-1)) remnant = ahead[0];
  else if (ahead.length > 0) return false;
  adoptLog(store, log, remnant);
  const last = entries.at(-1);
  if (last && last.frame.length > 0) repairFrame(store, last);
  for (const e of entries) {
    const offset = store.journalEnd + e.offset;
    store.chain.push({ generation: e.generation, offset, total: e.total, bodyStart: offset + STATE_HEADER, bodyLength: e.body.length });
  }
  store.journalEnd += tails[0].length;
  store.seq = G;
  store.fingerprint = store.fingerprintNow();
  return true;
}

/**
 * Reads both state copies, both journals and the audit log (from where the
 * last scan ended), chooses the current copy, reports damage, cuts off the
 * remnant of a commit that never happened, refuses a rollback, repairs.
 * After a first scan, commits of other processes are read from the tails
 * only (scanTail).
 */
export async function scan(store) {
  store.segments = listSegments(store.dir);
  if (store.opened && store.rootKey && scanTail(store)) return;
  const files = store.statePaths;
  // Mirrors are normally byte for byte the same: then one is checked (its
  // SHA-256 and MAC), not both — at 100,000 keys each check reads 45 MB.
  const read = files.map(readIfExists);
  const same = read[0] !== null && read[1] !== null && read[0].equals(read[1]);
  let shared = null;
  const copies = files.map((file, slot) => {
    const bytes = read[slot];
    if (bytes === null) return { slot, file, missing: true };
    if (same && shared) return { slot, file, bytes, ...shared };
    const parsed = parseCopy(bytes);
    if (parsed.macOk) {
      let verdict;
      const check = parsed.macOk;
      parsed.macOk = (key) => (verdict ??= check(key));
    }
    if (same) shared = parsed;
    return { slot, file, bytes, ...parsed };
  });
  const present = copies.filter((c) => !c.missing);
  const auditExists = existsSync(store.auditPath);
  if (present.length === 0) return startEmpty(store, auditExists);
  const checked = present.filter((c) => !c.damaged);
  if (checked.length === 0) {
    throw storeError(`The file store at ${store.dir} cannot be opened: ${present.map((c) => `${c.file} is damaged (${c.damaged})`).join('; ')}${present.length < 2 ? `; ${copies.find((c) => c.missing).file} is missing` : ''}. No intact copy of the state is left, and the store will not start empty over it; restore it from a backup.`);
  }
  // The mode byte is not verified until the MAC is: a copy whose mode is not
  // the store's is refused only when no copy has the store's mode (else it
  // is a damaged copy, and the other one serves).
  const sameMode = checked.filter((c) => c.mode === store.mode);
  if (sameMode.length === 0) {
    const first = checked.reduce((a, b) => (b.generation > a.generation ? b : a));
    throw storeError(first.mode === MODE_PASSPHRASE
      ? `The file store at ${store.dir} is sealed under a passphrase: open it with fileStore(path, { passphrase }).`
      : `The file store at ${store.dir} is sealed under a root key (a key file or rootKey), not a passphrase.`);
  }
  for (const c of checked) {
    if (c.mode !== store.mode) c.damaged = 'its key mode was altered (the other copy holds the store\'s)';
  }
  const first = sameMode.reduce((a, b) => (b.generation > a.generation ? b : a));
  await store.loadKey(true, first.salt);
  for (const c of sameMode) {
    if (!timingSafeEqual(c.keyId, store.keyId)) c.wrongKey = true;
    else if (!c.macOk(store.macKey)) c.damaged = 'its header or body was altered (the MAC does not match)';
  }
  const good = sameMode.filter((c) => !c.wrongKey && !c.damaged);
  if (good.length === 0) {
    if (sameMode.some((c) => c.wrongKey)) {
      throw storeError(`The file store at ${store.dir} is sealed under another key: ${store.describeKey()} does not open ${sameMode.filter((c) => c.wrongKey).map((c) => c.file).join(' or ')} (the key or passphrase is wrong).`);
    }
    throw storeError(`The file store at ${store.dir} cannot be opened: ${present.map((c) => `${c.file} is damaged (${c.damaged ?? 'sealed under another key'})`).join('; ')}. No intact copy of the state is left; restore it from a backup.`);
  }
  const best = good.reduce((a, b) => (b.generation > a.generation ? b : a));
  const B = best.generation;
  const other = copies[1 - best.slot];
  const otherIntact = !other.missing && !other.damaged && !other.wrongKey;

  // 1. Read the journals and the log; decide; no write yet.
  const journal = readJournals(store, B);
  const { chain } = journal;
  const G = B + chain.length;
  const last = chain.at(-1) ?? best;
  const journalDamages = journal.files.map((f) => [f, journalDamage(f, chain, B)]).filter(([, d]) => d);
  // Whether every commit is held twice: then the log's tail can be judged
  // (a frame newer than the state is the remnant of a killed commit).
  const redundant = otherIntact && journalDamages.length === 0;
  const log = readLog(store);
  const ahead = log.frames.filter((f) => f.tag > G);
  const newest = ahead.reduce((m, f) => Math.max(m, f.tag), G);
  let remnant = null;
  let rollback = null;
  const holds = other.missing || other.damaged || other.wrongKey || other.generation !== B
    ? `${best.file} holds generation ${B} and ${describe(other)}`
    : `${files[0]} and ${files[1]} hold generation ${B}`;
  const state = chain.length ? `${holds}, the journal continues it to generation ${G}` : holds;
  if (journal.gap !== null) {
    rollback = `the journal holds generation ${journal.gap} and later, which do not continue generation ${G}`;
  } else if (store.seq > G) {
    rollback = `this process already saw generation ${store.seq}`;
  } else if (ahead.length > 0) {
    if (redundant) {
      if (ahead.length === 1 && ahead[0].tag === G + 1 && ahead[0] === log.frames.at(-1)) remnant = ahead[0];
      else rollback = `${store.auditPath} holds ${ahead.length} audit frames of later generations (up to ${newest})`;
    } else if (newest > G + 1) {
      // A lost copy explains one lost generation, never more.
      rollback = `${store.auditPath} holds audit frames of generations up to ${newest}`;
    }
  }
  if (rollback) {
    throw storeError(`The file store at ${store.dir} went back to an older state: ${state}, but ${rollback}. A commit cut short leaves the state at most one audit frame behind the log, so the state or journal files were replaced by older copies (a rollback, which would bring back deleted or disabled keys). Refusing to open it; nothing was changed. Put the newer files back, or restore state.0, state.1, journal.0, journal.1 and audit.log together from one backup.`);
  }
  // A lost copy that held a newer generation: the state carries the newest
  // generation of the log from now on (an empty journal entry), so that
  // the log and the state agree.
  const target = redundant ? G : newest;
  const bump = target > G;

  // 2. Report.
  const lostNote = newest > G
    ? `${store.auditPath} holds records of generation ${newest}, which no intact copy holds: the change committed as generation ${newest} is lost (its audit records are kept)`
    : `nothing is lost: ${chain.length ? 'the journal' : best.file} holds generation ${G}, the newest commit recorded in ${store.auditPath}`;
  if (!otherIntact) {
    store.warnOnce(`${other.file}:${other.missing ? 'missing' : other.bytes.length}:${B}`, `${describe(other)}; using ${best.file} (generation ${B}): ${chain.length && newest <= G ? 'nothing is lost' : lostNote}. ${other.file} is written again.`);
  } else if (other.generation < B - 1 && !compactionCutShort(journal, other.generation, B)) {
    store.warnOnce(`${other.file}:old:${other.generation}:${B}`, `${other.file} holds generation ${other.generation}, older than ${best.file} (generation ${B}): an older copy was put back. Using ${best.file}, nothing is lost; ${other.file} is rewritten from it.`);
  }
  for (const [f, damage] of journalDamages) {
    const good = journal.files.find((x) => x !== f);
    store.warnOnce(`${f.file}:${damage}:${G}`, `${f.file} ${damage}; using ${good.file}: ${lostNote}. ${f.file} is written again.`);
  }

  // 3. Write: the log's tail, then the copies and the journals.
  adoptLog(store, log, remnant);
  if (!log.exists && last.auditEnd > last.frame.length) {
    store.warnOnce(`audit-missing:${G}`, `${store.auditPath} is missing: the audit log of this store (${last.auditEnd} bytes at generation ${G}) is lost.`);
  }
  if (redundant && last.frame.length > 0) repairFrame(store, last);
  if (redundant && store.auditEnd < last.auditEnd) {
    store.warnOnce(`audit-short:${G}`, `${store.auditPath} is shorter than generation ${G} recorded (${store.auditEnd} < ${last.auditEnd} bytes): audit records were lost or removed.`);
  }
  if (other.missing || other.damaged || other.wrongKey || other.generation !== B) {
    try {
      writeAtomic(store.dir, other.file, best.bytes);
    } catch (e) {
      // Not fatal: the copies are written again at the next new base.
      store.warnOnce(`mirror:${other.file}:${B}`, `${other.file} could not be rewritten (${e.message}); it is written at the next new base.`);
    }
  }
  let entries = chain;
  if (bump) {
    // The state becomes generation `target` (no change of its own, no frame).
    const prev = chain.at(-1);
    const at = prev ? prev.offset + prev.total : 0;
    const bytes = store.entryBytes(target, EMPTY, EMPTY);
    entries = [...chain, { generation: target, offset: at, total: bytes.length, body: EMPTY, frame: EMPTY, bytes }];
  }
  const canonical = journalBytes(entries);
  closeJournals(store);
  repairJournals(store, journal.files, canonical);
  store.current = best.body;
  store.base = { generation: B, stamp: `${peekGeneration(files[0])}|${peekGeneration(files[1])}` };
  store.chain = entries.map(({ generation, offset, total, body }) => ({ generation, offset, total, bodyStart: offset + STATE_HEADER, bodyLength: body.length }));
  store.journalEnd = canonical.length;
  store.seq = target;
  store.fingerprint = store.fingerprintNow();
}

/**
 * Whether a copy at generation `older` and a base at `B` are what a kill
 * while a new base was written leaves: one copy renamed, the other not
 * yet, and the journals not yet emptied — they still hold the entries
 * from `older` + 1 to `B` - 1. (A copy put back from an earlier time has
 * no such entries beside it.)
 */
function compactionCutShort(journal, older, B) {
  const held = new Set(journal.files.flatMap((f) => f.entries.map((e) => e.generation)));
  for (let g = older + 1; g < B; g++) if (!held.has(g)) return false;
  return true;
}

/**
 * Neither copy exists. A new store starts empty and gets its first copies
 * (generation 0, an empty state) at once, so that from then on its key file
 * never exists without them. Refused when the store was in use: the audit
 * log exists, this process saw a generation, or the default key file
 * (PATH.key, made for this store alone) was there before this open. A key
 * file given with `keyFile` may serve several stores and a rootKey or
 * passphrase leaves no file: then nothing tells a store whose files were all
 * deleted from a new one, and it starts empty.
 */
async function startEmpty(store, auditExists) {
  const [s0, s1] = store.statePaths;
  const journals = store.journalPaths.filter((f) => existsSync(f) && statSync(f).size > 0);
  const segments = store.segments ?? [];
  if (auditExists || store.seq > 0 || journals.length > 0 || segments.length > 0) {
    const why = auditExists ? 'audit.log exists' : journals.length > 0 ? `${journals[0]} holds commits` : segments.length > 0 ? `${segments[0].file} holds its audit records` : `generation ${store.seq} was seen`;
    throw storeError(`The file store at ${store.dir} has lost its state: neither ${s0} nor ${s1} exists, but the store was in use (${why}). Refusing to start empty over existing data; restore it from a backup.`);
  }
  if (store.ownKeyFile && existsSync(store.keyFile)) {
    throw storeError(`The file store at ${store.dir} has lost its state: ${s0}, ${s1}, ${store.journalPaths.join(', ')} and ${store.auditPath} are missing, but its key file ${store.keyFile} exists, so the store was in use. Refusing to start empty over it; restore the store from a backup. (If it never held keys, remove ${store.keyFile} to start a new, empty store.)`);
  }
  await store.loadKey(false);
  store.current = null;
  store.seq = 0;
  writeMirrored(store.dir, store.statePaths, store.stateBytes(0, EMPTY, EMPTY));
  resetJournals(store);
  store.base = { generation: 0, stamp: `${peekGeneration(s0)}|${peekGeneration(s1)}` };
  store.chain = [];
  store.journalEnd = 0;
  store.fingerprint = store.fingerprintNow();
}

/**
 * The intact frames of audit.log (those of earlier scans kept, the rest
 * read), where its intact part ends, where a damaged tail starts. Reads
 * only; warns about damage.
 */
function readLog(store) {
  const log = { frames: [], records: 0, end: 0, tailCut: null, exists: true };
  if (!existsSync(store.auditPath)) {
    if (store.auditFd !== undefined) closeSync(store.auditFd); // of a deleted file
    store.auditFd = undefined;
    log.exists = false;
    return log;
  }
  let fd = store.auditHandle();
  let frames = store.frames;
  if (fstatSync(fd).ino !== statSync(store.auditPath).ino) {
    // replaced (restoreBackup in another process): read it from the start,
    // now and at the next scan if this one is refused
    closeSync(fd);
    store.auditFd = undefined;
    fd = store.auditHandle();
    frames = [];
    store.frames = [];
    store.auditEnd = 0;
    store.records = 0;
  }
  const size = fstatSync(fd).size;
  let from = store.auditEnd;
  if (from > size || frames.length === 0) {
    from = 0;
    frames = [];
  }
  log.frames = [...frames];
  log.size = size;
  log.fd = fd;
  const buf = Buffer.alloc(size - from);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, from + got);
    if (n === 0) break;
    got += n;
  }
  const frameAt = (pos) => {
    if (pos + AUDIT_HEADER + DIGEST > got) return { torn: true };
    if (!buf.subarray(pos, pos + 4).equals(AUDIT_MAGIC) || buf[pos + 4] !== VERSION) return { bad: true };
    const len = buf.readUInt32BE(pos + 20);
    const total = AUDIT_HEADER + len + DIGEST;
    if (pos + total > got) return { torn: true };
    const end = pos + AUDIT_HEADER + len;
    if (!sha256(buf.subarray(pos, end)).equals(buf.subarray(end, end + DIGEST))) return { bad: true, full: true };
    return { frame: { offset: from + pos, total, tag: u64(buf, pos + 8), count: buf.readUInt32BE(pos + 16) } };
  };
  let pos = 0;
  while (pos < got) {
    const f = frameAt(pos);
    if (f.frame) {
      log.frames.push(f.frame);
      pos += f.frame.total;
      continue;
    }
    // Find the next intact frame, if any.
    let next = -1;
    for (let i = buf.indexOf(AUDIT_MAGIC, pos + 1); i !== -1; i = buf.indexOf(AUDIT_MAGIC, i + 1)) {
      if (frameAt(i).frame) {
        next = i;
        break;
      }
    }
    if (next === -1) {
      if (!f.torn || f.full) {
        store.warnOnce(`audit-tail:${from + pos}`, `${store.auditPath} is damaged at byte ${from + pos} (its last ${got - pos} bytes); the records there are lost.`);
      }
      log.tailCut = from + pos; // a torn append (or damage) at the end: nothing readable
      break;
    }
    store.warnOnce(`audit-mid:${from + pos}`, `${store.auditPath} is damaged between bytes ${from + pos} and ${from + next}; the records there are lost (verifyAuditLog() shows where the chain breaks).`);
    pos = next;
  }
  log.end = log.tailCut ?? from + got;
  return log;
}

/** Makes `log` the store's, without `remnant` (cut off with the damaged tail). */
function adoptLog(store, log, remnant) {
  if (!log.exists) {
    store.frames = [];
    store.records = 0;
    store.auditEnd = 0;
    return;
  }
  const frames = remnant ? log.frames.filter((f) => f !== remnant) : log.frames;
  const cut = remnant ? remnant.offset : log.tailCut;
  store.frames = frames;
  store.records = frames.reduce((n, f) => n + f.count, 0);
  store.auditEnd = cut ?? log.end;
  if (cut !== null && cut < log.size) {
    ftruncateSync(log.fd, cut);
    fsyncSync(log.fd);
  }
}

/**
 * The current copy's own audit frame must be in audit.log where the copy
 * says (its append is not fsynced): after a power loss it is written again.
 */
export function repairFrame(store, best) {
  const at = best.auditEnd - best.frame.length;
  let there;
  for (let i = store.frames.length - 1; i >= 0 && store.frames[i].offset >= at; i--) {
    if (store.frames[i].offset === at) there = store.frames[i];
  }
  if (there && there.total === best.frame.length) {
    const b = Buffer.alloc(there.total);
    readSync(store.auditHandle(), b, 0, there.total, at);
    if (b.equals(best.frame)) return;
  }
  if (store.frames.some((f) => f.offset > at) || store.auditEnd > at) {
    store.warnOnce(`frame-mismatch:${best.generation}`, `${store.auditPath} does not hold the audit records of generation ${best.generation} where its state copy says; they are appended again.`);
  } else if (store.auditEnd < at) {
    store.warnOnce(`frame-gap:${best.generation}`, `${store.auditPath} lost ${at - store.auditEnd} bytes of audit records before generation ${best.generation} (power loss?); the records of that generation are written again from its state copy.`);
  }
  const tag = u64(best.frame, 8);
  const count = best.frame.readUInt32BE(16);
  const fd = store.auditHandle();
  if (fstatSync(fd).size !== store.auditEnd) ftruncateSync(fd, store.auditEnd);
  writeAll(fd, best.frame);
  fsyncSync(fd);
  store.frames.push({ offset: store.auditEnd, total: best.frame.length, tag, count });
  store.records += count;
  store.auditEnd += best.frame.length;
}
