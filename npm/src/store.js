// Stores keep the latest snapshot of the KMS state (key material included).
// A store is { load(), save(bytes), close?() }; each may return a promise.

/**
 * Keeps the latest snapshot in memory: the default store. Reusing one
 * `memoryStore()` for a later `createKms({ store })` brings the keys back.
 * @param {Uint8Array} [initial] a snapshot to start from
 */
export function memoryStore(initial) {
  let bytes = initial ? Uint8Array.from(initial) : null;
  return {
    kind: 'memory',
    load() {
      return bytes ? bytes.slice() : null;
    },
    save(snapshot) {
      const old = bytes;
      bytes = Uint8Array.from(snapshot);
      // Best effort: the JS heap may still hold copies (see the README's Security section).
      if (old) old.fill(0);
    },
    close() {},
  };
}
