// Envelope encryption in the AWS Encryption SDK message format (v2,
// committing suites 0x0478 / 0x0578). The format, key derivation,
// commitment, header tag, framing, sequence checks and signature run in
// Rust (EnvelopeEncryptor / EnvelopeDecryptor, docs/envelope.md); the
// per-frame AES-256-GCM runs on the platform's AES (node:crypto or
// WebCrypto) through the external frame cipher path when there is one, and
// in wasm otherwise (or with `frameCipher: 'wasm'`).

import { adopt } from '../engine.js';
import { envelopeError, toBytes, concat, isEnvelopeError } from './errors.js';
import { isKeyring } from './keyrings.js';

const fromUtf8 = new TextDecoder();
const CHUNK = 1 << 20; // bytes handed to the wasm per call in the one-shot forms
const BATCH = 32; // frames in flight at once on an asynchronous (WebCrypto) cipher

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

const ENCRYPT_OPTIONS = ['keyring', 'encryptionContext', 'frameLength', 'algorithmSuite', 'maxEncryptedDataKeys', 'frameCipher'];
const DECRYPT_OPTIONS = ['keyring', 'requiredEncryptionContext', 'maxEncryptedDataKeys', 'maxFrameLength', 'maxHeaderLength', 'refuseSignedSuites', 'frameCipher'];

/**
 * @param {{ live(): Promise<any>, kill(engine: any): void }} engines
 * @param {object | null} platformCipher the platform's frame cipher (null: wasm only)
 */
