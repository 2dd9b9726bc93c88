// Errors of the kms-wasm client, shaped like AWS SDK for JavaScript v3
// service exceptions: `name` is the AWS exception name, `$fault` says whose
// fault it was, `$metadata` is there for code that reads it.

/** A failed KMS call. `name` is the AWS exception name (`NotFoundException`, ...). */
export class KmsError extends Error {
  /**
   * @param {string} name AWS exception name
   * @param {string} message one sentence saying what was wrong
   * @param {{ cause?: unknown }} [options]
   */
  constructor(name, message, options) {
    super(message, options);
    this.name = name;
    this.$fault = name === 'KMSInternalException' ? 'server' : 'client';
    this.$metadata = {};
  }
}

/** Whether `e` is an error the Rust bindings threw on purpose: a plain `Error` with an AWS exception name. */
export function isServiceError(e) {
  return e instanceof Error
    && Object.getPrototypeOf(e) === Error.prototype
    && typeof e.name === 'string'
    && /^[A-Z][A-Za-z]*(Exception|Fault)$/.test(e.name);
}

/** Converts what the wasm threw into a `KmsError`. */
export function toKmsError(e) {
  if (e instanceof KmsError) return e;
  if (isServiceError(e)) return new KmsError(e.name, e.message);
  const message = e instanceof Error ? e.message : String(e);
  return new KmsError('KMSInternalException', `An internal error occurred: ${message}`, { cause: e });
}

/**
 * The core engine's internal signal that the work needs the full engine
 * (docs/engines.md). Never shown to users: the client loads the full
 * engine and replays the work there.
 */
export function needsFullEngine(e) {
  return e instanceof Error && e.name === 'KmsWasmNeedsFullEngine';
}
