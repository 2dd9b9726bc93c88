// The frame cipher on WebCrypto (AES-GCM), for browsers and other runtimes
// with crypto.subtle. WebCrypto's decrypt resolves only after the tag verifies.

export function webCryptoFrameCipher() {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return null;
  return Object.freeze({
    name: 'WebCrypto',
    async: true,
    async importKey(raw) {
      try {
        return await subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
      } finally {
        raw.fill(0);
      }
    },
    async encrypt(key, iv, additionalData, plaintext) {
      return [new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData, tagLength: 128 }, key, plaintext))];
    },
    async decrypt(key, iv, additionalData, sealed) {
      return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData, tagLength: 128 }, key, sealed));
    },
  });
}
