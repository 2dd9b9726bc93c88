// Envelope encryption in the AWS Encryption SDK message format (v2,
// committing suites 0x0478 / 0x0578). The format, key derivation,
// commitment, header tag, framing, sequence checks and signature run in
// Rust (EnvelopeEncryptor / EnvelopeDecryptor, docs/envelope.md); the
// per-frame AES-256-GCM runs on the platform's AES (node:crypto or
// WebCrypto) through the external frame cipher path when there is one, and
// in wasm otherwise (or with `frameCipher: 'wasm'`).

import { adopt } from '../engine.js';
import { needsFullEngine } from '../errors.js';
import { envelopeError, toBytes, concat, isEnvelopeError } from './errors.js';
import { isKeyring } from './keyrings.js';

const fromUtf8 = new TextDecoder();
const CHUNK = 1 << 20; // bytes handed to the wasm per call in the one-shot forms
const BATCH = 32; // frames in flight at once on an asynchronous (WebCrypto) cipher
const FIRST_CHUNK = 16384; // bytes of a one-shot decryption before its header is known
const SYNC_BATCH = 1024; // frames begun per wasm call on a synchronous (node:crypto) cipher

/**
 * The frame length when the caller gives none: 64 KiB, not the AWS
 * Encryption SDK's 4 KiB. Every frame costs a fixed amount on top of its
 * AES-GCM (a cipher context, its key schedule and GHASH setup, calls into
 * the platform's AES and into the wasm), so 4 KiB frames run at a fraction
 * of the platform's AES-GCM throughput while 64 KiB frames come close to
 * it; going larger gains little more and costs memory, since a stream
 * holds one frame (docs/envelope.md, "Frame length"). The ESDK (any
 * language) decrypts 64 KiB frames, and `frameLength: 4096` writes the
 * ESDK's layout on request.
 */
export const DEFAULT_FRAME_LENGTH = 65536;
/** Bytes a regular frame adds to its plaintext: sequence number (4), IV (12), tag (16). */
const REGULAR_FRAME_OVERHEAD = 32;

const u32At = (b, o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

// The AWS Encryption SDK for JavaScript's names (AlgorithmSuiteIdentifier); the
// bindings also take the specification's names and the numbers.
const ESDK_SUITE_NAMES = {
  ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY: 0x0478,
  ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384: 0x0578,
};
const suiteOf = (s) => (typeof s === 'string' && Object.hasOwn(ESDK_SUITE_NAMES, s) ? ESDK_SUITE_NAMES[s] : s);

function publicHeader(h) {
  return {
    version: h.version,
    algorithmSuite: h.algorithmSuite,
    algorithmSuiteName: h.algorithmSuiteName,
    messageId: h.messageId,
    encryptionContext: h.encryptionContext,
    encryptedDataKeys: h.encryptedDataKeys.map((e) => ({
      providerId: e.providerId,
      providerInfo: fromUtf8.decode(e.providerInfo),
      rawInfo: e.providerInfo,
      encryptedDataKey: e.encryptedDataKey,
    })),
    contentType: h.contentType,
    frameLength: h.frameLength,
  };
}

function checkOptions(options, allowed, fn) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw envelopeError('InvalidArgumentError', 'InvalidArgument', `${fn}: options must be an object.`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw envelopeError('InvalidArgumentError', 'InvalidArgument', `${fn}: unknown option '${k}' (known: ${allowed.join(', ')}).`);
  }
  if (!isKeyring(options.keyring)) throw envelopeError('InvalidArgumentError', 'InvalidArgument', `${fn}: options.keyring must be a keyring (rawAesKeyring, kmsKeyring, multiKeyring, cachingKeyring).`);
  if (options.frameCipher !== undefined && !['platform', 'wasm'].includes(options.frameCipher)) {
    throw envelopeError('InvalidArgumentError', 'InvalidArgument', `${fn}: frameCipher must be 'platform' or 'wasm'.`);
  }
  return options;
}

