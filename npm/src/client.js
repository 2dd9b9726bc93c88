// The async, AWS-shaped client around the synchronous wasm core.
//
// - One call at a time per KMS: the wasm exports take `&mut self`, and a
//   store (possibly async) must have committed a call's change before the
//   call resolves. Calls wait in a queue; views made by withCaller share it.
// - After each call, if the state's generation moved, the new snapshot goes
//   to the store. If the store fails, the wasm state goes back to the last
//   stored snapshot and the call rejects: a failed call changes nothing.
// - A trap (Rust panic) rejects the call with KMSInternalException, moves
//   the KMS to a fresh wasm instance restored from the last snapshot, and
//   the next call works with every key intact.

import { KmsError, toKmsError, isServiceError } from './errors.js';
import { toWasmRequest, fromWasmResponse, clockMillis, asBytes } from './convert.js';
import { memoryStore } from './store.js';
import { forget, adopt } from './engine.js';

/** Every AWS operation of the API contract (api.md), by AWS name. */
export const OPERATIONS = Object.freeze([
  'CreateKey', 'DescribeKey', 'ListKeys', 'UpdateKeyDescription', 'EnableKey', 'DisableKey',
  'ScheduleKeyDeletion', 'CancelKeyDeletion',
  'EnableKeyRotation', 'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand', 'ListKeyRotations',
  'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases', 'TagResource', 'UntagResource', 'ListResourceTags',
  'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateRandom',
  // Until the core implements them, these reject with UnsupportedOperationException.
  'PutKeyPolicy', 'GetKeyPolicy', 'ListKeyPolicies',
  'CreateGrant', 'ListGrants', 'ListRetirableGrants', 'RetireGrant', 'RevokeGrant',
  'GetParametersForImport', 'ImportKeyMaterial', 'DeleteImportedKeyMaterial',
]);

const DEFAULT_ACCOUNT = '111122223333';
const DEFAULT_REGION = 'us-east-1';

/** Whether the wasm call failed in a way that may have broken the instance. */
function isFatal(e) {
  return !isServiceError(e);
}

