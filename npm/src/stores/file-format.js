// The file store's on-disk format: state copies and audit frames (layouts
// below), their constants and the parsing that needs no key.
//
// State copy ("KMSF" v1) — the base — and journal entry ("KMSJ" v1, the
// same layout with a body of changed records), big-endian:
//   0 "KMSF" | 4 version 1 | 5 key mode (1 root key, 2 passphrase) | 6 0 0
//   8 generation u64 | 16 Argon2id salt [16] | 32 key id [8]
//   40 audit.log length at this commit u64 | 48 body length u32
//   52 frame length u32 | 56 body: sealed by the wasm under the root key —
//   of a base, every record ("KMSD" full body) or, written by 0.1.0, the
//   whole snapshot ("KMSS"); of a journal entry, the records its commit
//   changed ("KMSD"), or nothing | then this commit's audit frame (below)
//   then HMAC-SHA-256(mac key, everything before) [32]
//   then SHA-256(everything before) [32]
// The plain SHA-256 tells a damaged copy (a flipped bit, a torn write) from
// one sealed under another key (key id) or altered on purpose (HMAC); the
// AES-GCM tag of the body authenticates the state itself.
//
// Audit frame ("KMSA" v1):
//   0 "KMSA" | 4 version 1 | 5 0 0 0 | 8 generation u64 | 16 records u32
//   20 body length u32 | 24 body: nonce [12] || AES-256-GCM(audit key,
//   aad = bytes 0..24, JSON array of the records) | then SHA-256 [32]
// A frame belongs to the generation it was written with: a commit appends
// its frame (tagged with the new generation) before the new state copies
// are renamed into place, so on open the last frame, tagged one generation
// newer than the copies, is the remnant of a commit that never happened,
// and is cut off. More newer frames than that mean the copies were replaced
// by older ones: refused (file-recovery.js). The state copies also carry
// their commit's frame, so the append needs no fsync of its own: if
// audit.log lost it (power loss), it is written again from a copy on open.
//

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const STATE_MAGIC = Buffer.from('KMSF');
export const JOURNAL_MAGIC = Buffer.from('KMSJ');
export const AUDIT_MAGIC = Buffer.from('KMSA');
export const VERSION = 1;
export const STATE_HEADER = 56;
export const AUDIT_HEADER = 24;
export const DIGEST = 32;
export const MODE_KEY = 1;
export const MODE_PASSPHRASE = 2;
export const MAX_BODY = 0x7fff_ffff;

export const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
export const subkey = (root, info, len = 32) => Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), `kms-wasm file store ${info} v1`, len));

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

export function u64(buf, off) {
  return Number(buf.readBigUInt64BE(off));
}

/** A state copy's (or, with JOURNAL_MAGIC, a journal entry's) header, or why it is damaged. */
export function parseCopy(bytes, magic = STATE_MAGIC) {
  if (bytes.length < STATE_HEADER + 2 * DIGEST) return { damaged: 'it is truncated' };
  const end = bytes.length - DIGEST;
  if (!timingSafeEqual(sha256(bytes.subarray(0, end)), bytes.subarray(end))) {
    return { damaged: 'its checksum does not match' };
  }
  if (!bytes.subarray(0, 4).equals(magic)) return { damaged: magic === STATE_MAGIC ? 'it is not a kms-wasm state file' : 'it is not a kms-wasm journal entry' };
  if (bytes[4] !== VERSION) return { damaged: `it has an unknown format version ${bytes[4]}` };
  if (bytes[5] !== MODE_KEY && bytes[5] !== MODE_PASSPHRASE) return { damaged: `it has an unknown key mode ${bytes[5]}` };
  const bodyLen = bytes.readUInt32BE(48);
  const frameLen = bytes.readUInt32BE(52);
  const signedLen = STATE_HEADER + bodyLen + frameLen;
  if (signedLen + 2 * DIGEST !== bytes.length) return { damaged: 'its length does not match its header' };
  return {
    mode: bytes[5],
    generation: u64(bytes, 8),
    salt: bytes.subarray(16, 32),
    keyId: bytes.subarray(32, 40),
    auditEnd: u64(bytes, 40),
    body: bytes.subarray(STATE_HEADER, STATE_HEADER + bodyLen),
    frame: bytes.subarray(STATE_HEADER + bodyLen, signedLen),
    macOk: (macKey) => timingSafeEqual(
      createHmac('sha256', macKey).update(bytes.subarray(0, signedLen)).digest(),
      bytes.subarray(signedLen, end),
    ),
  };
}

/** The generation in a state file's header, without checking it (change detection). */
export function peekGeneration(file) {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if (e.code === 'ENOENT') return -1;
    throw e;
  }
  try {
    const b = Buffer.alloc(16);
    const n = readSync(fd, b, 0, 16, 0);
    const st = fstatSync(fd);
    return n === 16 ? `${u64(b, 8)}/${st.size}/${st.ino}` : `short/${st.size}/${st.ino}`;
  } finally {
    closeSync(fd);
  }
}

