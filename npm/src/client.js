// The async, AWS-shaped client around the synchronous wasm core.
//
// - One call at a time per KMS: the wasm exports take `&mut self`, and a
//   store (possibly async) must have committed a call's change before the
//   call resolves. Calls wait in a queue; views (withCaller, viaEndpoint,
//   forService) share it, and so do createEndpoint, auditLog, usage, ...
// - The store (stores/spi.js) holds the state and the audit log. createKms
//   opens it and rebuilds the KMS from it. After each call, if the state's
//   generation moved, the new state goes to the store together with the
//   audit records made since the last write (one all-or-nothing commit)
//   before the call resolves. If the store fails, the KMS goes back to what
//   the store holds and the call rejects: a failed call changes nothing.
// - Shared stores (file, IndexedDB) may be written by other processes or
//   tabs. The client takes the store's lock before a call when it does not
//   hold it, and reloads the state and the log if the store's head moved.
//   It keeps the lock (a lease) while audit records of read-only calls wait
//   to be written: they are written in batches (FLUSH_RECORDS records, or
//   LEASE_MS after the lease began, or IDLE_FLUSH_MS after the queue went
//   idle, or on close), and the lock is released once nothing waits. So
//   the hash chain of the log is never forked by two writers.
// - After a reload the wasm holds only the last stored record (the link of
//   the chain); the whole log (up to AUDIT_RETENTION records) is read back
//   from the store when someone reads the log (auditLog, verifyAuditLog,
//   usage, exportBackup).
// - After each call, allowed or not, the events the core raised (rotation,
//   deletion, use of a key pending deletion) are taken and, once the state
//   is committed, handed to the `kms.on` handlers. A handler that throws or
//   rejects is reported with console.error; it never fails the call.
// - A trap (Rust panic) rejects the call with KMSInternalException, moves
//   the KMS to a fresh wasm instance restored from the store, and the next
//   call works with every key intact.
// - Keys in an external key store: the core pauses a call that needs the
//   store (`__externalCall`), the client awaits the store's encrypt/decrypt
//   (still holding the queue, so nothing runs in between) and resumes the
//   core with the answer. The stores the user supplied are attached to
//   every instance the KMS moves to.
// - Two engines (docs/engines.md): a KMS starts on the small core engine
//   (or on the full one with `engine: 'full'`). A call the core cannot make
//   (imported material, backups) is refused by the core with an internal
//   signal before it reads or records anything; the client then loads the
//   full engine (once per page or process, shared by every KMS), moves the
//   state and the audit log into a full-engine instance — in the store's
//   form, as a reload would, so nothing new crosses into JS — and replays
//   the call there. The KMS stays on the full engine. If the full engine
//   cannot be loaded, the call rejects with a KmsError and the KMS carries
//   on with the core.

import { KmsError, toKmsError, isServiceError, needsFullEngine } from './errors.js';
import { toWasmRequest, fromWasmResponse, clockMillis, asBytes } from './convert.js';
import { memoryStore } from './stores/memory.js';
import { adoptStore, AUDIT_RETENTION } from './stores/spi.js';
import { forget, adopt } from './engine.js';
import { OPERATIONS } from './api.js';

/** Every AWS operation kms-wasm implements, by AWS name (generated from the Rust operations table). */
export { OPERATIONS };

const DEFAULT_ACCOUNT = '111122223333';
/** How long an external key store may take to answer (ms). */
const DEFAULT_EXTERNAL_TIMEOUT_MS = 30_000;
const DEFAULT_REGION = 'us-east-1';

/** Audit records of read-only calls written in one batch, at most. */
const FLUSH_RECORDS = 256;
/** The longest a lease on a shared store lasts while calls keep coming (ms). */
const LEASE_MS = 20;
/** Records waiting when the queue goes idle are written this much later (ms). */
const IDLE_FLUSH_MS = 5;
/** A store holding at most this many records has its whole log loaded at once. */
const EAGER_AUDIT = 64;

/** Whether the wasm call failed in a way that may have broken the instance. */
function isFatal(e) {
  return !isServiceError(e) && !(e instanceof KmsError) && !needsFullEngine(e);
}

function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}

function report(message, err) {
  try {
    console.warn(`kms-wasm: ${message}`, err ?? '');
  } catch {
    // no console
  }
}

