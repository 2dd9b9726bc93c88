// The file store's journal: the commits since the base, each one entry
// holding only the records its call changed (record-level persistence).
//
//   PATH/journal.0, PATH/journal.1   two mirrored, append-only files of
//                                    entries ("KMSJ", file-format.js)
//
// A commit appends the same entry (generation G+1) to both files, fsyncing
// each, and is acknowledged after both: either file alone holds every
// acknowledged commit. The entries of a journal continue its base (the
// state copies, generation B): B+1, B+2, ... A new base (compaction: the
// journal outgrew the base) is written to the state copies first, then
// both journals are emptied; a kill in between leaves entries the base
// already holds, which are skipped and dropped.
//
// Reading (under the lock): each file's intact entries, in order, up to
// the first one that is torn (a kill during an append) or damaged; the two
// are merged by generation. What one file lost the other supplies (the
// damaged or lagging file is rewritten, and damage is reported). Entries
// that do not continue the base — the base is older than the journal —
// mean the state files were replaced by older ones: refused.

import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { readIfExists, readRange, writeAll, writeAtomic, writeMirrored } from './file-io.js';
import { JOURNAL_MAGIC, STATE_HEADER, DIGEST, parseCopy } from './file-format.js';

/** The size of the entry that starts at `pos` of `buf`, or null when its header is cut off. */
function entrySize(buf, pos) {
  if (pos + STATE_HEADER > buf.length) return null;
  return STATE_HEADER + buf.readUInt32BE(pos + 48) + buf.readUInt32BE(pos + 52) + 2 * DIGEST;
}

/**
 * The intact entries of one journal's bytes from `from`, and what stops
 * the reading: `torn` (an append cut short: the end of the file) or
 * `damaged` (why, and at which byte).
 */
export function parseJournal(store, bytes, from = 0, firstGeneration = null) {
  const entries = [];
  let pos = from;
  let stop = null;
  let expected = firstGeneration;
  while (pos < bytes.length) {
    const size = entrySize(bytes, pos);
    if (size === null || pos + size > bytes.length) {
      stop = { torn: true, offset: pos };
      break;
    }
    const e = parseCopy(bytes.subarray(pos, pos + size), JOURNAL_MAGIC);
    let why = e.damaged;
    if (!why && e.mode !== store.mode) why = 'its key mode does not match the store\'s';
    if (!why && !timingSafeEqual(e.keyId, store.keyId)) why = 'it is sealed under another key';
    if (!why && !e.macOk(store.macKey)) why = 'it was altered (the MAC does not match)';
    if (!why && expected !== null && e.generation !== expected) why = `it holds generation ${e.generation} where ${expected} should follow`;
    if (why) {
      stop = { damaged: why, offset: pos };
      break;
    }
    entries.push({ generation: e.generation, offset: pos, total: size, auditEnd: e.auditEnd, body: e.body, frame: e.frame, bytes: bytes.subarray(pos, pos + size) });
    expected = e.generation + 1;
    pos += size;
  }
  return { entries, stop, end: pos };
}

/**
 * Reads both journals against a base of generation `base`: the chain of
 * entries B+1, B+2, ... that either file holds, the bytes both files
 * should hold, and what to report. Throws nothing; `gap` says when the
 * journal does not continue the base (a rollback of the state files).
 */
export function readJournals(store, base) {
  const files = store.journalPaths.map((file) => {
    const bytes = readIfExists(file);
    if (bytes === null) return { file, missing: true, entries: [] };
    return { file, bytes, ...parseJournal(store, bytes) };
  });
  const byGeneration = new Map();
  for (const f of files) {
    for (const e of f.entries) if (e.generation > base && !byGeneration.has(e.generation)) byGeneration.set(e.generation, e);
  }
  const chain = [];
  for (let g = base + 1; byGeneration.has(g); g++) chain.push(byGeneration.get(g));
  const beyond = [...byGeneration.keys()].filter((g) => g > base + chain.length);
  const gap = beyond.length > 0 ? Math.min(...beyond) : null;
  return { files, chain, gap };
}

/** The bytes a journal holds for `chain`. */
export function journalBytes(chain) {
  return Buffer.concat(chain.map((e) => e.bytes));
}

/**
 * What is wrong with one journal file against the chain (entries after
 * the base `base`), or null: it holds the chain, or lags it by the one
 * entry a kill between the two appends leaves out.
 */
export function journalDamage(f, chain, base) {
  if (f.missing) return chain.length > 0 ? 'is missing' : null;
  if (f.stop && f.stop.damaged) return `is damaged at byte ${f.stop.offset} (${f.stop.damaged})`;
  const held = f.entries.filter((e) => e.generation > base).length;
  if (held < chain.length - 1) return `holds generation ${base + held}, older than generation ${base + chain.length}: an older copy was put back`;
  return null;
}

/** Whether a journal file's bytes are exactly `canonical`. */
export function holds(f, canonical) {
  return !f.missing && f.bytes.length === canonical.length && f.bytes.equals(canonical);
}

/** Rewrites the journal files that do not hold `canonical`. */
export function repairJournals(store, files, canonical) {
  for (const f of files) {
    if (!holds(f, canonical)) writeAtomic(store.dir, f.file, canonical);
  }
}

/** Empties both journals (after a new base): all-or-nothing per file. */
export function resetJournals(store) {
  closeJournals(store);
  writeMirrored(store.dir, store.journalPaths, Buffer.alloc(0));
}

/** Appends one entry to both journals, fsyncing each, after the last intact byte. */
export function appendEntry(store, bytes) {
  if (!store.journalFds) store.journalFds = store.journalPaths.map((f) => openSync(f, 'a+', 0o600));
  for (const fd of store.journalFds) {
    if (fstatSync(fd).size !== store.journalEnd) ftruncateSync(fd, store.journalEnd);
    writeAll(fd, bytes); // O_APPEND: at the end
    fsyncSync(fd);
  }
}

export function closeJournals(store) {
  if (!store.journalFds) return;
  for (const fd of store.journalFds) closeSync(fd);
  store.journalFds = undefined;
}

/** The sizes and inodes of the journals (change detection). */
export function journalStamp(store) {
  return store.journalPaths.map((file) => {
    try {
      const st = statSync(file);
      return `${st.size}/${st.ino}`;
    } catch (e) {
      if (e.code === 'ENOENT') return '-';
      throw e;
    }
  }).join('|');
}

/** The bytes [offset, offset + length) of journal.0. */
export function readJournalRange(store, offset, length) {
  return readRange(store.journalPaths[0], offset, length);
}
