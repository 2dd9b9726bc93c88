// Audit view: kms.auditLog() as a filterable table (who, what, which key,
// when, error), and the hash chain check.
import { $, h, fill, busy, showError, formatDateTime, shortId, keyIdOfArn } from './ui.js';

const MAX_ROWS = 500;
const PAGE_READS = /^(Describe|List|Get)/;

export function initAudit(app) {
  const { kms } = app;
  const body = $('#audit-body');
  const search = $('#audit-search');
  const eventSel = $('#audit-event');
  const keySel = $('#audit-key');
  const errorsOnly = $('#audit-errors');
  const hideReads = $('#audit-hide-reads');
  let records = [];
  let stale = true;
  let timer = 0;

  const keyOf = (r) => r.resources?.[0]?.ARN || r.requestParameters?.keyId || r.serviceEventDetails?.keyId || null;
  const who = (r) => r.userIdentity?.arn || (r.userIdentity?.invokedBy ? `${r.userIdentity.invokedBy} (service)` : r.userIdentity?.type || '—');
  const keyText = (r) => {
    const k = keyOf(r);
    if (!k) return '';
    const label = app.keyLabel(k);
    return label === k ? shortId(keyIdOfArn(k)) : label;
  };

  async function load() {
    records = await kms.auditLog();
    stale = false;
    $('#tab-audit-count').textContent = records.length ? String(records.length) : '';
    renderFilters();
    render();
  }

  function renderFilters() {
    const names = [...new Set(records.map((r) => r.eventName))].sort();
    const ev = eventSel.value;
    fill(eventSel, h('option', { value: '' }, 'All operations'), names.map((n) => h('option', { value: n }, n)));
    if (names.includes(ev)) eventSel.value = ev;
    const keys = [...new Set(records.map(keyOf).filter(Boolean))];
    const kv = keySel.value;
    const labelled = keys.map((k) => [k, app.keyLabel(k) === k ? shortId(keyIdOfArn(k)) : app.keyLabel(k)]).sort((a, b) => a[1].localeCompare(b[1]));
    fill(keySel, h('option', { value: '' }, 'All keys'), labelled.map(([k, label]) => h('option', { value: k }, label)));
    if (keys.includes(kv)) keySel.value = kv;
  }

  function render() {
    const q = search.value.trim().toLowerCase();
    const ev = eventSel.value;
    const key = keySel.value;
    const rows = [];
    let matched = 0;
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      if (ev && r.eventName !== ev) continue;
      if (key && keyOf(r) !== key) continue;
      if (errorsOnly.checked && !r.errorCode) continue;
      if (hideReads.checked && !ev && PAGE_READS.test(r.eventName) && !r.errorCode) continue;
      if (q) {
        const hay = `${who(r)} ${r.eventName} ${keyOf(r) || ''} ${keyText(r)} ${r.errorCode || ''} ${r.errorMessage || ''} ${JSON.stringify(r.requestParameters?.encryptionContext || '')}`.toLowerCase();
        if (!hay.includes(q)) continue;
      }
      matched += 1;
      if (rows.length < MAX_ROWS) rows.push(r);
    }
    $('#audit-summary').textContent = `Showing ${rows.length}${matched > rows.length ? ` (newest) of ${matched} matching` : ''} of ${records.length} records`;
    $('#audit-empty').hidden = rows.length > 0;
    fill(body, rows.map((r) => {
      const ctx = r.requestParameters?.encryptionContext;
      return h('tr', { class: r.errorCode ? 'error-row' : '', dataset: { event: r.eventName, error: r.errorCode || '' } },
        h('td.nowrap', { dataset: { label: 'When' } }, formatDateTime(r.eventTime)),
        h('td', { dataset: { label: 'Who' } }, h('span.mono.small', who(r))),
        h('td', { dataset: { label: 'What' } }, h('b', r.eventName),
          r.eventType === 'AwsServiceEvent' ? h('span.badge.accent.small-badge', 'service event') : null,
          ctx && Object.keys(ctx).length ? h('div.tiny.muted', Object.entries(ctx).map(([k, v]) => `${k}=${v}`).join(', ')) : null),
        h('td', { dataset: { label: 'Key' } }, keyText(r) || h('span.muted', '—')),
        h('td', { dataset: { label: 'Result' } }, r.errorCode
          ? h('div', h('span.badge.danger', r.errorCode), h('div.small.muted.break', r.errorMessage || ''))
          : h('span.badge.ok', 'OK')));
    }));
  }

  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => load().catch((e) => { stale = true; showError(e, 'Audit log'); }), document.body.dataset.view === 'audit' ? 100 : 400);
  };
  // Every change writes records: reload them (debounced), also to keep the tab's count current.
  app.on('changed', () => { stale = true; refresh(); });
  app.on('keys', () => { if (!stale) render(); });
  // Shown: always read the log again (calls made since the last load, e.g. by time travel, are in it).
  app.on('view', (name) => { if (name === 'audit') refresh(); });
  for (const el of [eventSel, keySel, errorsOnly, hideReads]) el.addEventListener('change', render);
  search.addEventListener('input', render);
  $('#audit-refresh').addEventListener('click', (e) => busy(e.currentTarget, load, 'Audit log'));
  $('#audit-verify').addEventListener('click', (e) => busy(e.currentTarget, async () => {
    const v = await kms.verifyAuditLog();
    const badge = $('#audit-chain');
    badge.hidden = false;
    badge.className = `badge ${v.valid ? 'ok' : 'danger'}`;
    badge.textContent = v.valid ? `Hash chain intact (${records.length} records)` : `Chain broken at record ${v.firstInvalidIndex}`;
  }, 'VerifyAuditLog'));

  load().catch(() => { stale = true; });
}
