// fileStore(path): a directory on a local file system (Node only).
//
//   PATH/state.0, PATH/state.1   two mirrored copies of the base: every
//                                record of the state at one generation. A
//                                new base is written to both (each through
//                                a temp file, fsynced and renamed; then one
//                                fsync of the directory). So either copy
//                                alone holds it: one damaged or deleted copy
//                                loses nothing, and is rewritten from the
//                                other. A kill between the two renames
//                                leaves one copy a generation behind; the
//                                newer one is used and the older one
//                                rewritten. (Stores of earlier versions kept
//                                a whole snapshot here, and the current and
//                                the previous generation; they open, and
//                                their first commit writes a base.)
//   PATH/journal.0, PATH/journal.1   two mirrored append-only journals of
//                                the commits since the base, each entry
//                                holding only the records its call changed
//                                (file-journal.js). A commit appends its
//                                entry to both, fsyncing each, and resolves
//                                after both. When the journal outgrows the
//                                base, the commit writes a new base instead.
//   PATH/audit.log               append-only frames of audit records
//   PATH/lock                    the writer lock ("PID HOST TOKEN [hb]")
//   PATH/wait-PID-*              processes waiting for the lock (fairness)
//   PATH.key                     the root key (32 bytes, mode 0600), unless
//                                a rootKey or passphrase is given
//
// Commit: append the audit frame, then the journal entry to both journals
// (or a new base to both copies). A kill at any instant leaves the state
// before or after the commit. A new store gets
// its first copies (generation 0, empty) when it is created, so a store
// whose files are gone is told from a new one (file-recovery.js). Keys:
// HKDF-SHA-256 of the root key for the key id, the header MAC and the audit
// frames (the wasm seals the body with the root key itself).
// The format of the files is in file-format.js, the lock in file-lock.js,
// what opening does with damage, crashes and rollbacks in file-recovery.js.

