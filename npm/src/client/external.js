// The user's external key stores (custom key stores of the external kind):
// what a paused core call asks of them, with a timeout, and the answer as the
// core takes it (the bytes, or the name of the error the store threw).

import { KmsError } from '../errors.js';
import { asBytes } from '../convert.js';

/** Whether `store` has the methods of an external key store. */
export function isExternalKeyStore(store) {
  return store !== null && typeof store === 'object' && typeof store.encrypt === 'function' && typeof store.decrypt === 'function';
}

/**
 * Makes the call a paused core operation waits for (`__externalCall`) on the
 * store attached for its custom key store (by id or name).
 * @returns {Promise<{ output?: Uint8Array, failure?: string }>}
 */
export async function askExternalKeyStore(stores, call, timeoutMs) {
  const store = stores.get(call.customKeyStoreId) ?? stores.get(call.customKeyStoreName);
  try {
    if (!store) throw new Error('no external key store is attached');
    const request = call.operation === 'encrypt'
      ? { keyId: call.xksKeyId, plaintext: call.data, aad: call.aad }
      : { keyId: call.xksKeyId, ciphertext: call.data, aad: call.aad };
    const output = asBytes(await withTimeout(store[call.operation](request), timeoutMs));
    return output ? { output } : { failure: 'KMSInvalidStateException' };
  } catch (e) {
    return { failure: e && typeof e.name === 'string' ? e.name : 'Error' };
  }
}

/** `promise`, or a rejection after `ms` milliseconds. */
function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new KmsError('KMSInvalidStateException', `The external key store did not answer within ${ms} ms.`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}
