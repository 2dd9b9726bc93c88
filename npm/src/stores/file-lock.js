// The writer lock of the file store: one writer at a time between processes
// (and between KMSes of one process).

import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { KmsError } from '../errors.js';
import { writeAtomicMarker } from './file-io.js';

/** How long a lock may wait before the call fails (a holder may be making an RSA-4096 key). */
const LOCK_TIMEOUT_MS = 120_000;
/** A lock of another host (or unreadable) older than this is taken as abandoned. */
const FOREIGN_LOCK_STALE_MS = 60_000;
/** After releasing with others waiting, leave them this long to take the lock. */
const POLITE_MS = 50;
/** How often a holder refreshes its lock file's mtime (the heartbeat). */
const HEARTBEAT_MS = 1_000;
/** A live holder on this host whose heartbeat is older than this is stalled. */
const STALL_MS = 10_000;

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
// The heartbeat
// ---------------------------------------------------------------------------

// A holder shows it is making progress by touching its lock file every
// HEARTBEAT_MS. The touching runs on a thread of its own, so a holder busy
// with long synchronous work (an RSA-4096 key, seconds in the wasm) keeps
// beating, while a process that is stopped (SIGSTOP, Ctrl-Z) or frozen
// stops. It touches a lock only while the file still holds its token.
const HEARTBEAT_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readFileSync, utimesSync } = require('node:fs');
const held = new Map();
parentPort.on('message', (m) => { if (m.token) held.set(m.path, m.token); else held.delete(m.path); });
setInterval(() => {
  const now = new Date();
  for (const [path, token] of held) {
    try {
      if (readFileSync(path, 'utf8') === token) utimesSync(path, now, now);
    } catch {
      // released meanwhile
    }
  }
}, ${HEARTBEAT_MS});
`;

/** The process's heartbeat thread (one for all its locks; it never keeps the process alive), or null. */
let heart;
function heartbeat() {
  if (heart === undefined) {
    try {
      heart = new Worker(HEARTBEAT_SOURCE, { eval: true });
      heart.unref();
      heart.on('error', () => {
        heart = null;
      });
    } catch {
      heart = null; // no threads here: the lock says so (no "hb"), and is waited for as before
    }
  }
  return heart;
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
 *
 * A holder alive but stalled (no heartbeat for STALL_MS: stopped with
 * SIGSTOP or Ctrl-Z) is not broken — it could resume in the middle of a
 * commit and two writers would be in — but the waiter fails at once with
 * an error naming it, instead of waiting LOCK_TIMEOUT_MS.
 */
export class FileLock {
  constructor(dir) {
    this.dir = dir;
    this.path = join(dir, 'lock');
    this.host = hostname();
    this.heart = heartbeat();
    // "hb": this holder beats, so a waiter may judge it stalled (older versions do not).
    this.token = `${process.pid} ${this.host} ${randomBytes(8).toString('hex')}${this.heart ? ' hb' : ''}`;
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

  /** A live holder on this host that announced a heartbeat and stopped beating. */
  stalled(h) {
    return h.host === this.host && h.raw.endsWith(' hb') && h.raw !== this.token && Date.now() - h.mtimeMs > STALL_MS;
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
          if (this.heart) this.heart.postMessage({ path: this.path, token: this.token });
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
        if (h && this.stalled(h)) {
          const s = Math.round((Date.now() - h.mtimeMs) / 1000);
          throw new KmsError('KMSInternalException', `The file store at ${this.dir} is locked by process ${h.pid} on ${h.host}, which is alive but has not refreshed the lock for ${s} s (it is stopped, e.g. by SIGSTOP or Ctrl-Z, or frozen); the call changed nothing. Resume that process (kill -CONT ${h.pid}) or end it: the lock of an ended process is broken at once. A live holder's lock is never broken, since it could resume and write.`);
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
    if (this.heart) this.heart.postMessage({ path: this.path });
    const h = this.holder(this.path);
    if (h && h.raw === this.token) unlinkSync(this.path);
    if (this.othersWaiting()) this.politeUntil = Date.now() + POLITE_MS;
  }
}

