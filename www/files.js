// Files view: encrypt files into AWS Encryption SDK messages and decrypt them
// back, streaming: File.stream() → (rechunk, count) → encryptStream /
// decryptStream → chunks collected into Blobs (never one big ArrayBuffer),
// with a progress bar and the throughput.
import { $, h, fill, toast, busy, showError, pairEditor, formatBytes, formatRate, formatDuration, shortId } from './ui.js';
import { renderDiagram } from './diagram.js';
import { peekHeader } from './message.js';

const CHUNK = 4 << 20; // plaintext handed to the encryptor per call: many frames per call, so WebCrypto runs them in parallel
const BLOB_PART = 32 << 20; // output collected into a Blob every 32 MiB (Chromium may keep large Blobs on disk)

/** Groups a byte stream into chunks of `size` bytes (the last may be shorter). */
function rechunk(size) {
  let buf = null;
  let used = 0;
  return new TransformStream({
    transform(chunk, controller) {
      let off = 0;
      while (off < chunk.length) {
        if (!buf) { buf = new Uint8Array(size); used = 0; }
        const n = Math.min(size - used, chunk.length - off);
        buf.set(chunk.subarray(off, off + n), used);
        used += n;
        off += n;
        if (used === size) { controller.enqueue(buf); buf = null; }
      }
    },
    flush(controller) {
      if (buf && used) controller.enqueue(buf.subarray(0, used));
      buf = null;
    },
  });
}

/** A sink collecting chunks into a Blob (when the origin private file system is missing). */
function blobSink(name) {
  const blobs = [];
  let parts = [];
  let partBytes = 0;
  const seal = () => {
    if (parts.length) blobs.push(new Blob(parts));
    parts = [];
    partBytes = 0;
  };
  return {
    writable: new WritableStream({
      write(chunk) {
        parts.push(chunk);
        partBytes += chunk.byteLength;
        if (partBytes >= BLOB_PART) seal();
      },
    }),
    async file() { seal(); return new File(blobs, name, { type: 'application/octet-stream' }); },
    async discard() { blobs.length = 0; parts = []; },
    where: 'memory',
  };
}

// Large outputs go to the origin private file system when the browser has
// it: a file there is on disk, so a message of hundreds of MiB never sits in
// memory (browsers cap the memory Blobs may use, and not all of them page
// Blobs out to disk). Small ones stay in memory, which is faster. Each
// output is its own file; outputs of earlier days are removed when the page
// starts, and each card keeps its last few.
const OUT_DIR = 'kms-wasm-demo-outputs';
const KEEP_OUTPUTS = 3;
const IN_MEMORY_UP_TO = 96 << 20;
let outputDir = null;

function opfs() {
  outputDir ||= (async () => {
    try {
      const root = await navigator.storage.getDirectory();
      const dir = await root.getDirectoryHandle(OUT_DIR, { create: true });
      const probe = await dir.getFileHandle('probe', { create: true });
      if (typeof probe.createWritable !== 'function') return null;
      await dir.removeEntry('probe');
      const old = [];
      for await (const name of dir.keys()) if (!(Number(name.split('-')[0]) > Date.now() - 86_400_000)) old.push(name);
      await Promise.all(old.map((name) => dir.removeEntry(name).catch(() => {})));
      return dir;
    } catch {
      return null;
    }
  })();
  return outputDir;
}

