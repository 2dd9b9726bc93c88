// Regenerates tests/vectors/envelope/esdk/: messages written by the AWS
// Encryption SDK for JavaScript (@aws-crypto/client-node) with raw AES
// keyrings, plus negative vectors (fail_*) derived from them by altering
// one region at a time. `cargo test --test envelope_vectors` decrypts them.
//
//   mkdir -p /tmp/esdk && (cd /tmp/esdk && npm init -y && npm i @aws-crypto/client-node)
//   ESDK_DIR=/tmp/esdk node tests/vectors/envelope/generate-esdk.mjs
//
// Messages have random message ids, data keys and IVs, so every run writes
// different bytes; the manifest records the SDK version that wrote them.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ESDK_DIR = process.env.ESDK_DIR || '/tmp/esdk';
const require = createRequire(join(ESDK_DIR, 'package.json'));
const {
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  AlgorithmSuiteIdentifier,
  MultiKeyringNode,
} = require('@aws-crypto/client-node');
const esdkVersion = require('@aws-crypto/client-node/package.json').version;

const { keys } = JSON.parse(readFileSync(join(HERE, 'keys.json'), 'utf8'));
const WRAPPING = { 16: 'AES128', 24: 'AES192', 32: 'AES256' };

export function keyring(name, { utf8Sorting = true } = {}) {
  const k = keys[name];
  const wrappingKey = Buffer.from(k.wrappingKey, 'hex');
  return new RawAesKeyringNode({
    keyName: k.keyName,
    keyNamespace: k.keyNamespace,
    unencryptedMasterKey: new Uint8Array(wrappingKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier[`${WRAPPING[wrappingKey.length]}_GCM_IV12_TAG16_NO_PADDING`],
    utf8Sorting,
  });
}

const SUITES = {
  '0x0478': AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
  '0x0578': AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
};

/** Deterministic filler bytes for a case. */
function plaintextFor(name, length) {
  const out = Buffer.alloc(length);
  for (let i = 0, block = 0; i < length; block++) {
    const h = createHash('sha256').update(`${name}/${block}`).digest();
    i += h.copy(out, i);
  }
  return out;
}

/** Offsets of the regions of a version 2 framed message. */
export function layout(msg) {
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const L = { version: 0, suite: 1, messageId: 3, aadLength: 35 };
  let p = 35;
  const aadLen = dv.getUint16(p);
  L.aad = p + 2;
  L.aadLen = aadLen;
  p += 2 + aadLen;
  L.edkCount = p;
  const n = dv.getUint16(p);
  p += 2;
  L.edks = [];
  for (let i = 0; i < n; i++) {
    const start = p;
    p += 2 + dv.getUint16(p);
    p += 2 + dv.getUint16(p);
    const ctLen = dv.getUint16(p);
    L.edks.push({ start, ct: p + 2, ctLen });
    p += 2 + ctLen;
  }
  L.contentType = p;
  p += 1;
  L.frameLength = p;
  const fl = dv.getUint32(p);
  L.frameLengthValue = fl;
  p += 4;
  L.commitment = p;
  p += 32;
  L.headerTag = p;
  p += 16;
  L.body = p;
  L.frames = [];
  for (;;) {
    if (dv.getUint32(p) === 0xffffffff) {
      const len = dv.getUint32(p + 20);
      L.frames.push({ final: true, start: p, seq: p + 4, iv: p + 8, len: p + 20, ct: p + 24, ctLen: len, tag: p + 24 + len, end: p + 40 + len });
      p += 40 + len;
      break;
    }
    L.frames.push({ final: false, start: p, seq: p, iv: p + 4, ct: p + 16, ctLen: fl, tag: p + 16 + fl, end: p + 32 + fl });
    p += 32 + fl;
  }
  L.footer = p < msg.length ? p : undefined;
  return L;
}

const flip = (msg, at, mask = 0x01) => {
  const m = Buffer.from(msg);
  m[at] ^= mask;
  return m;
};
const put = (msg, at, bytes) => {
  const m = Buffer.from(msg);
  Buffer.from(bytes).copy(m, at);
  return m;
};

async function main() {
  const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const outDir = join(HERE, 'esdk');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const vectors = [];
  const messages = {};

  const ec = (name) => ({ purpose: 'kms-wasm interop vector', case: name });
  const cases = [
    { id: 'empty', length: 0, frameLength: 4096 },
    { id: 'one_byte', length: 1, frameLength: 4096 },
    { id: 'one_frame_exact', length: 4096, frameLength: 4096 },
    { id: 'frames_and_partial', length: 3 * 128 + 50, frameLength: 128 },
    { id: 'frames_exact_multiple', length: 3 * 256, frameLength: 256 },
    { id: 'frame_length_1', length: 7, frameLength: 1 },
    { id: 'frame_length_8192', length: 9000, frameLength: 8192 },
    { id: 'empty_context', length: 300, frameLength: 128, context: {} },
    {
      id: 'unicode_context',
      length: 1000,
      frameLength: 333,
      // keys whose UTF-8 order and localeCompare order differ: needs utf8Sorting
      context: { B: 'upper', a: 'lower', 'ключ': 'значение', 'ä': 'ü', '😀': 'emoji' },
    },
  ];

  for (const [suiteName, suiteId] of Object.entries(SUITES)) {
    const tag = suiteName.slice(2);
    for (const c of cases) {
      const name = `esdk_${tag}_${c.id}`;
      const plaintext = plaintextFor(name, c.length);
      const encryptionContext = c.context ?? ec(name);
      const { result } = await client.encrypt(keyring('aes256'), plaintext, {
        encryptionContext,
        suiteId,
        frameLength: c.frameLength,
      });
      const back = await client.decrypt(keyring('aes256'), result);
      if (!back.plaintext.equals(plaintext)) throw new Error(`${name}: ESDK round trip failed`);
      writeFileSync(join(outDir, `${name}.msg`), result);
      writeFileSync(join(outDir, `${name}.pt`), plaintext);
      messages[name] = result;
      vectors.push({
        name,
        message: `esdk/${name}.msg`,
        plaintext: `esdk/${name}.pt`,
        keyring: 'aes256',
        suite: suiteName,
        frameLength: c.frameLength,
        encryptionContext,
        expect: 'success',
      });
    }
  }

  // Wrapping keys of every size, and three encrypted data keys in one message.
  for (const k of ['aes128', 'aes192']) {
    const name = `esdk_0478_wrapping_${k}`;
    const plaintext = plaintextFor(name, 777);
    const { result } = await client.encrypt(keyring(k), plaintext, {
      encryptionContext: ec(name),
      suiteId: SUITES['0x0478'],
      frameLength: 256,
    });
    writeFileSync(join(outDir, `${name}.msg`), result);
    writeFileSync(join(outDir, `${name}.pt`), plaintext);
    vectors.push({ name, message: `esdk/${name}.msg`, plaintext: `esdk/${name}.pt`, keyring: k, suite: '0x0478', frameLength: 256, encryptionContext: ec(name), expect: 'success' });
  }
  const multi = new MultiKeyringNode({ generator: keyring('aes256'), children: [keyring('aes128'), keyring('aes192')] });
  {
    const name = 'esdk_0578_three_edks';
    const plaintext = plaintextFor(name, 2500);
    const { result } = await client.encrypt(multi, plaintext, { encryptionContext: ec(name), suiteId: SUITES['0x0578'], frameLength: 1024 });
    writeFileSync(join(outDir, `${name}.msg`), result);
    writeFileSync(join(outDir, `${name}.pt`), plaintext);
    messages[name] = result;
    // the keyring holding only the third key finds its encrypted data key
    vectors.push({ name, message: `esdk/${name}.msg`, plaintext: `esdk/${name}.pt`, keyring: 'aes192', suite: '0x0578', frameLength: 1024, encryptionContext: ec(name), expect: 'success' });
    vectors.push({
      name: 'fail_too_many_edks',
      description: 'three encrypted data keys, maxEncryptedDataKeys 2',
      message: `esdk/${name}.msg`,
      keyring: 'aes256',
      decrypt: { maxEncryptedDataKeys: 2 },
      expect: 'TooManyEncryptedDataKeys',
    });
  }

  // ---- negative vectors ----------------------------------------------------
  const fail = (name, description, bytes, expect, extra = {}) => {
    // an unaltered message is referenced, not copied
    const same = Object.entries(messages).find(([, m]) => m === bytes);
    const message = same ? `esdk/${same[0]}.msg` : `esdk/${name}.msg`;
    if (!same) writeFileSync(join(outDir, `${name}.msg`), bytes);
    vectors.push({ name, description, message, keyring: 'aes256', ...extra, expect });
  };
  for (const suiteTag of ['0478', '0578']) {
    const base = messages[`esdk_${suiteTag}_frames_and_partial`];
    const L = layout(base);
    const f = (n) => `fail_${suiteTag}_${n}`;
    const [f1, f2, f3] = L.frames;
    const last = L.frames[L.frames.length - 1];
    fail(f('version'), 'version byte 0x02 → 0x01', put(base, L.version, [0x01]), 'UnsupportedVersion');
    fail(f('suite_unknown'), 'suite id → 0x0479', put(base, L.suite, [0x04, 0x79]), 'UnsupportedAlgorithmSuite');
    fail(f('suite_non_committing'), 'suite id → 0x0378', put(base, L.suite, [0x03, 0x78]), 'UnsupportedAlgorithmSuite');
    fail(f('message_id'), 'one bit of the message id', flip(base, L.messageId + 5), 'CommitmentMismatch');
    fail(f('context_value'), 'one bit of an encryption context value', flip(base, L.aad + L.aadLen - 1), 'UnableToDecryptDataKey');
    fail(f('context_length'), 'AAD length + 1', put(base, L.aadLength, [(L.aadLen + 1) >> 8, (L.aadLen + 1) & 0xff]), 'MalformedHeader');
    fail(f('edk_count_zero'), 'encrypted data key count 0', put(base, L.edkCount, [0, 0]), 'MalformedHeader');
    fail(f('edk_ciphertext'), 'one bit of the wrapped data key', flip(base, L.edks[0].ct + 3), 'UnableToDecryptDataKey');
    fail(f('content_type'), 'content type → 0x01 (non-framed)', put(base, L.contentType, [0x01]), 'UnsupportedContentType');
    fail(f('frame_length_zero'), 'frame length 0', put(base, L.frameLength, [0, 0, 0, 0]), 'InvalidFrameLength');
    fail(f('frame_length_changed'), 'frame length 128 → 129', put(base, L.frameLength, [0, 0, 0, 129]), 'HeaderAuthenticationFailed');
    fail(f('commitment'), 'one bit of the commitment key', flip(base, L.commitment + 31), 'CommitmentMismatch');
    fail(f('header_tag'), 'one bit of the header tag', flip(base, L.headerTag), 'HeaderAuthenticationFailed');
    fail(f('frame_sequence'), 'frame 2 numbered 3', put(base, f2.seq, [0, 0, 0, 3]), 'SequenceNumberMismatch');
    fail(f('frame_iv'), 'one bit of frame 1 IV', flip(base, f1.iv + 11), 'MalformedBody');
    fail(f('frame_ciphertext'), 'one bit of frame 2 ciphertext', flip(base, f2.ct + 100), 'FrameAuthenticationFailed');
    fail(f('frame_tag'), 'one bit of frame 3 tag', flip(base, f3.tag + 15, 0x80), 'FrameAuthenticationFailed');
    fail(f('final_length_long'), 'final frame content length > frame length', put(base, last.len, [0, 0, 2, 1]), 'MalformedBody');
    fail(f('final_length_short'), 'final frame content length - 1', put(base, last.len, [0, 0, 0, last.ctLen - 1]), 'FrameAuthenticationFailed');
    fail(f('final_ciphertext'), 'one bit of the final frame ciphertext', flip(base, last.ct), 'FrameAuthenticationFailed');
    fail(f('final_marker'), 'final frame marker → regular sequence number', put(base, last.start, [0, 0, 0, 4]), suiteTag === '0478' ? 'Truncated' : 'MalformedBody');
    fail(f('reordered_frames'), 'frames 1 and 2 swapped', Buffer.concat([base.subarray(0, f1.start), base.subarray(f2.start, f2.end), base.subarray(f1.start, f1.end), base.subarray(f3.start)]), 'SequenceNumberMismatch');
    fail(f('dropped_frame'), 'frame 2 removed', Buffer.concat([base.subarray(0, f2.start), base.subarray(f2.end)]), 'SequenceNumberMismatch');
    fail(f('truncated_header'), 'cut inside the encrypted data keys', base.subarray(0, L.edks[0].ct + 10), 'Truncated');
    fail(f('truncated_body'), 'cut inside frame 2', base.subarray(0, f2.ct + 7), 'Truncated');
    fail(f('truncated_final'), 'cut inside the final frame', base.subarray(0, last.tag + 3), 'Truncated');
    fail(f('trailing_bytes'), 'one byte after the end', Buffer.concat([base, Buffer.from([0])]), 'TrailingBytes');
    fail(f('base64'), 'the message in Base64', Buffer.from(base.toString('base64')), 'Base64Encoded');
    fail(f('wrong_key'), 'a wrapping key of the same name, other material', base, 'UnableToDecryptDataKey', { keyring: 'other' });
    fail(f('missing_required_context_key'), 'requiredEncryptionContext names an absent key', base, 'MissingRequiredContextKey', {
      decrypt: { requiredEncryptionContext: { tenant: 'acme' } },
    });
    fail(f('required_context_mismatch'), 'requiredEncryptionContext with another value', base, 'ContextValueMismatch', {
      decrypt: { requiredEncryptionContext: { purpose: 'something else' } },
    });
    if (suiteTag === '0578') {
      fail(f('signature'), 'one bit of the signature', flip(base, L.footer + 10), 'SignatureInvalid');
      fail(f('signature_length'), 'signature length 200', put(base, L.footer, [0, 200]), 'MalformedBody');
      fail(f('truncated_footer'), 'cut inside the footer', base.subarray(0, L.footer + 20), 'Truncated');
      fail(f('missing_footer'), 'no footer', base.subarray(0, L.footer), 'Truncated');
      fail(f('unsigned_suite_id'), 'suite id 0x0578 → 0x0478 (public key left in the context)', put(base, L.suite, [0x04, 0x78]), 'UnexpectedPublicKey');
      fail(f('signed_refused'), 'refuseSignedSuites', base, 'SignedSuiteRefused', { decrypt: { refuseSignedSuites: true } });
    } else {
      fail(f('signed_suite_id'), 'suite id 0x0478 → 0x0578 (no public key)', put(base, L.suite, [0x05, 0x78]), 'MissingPublicKey');
    }
  }
  {
    const base = messages['esdk_0478_frame_length_8192'];
    fail('fail_frame_length_limit', 'frame length 8192, maxFrameLength 4096', base, 'FrameLengthExceedsLimit', { decrypt: { maxFrameLength: 4096 } });
    fail('fail_header_limit', 'maxHeaderLength 100', base, 'HeaderTooLarge', { decrypt: { maxHeaderLength: 100 } });
  }

  const manifest = {
    _comment:
      'Messages written by the AWS Encryption SDK for JavaScript (raw AES keyrings from ../keys.json) and fail_* vectors derived from them; regenerate with generate-esdk.mjs. expect: "success" or the EnvelopeError code.',
    writer: `@aws-crypto/client-node ${esdkVersion}`,
    vectors,
  };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${vectors.length} vectors with @aws-crypto/client-node ${esdkVersion}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