export function createEnvelope(engines, platformCipher) {
  /** Runs `fn`; a wasm trap kills the engine and becomes an InternalError. */
  function mapError(engine, e) {
    if (e instanceof WebAssembly.RuntimeError) {
      engines.kill(engine);
      return envelopeError('InternalError', 'Internal', `The wasm instance trapped: ${e.message}`, e);
    }
    return e;
  }

  class Sealer {
    /** `plaintextLength`: when known (encryptMessage), for keyrings that count bytes (cachingKeyring). */
    static async open(options, fn, plaintextLength) {
      const o = checkOptions(options, ENCRYPT_OPTIONS, fn);
      const engine = await engines.live();
      const glue = engine.glue;
      const cipher = o.frameCipher === 'wasm' ? null : platformCipher;
      const s = new Sealer();
      s.engine = engine;
      s.cipher = cipher;
      try {
        const enc = adopt(engine, new glue.EnvelopeEncryptor(suiteOf(o.algorithmSuite), o.frameLength === undefined ? 4096 : o.frameLength,
          o.encryptionContext || {}, o.maxEncryptedDataKeys));
        s.enc = enc;
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

    /** Frames `list` ([plaintext, isFinal]...) on the external path into `out`. */
    async seal(list, out) {
      const { enc, cipher, key, signed } = this;
      if (!cipher.async) {
        for (const [pt, isFinal] of list) {
          const f = enc.beginFrame(pt.length, isFinal);
          const parts = cipher.encrypt(key, f.iv, f.aad, pt);
          enc.endFrame(signed ? concat(parts) : undefined);
          out.push(f.prefix, ...parts);
        }
        return;
      }
      if (signed) {
        for (const [pt, isFinal] of list) {
          const f = enc.beginFrame(pt.length, isFinal);
          const parts = await cipher.encrypt(key, f.iv, f.aad, pt);
          enc.endFrame(concat(parts));
          out.push(f.prefix, ...parts);
        }
        return;
      }
      for (let i = 0; i < list.length; i += BATCH) {
        const jobs = [];
        for (const [pt, isFinal] of list.slice(i, i + BATCH)) {
          const f = enc.beginFrame(pt.length, isFinal);
          enc.endFrame();
          const p = cipher.encrypt(key, f.iv, f.aad, pt);
          p.catch(() => {});
          jobs.push([f.prefix, p]);
        }
        for (const [prefix, p] of jobs) out.push(prefix, ...(await p));
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
          list.push([concat([...this.pending, pt.subarray(0, need)]), false]);
          this.pending = []; this.pendingBytes = 0; off = need;
        }
        // A regular frame only once more plaintext is known to follow it.
        while (pt.length - off > fl) { list.push([pt.subarray(off, off + fl), false]); off += fl; }
        // The tail is copied: it stays pending across calls and the caller may reuse its buffer.
        if (off < pt.length) { this.pending.push(pt.slice(off)); this.pendingBytes = pt.length - off; }
        if (list.length) await this.seal(list, out);
      } catch (e) {
        this.free();
        throw mapError(this.engine, e);
      }
    }

    async finish(out) {
      try {
        if (!this.cipher) { out.push(this.enc.finish()); return; }
        await this.seal([[concat(this.pending.length ? this.pending : [new Uint8Array(0)]), true]], out);
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
      s.engine = engine;
      s.glue = engine.glue;
      s.keyring = o.keyring;
      s.cipher = o.frameCipher === 'wasm' ? null : platformCipher;
      const decOptions = { externalFrameCipher: !!s.cipher };
      for (const k of ['requiredEncryptionContext', 'maxEncryptedDataKeys', 'maxFrameLength', 'maxHeaderLength', 'refuseSignedSuites']) {
        if (o[k] !== undefined) decOptions[k] = o[k];
      }
      try {
        s.dec = adopt(engine, new engine.glue.EnvelopeDecryptor(decOptions));
      } catch (e) {
        throw mapError(engine, e);
      }
      s.held = null;
      s.messageHeader = null;
      s.onHeader = null;
      return s;
    }

    free() {
      if (this.dec) { try { this.dec.free(); } catch { /* dead instance */ } this.dec = null; }
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

    async openFrames(frames, out) {
      const { cipher, key } = this;
      const fail = (f, e) => envelopeError('AuthenticationError', 'FrameAuthenticationFailed',
        `Frame authentication failed: the tag of frame ${f.sequenceNumber} does not verify.`, e);
      const jobs = frames.map((f) => {
        if (!cipher.async) return null;
        const p = cipher.decrypt(key, f.iv, f.aad, f.sealed, f.contentLength);
        p.catch(() => {});
        return p;
      });
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i];
        let pt;
        try {
          pt = cipher.async ? await jobs[i] : cipher.decrypt(key, f.iv, f.aad, f.sealed, f.contentLength);
        } catch (e) {
          throw fail(f, e);
        }
        if (f.isFinal) this.held = pt; else out.push(pt);
      }
    }

    /** Verified plaintext of the regular frames completed by `chunk` goes to `out`. */
    async update(chunk, out) {
      try {
        for (;;) {
          if (this.cipher) {
            const frames = this.dec.updateExternal(chunk);
            chunk = chunk.subarray(this.dec.consumed);
            if (frames.length) await this.openFrames(frames, out);
          } else {
            const pt = this.dec.update(chunk);
            chunk = chunk.subarray(this.dec.consumed);
            if (pt.length) out.push(pt);
          }
          if (this.dec.needsDataKey) await this.unwrap();
          if (chunk.length === 0) break;
        }
      } catch (e) {
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
    return { result: concat(out), messageHeader: s.messageHeader };
  }

  async function decryptMessage(message, options) {
    const msg = toBytes(message, 'message');
    const s = await Opener.open(options, 'decryptMessage');
    const out = [];
    try {
      const step = Math.max(CHUNK, 2 * ((options && options.maxFrameLength) || 0));
      for (let i = 0; i < msg.length || i === 0; i += step) await s.update(msg.subarray(i, i + step), out);
      await s.finish(out);
    } catch (e) {
      for (const p of out) p.fill(0);
      throw e;
    }
    return { plaintext: concat(out), messageHeader: s.messageHeader };
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

  /** A TransformStream of plaintext into the message. `stream.messageHeader` resolves after the header is written. */
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
