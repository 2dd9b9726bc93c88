// The async, AWS-shaped client (`Kms`) and createKms: one method per AWS
// operation, views (withCaller, viaEndpoint, forService), the JS-only
// members; the state they share is a Core (client/core.js).

import { KmsError, toKmsError } from './errors.js';
import { toWasmRequest, fromWasmResponse, clockMillis, asBytes } from './convert.js';
import { memoryStore } from './stores/memory.js';
import { adoptStore } from './stores/spi.js';
import { adopt } from './engine.js';
import { OPERATIONS } from './api.js';
import { Core, isFatal } from './client/core.js';
import { isExternalKeyStore } from './client/external.js';
import { commandOperation } from './client/command.js';

/** Every AWS operation kms-wasm implements, by AWS name (generated from the Rust operations table). */
export { OPERATIONS };

const DEFAULT_ACCOUNT = '111122223333';
/** How long an external key store may take to answer (ms). */
const DEFAULT_EXTERNAL_TIMEOUT_MS = 30_000;
const DEFAULT_REGION = 'us-east-1';

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

function passphraseOf(options, what) {
  const passphrase = options && typeof options === 'object' ? options.passphrase : undefined;
  if (typeof passphrase !== 'string' || passphrase === '') {
    return new KmsError('ValidationException', `${what} needs { passphrase }, a non-empty string.`);
  }
  return passphrase;
}


const CORE = Symbol('kms-wasm core');
const CONTEXT = Symbol('kms-wasm request context');

/**
 * A view of `kms` whose calls act in `region` (when given) and carry
 * `requestId` (when given) to their audit records as `requestID`. Internal:
 * the protocol layers (serve, requestHandler) use it through
 * client/request-view.js; the package does not export it.
 */
export function viewWith(kms, { region, requestId } = {}) {
  // A KMS-shaped object of the caller's (serve takes any) keeps its own regions and ids.
  if (!(kms instanceof Kms)) return kms;
  const view = region === undefined || region === kms.region ? kms : kms.inRegion(region);
  if (requestId === undefined) return view;
  return new Kms(view[CORE], { ...view[CONTEXT], requestId: String(requestId) });
}

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

  /** The region this view acts in: the KMS's home region unless made by inRegion. */
  get region() {
    return this[CONTEXT].region ?? this[CORE].region;
  }

  /**
   * A view of the same KMS (same store, clock and caller) whose calls act
   * in `region`: its keys, aliases, grants, endpoints, custom key stores,
   * audit records and usage, with that region in its ARNs. A region AWS
   * does not have is refused (ValidationException) by the view's calls.
   */
  inRegion(region) {
    nonEmptyString(region, 'inRegion needs an AWS region name, such as eu-west-1');
    const home = region === this[CORE].region;
    return new Kms(this[CORE], { ...this[CONTEXT], region: home ? undefined : region });
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
    const { caller, region } = this[CONTEXT];
    return core.run((wasm) => {
      const req = toWasmRequest(request);
      return fromWasmResponse(wasm.createEndpoint(caller, region, clockMillis(core.now()), req));
    }, { commit: true });
  }

  /**
   * The CloudTrail-style audit records of this view's region (`awsRegion`),
   * oldest first, optionally of one key (`KeyId`) and a time range
   * (`StartTime`, `EndTime`). verifyAuditLog checks the one chain all
   * regions' records share.
   */
  auditLog(filter) {
    const { region } = this[CONTEXT];
    return this[CORE].run((wasm) => wasm.auditLog(toWasmRequest(filter), region), { fullAudit: true });
  }

  /** Verifies the audit log's hash chain: `{ valid, firstInvalidIndex }` (`null` when valid). */
  verifyAuditLog() {
    return this[CORE].run((wasm) => wasm.verifyAuditLog(), { fullAudit: true });
  }

  /** Usage and an estimated bill for a calendar month in this view's region: `{ month: 'YYYY-MM', prices? }`. */
  usage(request) {
    const core = this[CORE];
    const { region } = this[CONTEXT];
    return core.run((wasm) => {
      const req = toWasmRequest(request);
      return wasm.usage(region, clockMillis(core.now()), req);
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
    this[CORE].events.on(detailType, handler);
    return this;
  }

  /** Removes a handler added with `on(detailType, handler)`. */
  off(detailType, handler) {
    this[CORE].events.off(detailType, handler);
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

  /**
   * The AWS SDK's command form: `await kms.send(new EncryptCommand(input))`
   * answers as `kms.encrypt(input)` (see client/command.js for how the
   * operation is recognized). Takes a callback like the methods.
   */
  send(command, optionsOrCallback, callback) {
    let op;
    try {
      op = commandOperation(command);
    } catch (e) {
      return withCallback(Promise.reject(e), optionsOrCallback, callback);
    }
    return this[lowerCamel(op)](command.input ?? {}, optionsOrCallback, callback);
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
