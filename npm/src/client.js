// The async, AWS-shaped client around the synchronous wasm core.
//
// - One call at a time per KMS: the wasm exports take `&mut self`, and a
//   store (possibly async) must have committed a call's change before the
//   call resolves. Calls wait in a queue; views (withCaller, viaEndpoint,
//   forService) share it, and so do createEndpoint, auditLog, usage, ...
// - After each call, allowed or not, the events the core raised (rotation,
//   deletion, use of a key pending deletion) are taken and, once the state
//   is committed, handed to the `kms.on` handlers. A handler that throws or
//   rejects is reported with console.error; it never fails the call.
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
  constructor({ engines, engine, wasm, accountId, region, grantPropagationMs, now, store }) {
    this.engines = engines;
    this.engine = engine;
    this.wasm = wasm;
    this.accountId = accountId;
    this.region = region;
    this.grantPropagationMs = grantPropagationMs;
    this.now = now;
    this.store = store;
    this.generation = wasm.generation();
    /** The state as last committed to the store; what recovery restores. */
    this.snapshot = wasm.snapshot();
    this.tail = Promise.resolve();
    this.closed = false;
    this.recoveries = 0;
    /** Event handlers by detail-type ('*' for all). */
    this.handlers = new Map();
  }

  /** A WasmKms of `engine` restored from `snapshot`, with this KMS's settings. */
  restoreOn(engine, snapshot) {
    return adopt(engine, engine.glue.WasmKms.restore(this.accountId, this.region, this.grantPropagationMs, snapshot));
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
    const wasm = this.restoreOn(engine, this.snapshot);
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
      const previous = this.restoreOn(this.engine, this.snapshot);
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

  /** One AWS operation, in the queue, made in the request context `ctx` of a view. */
  call(operation, ctx, request) {
    return this.enqueue(async () => {
      await this.ensureLive();
      const req = toWasmRequest(request);
      const nowMs = clockMillis(this.now());
      let response;
      let refused = null;
      try {
        response = this.wasm.call(operation, ctx.caller, ctx.endpoint, ctx.service, nowMs, req);
      } catch (e) {
        if (isFatal(e)) throw await this.failed(e);
        refused = toKmsError(e);
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
    });
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
   * Runs an action on the WasmKms from inside a queued task, with the same
   * failure handling as calls; `commit` when it may change the state.
   */
  async runNow(action, { commit = false } = {}) {
    await this.ensureLive();
    let result;
    try {
      result = action(this.wasm);
    } catch (e) {
      throw await this.failed(e);
    }
    if (commit) await this.commit();
    return result;
  }

  /** Runs an action on the WasmKms in the queue (see runNow). */
  raw(action, options) {
    return this.enqueue(() => this.runNow(action, options));
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

function reportHandlerError(type, err) {
  try {
    console.error(`kms-wasm: a handler of '${type}' events failed; the KMS carries on.`, err);
  } catch {
    // no console: nothing more to do
  }
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
    return core.enqueue(async () => {
      const req = toWasmRequest(request);
      const nowMs = clockMillis(core.now());
      return fromWasmResponse(await core.runNow((wasm) => wasm.createEndpoint(caller, nowMs, req), { commit: true }));
    });
  }

  /** The CloudTrail-style audit records, oldest first, optionally of one key (`KeyId`) and a time range (`StartTime`, `EndTime`). */
  auditLog(filter) {
    const core = this[CORE];
    return core.enqueue(async () => {
      const req = toWasmRequest(filter);
      return core.runNow((wasm) => wasm.auditLog(req));
    });
  }

  /** Verifies the audit log's hash chain: `{ valid, firstInvalidIndex }` (`null` when valid). */
  verifyAuditLog() {
    return this[CORE].raw((wasm) => wasm.verifyAuditLog());
  }

  /** Usage and an estimated bill for a calendar month: `{ month: 'YYYY-MM', prices? }`. */
  usage(request) {
    const core = this[CORE];
    return core.enqueue(async () => {
      const req = toWasmRequest(request);
      const nowMs = clockMillis(core.now());
      return core.runNow((wasm) => wasm.usage(nowMs, req));
    });
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
      const promise = this[CORE].call(op, this[CONTEXT], request);
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
  const grantPropagationSeconds = options.grantPropagationSeconds ?? 0;
  if (typeof grantPropagationSeconds !== 'number' || !Number.isFinite(grantPropagationSeconds) || grantPropagationSeconds < 0) {
    throw new KmsError('ValidationException', 'grantPropagationSeconds must be a non-negative number of seconds.');
  }
  const grantPropagationMs = Math.round(grantPropagationSeconds * 1000);
  const now = options.now ?? (() => new Date());
  if (typeof now !== 'function') throw new KmsError('ValidationException', 'now must be a function returning a Date.');
  const store = checkStore(options.store ?? memoryStore());

  const engine = await engines.live();
  const loaded = await store.load();
  let wasm;
  try {
    if (loaded === null || loaded === undefined) {
      wasm = new engine.glue.WasmKms(accountId, region, grantPropagationMs);
    } else {
      const bytes = asBytes(loaded);
      if (!bytes) throw new KmsError('ValidationException', 'The store returned something other than bytes.');
      wasm = engine.glue.WasmKms.restore(accountId, region, grantPropagationMs, bytes);
    }
  } catch (e) {
    throw toKmsError(e);
  }
  adopt(engine, wasm);
  const core = new Core({ engines, engine, wasm, accountId, region, grantPropagationMs, now, store });
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