/** State shared by a KMS and all its views. */
class Core {
  constructor({ engines, engineKind, accountId, region, grantPropagationMs, now, store, externalStores, externalTimeoutMs }) {
    this.engines = engines;
    /** Which engine this KMS runs on: 'core' until a call needs the full one. */
    this.engineKind = engineKind;
    this.engine = null;
    this.wasm = null;
    this.accountId = accountId;
    this.region = region;
    this.grantPropagationMs = grantPropagationMs;
    this.now = now;
    this.store = store;
    /** The wasm's generation as last committed. */
    this.generation = 0;
    /** The store's head this KMS is in step with. */
    this.head = { seq: -1, mark: '', records: 0 };
    /** Whether this KMS holds the (shared) store's lock. */
    this.leased = false;
    this.leaseStart = 0;
    /** Audit index (wasm) up to which the records are in the store. */
    this.persisted = 0;
    /** Whether the wasm holds the whole log the store keeps (up to the retention). */
    this.auditFull = true;
    this.idleTimer = null;
    this.tail = Promise.resolve();
    this.closed = false;
    this.recoveries = 0;
    this.upgrades = 0;
    /** Event handlers by detail-type ('*' for all). */
    this.handlers = new Map();
    /** External key stores the user supplied, by custom key store id or name. */
    this.externalStores = externalStores;
    this.externalTimeoutMs = externalTimeoutMs;
  }

  get durableAudit() {
    return this.store.auditPolicy === 'commit';
  }

  /** A WasmKms of `engine` from state bytes in the store's form (a new KMS for null). */
  build(engine, state) {
    const { WasmKms } = engine.glue;
    let wasm;
    if (!state) wasm = new WasmKms(this.accountId, this.region, this.grantPropagationMs);
    else if (this.store.form === 'sealed') wasm = WasmKms.restoreSealed(this.accountId, this.region, this.grantPropagationMs, this.store.rootKey, state);
    else wasm = WasmKms.restore(this.accountId, this.region, this.grantPropagationMs, state);
    return adopt(engine, wasm);
  }

  /** The state of `wasm` in the store's form. */
  encode(wasm) {
    return this.store.form === 'sealed' ? wasm.snapshotSealed(this.store.rootKey) : wasm.snapshot();
  }

  /** Best effort: plain snapshots hold key material (custom stores may keep the buffer they were given). */
  wipe(state) {
    if (state && this.store.form === 'plain' && this.store.kind !== 'custom') state.fill(0);
  }

  /** Makes `wasm` the KMS's instance. */
  install(wasm, engine, auditFull) {
    const old = this.wasm;
    if (old && old !== wasm) {
      if (this.engine && this.engine.alive) old.free();
      else forget(old);
    }
    // Which external key stores can answer is a fact of this session, not of the stored state.
    for (const idOrName of this.externalStores.keys()) wasm.attachExternalKeyStore(idOrName);
    this.wasm = wasm;
    this.engine = engine;
    this.generation = wasm.generation();
    this.persisted = wasm.auditNextIndex();
    this.auditFull = auditFull;
  }

  /** Rebuilds the instance from what the store holds (`head`). */
  async reload(head) {
    const engine = await this.engines.live(this.engineKind);
    const state = await this.store.readState();
    let wasm;
    try {
      const eager = !this.durableAudit || head.records <= EAGER_AUDIT;
      const records = head.records > 0 ? await this.store.readAudit(eager ? EAGER_AUDIT : 1) : [];
      try {
        wasm = this.build(engine, state);
        if (records.length) wasm.loadAudit(records);
      } catch (e) {
        if (wasm) wasm.free();
        if (isFatal(e)) this.engines.kill(engine);
        throw toKmsError(e);
      }
      this.install(wasm, engine, eager);
      this.head = head;
    } finally {
      this.wipe(state);
    }
  }

  /** Runs `task` after every call queued before it. */
  enqueue(task) {
    if (this.closed) return Promise.reject(closedError());
    const run = this.tail.then(() => {
      if (this.closed) throw closedError();
      return task();
    });
    this.tail = run.then(() => {}, () => {});
    return run;
  }

  // ---- the store's lock and head -------------------------------------------

  /** Before work on the KMS: the lock of a shared store, a reload if it moved, a live instance. */
  async begin() {
    if (this.store.shared && !this.leased) {
      const head = await this.store.lock();
      this.leased = true;
      this.leaseStart = Date.now();
      if (head.mark !== this.head.mark) {
        try {
          await this.reload(head);
        } catch (e) {
          this.unlock();
          throw e;
        }
      }
    }
    await this.ensureLive();
  }

  /** After work on the KMS: write or schedule the waiting audit records, release the lock. Never throws. */
  async settle() {
    if (!this.store.shared || !this.leased) return;
    try {
      const waiting = this.waiting();
      if (waiting > 0 && waiting < FLUSH_RECORDS && Date.now() - this.leaseStart < LEASE_MS) {
        this.scheduleFlush();
        return;
      }
      await this.flush();
    } catch (e) {
      report('audit records could not be written to the store; the KMS goes back to what the store holds.', e);
      await this.rollback().catch(() => {});
    }
    this.unlock();
  }

