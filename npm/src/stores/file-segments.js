// The file store's audit log in segments: PATH/audit.log is the segment
// being written; when it outgrows `auditSegmentBytes` it is closed —
// renamed to PATH/audit.SEQ.RECORDS.log (SEQ counts segments from 1,
// RECORDS is how many records it holds) — and a new audit.log starts. The
// hash chain runs on across segments: every record names the digest of the
// one before it, wherever that one is kept. `auditSegments` closed
// segments are kept (default: all); older ones are deleted. The KMS reads
// at most its retention of records (the newest ones, across segments), and
// verifies them from the first one it read, so deleting old segments never
// breaks verifyAuditLog(); it only shortens what auditLog() can return.
//
// Closing a segment, at the end of a commit, under the lock: audit.log is
// fsynced; an empty journal entry (the next generation, whose audit
// position is 0: "the log restarts here") is appended to both journals;
// then audit.log is renamed. A kill before the entry leaves a long
// audit.log, closed at the next commit; a kill after it leaves audit.log
// long (closed at the next commit) or gone (it starts again at the next
// append). Either way every frame stays in exactly one file.

import { closeSync, fsyncSync, readFileSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './file-io.js';
import { AUDIT_HEADER, DIGEST, sha256 } from './file-format.js';

const SEGMENT = /^audit\.(\d{6,})\.(\d+)\.log$/;

/** The closed segments of a store directory, oldest first: { file, seq, records }. */
export function listSegments(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
  return names
    .map((name) => SEGMENT.exec(name))
    .filter(Boolean)
    .map((m) => ({ file: join(dir, m[0]), seq: Number(m[1]), records: Number(m[2]) }))
    .sort((a, b) => a.seq - b.seq);
}

/** Records in the closed segments. */
export function segmentRecords(segments) {
  return segments.reduce((n, s) => n + s.records, 0);
}

/**
 * Closes audit.log if it outgrew the segment size: after the commit that
 * made it so (the caller holds the lock; `store.seq` is that commit).
 */
export function maybeCloseSegment(store) {
  if (store.auditEnd < store.auditSegmentBytes || store.records === 0) return;
  fsyncSync(store.auditHandle());
  // The journal says the log restarts at the next generation.
  store.appendEmptyEntry();
  const segments = listSegments(store.dir);
  const seq = (segments.at(-1)?.seq ?? 0) + 1;
  const file = join(store.dir, `audit.${String(seq).padStart(6, '0')}.${store.records}.log`);
  closeSync(store.auditFd);
  store.auditFd = undefined;
  renameSync(store.auditPath, file);
  fsyncDir(store.dir);
  segments.push({ file, seq, records: store.records });
  store.frames = [];
  store.records = 0;
  store.auditEnd = 0;
  // Retention: the oldest closed segments beyond `auditSegments` go.
  while (segments.length > store.auditSegments) unlinkSync(segments.shift().file);
  store.segments = segments;
}

/** Deletes every closed segment (restoreBackup replaces the whole log). */
export function dropSegments(store) {
  for (const s of listSegments(store.dir)) unlinkSync(s.file);
  store.segments = [];
}

/**
 * The records of a closed segment, oldest first (`open(body, offset)`
 * decrypts one frame's body). A damaged frame is reported through `warn`
 * and skipped: the chain shows where.
 */
export function readSegment(segment, openFrame, warn) {
  const buf = readFileSync(segment.file);
  const out = [];
  let pos = 0;
  while (pos + AUDIT_HEADER + DIGEST <= buf.length) {
    const len = buf.readUInt32BE(pos + 20);
    const end = pos + AUDIT_HEADER + len;
    if (end + DIGEST > buf.length || !sha256(buf.subarray(pos, end)).equals(buf.subarray(end, end + DIGEST))) {
      warn(`${segment.file} is damaged at byte ${pos}; the records from there on are lost (verifyAuditLog() shows where the chain breaks).`);
      break;
    }
    out.push(...openFrame(buf.subarray(pos, end + DIGEST), pos));
    pos = end + DIGEST;
  }
  return out;
}