/** One buffer of `parts`, allocated by the cipher when it can skip the zero fill. */
function join(cipher, parts) {
  if (!cipher || !cipher.alloc || parts.length === 1) return concat(parts);
  let n = 0;
  for (const p of parts) n += p.length;
  const out = cipher.alloc(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const ENCRYPT_OPTIONS = ['keyring', 'encryptionContext', 'frameLength', 'algorithmSuite', 'maxEncryptedDataKeys', 'frameCipher'];
const DECRYPT_OPTIONS = ['keyring', 'requiredEncryptionContext', 'maxEncryptedDataKeys', 'maxFrameLength', 'maxHeaderLength', 'refuseSignedSuites', 'frameCipher'];

/**
 * @param {{ live(kind?: 'core' | 'full'): Promise<any>, kill(engine: any): void }} engines
 * @param {object | null} platformCipher the platform's frame cipher (null: wasm only)
 */
export function createEnvelope(engines, platformCipher) {
  /** Runs `fn`; a wasm trap kills the engine and becomes an InternalError. */
  function mapError(engine, e) {
    if (e instanceof WebAssembly.RuntimeError) {
      engines.kill(engine);
      return envelopeError('InternalError', 'Internal', `The wasm instance trapped: ${e.message}`, e);
    }
    if (!engine.alive && !isEnvelopeError(e)) {
      // A trap elsewhere restarted the instance this work ran on: its objects are gone.
      return envelopeError('InternalError', 'Internal', 'The wasm instance this message was using restarted after a trap; start the message again.', e);
    }
    return e;
  }

  /**
   * `make(engine)` on the core engine; if the core refers the work to the
   * full engine (the ECDSA P-384 signing suite), on the full engine.
   */
  async function onEngine(make) {
    const core = await engines.live();
    try {
      return { engine: core, made: make(core) };
    } catch (e) {
      if (!needsFullEngine(e)) throw mapError(core, e);
    }
    const full = await engines.live('full');
    try {
      return { engine: full, made: make(full) };
    } catch (e) {
      throw mapError(full, e);
    }
  }

  class Sealer {
    /** `plaintextLength`: when known (encryptMessage), for keyrings that count bytes (cachingKeyring). */
    static async open(options, fn, plaintextLength) {
      const o = checkOptions(options, ENCRYPT_OPTIONS, fn);
      const { engine, made: enc } = await onEngine((e) => adopt(e, new e.glue.EnvelopeEncryptor(suiteOf(o.algorithmSuite),
        o.frameLength === undefined ? DEFAULT_FRAME_LENGTH : o.frameLength, o.encryptionContext || {}, o.maxEncryptedDataKeys)));
      const glue = engine.glue;
      const cipher = o.frameCipher === 'wasm' ? null : platformCipher;
      const s = new Sealer();
      s.engine = engine;
      s.cipher = cipher;
      s.enc = enc;
      try {
        const { dataKey, encryptedDataKeys } = await o.keyring.onEncrypt({ glue, encryptionContext: enc.encryptionContext(), plaintextLength });
        if (!(dataKey instanceof Uint8Array) || !Array.isArray(encryptedDataKeys) || encryptedDataKeys.length === 0) {
          throw envelopeError('KeyringError', 'InvalidKeyring', 'The keyring returned no data key or no encrypted data keys.');
        }
        s.header = enc.start(dataKey, encryptedDataKeys);
        dataKey.fill(0);
        const h = enc.header();
        s.messageHeader = publicHeader(h);
        s.frameLength = h.frameLength;
        s.signed = h.algorithmSuite === 0x0578;
        if (cipher) s.key = await cipher.importKey(enc.frameKey());
        s.pending = []; // plaintext not yet framed (external path)
        s.pendingBytes = 0;
        return s;
      } catch (e) {
        s.free();
        throw mapError(engine, e);
      }
    }

    free() {
      if (this.enc) { try { this.enc.free(); } catch { /* dead instance */ } this.enc = null; }
      this.key = null;
    }

    /**
     * Frames `list` (plaintexts; the last is the final frame when
     * `withFinal`) on the external path into `out`. The wasm gives the
     * IVs, AADs and prefixes of a batch of frames in one call
     * (`beginFrames`: one packed array, no object per frame) and takes the
     * batch's ciphertext back in one call (`endFrames`, signed suites only).
     */
    async seal(list, withFinal, out) {
      const { enc, cipher, key, signed } = this;
      const batch = cipher.async ? BATCH : SYNC_BATCH;
      for (let i = 0; i < list.length; i += batch) {
        const end = Math.min(list.length, i + batch);
        const hasFinal = withFinal && end === list.length;
        const recs = enc.beginFrames(end - i - (hasFinal ? 1 : 0), hasFinal ? list[end - 1].length : undefined);
        if (cipher.async && !signed) enc.endFrames();
        const sealed = signed ? [] : null;
        const jobs = cipher.async ? [] : null;
        let o = 0;
        for (let j = i; j < end; j++) {
          const pl = recs[o], al = recs[o + 1];
          const iv = recs.subarray(o + 2, o + 14);
          const prefix = recs.subarray(o + 14, o + 14 + pl);
          const aad = recs.subarray(o + 14 + pl, o + 14 + pl + al);
          o += 14 + pl + al;
          if (jobs) {
            const p = cipher.encrypt(key, iv, aad, list[j]);
            p.catch(() => {});
            jobs.push(prefix, p);
          } else {
            const parts = cipher.encrypt(key, iv, aad, list[j]);
            out.push(prefix, ...parts);
            if (sealed) sealed.push(...parts);
          }
        }
        if (jobs) {
          for (let k = 0; k < jobs.length; k += 2) {
            const parts = await jobs[k + 1];
            out.push(jobs[k], ...parts);
            if (sealed) sealed.push(...parts);
          }
        }
        if (signed) enc.endFrames(concat(sealed));
        else if (!cipher.async) enc.endFrames();
      }
    }

    /** More plaintext (the caller must not change it until the output for it is out). */
    async update(pt, out) {
      try {
        if (!this.cipher) { out.push(this.enc.update(pt)); return; }
        const fl = this.frameLength;
        const list = [];
        let off = 0;
        // Complete a pending partial frame first.
        if (this.pendingBytes > 0) {
          if (this.pendingBytes + pt.length <= fl) { this.pending.push(pt.slice()); this.pendingBytes += pt.length; return; }
          const need = fl - this.pendingBytes;
          list.push(concat([...this.pending, pt.subarray(0, need)]));
          this.pending = []; this.pendingBytes = 0; off = need;
        }
        // A regular frame only once more plaintext is known to follow it.
        while (pt.length - off > fl) { list.push(pt.subarray(off, off + fl)); off += fl; }
        // The tail is copied: it stays pending across calls and the caller may reuse its buffer.
        if (off < pt.length) { this.pending.push(pt.slice(off)); this.pendingBytes = pt.length - off; }
        if (list.length) await this.seal(list, false, out);
      } catch (e) {
        this.free();
        throw mapError(this.engine, e);
      }
    }

    async finish(out) {
      try {
        if (!this.cipher) { out.push(this.enc.finish()); return; }
        await this.seal([concat(this.pending.length ? this.pending : [new Uint8Array(0)])], true, out);
        this.pending = [];
        out.push(this.enc.finishExternal());
      } catch (e) {
        throw mapError(this.engine, e);
      } finally {
        this.free();
      }
    }
  }

  class Opener {
    static async open(options, fn) {
      const o = checkOptions(options, DECRYPT_OPTIONS, fn);
      const engine = await engines.live();
      const s = new Opener();
      s.keyring = o.keyring;
      s.cipher = o.frameCipher === 'wasm' ? null : platformCipher;
      const decOptions = { externalFrameCipher: !!s.cipher };
      for (const k of ['requiredEncryptionContext', 'maxEncryptedDataKeys', 'maxFrameLength', 'maxHeaderLength', 'refuseSignedSuites']) {
        if (o[k] !== undefined) decOptions[k] = o[k];
      }
      s.decOptions = decOptions;
      s.start(engine);
      // The message bytes fed before the header is read: if the core refers
      // the message to the full engine (a signed suite), they are fed again there.
      s.seen = [];
      s.held = null;
      s.messageHeader = null;
      s.offset = 0; // message bytes consumed so far
      s.bodyStart = undefined; // where the body starts, once the header is verified
      s.onHeader = null;
      return s;
    }

    /** A decryptor on `engine`. */
    start(engine) {
      this.engine = engine;
      this.glue = engine.glue;
      try {
        this.dec = adopt(engine, new engine.glue.EnvelopeDecryptor(this.decOptions));
      } catch (e) {
        throw mapError(engine, e);
      }
    }

    /** Starts over on the full engine with the bytes seen so far (nothing was released yet). */
    async moveToFull(out) {
      const seen = this.seen.length === 1 ? this.seen[0] : concat(this.seen);
      if (this.dec) { try { this.dec.free(); } catch { /* dead instance */ } this.dec = null; }
      this.seen = null;
      this.offset = 0;
      this.start(await engines.live('full'));
      await this.update(seen, out);
    }

    free() {
      if (this.dec) { try { this.dec.free(); } catch { /* dead instance */ } this.dec = null; }
      this.seen = null;
      if (this.held) { this.held.fill(0); this.held = null; }
      this.key = null;
    }

    async unwrap() {
      const h = this.dec.header();
      const dk = await this.keyring.onDecrypt({ glue: this.glue, encryptionContext: h.encryptionContext, encryptedDataKeys: h.encryptedDataKeys });
      if (!dk) {
        const names = h.encryptedDataKeys.map((e) => `${e.providerId}/${fromUtf8.decode(e.providerInfo).replace(/[^\x20-\x7e]/g, '')}`);
        throw envelopeError('KeyringError', 'UnableToDecryptDataKey', `The keyring can decrypt none of the message's ${h.encryptedDataKeys.length} encrypted data key(s) (${names.join(', ')}).`);
      }
      this.dec.setDataKey(dk);
      dk.fill(0);
      if (this.cipher) this.key = await this.cipher.importKey(this.dec.frameKey());
      this.messageHeader = publicHeader(this.dec.header());
      if (this.onHeader) this.onHeader(this.messageHeader);
    }

    /**
     * Opens the frames of `recs` (`updateFrames`' packed records; each
     * frame's ciphertext and tag lie in `chunk` or at the end of `recs`).
     */
    async openFrames(recs, chunk, out) {
      const { cipher, key } = this;
      const n = u32At(recs, 0);
      const fail = (seq, e) => envelopeError('AuthenticationError', 'FrameAuthenticationFailed',
        `Frame authentication failed: the tag of frame ${seq} does not verify.`, e);
      const jobs = cipher.async ? [] : null;
      let o = 4;
      for (let k = 0; k < n; k++) {
        const flags = recs[o], al = recs[o + 1];
        const iv = recs.subarray(o + 2, o + 14);
        const contentLength = u32At(recs, o + 14), seq = u32At(recs, o + 18), at = u32At(recs, o + 22);
        const aad = recs.subarray(o + 26, o + 26 + al);
        o += 26 + al;
        const sealed = (flags & 2 ? chunk : recs).subarray(at, at + contentLength + 16);
        const isFinal = (flags & 1) === 1;
        if (jobs) {
          const p = cipher.decrypt(key, iv, aad, sealed, contentLength);
          p.catch(() => {});
          jobs.push(seq, isFinal, p);
          continue;
        }
        let pt;
        try {
          pt = cipher.decrypt(key, iv, aad, sealed, contentLength);
        } catch (e) {
          throw fail(seq, e);
        }
        if (isFinal) this.held = pt; else out.push(pt);
      }
      if (!jobs) return;
      for (let k = 0; k < jobs.length; k += 3) {
        let pt;
        try {
          pt = await jobs[k + 2];
        } catch (e) {
          throw fail(jobs[k], e);
        }
        if (jobs[k + 1]) this.held = pt; else out.push(pt);
      }
    }

    /** Verified plaintext of the regular frames completed by `chunk` goes to `out`. */
    async update(chunk, out) {
      if (this.seen) this.seen.push(chunk);
      try {
        for (;;) {
          if (this.cipher) {
            const recs = this.dec.updateFrames(chunk);
            const whole = chunk;
            this.offset += this.dec.consumed;
            chunk = chunk.subarray(this.dec.consumed);
            if (u32At(recs, 0) > 0) await this.openFrames(recs, whole, out);
          } else {
            const pt = this.dec.update(chunk);
            this.offset += this.dec.consumed;
            chunk = chunk.subarray(this.dec.consumed);
            if (pt.length) out.push(pt);
          }
          if (this.dec.needsDataKey) { await this.unwrap(); this.bodyStart = this.offset; this.seen = null; }
          if (chunk.length === 0) break;
        }
      } catch (e) {
        if (needsFullEngine(e) && this.seen) return this.moveToFull(out);
        this.free();
        throw mapError(this.engine, e);
      }
    }

    /** All checks; then the final frame's plaintext goes to `out`. */
    async finish(out) {
      try {
        const last = this.dec.finish();
        if (this.cipher) { if (this.held) out.push(this.held); this.held = null; } else out.push(last);
      } catch (e) {
        throw mapError(this.engine, e);
      } finally {
        this.free();
      }
    }
  }

  /**
   * Encrypts `plaintext` into one message. `options.frameLength` (1 … 1 MiB)
   * defaults to 64 KiB (DEFAULT_FRAME_LENGTH): each frame costs a fixed
   * amount besides its AES-GCM, and at 64 KiB that cost is small next to the
   * platform's AES (≥ 0.5× raw node:crypto AES-GCM for 16 MiB, where 4 KiB
   * frames reach about 0.3×), while a stream still holds only 64 KiB.
   * `frameLength: 4096` writes the AWS Encryption SDK's default layout; the
   * SDKs decrypt either.
   */
  async function encryptMessage(plaintext, options) {
    const pt = toBytes(plaintext, 'plaintext');
    const s = await Sealer.open(options, 'encryptMessage', pt.length);
    const out = [s.header];
    if (s.cipher) {
      await s.update(pt, out);
    } else {
      for (let i = 0; i < pt.length; i += CHUNK) await s.update(pt.subarray(i, i + CHUNK), out);
    }
    await s.finish(out);
    return { result: join(s.cipher, out), messageHeader: s.messageHeader };
  }

  async function decryptMessage(message, options) {
    const msg = toBytes(message, 'message');
    const s = await Opener.open(options, 'decryptMessage');
    const out = [];
    try {
      // Once the body's start and the frame length are known, the chunks end
      // on frame boundaries (about CHUNK bytes of whole regular frames), so
      // that no frame straddles two chunks (the wasm would gather it).
      let i = 0, per = 0;
      do {
        if (!per && s.bodyStart !== undefined) {
          const frame = s.messageHeader.frameLength + REGULAR_FRAME_OVERHEAD;
          per = Math.max(1, Math.floor(CHUNK / frame)) * frame;
        }
        const j = Math.min(msg.length, per ? s.bodyStart + (Math.floor((i - s.bodyStart) / per) + 1) * per : i + FIRST_CHUNK);
        await s.update(msg.subarray(i, j), out);
        i = j;
      } while (i < msg.length);
      await s.finish(out);
    } catch (e) {
      for (const p of out) p.fill(0);
      throw e;
    }
    return { plaintext: join(s.cipher, out), messageHeader: s.messageHeader };
  }

  function withHeader(stream, promise) {
    promise.catch(() => {});
    Object.defineProperty(stream, 'messageHeader', { value: promise });
    return stream;
  }

  /**
   * The transform as a `{ readable, writable }` pair that calls `cleanup`
   * when either side is cancelled or aborted. A TransformStream's own
   * `cancel` hook is newer than some engines (Chromium 156 does not call
   * it), so the pair's outer ends watch for it instead.
   */
  function withCleanup(ts, cleanup) {
    const reader = ts.readable.getReader();
    const writer = ts.writable.getWriter();
    const readable = new ReadableStream({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        cleanup(reason);
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    const writable = new WritableStream({
      write: (chunk) => writer.write(chunk),
      close: () => writer.close(),
      abort(reason) {
        cleanup(reason);
        return writer.abort(reason);
      },
    }, { highWaterMark: 1 });
    return { readable, writable };
  }

  function emit(controller, out) {
    if (out.length === 0) return;
    const bytes = concat(out);
    if (bytes.length) controller.enqueue(bytes);
  }

  /**
   * A TransformStream of plaintext into the message. `stream.messageHeader`
   * resolves after the header is written. Frames of `options.frameLength`
   * bytes (default 64 KiB, as for encryptMessage); the stream holds at most
   * one frame of plaintext.
   */
  function encryptStream(options) {
    let s;
    let resolveHeader, rejectHeader;
    const header = new Promise((res, rej) => { resolveHeader = res; rejectHeader = rej; });
    const stream = new TransformStream({
      async start(controller) {
        try {
          s = await Sealer.open(options, 'encryptStream');
        } catch (e) {
          rejectHeader(e);
          throw e;
        }
        resolveHeader(s.messageHeader);
        controller.enqueue(s.header);
      },
      async transform(chunk, controller) {
        const out = [];
        await s.update(toBytes(chunk, 'chunk'), out);
        emit(controller, out);
      },
      async flush(controller) {
        const out = [];
        await s.finish(out);
        emit(controller, out);
      },
    });
    // A cancelled or aborted pipe frees the encryptor (and its frame key) at once.
    return withHeader(withCleanup(stream, () => { if (s) s.free(); }), header);
  }

  /**
   * A TransformStream of a message into its plaintext. Frames are released
   * only after their tag verifies, the final frame only after every check;
   * any failure errors the stream. `stream.messageHeader` resolves once the
   * header is authenticated.
   */
  function decryptStream(options) {
    let s;
    let resolveHeader, rejectHeader;
    const header = new Promise((res, rej) => { resolveHeader = res; rejectHeader = rej; });
    const fail = (e) => { rejectHeader(e); if (s) s.free(); throw e; };
    const stream = new TransformStream({
      async start() {
        try {
          s = await Opener.open(options, 'decryptStream');
          s.onHeader = resolveHeader;
        } catch (e) {
          fail(e);
        }
      },
      async transform(chunk, controller) {
        const out = [];
        try {
          await s.update(toBytes(chunk, 'chunk'), out);
        } catch (e) {
          fail(e);
        }
        emit(controller, out);
      },
      async flush(controller) {
        const out = [];
        try {
          await s.finish(out);
        } catch (e) {
          fail(e);
        }
        emit(controller, out);
      },
    });
    // A cancelled or aborted pipe frees the decryptor (frame key, held plaintext) at once.
    return withHeader(withCleanup(stream, (reason) => { rejectHeader(reason); if (s) s.free(); }), header);
  }

  return { encryptMessage, decryptMessage, encryptStream, decryptStream, isEnvelopeError };
}