  unlock() {
    if (!this.leased) return;
    this.leased = false;
    try {
      this.store.unlock();
    } catch (e) {
      report('the store lock could not be released.', e);
    }
  }

  /** Audit records made and not yet in the store. */
  waiting() {
    if (!this.durableAudit || !this.wasm || !this.engine.alive) return 0;
    return this.wasm.auditNextIndex() - this.persisted;
  }

  scheduleFlush() {
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.closed) return;
      const run = this.tail.then(() => (this.closed ? undefined : this.settleNow()));
      this.tail = run.then(() => {}, () => {});
    }, IDLE_FLUSH_MS);
  }

  /** The idle flush: write what waits and release the lock. */
  async settleNow() {
    if (!this.leased) return;
    this.leaseStart = 0;
    await this.settle();
  }

  /** Writes the waiting audit records (durable stores). */
  async flush() {
    const waiting = this.waiting();
    if (waiting <= 0) return;
    let next;
    let records;
    try {
      next = this.wasm.auditNextIndex();
      records = this.wasm.auditSinceJson(this.persisted);
    } catch (e) {
      throw await this.failed(e, true);
    }
    if (records.count) this.head = await this.store.append({ audit: records.json, count: records.count });
    this.persisted = next;
  }

  /** Back to what the store holds (after a failed write). */
  async rollback() {
    const head = await this.store.lock();
    this.leased = this.store.shared;
    await this.reload(head);
  }

  /** A live instance: after a trap (of this KMS or another on the same engine), rebuilt from the store. */
  async ensureLive() {
    if (this.wasm && this.engine.alive) return;
    forget(this.wasm);
    this.wasm = null;
    const head = await this.store.lock();
    if (this.store.shared) {
      if (!this.leased) this.leaseStart = Date.now();
      this.leased = true;
    }
    await this.reload(head);
    this.recoveries += 1;
  }

  /** Handles an error thrown by a wasm call: a KmsError to reject with. */
  async failed(e, fatal = isFatal(e)) {
    if (!fatal) return toKmsError(e);
    // The instance may be corrupt: abandon it (and every WasmKms living in it).
    if (this.engine) this.engines.kill(this.engine);
    forget(this.wasm);
    this.wasm = null;
    let recovery = '';
    try {
      await this.ensureLive();
    } catch (again) {
      recovery = ` Recovery failed too (${messageOf(again)}); the next call retries it.`;
    }
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new KmsError('KMSInternalException', `The KMS core failed (${what}) and was restarted from its last saved state; the call changed nothing.${recovery}`, { cause: e });
  }

  /** Commits a changed state (with the audit records made since the last write) to the store. */
  async commit() {
    let generation;
    let state;
    let next;
    let audit;
    let count = 0;
    try {
      generation = this.wasm.generation();
      if (generation === this.generation) return;
      state = this.encode(this.wasm);
      if (this.durableAudit) {
        next = this.wasm.auditNextIndex();
        const records = this.wasm.auditSinceJson(this.persisted);
        count = records.count;
        if (count) audit = records.json;
      }
    } catch (e) {
      // A change we cannot save is undone: back to the store's state on a fresh instance.
      throw await this.failed(e, true);
    }
    try {
      this.head = await this.store.commit({ state, audit, count });
    } catch (e) {
      // Undo the call: back to the state the store holds.
      let again = '';
      try {
        await this.rollback();
      } catch (e2) {
        forget(this.wasm);
        this.wasm = null;
        again = ` Reloading the store failed too (${messageOf(e2)}); the next call retries it.`;
      }
      throw new KmsError('KMSInternalException', `The change could not be saved to the store (${messageOf(e)}); the call changed nothing.${again}`, { cause: e });
    } finally {
      this.wipe(state);
    }
    if (next !== undefined) this.persisted = next;
    this.generation = generation;
  }

  /** Loads the whole stored log into the instance (after a reload loaded only its last record). */
  async ensureFullAudit() {
    if (this.auditFull) return;
    await this.flush();
    const records = await this.store.readAudit(AUDIT_RETENTION);
    let wasm;
    let state;
    try {
      state = this.encode(this.wasm);
      wasm = this.build(this.engine, state);
      wasm.loadAudit(records);
    } catch (e) {
      if (wasm) forget(wasm);
      throw await this.failed(e, true);
    } finally {
      this.wipe(state);
    }
    this.install(wasm, this.engine, true);
  }

  /**
   * Moves this KMS from the core engine to the full engine: the state (in
   * the store's form) and the whole audit log go into a new instance of the
   * full engine, after the waiting audit records are in the store. Throws a
   * KmsError, with the KMS still on the core, if the full engine cannot be
   * loaded.
   */
  async upgrade() {
    if (this.engineKind === 'full') {
      throw new KmsError('KMSInternalException', 'The full engine refused a call that only the full engine can make.');
    }
    const engine = await this.engines.live('full');
    await this.flush();
    let wasm;
    let state;
    try {
      state = this.encode(this.wasm);
      const audit = this.wasm.auditSinceJson(0);
      wasm = this.build(engine, state);
      if (audit.count) wasm.loadAuditJson(audit.json);
    } catch (e) {
      if (wasm) forget(wasm);
      throw await this.failed(e, true);
    } finally {
      this.wipe(state);
    }
    this.engineKind = 'full';
    this.install(wasm, engine, this.auditFull);
    this.upgrades += 1;
  }

  /** `fn()` on this KMS's instance, or, if the core refers it to the full engine, again on the full engine. */
  async onFullIfNeeded(fn) {
    try {
      return fn();
    } catch (e) {
      if (!needsFullEngine(e)) throw e;
    }
    await this.upgrade();
    return fn();
  }

  /**
   * One AWS operation, in the queue, made in the request context `ctx` of a
   * view. `attach`, when given, is an external key store to attach to the
   * custom key store the call created.
   */
  call(operation, ctx, request, attach) {
    return this.enqueue(async () => {
      const req = toWasmRequest(request);
      // The common case (memory store, live instance) takes no extra turn of the event loop.
      if (this.store.shared || !this.wasm || !this.engine.alive) await this.begin();
      try {
        const nowMs = clockMillis(this.now());
        let response;
        let refused = null;
        try {
          try {
            response = this.wasm.call(operation, ctx.caller, ctx.endpoint, ctx.service, nowMs, req);
          } catch (e) {
            if (!needsFullEngine(e)) throw e;
            // The core left this call to the full engine, untouched: replay it there.
            await this.upgrade();
            response = this.wasm.call(operation, ctx.caller, ctx.endpoint, ctx.service, nowMs, req);
          }
          while (response && response.__externalCall) response = await this.external(response.__externalCall);
        } catch (e) {
          if (isFatal(e)) throw await this.failed(e);
          refused = toKmsError(e);
        }
        if (attach && !refused) {
          this.externalStores.set(response.CustomKeyStoreId, attach);
          this.wasm.attachExternalKeyStore(response.CustomKeyStoreId);
        }
        // A refused call may still have changed the state (the clock ended a
        // deletion window, a managed key was created) and raised events.
        let events;
        try {
          events = this.takeEvents();
        } catch (e) {
          // The instance broke after the call: back to the last commit, as if it never ran.
          throw await this.failed(e, true);
        }
        try {
          await this.commit();
        } catch (e) {
          // The state went back to the last commit: its events did not happen.
          throw refused ?? e;
        }
        this.deliver(events);
        if (refused) throw refused;
        return fromWasmResponse(response);
      } finally {
        if (this.leased) await this.settle();
      }
    });
  }

  /**
   * Makes the call a paused operation waits for, on the user's external key
   * store, and resumes the operation with the answer (or the error's name).
   */
  async external(call) {
    const wasm = this.wasm;
    const engine = this.engine;
    const store = this.externalStores.get(call.customKeyStoreId) ?? this.externalStores.get(call.customKeyStoreName);
    let output;
    let failure;
    try {
      if (!store) throw new Error('no external key store is attached');
      const request = call.operation === 'encrypt'
        ? { keyId: call.xksKeyId, plaintext: call.data, aad: call.aad }
        : { keyId: call.xksKeyId, ciphertext: call.data, aad: call.aad };
      const answer = await withTimeout(store[call.operation](request), this.externalTimeoutMs);
      output = asBytes(answer);
      if (!output) failure = 'KMSInvalidStateException';
    } catch (e) {
      failure = e && typeof e.name === 'string' ? e.name : 'Error';
    }
    if (this.wasm !== wasm || !engine.alive) {
      throw new KmsError('KMSInternalException', 'The KMS core restarted while an external key store was answering; the call changed nothing.');
    }
    return wasm.resume(failure === undefined ? output : undefined, failure);
  }

  /** The events the core raised since the last take; throws only if the instance broke. */
  takeEvents() {
    let events;
    try {
      events = this.wasm.takeEvents();
    } catch (e) {
      if (isFatal(e)) throw e;
      return []; // an encoding failure of the core: the events are lost, the call stands
    }
    return Array.isArray(events) ? events : [];
  }

  /** Hands events to their handlers; a failing handler is reported, never thrown. */
  deliver(events) {
    if (events.length === 0 || this.handlers.size === 0) return;
    for (const event of events) {
      const type = event && event['detail-type'];
      const targets = [...(this.handlers.get(type) ?? []), ...(this.handlers.get('*') ?? [])];
      for (const handler of targets) {
        try {
          const result = handler(event);
          if (result && typeof result.then === 'function') {
            result.then(undefined, (err) => reportHandlerError(type, err));
          }
        } catch (err) {
          reportHandlerError(type, err);
        }
      }
    }
  }

  on(detailType, handler) {
    let set = this.handlers.get(detailType);
    if (!set) this.handlers.set(detailType, (set = new Set()));
    set.add(handler);
  }

  off(detailType, handler) {
    const set = this.handlers.get(detailType);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) this.handlers.delete(detailType);
  }

  /**
   * Runs an action on the WasmKms in the queue, with the same store and
   * failure handling as calls: `commit` when it may change the state,
   * `fullAudit` when it reads the audit log.
   */
  run(action, { commit = false, fullAudit = false } = {}) {
    return this.enqueue(async () => {
      await this.begin();
      try {
        if (fullAudit) await this.ensureFullAudit();
        let result;
        try {
          result = await this.onFullIfNeeded(() => action(this.wasm));
        } catch (e) {
          throw await this.failed(e);
        }
        if (commit) await this.commit();
        return result;
      } finally {
        await this.settle();
      }
    });
  }

  /** The whole state and audit log sealed under a passphrase. */
  exportBackup(passphrase) {
    return this.run((wasm) => wasm.exportBackup(passphrase), { fullAudit: true });
  }

  /** Replaces an empty KMS's state and log with a backup's. */
  restoreBackup(bytes, passphrase) {
    return this.enqueue(async () => {
      await this.begin();
      try {
        const engine = this.engine;
        // Only into an empty KMS: nothing here may be overwritten.
        let keys;
        let state;
        let probe;
        try {
          state = this.encode(this.wasm);
          probe = this.build(engine, state);
          keys = probe.call('ListKeys', `arn:aws:iam::${this.accountId}:root`, undefined, undefined, clockMillis(this.now()), { Limit: 1 }).Keys;
        } catch (e) {
          throw await this.failed(e);
        } finally {
          this.wipe(state);
          if (probe && engine.alive) probe.free();
        }
        if (keys.length > 0) {
          throw new KmsError('KMSInvalidStateException', 'restoreBackup fills an empty KMS, and this one already holds keys; nothing was restored. Restore into a new store.');
        }
        let restored;
        try {
          // Backups are the full engine's (Argon2id).
          restored = await this.onFullIfNeeded(() => adopt(this.engine, this.engine.glue.WasmKms.restoreBackup(this.accountId, this.region, this.grantPropagationMs, bytes, passphrase)));
        } catch (e) {
          throw await this.failed(e);
        }
        let next;
        let audit;
        let count = 0;
        try {
          state = this.encode(restored);
          if (this.durableAudit) {
            next = restored.auditNextIndex();
            const records = restored.auditSince(0);
            count = records.length;
            if (count) audit = JSON.stringify(records);
          }
        } catch (e) {
          forget(restored);
          throw await this.failed(e, true);
        }
        try {
          this.head = await this.store.commit({ state, audit, count, reset: true });
        } catch (e) {
          restored.free();
          throw new KmsError('KMSInternalException', `The backup could not be saved to the store (${messageOf(e)}); nothing was restored.`, { cause: e });
        } finally {
          this.wipe(state);
        }
        this.install(restored, this.engine, true);
        if (next !== undefined) this.persisted = next;
      } finally {
        await this.settle();
      }
    });
  }

  close() {
    if (this.closed) return this.tail;
    const done = this.tail.then(async () => {
      this.closed = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
      try {
        if (this.leased) await this.flush();
      } catch (e) {
        report('the last audit records could not be written to the store.', e);
      }
      this.unlock();
      if (this.wasm && this.engine && this.engine.alive) this.wasm.free();
      else forget(this.wasm);
      this.wasm = null;
      if (typeof this.store.close === 'function') await this.store.close();
    });
    this.tail = done.then(() => {}, () => {});
    // Calls made after close() reject at once.
    this.enqueue = () => Promise.reject(closedError());
    return done;
  }
}

