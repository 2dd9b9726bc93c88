// webCryptoKeyStore(): a ready external key store for custom key stores
// (CustomKeyStoreType 'EXTERNAL_KEY_STORE'). Its external keys are
// non-extractable AES-256-GCM CryptoKeys: their bytes never exist in JS or
// wasm memory. In browsers they are kept in IndexedDB (a CryptoKey is
// structured-cloneable, and stays non-extractable there); in Node, or with
// `{ persist: false }`, in memory for the life of the object.
//
// Ciphertexts are `iv (12 random bytes) || AES-GCM ciphertext || tag`, with
// the AAD the KMS gives bound in.

const IV_LEN = 12;
const DEFAULT_DATABASE = 'kms-wasm-external-keys';
const OBJECT_STORE = 'keys';

/** An error the KMS understands by its name (see client.js `external`). */
function named(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw named('KMSInvalidStateException', 'WebCrypto (crypto.subtle) is not available here.');
  return s;
}

function checkKeyId(keyId) {
  if (typeof keyId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(keyId)) {
    throw named('ValidationException', 'An external key id is 1 to 128 characters of A-Z, a-z, 0-9, ".", "_" and "-".');
  }
}

/** Keys in memory. */
function memoryKeys() {
  const keys = new Map();
  return {
    async get(id) { return keys.get(id); },
    async add(id, key) {
      if (keys.has(id)) return false;
      keys.set(id, key);
      return true;
    },
    async delete(id) { return keys.delete(id); },
    async list() { return [...keys.keys()].sort(); },
    close() {},
  };
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Keys in an IndexedDB database of their own. */
function indexedDbKeys(name) {
  let opening = null;
  const db = () => {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = globalThis.indexedDB.open(name, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(OBJECT_STORE);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(named('KMSInvalidStateException', `IndexedDB database '${name}' is blocked by another tab.`));
      });
    }
    return opening;
  };
  const inStore = async (mode, work) => {
    const tx = (await db()).transaction(OBJECT_STORE, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error);
      tx.onerror = () => reject(tx.error);
    });
    const result = await work(tx.objectStore(OBJECT_STORE));
    await done;
    return result;
  };
  return {
    get: (id) => inStore('readonly', (s) => request(s.get(id))),
    // add() refuses an existing id inside the transaction, so two tabs cannot both create one key.
    add: (id, key) => inStore('readwrite', (s) => request(s.add(key, id)).then(() => true, (e) => {
      if (e && e.name === 'ConstraintError') return false;
      throw e;
    })),
    delete: (id) => inStore('readwrite', async (s) => {
      const had = (await request(s.getKey(id))) !== undefined;
      await request(s.delete(id));
      return had;
    }),
    list: () => inStore('readonly', (s) => request(s.getAllKeys())).then((ids) => ids.map(String).sort()),
    async close() {
      if (opening) (await opening).close();
      opening = null;
    },
  };
}

/**
 * An external key store whose keys are non-extractable WebCrypto AES-256-GCM keys.
 * @param {{ database?: string, persist?: boolean }} [options] IndexedDB database
 *   name (browsers; default 'kms-wasm-external-keys'); `persist: false` keeps
 *   the keys in memory only.
 */
export function webCryptoKeyStore(options = {}) {
  const kind = (options.persist ?? true) && globalThis.indexedDB ? 'indexeddb' : 'memory';
  const keys = kind === 'indexeddb' ? indexedDbKeys(options.database ?? DEFAULT_DATABASE) : memoryKeys();

  async function key(keyId) {
    checkKeyId(keyId);
    const found = await keys.get(keyId);
    if (!found) throw named('XksKeyNotFoundException', `The external key store has no key '${keyId}'.`);
    return found;
  }

  return {
    /** Where the keys live: 'indexeddb' or 'memory'. */
    kind,

    /** Creates an external key (random id when none is given); resolves to its id. */
    async createKey(keyId = globalThis.crypto.randomUUID()) {
      checkKeyId(keyId);
      const generated = await subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      if (!(await keys.add(keyId, generated))) throw named('AlreadyExistsException', `The external key store already has a key '${keyId}'.`);
      return keyId;
    },

    /** Whether the store has the key. */
    async hasKey(keyId) {
      checkKeyId(keyId);
      return (await keys.get(keyId)) !== undefined;
    },

    /** The ids of all keys, sorted. */
    listKeys() {
      return keys.list();
    },

    /** Deletes a key: every ciphertext made with it becomes undecryptable. Resolves to whether it existed. */
    async deleteKey(keyId) {
      checkKeyId(keyId);
      return keys.delete(keyId);
    },

    /** Encrypts under the key, binding `aad`. */
    async encrypt({ keyId, plaintext, aad }) {
      const k = await key(keyId);
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_LEN));
      const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad }, k, plaintext));
      const out = new Uint8Array(IV_LEN + sealed.length);
      out.set(iv, 0);
      out.set(sealed, IV_LEN);
      return out;
    },

    /** Decrypts what `encrypt` made; an altered ciphertext or other AAD is InvalidCiphertextException. */
    async decrypt({ keyId, ciphertext, aad }) {
      const k = await key(keyId);
      if (!(ciphertext instanceof Uint8Array) || ciphertext.length < IV_LEN + 16) {
        throw named('InvalidCiphertextException', 'The ciphertext is too short.');
      }
      try {
        const iv = ciphertext.subarray(0, IV_LEN);
        return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad }, k, ciphertext.subarray(IV_LEN)));
      } catch {
        throw named('InvalidCiphertextException', 'The external key could not authenticate the ciphertext.');
      }
    },

    /** Closes the IndexedDB connection (if any). */
    close() {
      return keys.close();
    },
  };
}