import {
  closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, statSync, watch,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { KmsError } from '../errors.js';
import { asBytes } from '../convert.js';
import { storeError, warn } from './spi.js';
import { fsyncDir, writeAtomic, writeAll, writeMirrored } from './file-io.js';
import { scan } from './file-recovery.js';
import { FileLock } from './file-lock.js';
import {
  STATE_MAGIC, JOURNAL_MAGIC, AUDIT_MAGIC, VERSION, STATE_HEADER, AUDIT_HEADER, DIGEST, MODE_KEY, MODE_PASSPHRASE, MAX_BODY,
  sha256, subkey, peekGeneration,
} from './file-format.js';
import {
  appendEntry, closeJournals, journalStamp, readJournalRange, resetJournals,
} from './file-journal.js';
import {
  dropSegments, listSegments, maybeCloseSegment, readSegment, segmentRecords,
} from './file-segments.js';

/** audit.log is closed into a segment past this size (file-segments.js). */
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const MIN_SEGMENT_BYTES = 4096;
const EMPTY = Buffer.alloc(0);

/** The journal may grow to this size (option journalBytes), or the base's if larger, before a commit writes a new base. */
const MIN_JOURNAL_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

class FileStore {
  constructor(path, options) {
    if (typeof path !== 'string' && !(path instanceof URL)) {
      throw new KmsError('ValidationException', 'fileStore needs a directory path (a string or file URL).');
    }
    const dir = resolve(path instanceof URL ? decodeURIComponent(path.pathname) : path);
    if (options === null || typeof options !== 'object') throw new KmsError('ValidationException', 'fileStore options must be an object.');
    const {
      rootKey, passphrase, keyFile, auditSegmentBytes = DEFAULT_SEGMENT_BYTES, auditSegments = Infinity, journalBytes = MIN_JOURNAL_BYTES,
    } = options;
    if (!Number.isSafeInteger(journalBytes) || journalBytes < MIN_SEGMENT_BYTES) {
      throw new KmsError('ValidationException', `fileStore journalBytes must be a whole number of bytes, at least ${MIN_SEGMENT_BYTES}.`);
    }
    this.journalBytes = journalBytes;
    if (!Number.isSafeInteger(auditSegmentBytes) || auditSegmentBytes < MIN_SEGMENT_BYTES) {
      throw new KmsError('ValidationException', `fileStore auditSegmentBytes must be a whole number of bytes, at least ${MIN_SEGMENT_BYTES}.`);
    }
    if (auditSegments !== Infinity && (!Number.isSafeInteger(auditSegments) || auditSegments < 0)) {
      throw new KmsError('ValidationException', 'fileStore auditSegments must be a whole number of closed audit segments to keep (0 or more), or Infinity.');
    }
    this.auditSegmentBytes = auditSegmentBytes;
    this.auditSegments = auditSegments;
    const given = [rootKey !== undefined, passphrase !== undefined].filter(Boolean).length;
    if (given > 1) throw new KmsError('ValidationException', 'fileStore takes a rootKey or a passphrase, not both.');
    if (rootKey !== undefined) {
      const k = asBytes(rootKey);
      if (!k || k.length !== 32) throw new KmsError('ValidationException', 'fileStore rootKey must be 32 bytes.');
      this.givenKey = Buffer.from(k);
    }
    if (passphrase !== undefined && (typeof passphrase !== 'string' || passphrase === '')) {
      throw new KmsError('ValidationException', 'fileStore passphrase must be a non-empty string.');
    }
    this.passphrase = passphrase;
    this.dir = dir;
    this.keyFile = keyFile !== undefined ? resolve(String(keyFile)) : `${dir}.key`;
    // PATH.key belongs to this store alone: its presence shows the store was used.
    this.ownKeyFile = keyFile === undefined && rootKey === undefined && passphrase === undefined;
    this.statePaths = [join(dir, 'state.0'), join(dir, 'state.1')];
    this.journalPaths = [join(dir, 'journal.0'), join(dir, 'journal.1')];
    this.auditPath = join(dir, 'audit.log');
    this.kind = 'file';
    this.shared = true;
    // Audit records are written and the lock released before each call
    // resolves: a process busy after a call must not hold up the others.
    this.releaseAfterCall = true;
    this.form = 'sealed';
    // Commits write the records they changed to the journal (file-journal.js).
    this.recordLevel = true;
    this.auditPolicy = 'commit';
    this.warnings = [];
    this.warned = new Set();
    this.opened = false;
    this.listeners = new Set();
  }

  warnOnce(key, message) {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    warn(this, message);
  }

  get mode() {
    return this.passphrase !== undefined ? MODE_PASSPHRASE : MODE_KEY;
  }

  /** The head the client compares: changes with every commit and every append. */
  head() {
    const records = this.records + segmentRecords(this.segments);
    return { seq: this.seq, mark: `${this.seq}:${this.auditEnd}`, records, full: this.wantsFull() };
  }

  /**
   * Whether the next commit should write a new base: the store is new, its
   * base is a snapshot of an earlier version, or the journal outgrew the
   * base (so a commit costs what it changed, amortized, and opening reads
   * at most about twice the state).
   */
  wantsFull() {
    const base = this.current;
    if (!base || base.length < 4 || base.subarray(0, 4).toString('latin1') !== 'KMSD') return true;
    return this.journalEnd > Math.max(this.journalBytes, base.length);
  }

  async open({ deriveKey }) {
    if (this.opened) throw new KmsError('ValidationException', `This fileStore(${this.dir}) is already open in a KMS; make another fileStore for a second KMS.`);
    this.deriveKey = deriveKey;
    try {
      const st = statSync(this.dir);
      if (!st.isDirectory()) throw storeError(`The file store path ${this.dir} is not a directory.`);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    }
    this.mutex = new FileLock(this.dir);
    this.auditFd = undefined;
    this.seq = 0;
    this.current = null;
    this.auditEnd = 0;
    this.frames = [];
    this.records = 0;
    this.chain = [];
    this.journalEnd = 0;
    this.journalFds = undefined;
    this.base = { generation: 0, stamp: '' };
    this.segments = listSegments(this.dir);
    this.fingerprint = null;
    this.rootKey = null;
    await this.mutex.acquire();
    try {
      await this.scan();
    } finally {
      this.mutex.release();
    }
    this.opened = true;
  }

  /** Sets the root key and its subkeys. */
  setKey(key) {
    this.rootKey = new Uint8Array(key);
    this.macKey = subkey(key, 'state mac');
    this.auditKey = subkey(key, 'audit');
    this.keyId = subkey(key, 'key id', 8);
  }

  describeKey() {
    if (this.givenKey) return 'the rootKey given';
    if (this.passphrase !== undefined) return 'the passphrase given';
    return `the key file ${this.keyFile}`;
  }

  /** The root key for a store that exists (`salt` from its header) or is new. */
  async loadKey(existing, salt) {
    if (this.rootKey) return;
    if (this.givenKey) return this.setKey(this.givenKey);
    if (this.passphrase !== undefined) {
      this.salt = existing ? Buffer.from(salt) : randomBytes(16);
      const key = await this.deriveKey(this.passphrase, new Uint8Array(this.salt));
      this.setKey(key);
      key.fill(0);
      return;
    }
    // The key file beside the store.
    let st = null;
    try {
      st = statSync(this.keyFile);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    if (!st) {
      if (existing) {
        throw storeError(`The file store at ${this.dir} exists but its key file ${this.keyFile} is missing; pass the rootKey or passphrase it was made with, or put the key file back.`);
      }
      const key = randomBytes(32);
      const fd = openSync(this.keyFile, 'wx', 0o600);
      try {
        writeAll(fd, key);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      fsyncDir(resolve(this.keyFile, '..'));
      this.setKey(key);
      key.fill(0);
      return;
    }
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw storeError(`The key file ${this.keyFile} is readable or writable by other users (mode ${(st.mode & 0o777).toString(8)}); refusing to use it. Run: chmod 600 ${this.keyFile}`);
    }
    const key = readFileSync(this.keyFile);
    if (key.length !== 32) throw storeError(`The key file ${this.keyFile} does not hold a 32-byte key (it has ${key.length} bytes).`);
    this.setKey(key);
    key.fill(0);
  }

  fingerprintNow() {
    let size = -1;
    try {
      size = statSync(this.auditPath).size;
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    return `${peekGeneration(this.statePaths[0])}|${peekGeneration(this.statePaths[1])}|${size}|${journalStamp(this)}`;
  }

  /** Reads the copies and the log, chooses, repairs (file-recovery.js). Under the lock. */
  scan() {
    return scan(this);
  }

  /** Opens audit.log for reading and appending (created on first use). */
  auditHandle() {
    if (this.auditFd === undefined) this.auditFd = openSync(this.auditPath, 'a+', 0o600);
    return this.auditFd;
  }

  async lock() {
    await this.mutex.acquire();
    try {
      if (this.fingerprintNow() !== this.fingerprint) await this.scan();
    } catch (e) {
      this.mutex.release();
      throw e;
    }
    return this.head();
  }

  unlock() {
    this.mutex.release();
  }

  readState() {
    // Generation 0 (a new store) holds no state yet.
    return this.current && this.current.length > 0 ? new Uint8Array(this.current) : null;
  }

  /** The bodies of the journal's entries, in order (stores/spi.js). */
  readChanges() {
    return this.bodies(this.chain);
  }

  /** The bodies committed after generation `seq`, or null when the base moved past it. */
  readChangesSince(seq) {
    if (seq < this.base.generation) return null;
    return this.bodies(this.chain.filter((e) => e.generation > seq));
  }

  bodies(entries) {
    const withBody = entries.filter((e) => e.bodyLength > 0);
    if (withBody.length === 0) return [];
    const from = withBody[0].bodyStart;
    const last = withBody.at(-1);
    const bytes = readJournalRange(this, from, last.bodyStart + last.bodyLength - from);
    return withBody.map((e) => new Uint8Array(bytes.buffer, bytes.byteOffset + e.bodyStart - from, e.bodyLength));
  }

  /** Decrypts one frame's records. */
  readFrame(f) {
    const fd = this.auditHandle();
    const b = Buffer.alloc(f.total);
    readSync(fd, b, 0, f.total, f.offset);
    const end = f.total - DIGEST;
    if (!sha256(b.subarray(0, end)).equals(b.subarray(end))) {
      throw storeError(`${this.auditPath} changed under the KMS at byte ${f.offset} (its checksum no longer matches).`);
    }
    return this.openFrame(b, f.offset, this.auditPath);
  }

  /** The records of a frame's bytes (checksum already checked). */
  openFrame(b, offset, file) {
    const end = b.length - DIGEST;
    const body = b.subarray(AUDIT_HEADER, end);
    const damaged = (e) => storeError(`The audit frame at byte ${offset} of ${file} cannot be opened (altered, or sealed under another key).`, e);
    // A sealed body is at least a 12-byte nonce and a 16-byte tag.
    if (body.length < 28) throw damaged();
    let text;
    try {
      const d = createDecipheriv('aes-256-gcm', this.auditKey, body.subarray(0, 12));
      d.setAAD(b.subarray(0, AUDIT_HEADER));
      d.setAuthTag(body.subarray(body.length - 16));
      text = Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString('utf8');
    } catch (e) {
      throw damaged(e);
    }
    return JSON.parse(text);
  }

  /** The last `limit` records, from audit.log and then the closed segments, newest first. */
  readAudit(limit) {
    const out = [];
    let need = limit;
    const take = (records) => {
      const kept = records.length <= need ? records : records.slice(records.length - need);
      out.push(kept);
      need -= kept.length;
    };
    for (let i = this.frames.length - 1; i >= 0 && need > 0; i--) take(this.readFrame(this.frames[i]));
    for (let i = this.segments.length - 1; i >= 0 && need > 0; i--) {
      const segment = this.segments[i];
      take(readSegment(segment, (b, offset) => this.openFrame(b, offset, segment.file), (m) => this.warnOnce(`segment:${segment.file}`, m)));
    }
    return out.reverse().flat();
  }

  /** An entry of no change and no frame whose audit position is 0: audit.log restarts (file-segments.js). */
  appendEmptyEntry() {
    const generation = this.seq + 1;
    const bytes = this.stateBytes(generation, EMPTY, EMPTY, JOURNAL_MAGIC, 0);
    appendEntry(this, bytes);
    this.chain.push({ generation, offset: this.journalEnd, total: bytes.length, bodyStart: this.journalEnd + STATE_HEADER, bodyLength: 0 });
    this.journalEnd += bytes.length;
    this.seq = generation;
  }

  frameBytes(tag, audit, count) {
    const text = Buffer.from(audit, 'utf8');
    const header = Buffer.alloc(AUDIT_HEADER);
    AUDIT_MAGIC.copy(header, 0);
    header[4] = VERSION;
    header.writeBigUInt64BE(BigInt(tag), 8);
    header.writeUInt32BE(count, 16);
    header.writeUInt32BE(12 + text.length + 16, 20);
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.auditKey, nonce);
    c.setAAD(header);
    const ct = Buffer.concat([c.update(text), c.final()]);
    const withoutDigest = Buffer.concat([header, nonce, ct, c.getAuthTag()]);
    return Buffer.concat([withoutDigest, sha256(withoutDigest)]);
  }

  /** Appends a frame after the last intact one (cutting off anything after it). */
  appendFrame(tag, bytes, count, sync) {
    const fd = this.auditHandle();
    if (fstatSync(fd).size !== this.auditEnd) ftruncateSync(fd, this.auditEnd);
    writeAll(fd, bytes); // O_APPEND: at the end
    if (sync) fsyncSync(fd);
    this.frames.push({ offset: this.auditEnd, total: bytes.length, tag, count });
    this.records += count;
    this.auditEnd += bytes.length;
  }

  /** A journal entry (file-journal.js): the state copy's layout with a body of changed records. */
  entryBytes(generation, body, frame) {
    return this.stateBytes(generation, body, frame, JOURNAL_MAGIC);
  }

  stateBytes(generation, body, frame, magic = STATE_MAGIC, auditEnd = this.auditEnd) {
    const header = Buffer.alloc(STATE_HEADER);
    magic.copy(header, 0);
    header[4] = VERSION;
    header[5] = this.mode;
    header.writeBigUInt64BE(BigInt(generation), 8);
    if (this.salt) this.salt.copy(header, 16);
    this.keyId.copy(header, 32);
    header.writeBigUInt64BE(BigInt(auditEnd), 40);
    if (body.length > MAX_BODY) throw new KmsError('LimitExceededException', 'The state is too large for the file store.');
    header.writeUInt32BE(body.length, 48);
    header.writeUInt32BE(frame.length, 52);
    const mac = createHmac('sha256', this.macKey).update(header).update(body).update(frame).digest();
    const withoutDigest = Buffer.concat([header, body, frame, mac]);
    return Buffer.concat([withoutDigest, sha256(withoutDigest)]);
  }

  commit({ state, changes, full, audit, count, reset }) {
    if (!this.mutex.held) throw new KmsError('KMSInternalException', 'The file store is written without its lock (a bug in kms-wasm).');
    const generation = this.seq + 1;
    const before = { auditEnd: this.auditEnd, frames: this.frames.length, records: this.records, journalEnd: this.journalEnd };
    const base = full ?? state;
    try {
      if (reset) {
        if (this.auditFd !== undefined) closeSync(this.auditFd);
        this.auditFd = undefined;
        dropSegments(this);
        this.frames = [];
        this.records = 0;
        this.auditEnd = 0;
        const bytes = count ? this.frameBytes(generation, audit, count) : Buffer.alloc(0);
        writeAtomic(this.dir, this.auditPath, bytes);
        if (count) {
          this.frames.push({ offset: 0, total: bytes.length, tag: generation, count });
          this.records = count;
          this.auditEnd = bytes.length;
        }
      }
      let frame = Buffer.alloc(0);
      if (!reset && audit && count) {
        frame = this.frameBytes(generation, audit, count);
        this.appendFrame(generation, frame, count, false);
      }
      if (base) {
        // A new base: both state copies, acknowledged after both; then the
        // journal starts again (a kill in between leaves entries the base
        // holds, which the next open drops).
        const body = Buffer.from(base);
        writeMirrored(this.dir, this.statePaths, this.stateBytes(generation, body, frame));
        this.current = body;
        this.base = { generation, stamp: `${peekGeneration(this.statePaths[0])}|${peekGeneration(this.statePaths[1])}` };
        resetJournals(this);
        this.chain = [];
        this.journalEnd = 0;
      } else {
        // The records the call changed, appended to both journals.
        const body = Buffer.from(changes ?? Buffer.alloc(0));
        const bytes = this.entryBytes(generation, body, frame);
        appendEntry(this, bytes);
        this.chain.push({ generation, offset: this.journalEnd, total: bytes.length, bodyStart: this.journalEnd + STATE_HEADER, bodyLength: body.length });
        this.journalEnd += bytes.length;
      }
      this.seq = generation;
    } catch (e) {
      // Nothing was committed: forget the frame (the next write cuts it off)
      // and the entry (cut off now where it can be).
      // (Only a rename or the directory's fsync failing after the first copy
      // was renamed can leave the new generation in one copy; the rescan
      // below the next lock() then finds it.)
      if (!reset) {
        this.auditEnd = before.auditEnd;
        this.frames.length = before.frames;
        this.records = before.records;
      }
      if (!base) {
        this.journalEnd = before.journalEnd;
        for (const fd of this.journalFds ?? []) {
          try {
            ftruncateSync(fd, before.journalEnd);
          } catch {
            // the rescan below the next lock() decides
          }
        }
      }
      this.fingerprint = null; // rescan before trusting anything
      throw e;
    }
    this.closeSegmentIfFull();
    this.fingerprint = this.fingerprintNow();
    return this.head();
  }

  /** Closes audit.log into a segment once it outgrew the segment size (never fails the call that got here). */
  closeSegmentIfFull() {
    try {
      maybeCloseSegment(this);
    } catch (e) {
      this.fingerprint = null;
      this.warnOnce(`segment-close:${this.seq}`, `${this.auditPath} could not be closed into a segment (${e.message}); it is tried again at the next commit.`);
    }
  }

  append({ audit, count }) {
    if (!this.mutex.held) throw new KmsError('KMSInternalException', 'The file store is written without its lock (a bug in kms-wasm).');
    if (audit && count) {
      this.appendFrame(this.seq, this.frameBytes(this.seq, audit, count), count, false);
      this.closeSegmentIfFull();
      this.fingerprint = this.fingerprintNow();
    }
    return this.head();
  }

  onExternalChange(cb) {
    this.listeners.add(cb);
    if (!this.watcher) {
      try {
        // A hint only: the head is checked under the lock before every call anyway.
        this.watcher = watch(this.dir, { persistent: false }, (event, name) => {
          if (name && /^(state|journal)\.[01]$/.test(String(name)) && this.fingerprint !== this.fingerprintNow()) {
            for (const l of this.listeners) l();
          }
        });
      } catch {
        // no watching on this platform
      }
    }
    return () => {
      this.listeners.delete(cb);
      if (this.listeners.size === 0 && this.watcher) {
        this.watcher.close();
        this.watcher = undefined;
      }
    };
  }

  close() {
    if (this.auditFd !== undefined) {
      try {
        fsyncSync(this.auditFd);
      } finally {
        closeSync(this.auditFd);
        this.auditFd = undefined;
      }
    }
    closeJournals(this);
    if (this.mutex) this.mutex.release();
    if (this.watcher) this.watcher.close();
    this.watcher = undefined;
    this.listeners.clear();
    if (this.rootKey) this.rootKey.fill(0);
    this.rootKey = null;
    this.opened = false;
  }
}

/**
 * A store in the directory `path` (Node). The state is sealed under a
 * 256-bit root key: `rootKey` (32 bytes), or derived from `passphrase`
 * (Argon2id, salt in the files' headers), or by default read from the key
 * file `PATH.key` (created with mode 0600; a key file readable by others is
 * refused). `keyFile` puts the key file elsewhere.
 * @param {string | URL} path
 * @param {{ rootKey?: Uint8Array, passphrase?: string, keyFile?: string }} [options]
 */
export function fileStore(path, options = {}) {
  return new FileStore(path, options);
}
