// fileStore(path): a directory on a local file system (Node only).
//
//   PATH/state.0, PATH/state.1   two generations of the state; the one with
//                                the higher valid generation is current, the
//                                other is the previous generation (a second
//                                copy). A commit writes the slot that does
//                                not hold the current copy.
//   PATH/audit.log               append-only frames of audit records
//   PATH/lock                    the writer lock ("PID HOST TOKEN")
//   PATH/wait-PID-*              processes waiting for the lock (fairness)
//   PATH.key                     the root key (32 bytes, mode 0600), unless
//                                a rootKey or passphrase is given
//
// Commit: append the audit frame; write state.N.tmp, fsync, rename over
// state.N, fsync the directory. A kill at any instant leaves the state
// before or after the commit. Keys: HKDF-SHA-256 of the root key for the
// key id, the header MAC and the audit frames (the wasm seals the body with
// The format of the files is in file-format.js, the lock in file-lock.js.

import {
  closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, statSync, watch,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { KmsError } from '../errors.js';
import { asBytes } from '../convert.js';
import { storeError, warn } from './spi.js';
import { fsyncDir, readIfExists, writeAtomic, writeAll } from './file-io.js';
import { FileLock } from './file-lock.js';
import {
  STATE_MAGIC, AUDIT_MAGIC, VERSION, STATE_HEADER, AUDIT_HEADER, DIGEST, MODE_KEY, MODE_PASSPHRASE, MAX_BODY,
  sha256, subkey, u64, parseCopy, peekGeneration,
} from './file-format.js';

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
    const { rootKey, passphrase, keyFile } = options;
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
    this.statePaths = [join(dir, 'state.0'), join(dir, 'state.1')];
    this.auditPath = join(dir, 'audit.log');
    this.kind = 'file';
    this.shared = true;
    this.form = 'sealed';
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
    return { seq: this.seq, mark: `${this.seq}:${this.auditEnd}`, records: this.records };
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
    this.slot = -1; // the slot of the current copy (none yet)
    this.auditEnd = 0;
    this.frames = [];
    this.records = 0;
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
    return `${peekGeneration(this.statePaths[0])}|${peekGeneration(this.statePaths[1])}|${size}`;
  }

  /**
   * Reads both state copies and the audit log (from where the last scan
   * ended), chooses the current copy, reports damage, cuts off the remnant
   * of a commit that never happened. Under the lock.
   */
  async scan() {
    const files = this.statePaths;
    const copies = files.map((file, slot) => {
      const bytes = readIfExists(file);
      if (bytes === null) return { slot, file, missing: true };
      return { slot, file, bytes, ...parseCopy(bytes) };
    });
    const present = copies.filter((c) => !c.missing);
    const auditExists = existsSync(this.auditPath);
    if (present.length === 0) {
      if (auditExists || this.seq > 0) {
        throw storeError(`The file store at ${this.dir} has lost its state: neither ${files[0]} nor ${files[1]} exists, but the store was in use (${auditExists ? 'audit.log exists' : `generation ${this.seq} was seen`}). Refusing to start empty over existing data; restore it from a backup.`);
      }
      await this.loadKey(false);
      this.slot = -1;
      this.seq = 0;
      this.current = null;
      this.fingerprint = this.fingerprintNow();
      return;
    }
    const checked = present.filter((c) => !c.damaged);
    if (checked.length === 0) {
      throw storeError(`The file store at ${this.dir} cannot be opened: ${present.map((c) => `${c.file} is damaged (${c.damaged})`).join('; ')}${present.length < 2 ? `; ${copies.find((c) => c.missing).file} is missing` : ''}. No intact copy of the state is left, and the store will not start empty over it; restore it from a backup.`);
    }
    const first = checked.reduce((a, b) => (b.generation > a.generation ? b : a));
    if (first.mode !== this.mode) {
      throw storeError(first.mode === MODE_PASSPHRASE
        ? `The file store at ${this.dir} is sealed under a passphrase: open it with fileStore(path, { passphrase }).`
        : `The file store at ${this.dir} is sealed under a root key (a key file or rootKey), not a passphrase.`);
    }
    await this.loadKey(true, first.salt);
    for (const c of checked) {
      if (!timingSafeEqual(c.keyId, this.keyId)) c.wrongKey = true;
      else if (!c.macOk(this.macKey)) c.damaged = 'its header or body was altered (the MAC does not match)';
    }
    const good = checked.filter((c) => !c.wrongKey && !c.damaged);
    if (good.length === 0) {
      if (checked.some((c) => c.wrongKey)) {
        throw storeError(`The file store at ${this.dir} is sealed under another key: ${this.describeKey()} does not open ${checked.filter((c) => c.wrongKey).map((c) => c.file).join(' or ')} (the key or passphrase is wrong).`);
      }
      throw storeError(`The file store at ${this.dir} cannot be opened: ${present.map((c) => `${c.file} is damaged (${c.damaged ?? 'sealed under another key'})`).join('; ')}. No intact copy of the state is left; restore it from a backup.`);
    }
    const best = good.reduce((a, b) => (b.generation > a.generation ? b : a));
    const other = copies[1 - best.slot];
    let trustTail = true;
    if (!other.missing && (other.damaged || other.wrongKey)) {
      trustTail = false;
      this.warnOnce(`${other.file}:${other.bytes.length}:${other.generation}`, `${other.file} is damaged (${other.damaged ?? 'it is sealed under another key'}); using ${best.file} (generation ${best.generation}). ${other.generation > best.generation || other.generation === undefined ? 'Changes committed after that generation may be lost. ' : ''}The next commit rewrites the damaged copy.`);
    } else if (other.missing && best.generation > 1) {
      trustTail = false;
      this.warnOnce(`${other.file}:missing:${best.generation}`, `${other.file} (the previous generation) is missing; using ${best.file} (generation ${best.generation}). The next commit writes a second copy again.`);
    }
    if (this.seq > best.generation) {
      this.warnOnce(`rollback:${best.generation}`, `The file store at ${this.dir} went back from generation ${this.seq} to ${best.generation} (a copy was lost or replaced).`);
    }
    this.seq = best.generation;
    this.slot = best.slot;
    this.current = best.body;
    this.scanAudit(best, trustTail);
    this.fingerprint = this.fingerprintNow();
  }

  /** Opens audit.log for reading and appending (created on first use). */
  auditHandle() {
    if (this.auditFd === undefined) this.auditFd = openSync(this.auditPath, 'a+', 0o600);
    return this.auditFd;
  }

  scanAudit(best, trustTail) {
    if (!existsSync(this.auditPath)) {
      this.frames = [];
      this.records = 0;
      this.auditEnd = 0;
      if (best.auditEnd > best.frame.length) this.warnOnce(`audit-missing:${best.generation}`, `${this.auditPath} is missing: the audit log of this store (${best.auditEnd} bytes at generation ${best.generation}) is lost.`);
      if (trustTail && best.frame.length > 0) this.repairFrame(best);
      return;
    }
    let fd = this.auditHandle();
    if (fstatSync(fd).ino !== statSync(this.auditPath).ino) {
      // replaced (restoreBackup in another process): read it from the start
      closeSync(fd);
      this.auditFd = undefined;
      fd = this.auditHandle();
      this.frames = [];
    }
    const size = fstatSync(fd).size;
    let from = this.auditEnd;
    if (from > size || this.frames.length === 0) {
      from = 0;
      this.frames = [];
      this.records = 0;
    }
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
    let cut = null;
    while (pos < got) {
      const f = frameAt(pos);
      if (f.frame) {
        if (f.frame.tag > this.seq && trustTail) {
          cut = from + pos; // a commit that never happened: everything from here
          break;
        }
        this.frames.push(f.frame);
        this.records += f.frame.count;
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
          this.warnOnce(`audit-tail:${from + pos}`, `${this.auditPath} is damaged at byte ${from + pos} (its last ${got - pos} bytes); the records there are lost.`);
        }
        cut = from + pos;
        break;
      }
      this.warnOnce(`audit-mid:${from + pos}`, `${this.auditPath} is damaged between bytes ${from + pos} and ${from + next}; the records there are lost (verifyAuditLog() shows where the chain breaks).`);
      pos = next;
    }
    this.auditEnd = cut ?? from + got;
    if (cut !== null && cut < size) {
      ftruncateSync(fd, cut);
      fsyncSync(fd);
    }
    if (trustTail && best.frame.length > 0) this.repairFrame(best);
    if (trustTail && this.auditEnd < best.auditEnd) {
      this.warnOnce(`audit-short:${best.generation}`, `${this.auditPath} is shorter than generation ${best.generation} recorded (${this.auditEnd} < ${best.auditEnd} bytes): audit records were lost or removed.`);
    }
  }

  /**
   * The current copy's own audit frame must be in audit.log where the copy
   * says (its append is not fsynced): after a power loss it is written again.
   */
  repairFrame(best) {
    const at = best.auditEnd - best.frame.length;
    let there;
    for (let i = this.frames.length - 1; i >= 0 && this.frames[i].offset >= at; i--) {
      if (this.frames[i].offset === at) there = this.frames[i];
    }
    if (there && there.total === best.frame.length) {
      const b = Buffer.alloc(there.total);
      readSync(this.auditHandle(), b, 0, there.total, at);
      if (b.equals(best.frame)) return;
    }
    if (this.frames.some((f) => f.offset > at) || this.auditEnd > at) {
      this.warnOnce(`frame-mismatch:${best.generation}`, `${this.auditPath} does not hold the audit records of generation ${best.generation} where its state copy says; they are appended again.`);
    } else if (this.auditEnd < at) {
      this.warnOnce(`frame-gap:${best.generation}`, `${this.auditPath} lost ${at - this.auditEnd} bytes of audit records before generation ${best.generation} (power loss?); the records of that generation are written again from its state copy.`);
    }
    const tag = u64(best.frame, 8);
    const count = best.frame.readUInt32BE(16);
    const fd = this.auditHandle();
    if (fstatSync(fd).size !== this.auditEnd) ftruncateSync(fd, this.auditEnd);
    writeAll(fd, best.frame);
    fsyncSync(fd);
    this.frames.push({ offset: this.auditEnd, total: best.frame.length, tag, count });
    this.records += count;
    this.auditEnd += best.frame.length;
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
    return this.current ? new Uint8Array(this.current) : null;
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
    const body = b.subarray(AUDIT_HEADER, end);
    const d = createDecipheriv('aes-256-gcm', this.auditKey, body.subarray(0, 12));
    d.setAAD(b.subarray(0, AUDIT_HEADER));
    d.setAuthTag(body.subarray(body.length - 16));
    let text;
    try {
      text = Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString('utf8');
    } catch (e) {
      throw storeError(`The audit frame at byte ${f.offset} of ${this.auditPath} cannot be opened (altered, or sealed under another key).`, e);
    }
    return JSON.parse(text);
  }

  readAudit(limit) {
    const out = [];
    let need = limit;
    for (let i = this.frames.length - 1; i >= 0 && need > 0; i--) {
      const records = this.readFrame(this.frames[i]);
      const take = records.length <= need ? records : records.slice(records.length - need);
      out.push(take);
      need -= take.length;
    }
    return out.reverse().flat();
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

  stateBytes(generation, body, frame) {
    const header = Buffer.alloc(STATE_HEADER);
    STATE_MAGIC.copy(header, 0);
    header[4] = VERSION;
    header[5] = this.mode;
    header.writeBigUInt64BE(BigInt(generation), 8);
    if (this.salt) this.salt.copy(header, 16);
    this.keyId.copy(header, 32);
    header.writeBigUInt64BE(BigInt(this.auditEnd), 40);
    if (body.length > MAX_BODY) throw new KmsError('LimitExceededException', 'The state is too large for the file store.');
    header.writeUInt32BE(body.length, 48);
    header.writeUInt32BE(frame.length, 52);
    const mac = createHmac('sha256', this.macKey).update(header).update(body).update(frame).digest();
    const withoutDigest = Buffer.concat([header, body, frame, mac]);
    return Buffer.concat([withoutDigest, sha256(withoutDigest)]);
  }

  commit({ state, audit, count, reset }) {
    if (!this.mutex.held) throw new KmsError('KMSInternalException', 'The file store is written without its lock (a bug in kms-wasm).');
    const generation = this.seq + 1;
    const before = { auditEnd: this.auditEnd, frames: this.frames.length, records: this.records };
    try {
      if (reset) {
        if (this.auditFd !== undefined) closeSync(this.auditFd);
        this.auditFd = undefined;
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
      const slot = this.slot === 0 ? 1 : 0;
      const body = Buffer.from(state ?? this.current);
      writeAtomic(this.dir, this.statePaths[slot], this.stateBytes(generation, body, frame));
      this.seq = generation;
      this.slot = slot;
      this.current = body;
    } catch (e) {
      // Nothing was committed: forget the frame (the next write cuts it off).
      if (!reset) {
        this.auditEnd = before.auditEnd;
        this.frames.length = before.frames;
        this.records = before.records;
      }
      this.fingerprint = null; // rescan before trusting anything
      throw e;
    }
    this.fingerprint = this.fingerprintNow();
    return this.head();
  }

  append({ audit, count }) {
    if (!this.mutex.held) throw new KmsError('KMSInternalException', 'The file store is written without its lock (a bug in kms-wasm).');
    if (audit && count) {
      this.appendFrame(this.seq, this.frameBytes(this.seq, audit, count), count, false);
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
          if (name && /^state\.[01]$/.test(String(name)) && this.fingerprint !== this.fingerprintNow()) {
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
