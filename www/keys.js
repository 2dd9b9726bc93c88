// Keys view: the key list, creating keys, and one key's lifecycle,
// rotation, deletion, description and tags.
import { $, h, fill, toast, busy, showError, pairEditor, formatDate, formatDateTime, relative, shortId } from './ui.js';

const STATE_CLASS = { Enabled: 'ok', Disabled: 'muted', PendingDeletion: 'danger', PendingImport: 'warn', Unavailable: 'warn' };
const STATE_LABEL = { PendingDeletion: 'Pending deletion', PendingImport: 'Pending import' };

/** All pages of a List operation. */
async function listAll(call, member) {
  const out = [];
  let Marker;
  do {
    const page = await call(Marker ? { Marker } : {});
    out.push(...page[member]);
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker);
  return out;
}

export function stateBadge(state) {
  return h(`span.badge.${STATE_CLASS[state] || 'muted'}`, { dataset: { state } }, STATE_LABEL[state] || state);
}

export function initKeys(app) {
  const { kms } = app;
  const body = $('#keys-body');
  const detail = $('#key-detail');
  let selected = sessionStorage.getItem('kms-wasm-demo.selectedKey') || null;
  let loading = null;

  /** Reads every key with its aliases, rotation status, rotations and tags. */
  async function load() {
    const [keys, aliases] = await Promise.all([
      listAll((r) => kms.listKeys(r), 'Keys'),
      listAll((r) => kms.listAliases(r), 'Aliases'),
    ]);
    const out = [];
    for (const { KeyId } of keys) {
      try {
        const { KeyMetadata: meta } = await kms.describeKey({ KeyId });
        const entry = { meta, aliases: aliases.filter((a) => a.TargetKeyId === meta.KeyId).map((a) => a.AliasName).sort(), rotation: null, rotations: [], tags: [] };
        if (meta.KeyManager === 'CUSTOMER') {
          const [rotation, rotations, tags] = await Promise.all([
            kms.getKeyRotationStatus({ KeyId }).catch(() => null),
            listAll((r) => kms.listKeyRotations({ KeyId, ...r }), 'Rotations').catch(() => []),
            listAll((r) => kms.listResourceTags({ KeyId, ...r }), 'Tags').catch(() => []),
          ]);
          Object.assign(entry, { rotation, rotations, tags });
        }
        out.push(entry);
      } catch (e) {
        if (e.name !== 'NotFoundException') throw e; // deleted meanwhile (another tab, or its window ended)
      }
    }
    out.sort((a, b) => b.meta.CreationDate - a.meta.CreationDate);
    return out;
  }

  let again = false;
  app.refreshKeys = () => {
    if (loading) { again = true; return loading; }
    loading = (async () => {
      try {
        do {
          again = false;
          app.keys = await load();
          render();
          app.emit('keys', app.keys);
        } while (again);
      } catch (e) {
        showError(e, 'Loading keys');
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  app.on('changed', (what) => { if (what !== 'crypto') app.refreshKeys(); });

  function rotationSummary(k) {
    if (!k.rotation) return k.meta.KeyManager === 'AWS' ? 'Yearly (AWS managed)' : '—';
    return k.rotation.KeyRotationEnabled ? `Every ${k.rotation.RotationPeriodInDays} days` : 'Off';
  }

  function render() {
    const now = app.clock.now();
    $('#keys-count').textContent = app.keys.length ? `${app.keys.length} key${app.keys.length === 1 ? '' : 's'}` : '';
    $('#tab-keys-count').textContent = app.keys.length || '';
    $('#keys-empty').hidden = app.keys.length > 0;
    $('#intro').hidden = app.keys.length > 0;
    $('#keys-table').hidden = app.keys.length === 0;
    if (selected && !app.keys.some((k) => k.meta.KeyId === selected)) selected = null;
    if (!selected && app.keys.length) selected = app.keys[0].meta.KeyId;
    fill(body, app.keys.map((k) => {
      const m = k.meta;
      const next = k.rotation?.NextRotationDate;
      const row = h('tr', {
        class: m.KeyId === selected ? 'selected' : '',
        tabindex: '0',
        dataset: { keyId: m.KeyId, alias: k.aliases[0] || '' },
        onclick: () => select(m.KeyId, true),
        onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(m.KeyId, true); } },
      },
      h('td', { dataset: { label: 'Alias' } }, k.aliases.length ? h('span.alias', k.aliases[0]) : h('span.muted', 'no alias'),
        k.aliases.length > 1 ? h('span.muted', ` +${k.aliases.length - 1}`) : null,
        h('div.mono.small.muted', shortId(m.KeyId))),
      h('td.desc', { dataset: { label: 'Description' } }, m.Description || h('span.muted', '—')),
      h('td', { dataset: { label: 'State' } }, stateBadge(m.KeyState),
        m.KeyState === 'PendingDeletion' ? h('div.small.muted', `deleted ${relative(m.DeletionDate, now)}`) : null),
      h('td', { dataset: { label: 'Origin' } }, h('span.small', m.Origin), m.KeyManager === 'AWS' ? h('div.small.muted', 'AWS managed') : null),
      h('td', { dataset: { label: 'Rotation' } }, rotationSummary(k),
        h('div.small.muted', `${k.rotations.length + 1} version${k.rotations.length ? 's' : ''}`)),
      h('td', { dataset: { label: 'Next rotation' } }, next ? formatDate(next) : h('span.muted', '—'),
        next ? h('div.small.muted', relative(next, now)) : null),
      h('td', { dataset: { label: 'Created' } }, formatDate(m.CreationDate)));
      return row;
    }));
    renderDetail();
  }

  function select(keyId, scroll) {
    selected = keyId;
    sessionStorage.setItem('kms-wasm-demo.selectedKey', keyId);
    for (const tr of body.children) tr.classList.toggle('selected', tr.dataset.keyId === keyId);
    renderDetail();
    if (scroll) detail.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  /** Runs a KMS call from a button; on success a toast and a refresh. */
  async function act(button, what, fn) {
    const ok = await busy(button, async () => { await fn(); return true; }, what);
    if (ok) {
      toast('ok', what, null);
      app.changed('keys');
    }
  }

  function renderDetail() {
    const k = app.keys.find((x) => x.meta.KeyId === selected);
    detail.hidden = !k;
    if (!k) return;
    const m = k.meta;
    const id = m.KeyId;
    const now = app.clock.now();
    const customer = m.KeyManager === 'CUSTOMER';
    const pending = m.KeyState === 'PendingDeletion';

    // Lifecycle: enable / disable, schedule / cancel deletion.
    const toggle = h(`button.${m.KeyState === 'Enabled' ? 'secondary' : 'primary'}`, {
      type: 'button',
      disabled: pending || !customer,
      dataset: { action: m.KeyState === 'Enabled' ? 'disable' : 'enable' },
      onclick: (e) => (m.KeyState === 'Enabled'
        ? act(e.currentTarget, 'DisableKey', () => kms.disableKey({ KeyId: id }))
        : act(e.currentTarget, 'EnableKey', () => kms.enableKey({ KeyId: id }))),
    }, m.KeyState === 'Enabled' ? 'Disable key' : 'Enable key');

    let deletion;
    if (pending) {
      deletion = h('div.stack',
        h('p.notice.danger', `Deletion scheduled for ${formatDateTime(m.DeletionDate)} (${relative(m.DeletionDate, now)}). `,
          'Until then the key cannot be used; every attempt raises a "KMS CMK Pending Deletion Use Attempt" event.'),
        h('button.primary', { type: 'button', dataset: { action: 'cancel-deletion' }, onclick: (e) => act(e.currentTarget, 'CancelKeyDeletion', () => kms.cancelKeyDeletion({ KeyId: id })) },
          'Cancel deletion'),
        h('p.small.muted', 'A cancelled key comes back Disabled, as in AWS.'));
    } else {
      const days = h('input#deletion-days', { type: 'number', min: '7', max: '30', value: '30', inputmode: 'numeric', 'aria-label': 'Waiting period in days' });
      const confirmRow = h('div.confirm-row', { hidden: true },
        h('span.small', 'Really? After the waiting period the key and everything it encrypted are gone for good.'),
        h('button.danger', { type: 'button', dataset: { action: 'confirm-deletion' },
          onclick: (e) => act(e.currentTarget, 'ScheduleKeyDeletion', () => kms.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: Number(days.value) })) },
        'Yes, schedule deletion'),
        h('button.ghost', { type: 'button', onclick: () => { confirmRow.hidden = true; } }, 'Keep the key'));
      deletion = h('div.stack',
        h('div.inline-form',
          h('label.small', { for: 'deletion-days' }, 'Waiting period'), days, h('span.small.muted', 'days (7–30)'),
          h('button.danger-outline', { type: 'button', disabled: !customer, dataset: { action: 'schedule-deletion' }, onclick: () => { confirmRow.hidden = false; } }, 'Schedule deletion')),
        confirmRow);
    }

    // Rotation.
    const rot = k.rotation;
    const period = h('input#rotation-period', { type: 'number', min: '90', max: '2560', value: String(rot?.RotationPeriodInDays || 365), inputmode: 'numeric', 'aria-label': 'Rotation period in days' });
    const versions = [
      { v: 1, date: m.CreationDate, type: m.Origin === 'EXTERNAL' ? 'IMPORTED' : 'ORIGINAL', id: null },
      ...k.rotations.map((r, i) => ({ v: i + 2, date: r.RotationDate, type: r.RotationType, id: r.KeyMaterialId })),
    ];
    const rotation = h('div.stack',
      h('div.kv',
        h('span', 'Automatic rotation'), h('strong', { dataset: { role: 'rotation-status' } }, rot ? (rot.KeyRotationEnabled ? `on, every ${rot.RotationPeriodInDays} days` : 'off') : '—'),
        h('span', 'Next rotation'), h('strong', { dataset: { role: 'next-rotation' } }, rot?.NextRotationDate ? `${formatDate(rot.NextRotationDate)} (${relative(rot.NextRotationDate, now)})` : '—')),
      h('div.inline-form',
        h('label.small', { for: 'rotation-period' }, 'Period'), period, h('span.small.muted', 'days (90–2560)'),
        h('button.secondary', { type: 'button', disabled: !customer, dataset: { action: 'enable-rotation' },
          onclick: (e) => act(e.currentTarget, 'EnableKeyRotation', () => kms.enableKeyRotation({ KeyId: id, RotationPeriodInDays: Number(period.value) })) },
        rot?.KeyRotationEnabled ? 'Update period' : 'Enable automatic rotation'),
        rot?.KeyRotationEnabled ? h('button.ghost', { type: 'button', dataset: { action: 'disable-rotation' },
          onclick: (e) => act(e.currentTarget, 'DisableKeyRotation', () => kms.disableKeyRotation({ KeyId: id })) }, 'Turn off') : null),
      h('div.inline-form',
        h('button.primary', { type: 'button', disabled: !customer, dataset: { action: 'rotate' },
          onclick: (e) => act(e.currentTarget, 'RotateKeyOnDemand', () => kms.rotateKeyOnDemand({ KeyId: id })) }, 'Rotate now'),
        h('span.small.muted', 'New material for new data; every older version is kept, so old ciphertexts still decrypt.')),
      h('h4', `Versions of the key material (${versions.length})`),
      h('ol.versions', { dataset: { role: 'versions' } }, versions.slice().reverse().map((x) => h('li', { class: x.v === versions.length ? 'current' : '' },
        h('span.version', `v${x.v}`),
        h('span.version-text',
          h('span.small', x.type === 'ORIGINAL' ? 'original material' : x.type === 'ON_DEMAND' ? 'rotated on demand' : x.type === 'AUTOMATIC' ? 'rotated automatically' : x.type.toLowerCase()),
          h('span.tiny.muted', formatDateTime(x.date))),
        x.v === versions.length ? h('span.badge.accent', 'current') : null))));

    // Description and tags.
    const desc = h('textarea#key-description', { rows: '2', maxlength: '8192', 'aria-label': 'Description' });
    desc.value = m.Description || '';
    const tags = pairEditor({ keyLabel: 'Tag key', valueLabel: 'Tag value', addLabel: 'Add a tag', pairs: k.tags.map((t) => [t.TagKey, t.TagValue]), name: 'tag' });
    const saveTags = async (button) => {
      const want = new Map();
      for (const [key, value] of tags.get()) {
        if (want.has(key)) { showError(Object.assign(new Error(`The tag key '${key}' appears twice.`), { name: 'TagException' }), 'Tags'); return; }
        want.set(key, value);
      }
      const have = new Map(k.tags.map((t) => [t.TagKey, t.TagValue]));
      const remove = [...have.keys()].filter((key) => !want.has(key));
      const put = [...want].filter(([key, value]) => have.get(key) !== value).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
      if (!remove.length && !put.length) { toast('info', 'Tags unchanged', null); return; }
      await act(button, 'Tags saved', async () => {
        if (put.length) await kms.tagResource({ KeyId: id, Tags: put });
        if (remove.length) await kms.untagResource({ KeyId: id, TagKeys: remove });
      });
    };

    fill(detail,
      h('div.detail-head',
        h('div',
          h('h2', { dataset: { role: 'detail-title' } }, k.aliases[0] || 'Key without alias', ' ', stateBadge(m.KeyState)),
          h('div.mono.small.arn', { title: 'Key ARN' }, m.Arn),
          k.aliases.length > 1 ? h('div.small.muted', `Also: ${k.aliases.slice(1).join(', ')}`) : null),
        h('div.detail-meta.small.muted',
          h('div', `Created ${formatDateTime(m.CreationDate)}`),
          h('div', `${m.KeySpec} · ${m.KeyUsage} · ${m.Origin} · ${m.KeyManager}`))),
      h('div.detail-grid',
        h('section.panel', h('h3', 'Lifecycle'),
          h('div.stack',
            h('div.inline-form', toggle, h('span.small.muted', m.KeyState === 'Enabled'
              ? 'A disabled key refuses every cryptographic operation (DisabledException).'
              : m.KeyState === 'Disabled' ? 'Enable it to encrypt and decrypt again.' : '')),
            h('h4', 'Deletion'), deletion)),
        h('section.panel', h('h3', 'Rotation'), rotation),
        h('section.panel', h('h3', 'Description and tags'),
          h('div.stack',
            desc,
            h('div', h('button.secondary', { type: 'button', disabled: pending || !customer, dataset: { action: 'save-description' },
              onclick: (e) => act(e.currentTarget, 'UpdateKeyDescription', () => kms.updateKeyDescription({ KeyId: id, Description: desc.value })) }, 'Save description')),
            h('h4', 'Tags'),
            tags.el,
            h('div', h('button.secondary', { type: 'button', disabled: pending || !customer, dataset: { action: 'save-tags' }, onclick: (e) => saveTags(e.currentTarget) }, 'Save tags'))))));
  }

  // Create a key (and its alias).
  const form = $('#create-key-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $('button[type=submit]', form);
    const raw = $('#new-alias').value.trim().replace(/^alias\//, '');
    const description = $('#new-description').value.trim();
    const aliasName = raw ? `alias/${raw}` : null;
    if (aliasName && app.keys.some((k) => k.aliases.includes(aliasName))) {
      showError(Object.assign(new Error(`An alias with the name ${aliasName} already exists.`), { name: 'AlreadyExistsException' }), 'CreateAlias');
      return;
    }
    const made = await busy(button, async () => {
      const { KeyMetadata } = await kms.createKey({ Description: description });
      try {
        if (aliasName) await kms.createAlias({ AliasName: aliasName, TargetKeyId: KeyMetadata.KeyId });
      } catch (err) {
        showError(err, 'The key was created, but not its alias');
      }
      return KeyMetadata;
    }, 'CreateKey');
    if (made) {
      toast('ok', 'Key created', aliasName || made.KeyId);
      form.reset();
      select(made.KeyId, false);
      app.changed('keys');
    }
  });
  $('#keys-refresh').addEventListener('click', (e) => busy(e.currentTarget, () => app.refreshKeys()));
}
