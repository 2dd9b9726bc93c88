// Reading an AWS Encryption SDK message header (format version 2) without
// decrypting anything, so that the page can say which key and context a
// message needs even when decryption fails. This is an unauthenticated
// preview; after a successful decryption the page shows the authenticated
// header that decryptStream reports instead.
//
// Layout (docs/envelope.md): version 0x02, suite u16, message id (32),
// AAD length u16 + AAD (pair count u16, then len-prefixed key/value pairs),
// EDK count u16 + EDKs (len-prefixed provider id, provider info, key),
// content type u8, frame length u32, suite data (32), header auth tag (16).

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The header of `blob`'s message, or null when it is not a v2 message. */
export async function peekHeader(blob) {
  const bytes = new Uint8Array(await blob.slice(0, 256 * 1024).arrayBuffer());
  try {
    return parse(bytes);
  } catch {
    return null;
  }
}

function parse(b) {
  let o = 0;
  const need = (n) => { if (o + n > b.length) throw new RangeError('short header'); };
  const u8 = () => { need(1); return b[o++]; };
  const u16 = () => { need(2); const v = (b[o] << 8) | b[o + 1]; o += 2; return v; };
  const u32 = () => { need(4); const v = ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3]; o += 4; return v; };
  const bytes = (n) => { need(n); const v = b.subarray(o, o + n); o += n; return v; };
  const str = () => utf8.decode(bytes(u16()));

  if (u8() !== 0x02) return null;
  const algorithmSuite = u16();
  if (algorithmSuite !== 0x0478 && algorithmSuite !== 0x0578) return null;
  bytes(32); // message id
  const aadLength = u16();
  const encryptionContext = {};
  if (aadLength > 0) {
    const end = o + aadLength;
    const pairs = u16();
    for (let i = 0; i < pairs; i++) encryptionContext[str()] = str();
    if (o !== end) return null;
  }
  const edkCount = u16();
  const encryptedDataKeys = [];
  for (let i = 0; i < edkCount; i++) {
    const providerId = str();
    const providerInfo = str();
    const encryptedDataKey = bytes(u16()).slice();
    encryptedDataKeys.push({ providerId, providerInfo, encryptedDataKey });
  }
  const contentType = u8();
  const frameLength = u32();
  return {
    version: 2,
    algorithmSuite,
    algorithmSuiteName: algorithmSuite === 0x0578 ? 'ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384' : 'ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY',
    encryptionContext,
    encryptedDataKeys,
    contentType,
    frameLength,
    authenticated: false,
  };
}

/**
 * The backing key (rotation version) named by a kms-wasm CiphertextBlob
 * (docs/ciphertext-format.md: version 0x01, key UUID (16), backing key id
 * (32), ...), as the 64 hex digits ListKeyRotations reports as KeyMaterialId.
 */
export function backingKeyIdOf(blob) {
  if (!(blob instanceof Uint8Array) || blob.length < 49 || blob[0] !== 0x01) return null;
  return Array.from(blob.subarray(17, 49), (x) => x.toString(16).padStart(2, '0')).join('');
}
