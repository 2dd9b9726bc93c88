// The frame cipher on node:crypto (AES-256-GCM in OpenSSL), for the external
// frame cipher path of the envelope bindings.
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';

export const nodeFrameCipher = Object.freeze({
  name: 'node:crypto',
  async: false,
  importKey(raw) {
    const key = createSecretKey(raw);
    raw.fill(0);
    return key;
  },
  /** @returns {Uint8Array[]} ciphertext, tag */
  encrypt(key, iv, aad, plaintext) {
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(aad);
    const ct = c.update(plaintext);
    c.final();
    return [ct, c.getAuthTag()];
  },
  /**
   * An n-byte Uint8Array that the caller fills entirely (the one-shot
   * results): its own ArrayBuffer (never Node's shared pool) and, when
   * large, without the zero fill that a plain `new Uint8Array(n)` pays.
   */
  alloc(n) {
    if (n < 65536) return new Uint8Array(n);
    const b = Buffer.allocUnsafeSlow(n);
    return new Uint8Array(b.buffer, b.byteOffset, n);
  },
  /** Throws when the tag does not verify; nothing is returned before it does. */
  decrypt(key, iv, aad, sealed, contentLength) {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(contentLength));
    const pt = d.update(sealed.subarray(0, contentLength));
    d.final();
    return pt;
  },
});