/** State shared by a KMS and all its views. */
class Core {
  constructor({ engines, engine, wasm, accountId, region, now, store }) {
    this.engines = engines;
    this.engine = engine;
    this.wasm = wasm;
    this.accountId = accountId;
    this.region = region;
    this.now = now;
    this.store = store;
    this.generation = wasm.generation();
    /** The state as last committed to the store; what recovery restores. */
    this.snapshot = wasm.snapshot();
    this.tail = Promise.resolve();
    this.closed = false;
    this.recoveries = 0;
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

  /** A WasmKms on a live engine, restored from the last snapshot when the engine died. */
  async ensureLive() {
    if (this.wasm && this.engine.alive) return;
    const engine = await this.engines.live();
    const wasm = adopt(engine, engine.glue.WasmKms.restore(this.accountId, this.region, this.snapshot));
    forget(this.wasm);
    this.engine = engine;
    this.wasm = wasm;
    this.generation = wasm.generation();
    this.recoveries += 1;
  }

  /** Handles an error thrown by a wasm call: a KmsError to reject with. */
  async failed(e, fatal = isFatal(e)) {
    if (!fatal) return toKmsError(e);
    // The instance may be corrupt: abandon it (and every WasmKms living in it).
    this.engines.kill(this.engine);
    forget(this.wasm);
    this.wasm = null;
    let recovery = '';
    try {
      await this.ensureLive();
    } catch (again) {
      recovery = ` Recovery failed too (${again instanceof Error ? again.message : String(again)}); the next call retries it.`;
    }
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new KmsError('KMSInternalException', `The KMS core failed (${what}) and was restarted from its last saved state; the call changed nothing.${recovery}`, { cause: e });
  }

  /** Hands a changed state to the store; on failure, returns to the last stored state. */
  async commit() {
    let generation, snapshot;
    try {
      generation = this.wasm.generation();
      if (generation === this.generation) return;
      snapshot = this.wasm.snapshot();
    } catch (e) {
      // A change we cannot save is undone: back to the last snapshot on a fresh instance.
      throw await this.failed(e, true);
    }
    try {
      await this.store.save(snapshot);
    } catch (e) {
      // Undo the call: back to the state the store holds.
      const previous = adopt(this.engine, this.engine.glue.WasmKms.restore(this.accountId, this.region, this.snapshot));
      this.wasm.free();
      this.wasm = previous;
      this.generation = previous.generation();
      snapshot.fill(0);
      throw new KmsError('KMSInternalException', `The change could not be saved to the store (${e instanceof Error ? e.message : String(e)}); the call changed nothing.`, { cause: e });
    }
    this.snapshot.fill(0);
    this.snapshot = snapshot;
    this.generation = generation;
  }

  /** One AWS operation, in the queue. */
  call(operation, caller, request) {
    return this.enqueue(async () => {
      await this.ensureLive();
      const req = toWasmRequest(request);
      const nowMs = clockMillis(this.now());
      let response;
      try {
        response = this.wasm.call(operation, caller, nowMs, req);
      } catch (e) {
        throw await this.failed(e);
      }
      await this.commit();
      return fromWasmResponse(response);
    });
  }

  /** Runs a raw action on the WasmKms, with the same failure handling as calls. */
  raw(action) {
    return this.enqueue(async () => {
      await this.ensureLive();
      try {
        return action(this.wasm);
      } catch (e) {
        throw await this.failed(e);
      }
    });
  }

  close() {
    if (this.closed) return this.tail;
    const done = this.tail.then(async () => {
      this.closed = true;
      if (this.wasm && this.engine.alive) this.wasm.free();
      else forget(this.wasm);
      this.wasm = null;
      this.snapshot.fill(0);
      if (typeof this.store.close === 'function') await this.store.close();
    });
    this.tail = done.then(() => {}, () => {});
    // Calls made after close() reject at once.
    this.enqueue = () => Promise.reject(closedError());
    return done;
  }
}

function closedError() {
  return new KmsError('KmsClosedException', 'This KMS was closed (close() was called); create a new one with createKms().');
}

const CORE = Symbol('kms-wasm core');
const CALLER = Symbol('kms-wasm caller');

function lowerCamel(name) {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * The client. One method per AWS operation (`encrypt`, `decrypt`, ...),
 * each taking the AWS request and resolving to the AWS response. Like the
 * AWS SDK's aggregated `KMS` client, a method also takes a Node-style
 * callback as its last argument.
 */
export class Kms {
  constructor(core, caller) {
    Object.defineProperty(this, CORE, { value: core });
    Object.defineProperty(this, CALLER, { value: caller });
  }

  /** The principal this view calls as. */
  get caller() {
    return this[CALLER];
  }

  /** A view of the same KMS (same store, clock and queue) whose calls are made by `principalArn`. */
  withCaller(principalArn) {
    if (typeof principalArn !== 'string' || principalArn === '') {
      throw new KmsError('ValidationException', 'withCaller needs a principal ARN.');
    }
    return new Kms(this[CORE], principalArn);
  }

  /** Frees the wasm instance's KMS and closes the store; later calls reject. */
  close() {
    return this[CORE].close();
  }

  [Symbol.asyncDispose]() {
    return this.close();
  }

  /** @internal Panics inside the wasm on purpose, to test recovery. Rejects with KMSInternalException. */
  __trapForTesting() {
    return this[CORE].raw((wasm) => wasm.__trapForTesting());
  }

  /** @internal How many times this KMS moved to a fresh wasm instance. */
  get __recoveries() {
    return this[CORE].recoveries;
  }
}

for (const op of OPERATIONS) {
  const method = {
    [lowerCamel(op)](request, optionsOrCallback, callback) {
      const cb = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
      const promise = this[CORE].call(op, this[CALLER], request);
      if (typeof cb !== 'function') return promise;
      promise.then((r) => cb(null, r), (e) => cb(e));
      return undefined;
    },
  }[lowerCamel(op)];
  Object.defineProperty(Kms.prototype, lowerCamel(op), { value: method, writable: true, configurable: true });
}

function checkStore(store) {
  if (!store || typeof store.load !== 'function' || typeof store.save !== 'function') {
    throw new KmsError('ValidationException', 'options.store must have load() and save(bytes) methods, like memoryStore().');
  }
  return store;
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
  const now = options.now ?? (() => new Date());
  if (typeof now !== 'function') throw new KmsError('ValidationException', 'now must be a function returning a Date.');
  const store = checkStore(options.store ?? memoryStore());

  const engine = await engines.live();
  const loaded = await store.load();
  let wasm;
  try {
    if (loaded === null || loaded === undefined) {
      wasm = new engine.glue.WasmKms(accountId, region);
    } else {
      const bytes = asBytes(loaded);
      if (!bytes) throw new KmsError('ValidationException', 'The store returned something other than bytes.');
      wasm = engine.glue.WasmKms.restore(accountId, region, bytes);
    }
  } catch (e) {
    throw toKmsError(e);
  }
  adopt(engine, wasm);
  const core = new Core({ engines, engine, wasm, accountId, region, now, store });
  return new Kms(core, caller);
}

/** The crate's raw AES-256-GCM (the benchmark's baseline), on the live engine. */
export async function benchCipherWith(engines) {
  const engine = await engines.live();
  return adopt(engine, new engine.glue.__BenchCipher());
}
