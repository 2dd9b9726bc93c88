// kms-wasm web demo: boots the KMS (kept in IndexedDB) and wires the views.
// The package is imported by name; index.html's import map (filled in by
// serve.mjs) points `kms-wasm` at the installed package's browser entry.
import { $, $$, h, fill, toast, showError, formatDate } from './ui.js';
import { initKeys } from './keys.js';
import { initFiles } from './files.js';
import { initAudit } from './audit.js';
import { initEvents } from './events.js';

const STORE_NAME = 'kms-wasm-demo';
const CLOCK_KEY = 'kms-wasm-demo.clockOffsetMs';
const VIEWS = ['keys', 'files', 'audit', 'events'];

/** The demo clock: real time plus an offset the user can only move forward (kept in localStorage). */
const clock = {
  offset: Number(localStorage.getItem(CLOCK_KEY)) || 0,
  now() { return new Date(Date.now() + this.offset); },
  advance(ms) {
    this.offset += ms;
    localStorage.setItem(CLOCK_KEY, String(this.offset));
    renderClock();
  },
};

function renderClock() {
  const chip = $('#clock-chip');
  const days = Math.round(clock.offset / 86_400_000);
  chip.hidden = days === 0;
  fill(chip, `Clock +${days} d · ${formatDate(clock.now())}`);
  chip.title = `The KMS clock runs ${days} days ahead of real time (Events → Time travel).`;
}

/** Shows one view, from the URL's hash (#keys, #files, #audit, #events). */
function route(app) {
  const name = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'keys';
  for (const v of VIEWS) {
    $(`#view-${v}`).hidden = v !== name;
    const tab = $(`#tab-${v}`);
    if (v === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
    tab.classList.toggle('active', v === name);
  }
  document.body.dataset.view = name;
  app.emit('view', name);
}

async function boot() {
  window.addEventListener('unhandledrejection', (e) => showError(e.reason, 'Unexpected error'));
  window.addEventListener('error', (e) => showError(e.error || e.message, 'Unexpected error'));

  const status = $('#boot-status');
  let pkg;
  try {
    pkg = await import('kms-wasm');
  } catch (e) {
    fill(status, h('strong', 'Could not load kms-wasm. '), `${e.message}. Start the demo with `, h('code', 'make demo'), '.');
    status.classList.add('failed');
    throw e;
  }

  let kms;
  let store;
  try {
    store = pkg.indexedDbStore(STORE_NAME);
    kms = await pkg.createKms({ store, now: () => clock.now() });
  } catch (e) {
    const { name, message } = showError(e, 'Opening the KMS');
    fill(status, h('strong', `${name}: `), message);
    status.classList.add('failed');
    throw e;
  }

  // A tiny event hub between the views.
  const listeners = new Map();
  const app = {
    pkg,
    kms,
    clock,
    storeName: STORE_NAME,
    keys: [], // filled by keys.js: [{ meta, aliases, rotation, rotations, tags }]
    on(type, fn) { (listeners.get(type) || listeners.set(type, []).get(type)).push(fn); },
    emit(type, ...args) { for (const fn of listeners.get(type) || []) fn(...args); },
    /** Call after anything that changed keys or wrote audit records. */
    changed(what = 'keys') { app.emit('changed', what); },
    keyLabel(arnOrId) {
      const k = app.keys.find((x) => x.meta.Arn === arnOrId || x.meta.KeyId === arnOrId);
      return k?.aliases[0] || arnOrId;
    },
    goto(view) { location.hash = view; },
    advanceClock(ms) { clock.advance(ms); app.changed('clock'); },
  };

  for (const w of store.warnings || []) toast('info', 'Store warning', w);

  initEvents(app);
  initKeys(app);
  initFiles(app);
  initAudit(app);

  renderClock();
  window.addEventListener('hashchange', () => route(app));
  route(app);
  await app.refreshKeys();

  // Another tab changed the store: show its keys too.
  store.onExternalChange(() => app.changed('external'));

  $('#boot').hidden = true;
  document.body.dataset.ready = 'true';
}

for (const a of $$('.tabs a')) a.addEventListener('click', () => setTimeout(() => a.blur(), 0));

boot().catch((e) => {
  console.error(e);
  document.body.dataset.ready = 'failed';
});