/**
 * The AWS SDK's two call forms: the promise, or (with a Node-style callback
 * as the last argument) `undefined`, the callback getting the outcome.
 */
function withCallback(promise, optionsOrCallback, callback) {
  const cb = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
  if (typeof cb !== 'function') return promise;
  promise.then((r) => cb(null, r), (e) => cb(e));
  return undefined;
}

/** `promise`, or a rejection after `ms` milliseconds. */
function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new KmsError('KMSInvalidStateException', `The external key store did not answer within ${ms} ms.`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

/** Whether `store` has the methods of an external key store. */
function isExternalKeyStore(store) {
  return store !== null && typeof store === 'object' && typeof store.encrypt === 'function' && typeof store.decrypt === 'function';
}

function reportHandlerError(type, err) {
  try {
    console.error(`kms-wasm: a handler of '${type}' events failed; the KMS carries on.`, err);
  } catch {
    // no console: nothing more to do
  }
}

function passphraseOf(options, what) {
  const passphrase = options && typeof options === 'object' ? options.passphrase : undefined;
  if (typeof passphrase !== 'string' || passphrase === '') {
    return new KmsError('ValidationException', `${what} needs { passphrase }, a non-empty string.`);
  }
  return passphrase;
}

function closedError() {
  return new KmsError('KmsClosedException', 'This KMS was closed (close() was called); create a new one with createKms().');
}

const CORE = Symbol('kms-wasm core');
const CONTEXT = Symbol('kms-wasm request context');

function lowerCamel(name) {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function nonEmptyString(v, what) {
  if (typeof v !== 'string' || v === '') throw new KmsError('ValidationException', `${what}.`);
  return v;
}

/**
 * The client. One method per AWS operation (`encrypt`, `decrypt`, ...),
 * each taking the AWS request and resolving to the AWS response. Like the
 * AWS SDK's aggregated `KMS` client, a method also takes a Node-style
 * callback as its last argument.
 *
 * A `Kms` is a view: the shared state (wasm instance, store, clock, queue,
 * event handlers) plus the request context its calls carry — the caller,
 * and optionally a VPC endpoint and an AWS service.
 */
export class Kms {
  constructor(core, context) {
    Object.defineProperty(this, CORE, { value: core });
    Object.defineProperty(this, CONTEXT, { value: Object.freeze({ ...context }) });
  }

  /** The principal this view calls as. */
  get caller() {
    return this[CONTEXT].caller;
  }

  /** The VPC endpoint (`vpce-...`) this view calls through, if any. */
  get endpoint() {
    return this[CONTEXT].endpoint;
  }

  /** The AWS service (e.g. `s3`) this view calls through, if any. */
  get service() {
    return this[CONTEXT].service;
  }

  /** A view of the same KMS (same store, clock and queue) whose calls are made by `principalArn`. */
  withCaller(principalArn) {
    nonEmptyString(principalArn, 'withCaller needs a principal ARN');
    return new Kms(this[CORE], { ...this[CONTEXT], caller: principalArn });
  }

  /**
   * A view of the same KMS whose calls come through the private endpoint
   * `vpcEndpointId` (made with createEndpoint): they carry `aws:SourceVpce`
   * and `aws:SourceVpc`, and the endpoint's policy must allow them too.
   */
  viaEndpoint(vpcEndpointId) {
    nonEmptyString(vpcEndpointId, 'viaEndpoint needs a VPC endpoint id (vpce-...)');
    return new Kms(this[CORE], { ...this[CONTEXT], endpoint: vpcEndpointId });
  }

  /**
   * A view of the same KMS whose calls come through the AWS service `name`
   * (e.g. `s3`): they carry `kms:ViaService`, and the first one creates
   * the service's AWS managed key `alias/aws/NAME`.
   */
  forService(name) {
    nonEmptyString(name, 'forService needs an AWS service name, such as s3');
    return new Kms(this[CORE], { ...this[CONTEXT], service: name });
  }

  /** Registers a private endpoint `{ VpcEndpointId, VpcId, Policy? }`, created by this view's caller. */
  createEndpoint(request) {
    const core = this[CORE];
    const { caller } = this[CONTEXT];
    return core.run((wasm) => {
      const req = toWasmRequest(request);
      return fromWasmResponse(wasm.createEndpoint(caller, clockMillis(core.now()), req));
    }, { commit: true });
  }

  /** The CloudTrail-style audit records, oldest first, optionally of one key (`KeyId`) and a time range (`StartTime`, `EndTime`). */
  auditLog(filter) {
    return this[CORE].run((wasm) => wasm.auditLog(toWasmRequest(filter)), { fullAudit: true });
  }

  /** Verifies the audit log's hash chain: `{ valid, firstInvalidIndex }` (`null` when valid). */
  verifyAuditLog() {
    return this[CORE].run((wasm) => wasm.verifyAuditLog(), { fullAudit: true });
  }

  /** Usage and an estimated bill for a calendar month: `{ month: 'YYYY-MM', prices? }`. */
  usage(request) {
    const core = this[CORE];
    return core.run((wasm) => {
      const req = toWasmRequest(request);
      return wasm.usage(clockMillis(core.now()), req);
    }, { fullAudit: true });
  }

  /**
   * The whole state — keys and their material, aliases, tags, policies,
   * grants, schedules — and the audit log, sealed under `passphrase`
   * (Argon2id, AES-256-GCM) into one versioned, authenticated blob.
   */
  exportBackup(options) {
    const passphrase = passphraseOf(options, 'exportBackup');
    if (passphrase instanceof KmsError) return Promise.reject(passphrase);
    return this[CORE].exportBackup(passphrase);
  }

  /**
   * Fills an empty KMS (and its store) with a backup made by exportBackup.
   * A wrong passphrase or a backup altered in any byte rejects with
   * KMSInvalidStoreException, and a KMS that holds any key rejects with
   * KMSInvalidStateException; either way nothing is restored.
   */
  restoreBackup(backup, options) {
    const bytes = asBytes(backup);
    if (!bytes) return Promise.reject(new KmsError('ValidationException', 'restoreBackup needs the backup bytes (a Uint8Array).'));
    const passphrase = passphraseOf(options, 'restoreBackup');
    if (passphrase instanceof KmsError) return Promise.reject(passphrase);
    return this[CORE].restoreBackup(bytes, passphrase);
  }

  /**
   * Calls `handler(event)` for each EventBridge-style event of `detailType`
   * (`'KMS CMK Rotation'`, `'KMS CMK Deletion'`, `'KMS CMK Pending Deletion
   * Use Attempt'`, ... or `'*'` for all), on this KMS and all its views.
   */
  on(detailType, handler) {
    nonEmptyString(detailType, "on needs an event detail-type, or '*'");
    if (typeof handler !== 'function') throw new KmsError('ValidationException', 'on needs a handler function.');
    this[CORE].on(detailType, handler);
    return this;
  }

  /** Removes a handler added with `on(detailType, handler)`. */
  off(detailType, handler) {
    this[CORE].off(detailType, handler);
    return this;
  }

  /**
   * CreateCustomKeyStore with `CustomKeyStoreType: 'EXTERNAL_KEY_STORE'` and
   * `ExternalKeyStore`, the store itself: an object with async
   * `encrypt({ keyId, plaintext, aad })` and `decrypt({ keyId, ciphertext, aad })`
   * (see `webCryptoKeyStore()`). The store is attached for this KMS's life;
   * after a restart, pass it again in `createKms({ customKeyStores })`.
   */
  createCustomKeyStore(request, optionsOrCallback, callback) {
    const { ExternalKeyStore: store, ...rest } = request ?? {};
    let promise;
    if (request !== undefined && request !== null && typeof request !== 'object') {
      promise = Promise.reject(new KmsError('ValidationException', 'The request must be an object.'));
    } else if (rest.CustomKeyStoreType === 'EXTERNAL_KEY_STORE' && !isExternalKeyStore(store)) {
      promise = Promise.reject(new KmsError('ValidationException', 'ExternalKeyStore must be an object with encrypt({ keyId, plaintext, aad }) and decrypt({ keyId, ciphertext, aad }) methods.'));
    } else {
      promise = this[CORE].call('CreateCustomKeyStore', this[CONTEXT], rest, store);
    }
    return withCallback(promise, optionsOrCallback, callback);
  }

  /** Frees the wasm instance's KMS and closes the store; later calls reject. */
  close() {
    return this[CORE].close();
  }

  /** @internal Panics inside the wasm on purpose, to test recovery. Rejects with KMSInternalException. */
  __trapForTesting() {
    return this[CORE].run((wasm) => wasm.__trapForTesting());
  }

  /** @internal Which engine the KMS runs on now: 'core' or 'full'. */
  get __engine() {
    return this[CORE].engineKind;
  }

  /** @internal How many times this KMS moved from the core engine to the full engine (0 or 1). */
  get __upgrades() {
    return this[CORE].upgrades;
  }

  /** @internal How many times this KMS moved to a fresh wasm instance. */
  get __recoveries() {
    return this[CORE].recoveries;
  }
}

// `await using kms = await createKms()` where the runtime has explicit resource
// management; elsewhere no member named after an undefined symbol.
if (typeof Symbol.asyncDispose === 'symbol') {
  Object.defineProperty(Kms.prototype, Symbol.asyncDispose, {
    value() { return this.close(); }, writable: true, configurable: true,
  });
}

for (const op of OPERATIONS) {
  if (Object.prototype.hasOwnProperty.call(Kms.prototype, lowerCamel(op))) continue; // written out above
  const method = {
    [lowerCamel(op)](request, optionsOrCallback, callback) {
      return withCallback(this[CORE].call(op, this[CONTEXT], request), optionsOrCallback, callback);
    },
  }[lowerCamel(op)];
  Object.defineProperty(Kms.prototype, lowerCamel(op), { value: method, writable: true, configurable: true });
}

/**
 * createKms for a platform (Node or browser entry).
 * @param {{ live(): Promise<any> }} engines
 * @param {object} [options]
 */
export async function createKmsWith(engines, options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new KmsError('ValidationException', 'createKms options must be an object.');
  }
  const accountId = options.accountId ?? DEFAULT_ACCOUNT;
  const region = options.region ?? DEFAULT_REGION;
  if (typeof accountId !== 'string' || typeof region !== 'string') {
    throw new KmsError('ValidationException', 'accountId and region must be strings.');
  }
  const caller = options.caller ?? `arn:aws:iam::${accountId}:root`;
  if (typeof caller !== 'string' || caller === '') {
    throw new KmsError('ValidationException', 'caller must be a principal ARN.');
  }
  const grantPropagationSeconds = options.grantPropagationSeconds ?? 0;
  if (typeof grantPropagationSeconds !== 'number' || !Number.isFinite(grantPropagationSeconds) || grantPropagationSeconds < 0) {
    throw new KmsError('ValidationException', 'grantPropagationSeconds must be a non-negative number of seconds.');
  }
  const grantPropagationMs = Math.round(grantPropagationSeconds * 1000);
  const now = options.now ?? (() => new Date());
  if (typeof now !== 'function') throw new KmsError('ValidationException', 'now must be a function returning a Date.');
  const store = adoptStore(options.store ?? memoryStore());
  const externalStores = new Map();
  const given = options.customKeyStores ?? {};
  if (given === null || typeof given !== 'object') throw new KmsError('ValidationException', 'customKeyStores must map custom key store ids or names to external key stores.');
  for (const [idOrName, external] of Object.entries(given)) {
    if (!isExternalKeyStore(external)) throw new KmsError('ValidationException', `customKeyStores['${idOrName}'] must have encrypt and decrypt methods.`);
    externalStores.set(idOrName, external);
  }
  const externalTimeoutMs = options.externalKeyStoreTimeoutMs ?? DEFAULT_EXTERNAL_TIMEOUT_MS;
  if (typeof externalTimeoutMs !== 'number' || !(externalTimeoutMs > 0)) throw new KmsError('ValidationException', 'externalKeyStoreTimeoutMs must be a positive number of milliseconds.');

  const engineKind = options.engine ?? 'core';
  if (engineKind !== 'core' && engineKind !== 'full') {
    throw new KmsError('ValidationException', "engine must be 'core' (the default: the full engine is loaded when a call needs it) or 'full'.");
  }
  await engines.live(engineKind); // compile and start the wasm first: a bad URL fails before the store is touched
  await store.open({
    async deriveKey(passphrase, salt) {
      // Argon2id is the full engine's.
      const live = await engines.live('full');
      try {
        return live.glue.WasmKms.deriveKey(passphrase, salt);
      } catch (e) {
        throw toKmsError(e);
      }
    },
  });
  const core = new Core({ engines, engineKind, accountId, region, grantPropagationMs, now, store, externalStores, externalTimeoutMs });
  try {
    const head = await store.lock();
    core.leased = store.shared;
    core.leaseStart = Date.now();
    await core.reload(head);
    if (head.seq === 0 && core.durableAudit) {
      // A new durable store: its first copy, before any audit record is written.
      core.generation = -1;
      await core.commit();
    }
  } catch (e) {
    core.unlock();
    try {
      await store.close();
    } catch {
      // the first error is the one to report
    }
    throw toKmsError(e);
  }
  await core.settle();
  return new Kms(core, { caller, endpoint: undefined, service: undefined });
}

/**
 * Verifies exported audit records (the whole log, oldest first, as
 * `auditLog()` returned it, e.g. after a JSON round trip): each must link to
 * the digest of the one before and match its own digest.
 * @returns {Promise<{ valid: boolean, firstInvalidIndex: number | null }>}
 */
export async function verifyAuditRecordsWith(engines, records) {
  if (!Array.isArray(records)) throw new KmsError('ValidationException', 'verifyAuditRecords needs an array of audit records.');
  const engine = await engines.live();
  try {
    return engine.glue.WasmKms.verifyAuditRecords(records);
  } catch (e) {
    if (!isFatal(e)) throw toKmsError(e);
    engines.kill(engine); // every KMS moves to a fresh instance before its next call
    throw new KmsError('KMSInternalException', `The KMS core failed while verifying the records (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
}

/** The crate's raw AES-256-GCM (the benchmark's baseline), on the live engine. */
export async function benchCipherWith(engines) {
  const engine = await engines.live();
  return adopt(engine, new engine.glue.__BenchCipher());
}
