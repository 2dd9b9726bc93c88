// The writer lock of the file store: one writer at a time between processes
// (and between KMSes of one process).

import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { KmsError } from '../errors.js';
import { writeAtomicMarker } from './file-io.js';

/** How long a lock may wait before the call fails (a holder may be making an RSA-4096 key). */
const LOCK_TIMEOUT_MS = 120_000;
/** A lock of another host (or unreadable) older than this is taken as abandoned. */
const FOREIGN_LOCK_STALE_MS = 60_000;
/** After releasing with others waiting, leave them this long to take the lock. */
const POLITE_MS = 50;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------
// The writer lock
// ---------------------------------------------------------------------------

/**
 * An exclusive lock between processes (and between KMSes of one process):
 * PATH/lock created with O_EXCL, holding "PID HOST TOKEN". A lock whose
 * holder died (same host, PID gone) is broken, under PATH/lock.break so two
 * breakers never remove a fresh lock. Waiters leave a marker; a process
 * releasing the lock while others wait gives them POLITE_MS to take it
 * before it competes again, so a busy process cannot starve the others.
 */
export class FileLock {
  constructor(dir) {
    this.dir = dir;
    this.path = join(dir, 'lock');
    this.host = hostname();
    this.token = `${process.pid} ${this.host} ${randomBytes(8).toString('hex')}`;
    this.held = false;
    this.politeUntil = 0;
  }

  tryCreate(path, token) {
    let fd;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if (e.code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, token);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  /** `{ raw, pid, host, mtimeMs }` of a lock file, or null when there is none. */
  holder(path) {
    let raw;
    let mtimeMs;
    try {
      raw = readFileSync(path, 'utf8');
      mtimeMs = statSync(path).mtimeMs;
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw e;
    }
    const [pid, host] = raw.split(' ');
    return { raw, pid: Number(pid), host, mtimeMs };
  }

  stale(h) {
    if (!Number.isInteger(h.pid) || h.pid <= 0 || !h.host) return Date.now() - h.mtimeMs > 2_000;
    if (h.host === this.host) return !alive(h.pid);
    return Date.now() - h.mtimeMs > FOREIGN_LOCK_STALE_MS;
  }

  breakStale(h) {
    const breaker = join(this.dir, 'lock.break');
    if (!this.tryCreate(breaker, this.token)) {
      const b = this.holder(breaker);
      if (b && (this.stale(b) || Date.now() - b.mtimeMs > 5_000)) {
        try {
          unlinkSync(breaker);
        } catch {
          // someone else removed it
        }
      }
      return;
    }
    try {
      const now = this.holder(this.path);
      if (now && now.raw === h.raw) unlinkSync(this.path);
    } finally {
      unlinkSync(breaker);
    }
  }

  othersWaiting() {
    let names;
    try {
      names = readdirSync(this.dir);
    } catch {
      return false;
    }
    let waiting = false;
    for (const n of names) {
      if (!n.startsWith('wait-') || n === this.marker) continue;
      const pid = Number(n.split('-')[1]);
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
        try {
          unlinkSync(join(this.dir, n));
        } catch {
          // gone already
        }
        continue;
      }
      waiting = true;
    }
    return waiting;
  }

  async acquire() {
    if (this.held) return;
    const start = Date.now();
    let delay = 1;
    try {
      for (;;) {
        if (Date.now() < this.politeUntil && !existsSync(this.path) && this.othersWaiting()) {
          await sleep(1);
          continue;
        }
        if (this.tryCreate(this.path, this.token)) {
          this.held = true;
          return;
        }
        if (!this.marker) {
          this.marker = `wait-${process.pid}-${randomBytes(4).toString('hex')}`;
          writeAtomicMarker(join(this.dir, this.marker));
        }
        const h = this.holder(this.path);
        if (h && this.stale(h)) {
          this.breakStale(h);
          continue;
        }
        if (Date.now() - start > LOCK_TIMEOUT_MS) {
          throw new KmsError('KMSInternalException', `The file store at ${this.dir} stayed locked by ${h ? `process ${h.pid} on ${h.host}` : 'another process'} for more than ${LOCK_TIMEOUT_MS / 1000} s; the call changed nothing.`);
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 4);
      }
    } finally {
      if (this.marker) {
        try {
          unlinkSync(join(this.dir, this.marker));
        } catch {
          // gone already
        }
        this.marker = undefined;
      }
    }
  }

  release() {
    if (!this.held) return;
    this.held = false;
    const h = this.holder(this.path);
    if (h && h.raw === this.token) unlinkSync(this.path);
    if (this.othersWaiting()) this.politeUntil = Date.now() + POLITE_MS;
  }
}