/** Where a stream's output of about `size` bytes goes: `{ writable, file(), discard(), where }`. */
async function fileSink(name, kept, size) {
  const dir = size > IN_MEMORY_UP_TO ? await opfs() : null;
  if (!dir) return blobSink(name);
  const entry = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}-${name.replace(/[^\w.-]+/g, '_').slice(-80)}`;
  const handle = await dir.getFileHandle(entry, { create: true });
  const writable = await handle.createWritable();
  return {
    writable,
    async file() {
      kept.push(entry);
      while (kept.length > KEEP_OUTPUTS) dir.removeEntry(kept.shift()).catch(() => {});
      return new File([await handle.getFile()], name, { type: 'application/octet-stream' });
    },
    async discard() { await dir.removeEntry(entry).catch(() => {}); },
    where: 'disk',
  };
}

/** A progress bar and its numbers, updated at most once a frame. */
function progressView(root) {
  const bar = $('.bar > span', root);
  const text = $('.progress-text', root);
  let raf = 0;
  let state = null;
  const paint = () => {
    raf = 0;
    if (!state) return;
    const { done, total, t0 } = state;
    const pct = total ? Math.min(100, (done / total) * 100) : 100;
    bar.style.width = `${pct.toFixed(1)}%`;
    root.querySelector('.bar').setAttribute('aria-valuenow', pct.toFixed(0));
    text.textContent = `${formatBytes(done)} of ${formatBytes(total)} · ${formatRate(done, performance.now() - t0)}`;
  };
  return {
    start(total) {
      state = { done: 0, total, t0: performance.now() };
      root.hidden = false;
      root.classList.remove('done', 'failed');
      paint();
      return state.t0;
    },
    update(done) {
      state.done = done;
      if (!raf) raf = requestAnimationFrame(paint);
    },
    finish(ok, summary) {
      cancelAnimationFrame(raf);
      raf = 0;
      paint();
      root.classList.add(ok ? 'done' : 'failed');
      if (summary) text.textContent = summary;
    },
  };
}

/**
 * Streams `source` (a File or Blob) through `transform` into a file named
 * `name`. Resolves to { file, ms }; rejects with the stream's error (and
 * then nothing of the output is kept).
 */
async function pump(source, transform, name, kept, progress, signal) {
  let done = 0;
  const sink = await fileSink(name, kept, source.size);
  const t0 = progress.start(source.size);
  const meter = new TransformStream({
    transform(chunk, controller) {
      done += chunk.byteLength;
      progress.update(done);
      controller.enqueue(chunk);
    },
  });
  try {
    await source.stream().pipeThrough(rechunk(CHUNK)).pipeThrough(meter).pipeThrough(transform).pipeTo(sink.writable, { signal });
  } catch (e) {
    await sink.discard();
    throw e;
  }
  const ms = performance.now() - t0;
  return { file: await sink.file(), ms, where: sink.where };
}

/** A drop zone over a file input; calls onFile(file). */
function dropZone(zone, input, onFile) {
  input.addEventListener('change', () => { if (input.files[0]) onFile(input.files[0]); });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files?.[0];
    if (file) onFile(file);
  });
}

/** A file of `size` random bytes (on disk when the origin private file system is there). */
async function generatedFile(size) {
  const name = `random-${formatBytes(size).replace(' ', '')}.bin`;
  const sink = await fileSink(name, generated, size);
  const writer = sink.writable.getWriter();
  for (let off = 0; off < size; off += 1 << 20) {
    const chunk = new Uint8Array(Math.min(1 << 20, size - off));
    for (let i = 0; i < chunk.length; i += 65536) crypto.getRandomValues(chunk.subarray(i, i + 65536));
    await writer.write(chunk);
  }
  await writer.close();
  return sink.file();
}
const generated = [];

function fileLabel(file) {
  return h('span.file-chosen', h('b', { dataset: { role: 'file-name' } }, file.name), h('span.muted', ` · ${formatBytes(file.size)}`));
}

export function initFiles(app) {
  const { kms, pkg } = app;
  const diagram = $('#envelope-diagram');
  renderDiagram(diagram, app, null);
  let lastDiagram = null;
  const draw = (info) => { lastDiagram = info; renderDiagram(diagram, app, info); };
  app.on('keys', () => { if (lastDiagram) renderDiagram(diagram, app, lastDiagram); });

  const urls = { enc: null, dec: null };
  const keptEnc = [];
  const keptDec = [];
  const setDownload = (which, a, blob, name) => {
    if (urls[which]) URL.revokeObjectURL(urls[which]);
    urls[which] = URL.createObjectURL(blob);
    a.href = urls[which];
    a.download = name;
  };

  // ------------------------------------------------------------ encrypt
  const encKey = $('#enc-key');
  const encOthers = $('#enc-others');
  const encContext = pairEditor({ keyLabel: 'context key', valueLabel: 'value', addLabel: 'Add a pair', pairs: [['purpose', 'demo']], name: 'enc-context' });
  $('#enc-context').append(encContext.el);
  const encProgress = progressView($('#enc-progress'));
  const encResult = $('#enc-result');
  const encGo = $('#enc-go');
  const encCancel = $('#enc-cancel');
  let encFile = null;
  let encAbort = null;

  const pickEnc = (file) => {
    encFile = file;
    fill($('#enc-file-label'), fileLabel(file));
    $('#enc-drop').classList.add('has-file');
    updateButtons();
  };
  dropZone($('#enc-drop'), $('#enc-file'), pickEnc);
  for (const b of document.querySelectorAll('[data-generate]')) {
    b.addEventListener('click', () => busy(b, async () => pickEnc(await generatedFile(Number(b.dataset.generate) << 20)), 'Making a test file'));
  }

  function renderKeyChoices() {
    const usable = app.keys.filter((k) => k.meta.KeyManager === 'CUSTOMER');
    const current = encKey.value;
    fill(encKey, usable.length ? usable.map((k) => h('option', { value: k.meta.Arn },
      `${k.aliases[0] || shortId(k.meta.KeyId)}${k.meta.KeyState === 'Enabled' ? '' : ` (${k.meta.KeyState})`}`)) : h('option', { value: '' }, 'No keys yet: create one under Keys'));
    if (usable.some((k) => k.meta.Arn === current)) encKey.value = current;
    renderOthers();
  }
  /** Checkboxes for the keys other than the chosen one. */
  function renderOthers() {
    const others = app.keys.filter((k) => k.meta.KeyManager === 'CUSTOMER' && k.meta.Arn !== encKey.value);
    const checked = new Set([...encOthers.querySelectorAll('input:checked')].map((i) => i.value));
    fill(encOthers, others.length ? others.map((k) => h('label.check',
      h('input', { type: 'checkbox', value: k.meta.Arn, checked: checked.has(k.meta.Arn), dataset: { role: 'other-key' } }),
      ` ${k.aliases[0] || shortId(k.meta.KeyId)}`)) : h('span.small.muted', 'Create a second key to wrap the data key under several keys.'));
    updateButtons();
  }
  app.on('keys', renderKeyChoices);

  function updateButtons() {
    encGo.disabled = !encFile || !encKey.value || !!encAbort;
    decGo.disabled = !decFile || !!decAbort;
  }
  encKey.addEventListener('change', renderOthers);

  encGo.addEventListener('click', async () => {
    const file = encFile;
    const generatorKeyId = encKey.value;
    const keyIds = [...encOthers.querySelectorAll('input:checked')].map((i) => i.value).filter((a) => a !== generatorKeyId);
    const pairs = encContext.get();
    const encryptionContext = {};
    for (const [k, v] of pairs) encryptionContext[k] = v;
    const frameLength = Number($('#enc-frame').value);
    fill(encResult);
    encResult.hidden = true;
    encAbort = new AbortController();
    encCancel.hidden = false;
    updateButtons();
    try {
      const stream = pkg.encryptStream({ keyring: pkg.kmsKeyring({ client: kms, generatorKeyId, keyIds }), encryptionContext, frameLength });
      const name = `${file.name}.encrypted`;
      const { file: blob, ms, where } = await pump(file, stream, name, keptEnc, encProgress, encAbort.signal);
      const header = await stream.messageHeader;
      encProgress.finish(true, `${formatBytes(file.size)} in ${formatDuration(ms)} · ${formatRate(file.size, ms)}`);
      const a = h('a.button.primary#enc-download', { href: '#' }, 'Download');
      setDownload('enc', a, blob, name);
      fill(encResult,
        h('div.result-line', h('span.result-icon.ok', '✓'),
          h('div', h('b', { dataset: { role: 'enc-output-name' } }, name), h('div.small.muted', `${formatBytes(blob.size)} AWS Encryption SDK message · ${header.encryptedDataKeys.length} wrapped data key${header.encryptedDataKeys.length === 1 ? '' : 's'}${where === 'disk' ? ' · kept on disk (origin private file system)' : ''}`))),
        h('div.result-actions', a,
          h('button.secondary', { type: 'button', onclick: () => pickDec(blob) }, 'Decrypt it →')));
      encResult.hidden = false;
      encResult.className = 'result ok';
      draw({ mode: 'encrypt', ok: true, fileName: file.name, plainSize: file.size, messageSize: blob.size, header: { ...header, authenticated: true } });
      toast('ok', 'Encrypted', `${file.name} → ${name}`);
    } catch (e) {
      encProgress.finish(false, encAbort.signal.aborted ? 'Cancelled' : 'Failed');
      if (!encAbort.signal.aborted) {
        const info = showError(e, 'Encrypt');
        fill(encResult, failure(info));
        encResult.className = 'result failed';
        encResult.hidden = false;
      }
    } finally {
      encAbort = null;
      encCancel.hidden = true;
      updateButtons();
      app.changed('crypto');
    }
  });
  encCancel.addEventListener('click', () => encAbort?.abort());

  // ------------------------------------------------------------ decrypt
  const decRequired = pairEditor({ keyLabel: 'context key', valueLabel: 'required value', addLabel: 'Require a pair', pairs: [], name: 'dec-context' });
  $('#dec-context').append(decRequired.el);
  const decProgress = progressView($('#dec-progress'));
  const decResult = $('#dec-result');
  const decGo = $('#dec-go');
  const decCancel = $('#dec-cancel');
  let decFile = null;
  let decAbort = null;

  const pickDec = (file) => {
    decFile = file;
    fill($('#dec-file-label'), fileLabel(file));
    $('#dec-drop').classList.add('has-file');
    updateButtons();
    if (window.matchMedia('(max-width: 900px)').matches) $('#dec-card').scrollIntoView({ behavior: 'smooth', block: 'start' });
  };
  dropZone($('#dec-drop'), $('#dec-file'), pickDec);

  decGo.addEventListener('click', async () => {
    const file = decFile;
    const requiredEncryptionContext = Object.fromEntries(decRequired.get());
    fill(decResult);
    decResult.hidden = true;
    decAbort = new AbortController();
    decCancel.hidden = false;
    updateButtons();
    const preview = await peekHeader(file).catch(() => null);
    // Observe which KMS key unwraps the data key (for the diagram).
    let usedArn = null;
    const client = {
      generateDataKey: (r) => kms.generateDataKey(r),
      encrypt: (r) => kms.encrypt(r),
      decrypt: async (r) => { const out = await kms.decrypt(r); usedArn = out.KeyId; return out; },
    };
    try {
      const keyIds = app.keys.map((k) => k.meta.Arn);
      if (!keyIds.length) throw Object.assign(new Error('This KMS has no keys, so it cannot unwrap any data key.'), { name: 'NotFoundException' });
      const stream = pkg.decryptStream({ keyring: pkg.kmsKeyring({ client, keyIds }), requiredEncryptionContext });
      const name = file.name.endsWith('.encrypted') ? file.name.slice(0, -'.encrypted'.length) : `${file.name}.decrypted`;
      const { file: blob, ms, where } = await pump(file, stream, name, keptDec, decProgress, decAbort.signal);
      const header = await stream.messageHeader;
      decProgress.finish(true, `${formatBytes(file.size)} in ${formatDuration(ms)} · ${formatRate(file.size, ms)}`);
      const a = h('a.button.primary#dec-download', { href: '#' }, 'Download');
      setDownload('dec', a, blob, name);
      const ctx = Object.entries(header.encryptionContext);
      fill(decResult,
        h('div.result-line', h('span.result-icon.ok', '✓'),
          h('div', h('b', { dataset: { role: 'dec-output-name' } }, name),
            h('div.small.muted', `${formatBytes(blob.size)} · every frame authenticated · data key unwrapped by ${app.keyLabel(usedArn)}${where === 'disk' ? ' · kept on disk (origin private file system)' : ''}`))),
        h('div.header-context',
          h('div.small.muted', 'Encryption context in the message header'),
          h('div.chips', { dataset: { role: 'dec-header-context' } }, ctx.length ? ctx.map(([k, v]) => h('span.chip', h('b', k), ' = ', v)) : h('span.small.muted', 'empty'))),
        h('div.result-actions', a));
      decResult.className = 'result ok';
      decResult.hidden = false;
      draw({ mode: 'decrypt', ok: true, fileName: file.name, plainSize: blob.size, messageSize: file.size, header: { ...header, authenticated: true }, usedArn });
      toast('ok', 'Decrypted', `${file.name} → ${name}`);
    } catch (e) {
      decProgress.finish(false, decAbort.signal.aborted ? 'Cancelled' : 'Failed: nothing was released');
      if (!decAbort.signal.aborted) {
        const info = showError(e, 'Decrypt');
        const ctx = preview ? Object.entries(preview.encryptionContext) : [];
        fill(decResult, failure(info),
          preview ? h('div.header-context',
            h('div.small.muted', 'Encryption context in the message header (not authenticated)'),
            h('div.chips', { dataset: { role: 'dec-header-context' } }, ctx.length ? ctx.map(([k, v]) => h('span.chip', { class: k in requiredEncryptionContext && requiredEncryptionContext[k] !== v ? 'mismatch' : '' }, h('b', k), ' = ', v)) : h('span.small.muted', 'empty')),
            h('div.small.muted', `Needs ${preview.encryptedDataKeys.map((edk) => (edk.providerId === 'aws-kms' ? app.keyLabel(edk.providerInfo) : edk.providerId)).join(' or ')}`))
            : h('div.small.muted', 'This file does not start like an AWS Encryption SDK message (format version 2).'));
        decResult.className = 'result failed';
        decResult.hidden = false;
        if (preview) draw({ mode: 'decrypt', ok: false, fileName: file.name, messageSize: file.size, header: preview, usedArn });
      }
    } finally {
      decAbort = null;
      decCancel.hidden = true;
      updateButtons();
      app.changed('crypto');
    }
  });
  decCancel.addEventListener('click', () => decAbort?.abort());

  renderKeyChoices();
}

function failure({ name, message, detail }) {
  return h('div.failure', { role: 'alert', dataset: { role: 'failure' } },
    h('span.result-icon.failed', '!'),
    h('div', h('b.error-name', name), h('div.error-message', message), detail ? h('div.small.muted', detail) : null));
}
