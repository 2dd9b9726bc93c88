// "How it works": the envelope of the last message encrypted or decrypted,
// drawn with HTML/CSS and a few inline SVG arrows: the KMS key (and the
// backing key version that wrapped the data key), the data key, and the
// message with its header (context, wrapped data keys) and frames.
import { h, fill, formatBytes, shortId } from './ui.js';
import { backingKeyIdOf } from './message.js';

const SVG = 'http://www.w3.org/2000/svg';

function arrow(label, sub) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 120 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('env-arrow-svg');
  const line = document.createElementNS(SVG, 'path');
  line.setAttribute('d', 'M2 12 H110 M100 4 L112 12 L100 20');
  svg.append(line);
  return h('div.env-arrow', h('span.env-arrow-label', label), svg, sub ? h('span.env-arrow-sub', sub) : null);
}

/** Which version of `arn`'s key material sealed the kms-wasm blob `edk`. */
function versionOf(app, arn, edk) {
  const k = app.keys.find((x) => x.meta.Arn === arn);
  if (!k) return { known: false };
  const total = k.rotations.length + 1;
  const id = backingKeyIdOf(edk);
  const i = k.rotations.findIndex((r) => r.KeyMaterialId === id);
  return { known: true, key: k, version: i >= 0 ? i + 2 : 1, total, materialId: id };
}

/**
 * @param {HTMLElement} root
 * @param {object} app
 * @param {null | {
 *   mode: 'encrypt' | 'decrypt', ok: boolean, fileName: string, plainSize?: number, messageSize?: number,
 *   header: null | { algorithmSuiteName: string, encryptionContext: object, frameLength: number, authenticated?: boolean,
 *     encryptedDataKeys: { providerId: string, providerInfo: string, encryptedDataKey: Uint8Array }[] },
 *   usedArn?: string | null,
 * }} info
 */
