// The state a KMS and all its views share, around one synchronous wasm core
// instance: the call queue, the store and its lease, commits and rollbacks,
// audit flushing, trap recovery, the move to the full engine, external key
// stores. npm/src/client.js is the AWS-shaped client over it.
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

import { KmsError, toKmsError, isServiceError, needsFullEngine } from '../errors.js';
import { toWasmRequest, fromWasmResponse, clockMillis } from '../convert.js';
import { AUDIT_RETENTION, isRecordBody } from '../stores/spi.js';
import { forget, adopt } from '../engine.js';
import { EventHub } from './events.js';
import { askExternalKeyStore } from './external.js';

/** Audit records of read-only calls written in one batch, at most. */
const FLUSH_RECORDS = 256;
/** The longest a lease on a shared store lasts while calls keep coming (ms). */
const LEASE_MS = 20;
/** Records waiting when the queue goes idle are written this much later (ms). */
const IDLE_FLUSH_MS = 5;
/** A store holding at most this many records has its whole log loaded at once. */
const EAGER_AUDIT = 64;

/** Whether the wasm call failed in a way that may have broken the instance. */
export function isFatal(e) {
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


/** The refusal of a call on a closed KMS. */
export function closedError() {
  return new KmsError('KmsClosedException', 'This KMS was closed (close() was called); create a new one with createKms().');
}

/** State shared by a KMS and all its views. */
export class Core {
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
    /** The `kms.on` handlers. */
    this.events = new EventHub();
    /** External key stores the user supplied, by custom key store id or name. */
    this.externalStores = externalStores;
    this.externalTimeoutMs = externalTimeoutMs;
  }

  get durableAudit() {
    return this.store.auditPolicy === 'commit';
  }

  /** The root key record bodies are sealed under (sealed stores), else undefined. */
  get recordKey() {
    return this.store.form === 'sealed' ? this.store.rootKey : undefined;
  }

  /**
   * A WasmKms of `engine` from state bytes in the store's form (a new KMS
   * for null): a snapshot, or a full body of records (stores.spi.js), then
   * the bodies of `changes` applied in order.
   */
  build(engine, state, changes = []) {
    const { WasmKms } = engine.glue;
    let wasm;
    if (!state || isRecordBody(state)) wasm = new WasmKms(this.accountId, this.region, this.grantPropagationMs);
    else if (this.store.form === 'sealed') wasm = WasmKms.restoreSealed(this.accountId, this.region, this.grantPropagationMs, this.store.rootKey, state);
    else wasm = WasmKms.restore(this.accountId, this.region, this.grantPropagationMs, state);
    adopt(engine, wasm);
    try {
      if (state && isRecordBody(state)) wasm.applyRecords(this.recordKey, state);
      for (const body of changes) wasm.applyRecords(this.recordKey, body);
    } catch (e) {
      forget(wasm);
      throw e;
    }
    return wasm;
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
      const changes = this.store.recordLevel ? await this.store.readChanges() : [];
      const eager = !this.durableAudit || head.records <= EAGER_AUDIT;
      const records = head.records > 0 ? await this.store.readAudit(eager ? EAGER_AUDIT : 1) : [];
      try {
        wasm = this.build(engine, state, changes);
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
          if (!(await this.catchUp(head))) await this.reload(head);
        } catch (e) {
          this.unlock();
          throw e;
        }
      }
    }
    await this.ensureLive();
  }

  /**
   * Brings a live instance up to the store's `head` by applying the bodies
   * other writers committed since ours (stores that keep a log of them),
   * instead of rebuilding everything; then takes the log's newest audit
   * record as the chain's link. False when the store cannot say (its base
   * changed, or it keeps no such log): the caller reloads.
   */
  async catchUp(head) {
    if (!this.store.recordLevel || typeof this.store.readChangesSince !== 'function') return false;
    if (!this.wasm || !this.engine.alive || head.seq < this.head.seq) return false;
    const bodies = head.seq === this.head.seq ? [] : await this.store.readChangesSince(this.head.seq);
    if (!bodies) return false;
    const records = head.records > 0 ? await this.store.readAudit(1) : [];
    try {
      for (const body of bodies) this.wasm.applyRecords(this.recordKey, body);
      this.wasm.replaceAudit(records);
    } catch (e) {
      // A body that does not apply: rebuild from the store (which says why, if it is damaged).
      if (isFatal(e)) throw await this.failed(e, true);
      return false;
    }
    this.generation = this.wasm.generation();
    this.persisted = this.wasm.auditNextIndex();
    this.auditFull = head.records === 0;
    this.head = head;
    return true;
  }

  /** After work on the KMS: write or schedule the waiting audit records, release the lock. Never throws. */
  async settle() {
    if (!this.store.shared || !this.leased) return;
    try {
      const waiting = this.waiting();
      if (waiting > 0 && waiting < FLUSH_RECORDS && Date.now() - this.leaseStart < LEASE_MS && !this.store.releaseAfterCall) {
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

  /**
   * Commits a changed state (with the audit records made since the last
   * write) to the store: the records the calls since the last commit
   * changed, or all of them when the store asks for a new base (`head.full`:
   * its log of changes grew past its base, or it was written by an earlier
   * version); a whole snapshot for stores that keep no records.
   */
  async commit() {
    let generation;
    let state;
    let changes;
    let full;
    let next;
    let audit;
    let count = 0;
    try {
      generation = this.wasm.generation();
      if (generation === this.generation) return;
      if (!this.store.recordLevel) state = this.encode(this.wasm);
      // A full body also when the instance read records of the form before regions.
      else if (this.head.full || this.wasm.wantsFullRecords()) full = this.wasm.allRecords(this.recordKey, this.head.seq + 1);
      else changes = this.wasm.takeChanges(this.recordKey, this.head.seq + 1);
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
      this.head = await this.store.commit({ state, changes, full, audit, count });
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
      this.wipe(changes);
      this.wipe(full);
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
            response = this.wasm.call(operation, ctx.caller, ctx.endpoint, ctx.service, ctx.region, ctx.requestId, nowMs, req);
          } catch (e) {
            if (!needsFullEngine(e)) throw e;
            // The core left this call to the full engine, untouched: replay it there.
            await this.upgrade();
            response = this.wasm.call(operation, ctx.caller, ctx.endpoint, ctx.service, ctx.region, ctx.requestId, nowMs, req);
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
        this.events.deliver(events);
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
    const { output, failure } = await askExternalKeyStore(this.externalStores, call, this.externalTimeoutMs);
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
          keys = probe.keyCount();
        } catch (e) {
          throw await this.failed(e);
        } finally {
          this.wipe(state);
          state = undefined; // the probe's, not the state to commit
          if (probe && engine.alive) probe.free();
        }
        if (keys > 0) {
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
        let full;
        try {
          if (this.store.recordLevel) full = restored.allRecords(this.recordKey, this.head.seq + 1);
          else state = this.encode(restored);
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
          this.head = await this.store.commit({ state, full, audit, count, reset: true });
        } catch (e) {
          restored.free();
          throw new KmsError('KMSInternalException', `The backup could not be saved to the store (${messageOf(e)}); nothing was restored.`, { cause: e });
        } finally {
          this.wipe(state);
          this.wipe(full);
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

