// In-page helpers for idb-run.mjs (several tabs, reloads, browser restarts).
import { createKms, indexedDbStore } from 'kms-wasm';

const utf8 = (s) => new TextEncoder().encode(s);

/** Makes `keys` keys in the store `name`. */
export async function setup(name, keys) {
  const kms = await createKms({ store: indexedDbStore(name) });
  for (let i = 0; i < keys; i++) await kms.createKey({ Description: `shared ${i}` });
  await kms.close();
}

/**
 * N updates from this tab: even steps create `alias/WHO-i`, odd steps set
 * the tag WHO = i; every tenth step also encrypts (read-only, batched).
 * Returns the time taken and how often every record was read again.
 */
export async function writer(name, who, n) {
  const store = indexedDbStore(name);
  const kms = await createKms({ store });
  // Every full read of the records after the open (the other tab's commits are read from the changes log).
  let reloads = 0;
  const readState = store.readState.bind(store);
  store.readState = () => { reloads += 1; return readState(); };
  const keys = (await kms.listKeys({})).Keys.map((k) => k.KeyId).sort();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const KeyId = keys[i % keys.length];
    if (i % 2 === 0) await kms.createAlias({ AliasName: `alias/${who}-${i}`, TargetKeyId: KeyId });
    else await kms.tagResource({ KeyId, Tags: [{ TagKey: who, TagValue: String(i) }] });
    if (i % 10 === 0) await kms.encrypt({ KeyId, Plaintext: new Uint8Array([i & 255]) });
  }
  await kms.close();
  return { ms: Math.round(performance.now() - t0), reloads };
}

/** What the store holds: aliases (those with a key; not AWS's predefined ones), tags per key (sorted key order), audit counts, chain check. */
export async function inventory(name) {
  const kms = await createKms({ store: indexedDbStore(name) });
  const keys = (await kms.listKeys({})).Keys.map((k) => k.KeyId).sort();
  const aliases = [];
  let Marker;
  do {
    const r = await kms.listAliases({ Limit: 100, Marker });
    aliases.push(...r.Aliases.filter((a) => a.TargetKeyId).map((a) => a.AliasName));
    Marker = r.Truncated ? r.NextMarker : undefined;
  } while (Marker);
  const tags = [];
  for (const KeyId of keys) tags.push(Object.fromEntries((await kms.listResourceTags({ KeyId })).Tags.map((t) => [t.TagKey, t.TagValue])));
  const log = await kms.auditLog();
  const counts = {};
  for (const r of log) counts[r.eventName] = (counts[r.eventName] ?? 0) + 1;
  const verification = await kms.verifyAuditLog();
  await kms.close();
  return { aliases, tags, counts, verification };
}

/** A key and a ciphertext in the store `name`. */
export async function makeKey(name) {
  const kms = await createKms({ store: indexedDbStore(name) });
  const { KeyMetadata } = await kms.createKey({ Description: 'survives restarts' });
  await kms.createAlias({ AliasName: 'alias/restart', TargetKeyId: KeyMetadata.KeyId });
  const { CiphertextBlob } = await kms.encrypt({ KeyId: 'alias/restart', Plaintext: utf8('still here'), EncryptionContext: { app: 'restart' } });
  await kms.close();
  return { keyId: KeyMetadata.KeyId, blob: Array.from(CiphertextBlob) };
}

/** Decrypts `blob` with the store `name`; a new ciphertext too; whether the stored CryptoKey is still non-extractable. */
export async function useKey(name, keyId, blob) {
  const kms = await createKms({ store: indexedDbStore(name) });
  const { Plaintext } = await kms.decrypt({ CiphertextBlob: new Uint8Array(blob), EncryptionContext: { app: 'restart' } });
  const description = (await kms.describeKey({ KeyId: 'alias/restart' })).KeyMetadata.Description;
  const fresh = await kms.encrypt({ KeyId: keyId, Plaintext: utf8('again') });
  const back = new TextDecoder().decode((await kms.decrypt({ CiphertextBlob: fresh.CiphertextBlob })).Plaintext);
  const log = await kms.auditLog();
  const verification = await kms.verifyAuditLog();
  await kms.close();
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open(`kms-wasm/${name}`);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const key = await new Promise((resolve) => {
    const r = db.transaction(['keys']).objectStore('keys').get('root');
    r.onsuccess = () => resolve(r.result);
  });
  db.close();
  let exportRefused = false;
  try {
    await crypto.subtle.exportKey('raw', key);
  } catch {
    exportRefused = true;
  }
  return {
    plaintext: new TextDecoder().decode(Plaintext), description, back, records: log.length, verification,
    extractable: key.extractable, exportRefused,
  };
}

/** Opens the store and counts the other tabs' change notifications (BroadcastChannel). */
let listening = null;
export async function listen(name) {
  const store = indexedDbStore(name);
  const kms = await createKms({ store });
  window.changes = 0;
  store.onExternalChange(() => { window.changes += 1; });
  listening = kms;
}
export async function stopListening() {
  if (listening) await listening.close();
  listening = null;
}
export async function touch(name) {
  const kms = await createKms({ store: indexedDbStore(name) });
  const keys = (await kms.listKeys({})).Keys;
  await kms.tagResource({ KeyId: keys[0].KeyId, Tags: [{ TagKey: 'touched', TagValue: 'yes' }] });
  await kms.close();
}