export function renderDiagram(root, app, info) {
  if (!info || !info.header) {
    fill(root,
      h('div.envelope.placeholder',
        h('div.env-node.kms', h('div.env-title', 'KMS key'), h('div.env-main', 'your key'), h('div.small.muted', 'never leaves the KMS')),
        arrow('GenerateDataKey'),
        h('div.env-node.datakey', h('div.env-title', 'Data key'), keyIcon(), h('div.small', 'fresh 256-bit AES key per message')),
        arrow('AES-256-GCM'),
        h('div.env-node.message', h('div.env-title', 'Encrypted message'),
          h('div.msg-header', h('div.msg-label', 'Header'), h('div.small.muted', 'encryption context, wrapped data key(s)')),
          h('div.msg-body', h('div.msg-label', 'Frames'), frames(6, 6)))),
      h('p.env-caption', 'Encrypt or decrypt a file to see its envelope here.'));
    return;
  }

  const { header } = info;
  const edks = header.encryptedDataKeys;
  // The KMS key shown: the one that unwrapped the data key on decrypt, the generator on encrypt.
  const mainEdk = edks.find((e) => e.providerInfo === info.usedArn) || edks.find((e) => e.providerId === 'aws-kms') || edks[0];
  const mainArn = mainEdk?.providerId === 'aws-kms' ? mainEdk.providerInfo : null;
  const main = mainArn ? versionOf(app, mainArn, mainEdk.encryptedDataKey) : { known: false };

  const versionStrip = main.known
    ? h('div.version-strip', { 'aria-label': `backing key version ${main.version} of ${main.total}` },
      Array.from({ length: main.total }, (_, i) => h('span', { class: i + 1 === main.version ? 'used' : '' }, `v${i + 1}`)))
    : null;

  const kmsNode = h('div.env-node.kms',
    h('div.env-title', 'KMS key'),
    h('div.env-main', main.known ? (main.key.aliases[0] || shortId(main.key.meta.KeyId)) : 'unknown key'),
    h('div.mono.tiny.break', { dataset: { role: 'diagram-arn' } }, mainArn || mainEdk?.providerInfo || '—'),
    versionStrip,
    main.known
      ? h('div.small', { dataset: { role: 'diagram-version' } }, `backing key v${main.version} of ${main.total}`,
        h('div.mono.tiny.muted', `backing key id ${main.materialId ? `${main.materialId.slice(0, 16)}…` : '?'}`))
      : h('div.small.muted', 'this KMS does not hold this key'));

  const ctx = Object.entries(header.encryptionContext || {});
  const ctxNode = ctx.length
    ? h('div.chips', ctx.map(([k, v]) => h('span.chip', h('b', k), ' = ', v)))
    : h('div.small.muted', 'empty encryption context');

  const edkNodes = edks.map((e, i) => {
    const v = e.providerId === 'aws-kms' ? versionOf(app, e.providerInfo, e.encryptedDataKey) : { known: false };
    return h('li.edk', { class: e === mainEdk ? 'main' : '' },
      h('span.edk-icon', { 'aria-hidden': 'true' }, keyIcon(true)),
      h('span.edk-text',
        h('span.small', h('b', `EDK ${i + 1}`), ` · ${e.providerId} · ${e.encryptedDataKey.length} B`),
        h('span.small', v.known ? `${v.key.aliases[0] || shortId(v.key.meta.KeyId)} · backing v${v.version}` : h('span.mono.tiny.break', e.providerInfo))));
  });

  const plain = info.plainSize ?? null;
  const frameCount = plain !== null ? Math.max(1, Math.ceil(plain / header.frameLength)) : null;
  const msgSize = info.messageSize ?? null;

  const verb = info.mode === 'encrypt' ? 'GenerateDataKey' : 'Decrypt';
  fill(root,
    h(`div.envelope.${info.ok ? 'ok' : 'failed'}`,
      kmsNode,
      arrow(verb, info.mode === 'encrypt' ? 'wraps the data key' : 'unwraps an EDK'),
      h('div.env-node.datakey',
        h('div.env-title', 'Data key'), keyIcon(),
        h('div.small', 'AES-256, fresh for this message'),
        h('div.small.muted', 'plaintext copy in memory only, wiped after use')),
      arrow('AES-256-GCM', `${header.frameLength >= 1024 ? formatBytes(header.frameLength) : `${header.frameLength} B`} frames`),
      h('div.env-node.message',
        h('div.env-title', info.mode === 'encrypt' ? 'Encrypted message' : `Message ${info.fileName ? `“${info.fileName}”` : ''}`,
          msgSize !== null ? h('span.muted', ` · ${formatBytes(msgSize)}`) : null),
        h('div.msg-header',
          h('div.msg-label', header.authenticated === false ? 'Header (not authenticated)' : 'Header (authenticated)'),
          h('div.tiny.mono.muted', header.algorithmSuiteName),
          h('div.msg-sub', 'Encryption context'), ctxNode,
          h('div.msg-sub', `Wrapped data keys (${edks.length})`),
          h('ul.edks', { dataset: { role: 'diagram-edks' } }, edkNodes)),
        h('div.msg-body',
          h('div.msg-label', 'Frames'),
          frames(frameCount ?? 8, 8),
          h('div.small.muted', frameCount !== null ? `${frameCount.toLocaleString()} frame${frameCount === 1 ? '' : 's'} of up to ${formatBytes(header.frameLength)}, each with its own tag` : 'frames, each with its own tag')))),
    h('p.env-caption', caption(info, main)));
}

function caption(info, main) {
  const v = main.known ? `backing key v${main.version}` : 'its backing key';
  const more = info.header.encryptedDataKeys.length - 1;
  if (info.mode === 'encrypt') {
    return `GenerateDataKey asked the KMS key for a fresh data key; the KMS returned it in the clear and wrapped under ${v}. `
      + (more > 0 ? `Encrypt wrapped the same data key under ${more} more key${more === 1 ? '' : 's'}, so any of them can decrypt the message. ` : '')
      + 'The file was encrypted in frames with that data key; only the wrapped copies travel in the message header, bound to the encryption context.';
  }
  if (!info.ok) return 'Decryption failed: nothing was released. The header above is read without being authenticated.';
  return `Decrypt sent the wrapped data key to the KMS; the blob names ${v}, so it opens even after later rotations. `
    + 'Every frame was authenticated before its plaintext was released.';
}

function frames(n, max) {
  const shown = Math.min(n, max);
  return h('div.frames', Array.from({ length: shown }, (_, i) => h('span', { class: i === shown - 1 ? 'last' : '' })), n > max ? h('span.more', '…') : null);
}

function keyIcon(small) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add(small ? 'key-icon-small' : 'key-icon');
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', 'M7 14a3 3 0 1 1 0-6 3 3 0 0 1 0 6zm0-8a5 5 0 1 0 4.58 7H14v2h2v-2h2v2h2v-4h-8.42A5 5 0 0 0 7 6z');
  svg.append(p);
  return svg;
}
