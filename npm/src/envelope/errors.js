// Envelope errors have the shape the wasm bindings use: a plain Error whose
// `name` is the group and `code` the reason (docs/envelope.md, "Error names
// and codes").

/**
 * @param {string} name group, e.g. 'KeyringError'
 * @param {string} code reason, e.g. 'UnableToDecryptDataKey'
 * @param {string} message
 * @param {unknown} [cause]
 */
export function envelopeError(name, code, message, cause) {
  const e = cause === undefined ? new Error(message) : new Error(message, { cause });
  e.name = name;
  e.code = code;
  return e;
}

/** Whether the wasm (or this layer) threw `e` on purpose. */
export function isEnvelopeError(e) {
  return e instanceof Error && typeof e.code === 'string' && /Error$/.test(e.name);
}

/** Bytes from the accepted input types (a string is UTF-8). */
export function toBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw envelopeError('InvalidArgumentError', 'InvalidArgument', `${what} must be a Uint8Array, an ArrayBuffer, a typed array or a string.`);
}

export function concat(parts) {
  if (parts.length === 1) return parts[0] instanceof Uint8Array && parts[0].constructor === Uint8Array ? parts[0] : new Uint8Array(parts[0]);
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function randomBytes(n) {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return b;
}
