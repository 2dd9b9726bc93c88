// Events view: the KMS's EventBridge-style events (kms.on('*')) as they
// happen, and a "time travel" clock to make time-driven ones happen now:
// automatic rotation, the end of a deletion window.
import { $, h, fill, toast, busy, formatDateTime, formatDate, shortId } from './ui.js';

const KEEP = 'kms-wasm-demo.events';
const DAY = 86_400_000;
const KIND = {
  'KMS CMK Rotation': 'accent',
  'KMS CMK Deletion': 'danger',
  'KMS CMK Pending Deletion Use Attempt': 'warn',
  'KMS Imported Key Material Expiration': 'warn',
};

export function initEvents(app) {
  const list = $('#events-list');
  // Events seen earlier (events are not stored by the KMS; the page keeps the last 100).
  let events = [];
  try { events = JSON.parse(localStorage.getItem(KEEP) || '[]').map((e) => ({ ...e, earlier: true })); } catch { events = []; }
  let unseen = 0;

  function render() {
    $('#events-empty').hidden = events.length > 0;
    const badge = $('#tab-events-count');
    badge.textContent = unseen ? String(unseen) : '';
    badge.classList.toggle('alert', unseen > 0);
    fill(list, events.map((e) => {
      const d = e.detail || {};
      const key = e.resources?.[0] || d['key-id'];
      const label = app.keyLabel(key);
      const cls = e.earlier ? 'earlier' : fresh.has(e) ? 'fresh' : '';
      return h('li.event', { class: cls, dataset: { type: e['detail-type'] } },
        h('div.event-head',
          h(`span.badge.${KIND[e['detail-type']] || 'muted'}`, e['detail-type']),
          h('span.small.muted', formatDateTime(e.time)),
          e.earlier ? h('span.small.muted', '· before reload') : null),
        h('div.event-body',
          h('span', 'Key ', h('b', label === key ? shortId(d['key-id'] || key) : label)),
          d['event-name'] ? h('span', ` · ${d.principal || 'someone'} tried `, h('b', d['event-name'])) : null,
          d['deletion-date'] ? h('span.muted', ` · deletion on ${formatDate(d['deletion-date'])}`) : null),
        h('div.mono.tiny.muted.break', `${e.source} · ${e.id}`));
    }));
    fresh.clear();
  }
  const fresh = new Set(); // events that arrived since the last render

  app.kms.on('*', (event) => {
    events.unshift(event);
    fresh.add(event);
    events.length = Math.min(events.length, 100);
    localStorage.setItem(KEEP, JSON.stringify(events.slice(0, 100)));
    if (document.body.dataset.view !== 'events') unseen += 1;
    const d = event.detail || {};
    toast(event['detail-type'].includes('Attempt') ? 'warn' : 'info', event['detail-type'],
      `${app.keyLabel(event.resources?.[0] || d['key-id'])}${d['event-name'] ? `: ${d['event-name']} refused` : ''}`);
    render();
  });
  app.on('view', (name) => { if (name === 'events') { unseen = 0; render(); } });
  app.on('keys', render);

  // Time travel.
  const now = $('#clock-now');
  const paintClock = () => {
    const days = Math.round(app.clock.offset / DAY);
    fill(now, h('b', formatDateTime(app.clock.now())), days ? h('span.muted', ` (real time + ${days} day${days === 1 ? '' : 's'})`) : h('span.muted', ' (real time)'));
  };
  paintClock();
  setInterval(() => { if (document.body.dataset.view === 'events') paintClock(); }, 1000);
  for (const b of document.querySelectorAll('[data-advance-days]')) {
    b.addEventListener('click', (e) => busy(e.currentTarget, async () => {
      const before = events.length;
      app.advanceClock(Number(b.dataset.advanceDays) * DAY);
      paintClock();
      await app.refreshKeys(); // the next calls apply what fell due: rotations, deletions
      const raised = events.length - before;
      toast('info', `Clock moved ${b.dataset.advanceDays} days ahead`, raised ? `${raised} event${raised === 1 ? '' : 's'} raised` : 'Nothing fell due.');
    }, 'Time travel'));
  }
  $('#events-clear').addEventListener('click', () => {
    events = [];
    unseen = 0;
    localStorage.removeItem(KEEP);
    render();
  });
  render();
}
