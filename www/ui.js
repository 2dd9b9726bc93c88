// Small DOM and formatting helpers shared by the demo's views. No framework:
// h() builds elements (text is always set as text, never parsed as HTML).

/**
 * h('div.card#id', { onclick, dataset: {...}, ...attributes }, ...children)
 * Children: nodes, strings, numbers, arrays, null/false (skipped).
 */
export function h(spec, props, ...children) {
  if (props === null || typeof props !== 'object' || props instanceof Node || Array.isArray(props)) {
    if (props !== undefined) children.unshift(props);
    props = {};
  }
  const [, tag = 'div', rest = ''] = /^([a-z0-9-]*)(.*)$/i.exec(spec);
  const el = document.createElement(tag || 'div');
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// ---------------------------------------------------------------- formatting

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function formatRate(bytes, ms) {
  if (ms <= 0) return '—';
  const mbs = bytes / 1e6 / (ms / 1000);
  return `${mbs >= 100 ? mbs.toFixed(0) : mbs.toFixed(1)} MB/s`;
}

export function formatDuration(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatDate(d) {
  if (!d) return '—';
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? String(d) : dateFmt.format(date);
}

export function formatDateTime(d) {
  if (!d) return '—';
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? String(d) : dateTimeFmt.format(date);
}

/** "in 3 days", "2 hours ago", relative to `now`. */
export function relative(d, now = new Date()) {
  if (!d) return '';
  const ms = new Date(d).getTime() - now.getTime();
  const abs = Math.abs(ms);
  const steps = [[86_400_000 * 365, 'year'], [86_400_000 * 30, 'month'], [86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute']];
  for (const [size, unit] of steps) {
    if (abs >= size) {
      const n = Math.round(abs / size);
      const u = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return ms >= 0 ? `in ${u}` : `${u} ago`;
    }
  }
  return ms >= 0 ? 'in a moment' : 'just now';
}

export const keyIdOfArn = (arn) => (typeof arn === 'string' ? arn.replace(/^arn:aws:kms:[^:]*:[^:]*:key\//, '') : arn);
export const shortId = (id) => (id && id.length > 13 ? `${id.slice(0, 8)}…` : id);
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// ---------------------------------------------------------------- errors and toasts

/**
 * The AWS exception name and message of an error. Envelope errors (name
 * `KeyringError`, code `UnableToDecryptDataKey`...) that wrap a KMS error
 * report the KMS error's name, with the envelope group as `detail`.
 */
export function errorInfo(e) {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), detail: null };
  let cause = e.cause;
  if (cause instanceof AggregateError) cause = cause.errors[0];
  if (e.code && cause instanceof Error && /Exception$/.test(cause.name)) {
    return { name: cause.name, message: cause.message, detail: `${e.name} (${e.code})` };
  }
  return { name: e.name || 'Error', message: e.message, detail: e.code ? `${e.code}` : null };
}

let toastRoot;

/** Shows a toast: errors stay until dismissed, other kinds go after a few seconds. */
export function toast(kind, title, message, { detail, timeout } = {}) {
  toastRoot ||= document.getElementById('toasts');
  const close = () => {
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 200);
  };
  const el = h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' },
    h('div.toast-icon', { 'aria-hidden': 'true' }, kind === 'error' ? '!' : kind === 'ok' ? '✓' : 'i'),
    h('div.toast-body',
      h('strong.toast-title', title),
      message ? h('div.toast-message', message) : null,
      detail ? h('div.toast-detail', detail) : null),
    h('button.toast-close', { type: 'button', 'aria-label': 'Dismiss', onclick: close }, '×'));
  toastRoot.prepend(el);
  const t = timeout ?? (kind === 'error' ? 0 : 3500);
  if (t) setTimeout(close, t);
  while (toastRoot.children.length > 5) toastRoot.lastElementChild.remove();
  return el;
}

/** Shows an error (with its AWS exception name) in a toast. */
export function showError(e, context) {
  const { name, message, detail } = errorInfo(e);
  toast('error', context ? `${context}: ${name}` : name, message, { detail });
  return { name, message, detail };
}

/**
 * Runs `fn` with `button` busy (disabled, spinner); shows any error as a
 * toast and returns undefined then.
 */
export async function busy(button, fn, context) {
  const was = button?.disabled;
  if (button) { button.disabled = true; button.classList.add('busy'); }
  try {
    return await fn();
  } catch (e) {
    showError(e, context);
    return undefined;
  } finally {
    if (button) { button.disabled = was; button.classList.remove('busy'); }
  }
}

/**
 * An editable list of key = value rows (encryption context, tags). Returns
 * `{ el, get(), set(pairs) }`; get() returns [[k, v], ...] of non-empty rows.
 */
export function pairEditor({ keyLabel = 'key', valueLabel = 'value', addLabel = 'Add a pair', pairs = [], name = 'pair' } = {}) {
  const rows = h('div.pairs');
  const addRow = (k = '', v = '') => {
    const row = h('div.pair',
      h('input.pair-key', { 'aria-label': keyLabel, placeholder: keyLabel, value: k, autocomplete: 'off', spellcheck: 'false', dataset: { role: `${name}-key` } }),
      h('span.pair-eq', { 'aria-hidden': 'true' }, '='),
      h('input.pair-value', { 'aria-label': valueLabel, placeholder: valueLabel, value: v, autocomplete: 'off', spellcheck: 'false', dataset: { role: `${name}-value` } }),
      h('button.icon-button', { type: 'button', title: 'Remove', 'aria-label': 'Remove this pair', onclick: () => row.remove() }, '×'));
    rows.append(row);
    return row;
  };
  const el = h('div.pair-editor', rows,
    h('button.link-button', { type: 'button', onclick: () => addRow().querySelector('input').focus(), dataset: { role: `${name}-add` } }, `+ ${addLabel}`));
  const api = {
    el,
    get: () => $$('.pair', rows).map((r) => [$('.pair-key', r).value.trim(), $('.pair-value', r).value.trim()]).filter(([k, v]) => k || v),
    set(list) {
      rows.replaceChildren();
      for (const [k, v] of list) addRow(k, v);
    },
    addRow,
  };
  api.set(pairs);
  return api;
}
