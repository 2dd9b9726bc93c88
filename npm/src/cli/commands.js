// The commands of the kms-wasm command line. Each gets the parsed command
// line and an `io` ({ stdout, stderr, stdin, env }) and returns the exit
// status; failures throw (main.js turns them into one line on stderr).

import { fstatSync, unlinkSync } from 'node:fs';
import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createKms, fileStore, kmsKeyring, encryptStream, decryptStream } from '../node.js';
import { KmsError } from '../errors.js';
import { UsageError, aliasName, integer, pairs, time } from './args.js';
import { Progress, fields, isoTime, table, toJson, writeOut } from './output.js';

/** Bytes read from the input at a time. */
const CHUNK = 1 << 20;
/** encrypt-file's default frame length: 64 KiB frames are much faster than the ESDK's 4096. */
const DEFAULT_FRAME_LENGTH = 65536;

/** The store directory: --store, $KMS_WASM_STORE, ~/.kms-wasm/store. */
export function storePath(values, env) {
  const p = values.store ?? (env.KMS_WASM_STORE || join(homedir(), '.kms-wasm', 'store'));
  return resolve(p);
}

/** The store the command line names (not opened yet). */
function makeStore(cmd, values, env) {
  const options = {};
  if (values['passphrase-env'] !== undefined) {
    if (values['key-file'] !== undefined) throw new UsageError('give --passphrase-env or --key-file, not both', cmd);
    const name = values['passphrase-env'];
    const passphrase = env[name];
    if (passphrase === undefined || passphrase === '') throw new UsageError(`--passphrase-env ${name}: the environment variable ${name} is not set`, cmd);
    options.passphrase = passphrase;
  }
  if (values['key-file'] !== undefined) options.keyFile = resolve(values['key-file']);
  for (const [flag, option, min] of [['audit-segment-bytes', 'auditSegmentBytes', 4096], ['audit-segments', 'auditSegments', 0]]) {
    if (values[flag] === undefined) continue;
    const n = Number(values[flag]);
    if (!/^\d+$/.test(values[flag]) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} takes a whole number, at least ${min} (got '${values[flag]}')`, cmd);
    options[option] = n;
  }
  const path = storePath(values, env);
  return { store: fileStore(path, options), path };
}

/** The largest page of each List operation (AWS's limits). */
const PAGE = { Keys: 1000, Aliases: 100, Tags: 50, Rotations: 1000 };

/** Every page of a List operation. */
async function all(list, request, member) {
  const out = [];
  let Marker;
  do {
    const r = await list({ ...request, Limit: PAGE[member], ...(Marker ? { Marker } : {}) });
    out.push(...r[member]);
    Marker = r.Truncated ? r.NextMarker : undefined;
  } while (Marker);
  return out;
}

/**
 * The key id of KEY in any form: the operations that take only a key id or
 * key ARN in AWS (EnableKey, RotateKeyOnDemand...) accept aliases here.
 */
async function keyIdOf(kms, key) {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key) || /^arn:[^:]+:kms:[^:]*:[^:]*:key\//.test(key)) return key;
  return (await kms.describeKey({ KeyId: key })).KeyMetadata.KeyId;
}

/** The result of a call that may fail for reasons that do not matter here (a key pending deletion...). */
async function maybe(call) {
  try {
    return await call();
  } catch (e) {
    if (e instanceof KmsError) return undefined;
    throw e;
  }
}

/** Everything describe-key shows about a key. */
async function keyDetails(kms, keyId) {
  const { KeyMetadata: m } = await kms.describeKey({ KeyId: keyId });
  const aliases = await all(kms.listAliases.bind(kms), { KeyId: m.KeyId }, 'Aliases');
  const tags = await maybe(() => all(kms.listResourceTags.bind(kms), { KeyId: m.KeyId }, 'Tags'));
  const rotation = await maybe(() => kms.getKeyRotationStatus({ KeyId: m.KeyId }));
  const rotations = await maybe(() => all(kms.listKeyRotations.bind(kms), { KeyId: m.KeyId }, 'Rotations'));
  return { m, aliases: aliases.map((a) => a.AliasName), tags, rotation, rotations };
}

function keyJson({ m, aliases, tags, rotation, rotations }) {
  const out = { KeyMetadata: m, Aliases: aliases };
  if (tags) out.Tags = tags;
  if (rotation) {
    const { KeyId, ...rest } = rotation;
    out.RotationStatus = rest;
  }
  if (rotations) out.Rotations = rotations;
  return out;
}

function rotationText(rotation) {
  if (!rotation) return undefined;
  if (!rotation.KeyRotationEnabled) return 'automatic rotation off';
  return `automatic every ${rotation.RotationPeriodInDays} days, next ${isoTime(rotation.NextRotationDate)}`;
}

function keyText({ m, aliases, tags, rotation, rotations }) {
  const last = rotations && rotations.length ? rotations[rotations.length - 1] : undefined;
  return fields([
    ['KeyId', m.KeyId],
    ['Arn', m.Arn],
    ['Description', m.Description || '-'],
    ['State', m.KeyState],
    ['Created', isoTime(m.CreationDate)],
    ['DeletionDate', m.DeletionDate ? `${isoTime(m.DeletionDate)} (${m.PendingDeletionWindowInDays}-day window)` : undefined],
    ['Aliases', aliases.length ? aliases.join(', ') : '-'],
    ['Tags', tags ? (tags.length ? tags.map((t) => `${t.TagKey}=${t.TagValue}`).join(', ') : '-') : undefined],
    ['KeySpec', m.KeySpec],
    ['KeyUsage', m.KeyUsage],
    ['Origin', m.Origin],
    ['KeyManager', m.KeyManager],
    ['Rotation', rotationText(rotation)],
    ['Rotations', rotations ? (last ? `${rotations.length} (last ${isoTime(last.RotationDate)}, ${last.RotationType.toLowerCase().replace('_', '-')})` : '0') : undefined],
    ['ValidTo', m.ValidTo ? isoTime(m.ValidTo) : undefined],
  ]);
}

const print = (io, text) => writeOut(io.stdout, text.endsWith('\n') ? text : `${text}\n`);

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

async function createKey({ kms }, { values }, io, { tags, alias }) {
  if (alias !== undefined) {
    // The common mistake, before a key is made for nothing.
    const taken = (await all(kms.listAliases.bind(kms), {}, 'Aliases')).find((a) => a.AliasName === alias);
    if (taken) throw new KmsError('AlreadyExistsException', `An alias with the name ${alias} already exists (it points at ${taken.TargetKeyId}); no key was created.`);
  }
  const request = {};
  if (values.description !== undefined) request.Description = values.description;
  if (Object.keys(tags).length) request.Tags = Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
  const { KeyMetadata } = await kms.createKey(request);
  if (alias !== undefined) {
    try {
      await kms.createAlias({ AliasName: alias, TargetKeyId: KeyMetadata.KeyId });
    } catch (e) {
      if (e instanceof KmsError) e.message = `${e.message} (key ${KeyMetadata.KeyId} was created without the alias)`;
      throw e;
    }
  }
  const details = await keyDetails(kms, KeyMetadata.KeyId);
  await print(io, values.json ? toJson(keyJson(details)) : keyText(details));
  return 0;
}

/** Beyond this many keys, list-keys shows ids and aliases only unless --details is given. */
export const LIST_DETAILS_UP_TO = 1000;

async function listKeys({ kms }, { values }, io) {
  if (values.details && values['no-details']) throw new UsageError('give --details or --no-details, not both', 'list-keys');
  const keys = await all(kms.listKeys.bind(kms), {}, 'Keys');
  const details = values.details || (!values['no-details'] && keys.length <= LIST_DETAILS_UP_TO);
  const aliases = await all(kms.listAliases.bind(kms), {}, 'Aliases');
  const byKey = new Map();
  for (const a of aliases) {
    if (!a.TargetKeyId) continue;
    if (!byKey.has(a.TargetKeyId)) byKey.set(a.TargetKeyId, []);
    byKey.get(a.TargetKeyId).push(a.AliasName);
  }
  const rows = [];
  for (const k of keys) {
    const d = details ? await maybe(() => kms.describeKey({ KeyId: k.KeyId })) : undefined;
    const m = d ? d.KeyMetadata : undefined;
    rows.push({
      KeyId: k.KeyId,
      KeyArn: k.KeyArn,
      KeyState: m?.KeyState,
      Description: m?.Description,
      CreationDate: m?.CreationDate,
      KeyManager: m?.KeyManager,
      DeletionDate: m?.DeletionDate,
      Aliases: byKey.get(k.KeyId) ?? [],
    });
  }
  if (!details) {
    // Ids and aliases, in ListKeys's order (key id).
    const slim = rows.map(({ KeyId, KeyArn, Aliases }) => ({ KeyId, KeyArn, Aliases }));
    if (values.json) await print(io, toJson({ Keys: slim }));
    else {
      await print(io, table(['KEY ID', 'ALIASES'], slim.map((r) => [r.KeyId, r.Aliases.join(',') || '-'])));
      if (!values['no-details']) io.stderr.write(`${keys.length} keys: ids and aliases only (more than ${LIST_DETAILS_UP_TO}); --details adds state, creation date and description (one DescribeKey per key).\n`);
    }
    return 0;
  }
  rows.sort((a, b) => (a.CreationDate?.getTime() ?? 0) - (b.CreationDate?.getTime() ?? 0));
  if (values.json) {
    await print(io, toJson({ Keys: rows }));
  } else if (rows.length === 0) {
    await print(io, 'No keys.');
  } else {
    await print(io, table(['KEY ID', 'STATE', 'ALIASES', 'CREATED', 'DESCRIPTION'],
      rows.map((r) => [r.KeyId, r.KeyState ?? '?', r.Aliases.join(',') || '-', isoTime(r.CreationDate), r.Description || '-'])));
  }
  return 0;
}

async function describeKey({ kms }, { values, positionals }, io) {
  const details = await keyDetails(kms, positionals[0]);
  await print(io, values.json ? toJson(keyJson(details)) : keyText(details));
  return 0;
}

async function createAlias({ kms }, { positionals }, io) {
  const [alias, key] = positionals;
  const name = aliasName(alias);
  await kms.createAlias({ AliasName: name, TargetKeyId: await keyIdOf(kms, key) });
  await print(io, `Created ${name} -> ${key}`);
  return 0;
}

async function enableKey({ kms }, { positionals }, io) {
  await kms.enableKey({ KeyId: await keyIdOf(kms, positionals[0]) });
  await print(io, `Enabled ${positionals[0]}`);
  return 0;
}

async function disableKey({ kms }, { positionals }, io) {
  await kms.disableKey({ KeyId: await keyIdOf(kms, positionals[0]) });
  await print(io, `Disabled ${positionals[0]}`);
  return 0;
}

async function rotate({ kms }, { values, positionals }, io, { period }) {
  const KeyId = await keyIdOf(kms, positionals[0]);
  let did;
  if (values['enable-automatic']) {
    await kms.enableKeyRotation({ KeyId, ...(period !== undefined ? { RotationPeriodInDays: period } : {}) });
    did = 'Automatic rotation enabled';
  } else if (values['disable-automatic']) {
    await kms.disableKeyRotation({ KeyId });
    did = 'Automatic rotation disabled';
  } else {
    await kms.rotateKeyOnDemand({ KeyId });
    did = 'Rotated on demand';
  }
  const status = await kms.getKeyRotationStatus({ KeyId });
  const rotations = await all(kms.listKeyRotations.bind(kms), { KeyId }, 'Rotations');
  if (values.json) {
    await print(io, toJson({ ...status, Rotations: rotations }));
  } else {
    await print(io, `${did}: ${status.KeyId}\n${fields([
      ['Rotation', rotationText(status)],
      ['Rotations', String(rotations.length)],
    ])}`);
  }
  return 0;
}

async function scheduleDeletion({ kms }, { values, positionals }, io, { days }) {
  const r = await kms.scheduleKeyDeletion({ KeyId: await keyIdOf(kms, positionals[0]), ...(days !== undefined ? { PendingWindowInDays: days } : {}) });
  await print(io, values.json ? toJson(r)
    : `${r.KeyId} is ${r.KeyState}; it will be deleted on ${isoTime(r.DeletionDate)} (in ${r.PendingWindowInDays} days) unless cancel-deletion stops it.`);
  return 0;
}

async function cancelDeletion({ kms }, { values, positionals }, io) {
  const r = await kms.cancelKeyDeletion({ KeyId: await keyIdOf(kms, positionals[0]) });
  await print(io, values.json ? toJson({ ...r, KeyState: 'Disabled' })
    : `Deletion of ${r.KeyId} cancelled; the key is Disabled (enable it with: kms-wasm enable-key ${positionals[0]}).`);
  return 0;
}

// ---------------------------------------------------------------------------
// Files: encrypt-file / decrypt-file
// ---------------------------------------------------------------------------

/** The input: a file (opened before anything is written) or stdin; its size when known. */
async function openInput(path, io) {
  if (path === '-') {
    let size = null;
    try {
      const st = fstatSync(0);
      if (st.isFile()) size = st.size;
    } catch {
      // no fd 0
    }
    return { stream: io.stdin, size, close: async () => {} };
  }
  const fh = await open(path, 'r');
  const st = await fh.stat();
  if (st.isDirectory()) {
    await fh.close();
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
  }
  const stream = fh.createReadStream({ highWaterMark: CHUNK, autoClose: false });
  return { stream, size: st.isFile() ? st.size : null, close: () => fh.close() };
}

/**
 * The output: stdout, or a temporary file beside OUT renamed over it on
 * success and removed on failure (and on Ctrl-C).
 */
async function openOutput(path, mode, io) {
  if (path === '-') {
    return {
      write: (bytes) => writeOut(io.stdout, bytes),
      commit: async () => {},
      discard: async () => {},
    };
  }
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.kms-wasm-tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx', mode);
  } catch (e) {
    // Name OUT, not the temporary file.
    const reason = String(e.message).replace(/^[A-Z]+: /, '').replace(/, open '.*'$/, '');
    throw Object.assign(new Error(`${e.code}: cannot write ${path}: ${reason}`), { code: e.code, syscall: e.syscall });
  }
  let closed = false;
  const closeFh = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  const onSignal = (signal) => {
    try {
      unlinkSync(tmp);
    } catch {
      // gone already
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const unhook = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return {
    async write(bytes) {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
    },
    async commit() {
      await fh.sync();
      await closeFh();
      await rename(tmp, target);
      unhook();
    },
    async discard() {
      await closeFh().catch(() => {});
      await unlink(tmp).catch(() => {});
      unhook();
    },
  };
}

/**
 * Input → transform → output with backpressure: one chunk in flight, so
 * memory stays constant whatever the size.
 * @param {AsyncIterable<Uint8Array>} input
 * @param {TransformStream<Uint8Array, Uint8Array>} transform
 * @param {(bytes: Uint8Array) => Promise<void>} write
 * @param {(n: number) => void} onInput
 */
async function pump(input, transform, write, onInput) {
  const writer = transform.writable.getWriter();
  const reader = transform.readable.getReader();
  let outputError;
  const feed = (async () => {
    try {
      for await (const chunk of input) {
        await writer.write(chunk);
        onInput(chunk.length);
      }
      await writer.close();
    } catch (e) {
      writer.abort(e).catch(() => {});
      throw e;
    }
  })();
  const drain = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        try {
          await write(value);
        } catch (e) {
          outputError = e;
          throw e;
        }
      }
    } catch (e) {
      reader.cancel(e).catch(() => {});
      throw e;
    }
  })();
  const [fed, drained] = await Promise.allSettled([feed, drain]);
  if (outputError) throw outputError;
  if (fed.status === 'rejected') throw fed.reason;
  if (drained.status === 'rejected') throw drained.reason;
}

function wantsProgress(values, io) {
  if (values['no-progress']) return false;
  return Boolean(values.progress || io.stderr.isTTY);
}

/** Runs one file through an envelope stream. */
async function transformFile({ inPath, outPath, mode, transform, label, values, io }) {
  const input = await openInput(inPath, io);
  let output;
  let progress;
  try {
    output = await openOutput(outPath, mode, io);
    if (wantsProgress(values, io)) progress = new Progress(io.stderr, { label, total: input.size });
    await pump(input.stream, transform, (bytes) => output.write(bytes), (n) => progress?.add(n));
    await output.commit();
    progress?.finish(true);
  } catch (e) {
    progress?.finish(false);
    if (output) await output.discard();
    throw e;
  } finally {
    await input.close();
  }
}

/**
 * A keyring for decryption that needs no key named up front: the KMS
 * keyring over the 'aws-kms' encrypted data keys of the message (those in
 * `only`, when given).
 */
function discoveryKeyring(kms, only) {
  const fromUtf8 = new TextDecoder();
  return {
    async onEncrypt() {
      throw new KmsError('ValidationException', 'The discovery keyring only decrypts.');
    },
    async onDecrypt(input) {
      const arns = [...new Set(input.encryptedDataKeys
        .filter((e) => e.providerId === 'aws-kms')
        .map((e) => fromUtf8.decode(e.providerInfo)))];
      const keyIds = only ? arns.filter((a) => only.includes(a)) : arns;
      if (keyIds.length === 0) return null;
      return kmsKeyring({ client: kms, keyIds }).onDecrypt(input);
    },
  };
}

async function encryptFile({ kms }, { values, positionals }, io, { encryptionContext, frameLength }) {
  const [key, inPath, outPath] = positionals;
  const transform = encryptStream({
    keyring: kmsKeyring({ client: kms, generatorKeyId: key }),
    encryptionContext,
    frameLength,
    ...(values.signed ? { algorithmSuite: 0x0578 } : {}),
  });
  // The data key comes first: a key that cannot encrypt fails before any file is touched.
  await transform.messageHeader;
  await transformFile({ inPath, outPath, mode: 0o666, transform, label: 'encrypt', values, io });
  return 0;
}

async function decryptFile({ kms }, { values, positionals }, io, { requiredEncryptionContext }) {
  const [inPath, outPath] = positionals;
  let only;
  if (values.key) {
    only = [];
    for (const k of values.key) only.push((await kms.describeKey({ KeyId: k })).KeyMetadata.Arn);
  }
  const transform = decryptStream({ keyring: discoveryKeyring(kms, only), requiredEncryptionContext });
  await transformFile({ inPath, outPath, mode: 0o600, transform, label: 'decrypt', values, io });
  return 0;
}

// ---------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------

function keyOfRecord(r) {
  const arn = r.resources?.[0]?.ARN ?? r.requestParameters?.keyId;
  if (!arn) return '-';
  const m = /:key\/(.+)$/.exec(arn);
  return m ? m[1] : arn;
}

function callerOfRecord(r) {
  const u = r.userIdentity ?? {};
  if (u.invokedBy && !u.arn) return u.invokedBy;
  return u.arn ?? u.type ?? '-';
}

async function audit({ kms }, { values }, io, { since, until }) {
  if (values.verify) {
    const r = await kms.verifyAuditLog();
    const count = (await kms.auditLog()).length;
    if (values.json) await print(io, toJson({ ...r, records: count }, 0));
    if (!r.valid) {
      throw new KmsError('AuditLogAlteredException', `The audit log's hash chain breaks at record ${r.firstInvalidIndex} of ${count}: a record was edited, removed or reordered.`);
    }
    if (!values.json) await print(io, `The audit log is intact: ${count} records, hash chain verified.`);
    return 0;
  }
  const filter = {};
  if (values.key !== undefined) filter.KeyId = values.key;
  if (since) filter.StartTime = since;
  if (until) filter.EndTime = until;
  const records = await kms.auditLog(filter);
  if (values.json) {
    for (let i = 0; i < records.length; i += 500) {
      await writeOut(io.stdout, `${records.slice(i, i + 500).map((r) => JSON.stringify(r)).join('\n')}\n`);
    }
    return 0;
  }
  if (records.length === 0) {
    await print(io, 'No audit records.');
    return 0;
  }
  await print(io, table(['TIME', 'EVENT', 'CALLER', 'KEY', 'RESULT'],
    records.map((r) => [isoTime(r.eventTime), r.eventName, callerOfRecord(r), keyOfRecord(r), r.errorCode ?? 'OK'])));
  return 0;
}

// ---------------------------------------------------------------------------
// Backup and restore
// ---------------------------------------------------------------------------

async function backupPassphrase({ values, command }, env) {
  let passphrase;
  if (values['passphrase-file'] !== undefined) {
    const text = await readFile(values['passphrase-file'], 'utf8');
    passphrase = text.split(/\r?\n/)[0];
    if (!passphrase) throw new UsageError(`the passphrase file ${values['passphrase-file']} is empty`, command);
  } else if (env.KMS_WASM_BACKUP_PASSPHRASE) {
    passphrase = env.KMS_WASM_BACKUP_PASSPHRASE;
  } else {
    throw new UsageError('give the passphrase with --passphrase-file FILE or in $KMS_WASM_BACKUP_PASSPHRASE', command);
  }
  return passphrase;
}

async function readAll(stream) {
  const parts = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

async function backup({ kms }, { positionals }, io, { passphrase }) {
  const bytes = await kms.exportBackup({ passphrase });
  const out = positionals[0];
  if (out === '-') {
    await writeOut(io.stdout, bytes);
  } else {
    const target = resolve(out);
    const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.kms-wasm-tmp`);
    try {
      await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
      await rename(tmp, target);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    io.stderr.write(`kms-wasm: backup of ${bytes.length} bytes written to ${out}\n`);
  }
  return 0;
}

async function restore({ kms, path }, { positionals }, io, { passphrase }) {
  const src = positionals[0];
  const bytes = src === '-' ? await readAll(io.stdin) : await readFile(src);
  await kms.restoreBackup(bytes, { passphrase });
  const keys = await all(kms.listKeys.bind(kms), {}, 'Keys');
  await print(io, `Restored ${keys.length} key${keys.length === 1 ? '' : 's'} into ${path}`);
  return 0;
}

// ---------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------

/** The serve limits given on the command line (startServer's `limits`; absent ones keep their defaults). */
function serveLimits(values, command) {
  const size = (name) => {
    const v = values[name];
    if (v === undefined) return undefined;
    const m = /^(\d+)\s*(|b|k|kib|m|mib)$/i.exec(v);
    const n = m ? Number(m[1]) * { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 * 1024, mib: 1024 * 1024 }[m[2].toLowerCase()] : NaN;
    if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} needs a size in bytes (or with KiB / MiB), got '${v}'`, command);
    return n;
  };
  const seconds = (name) => {
    const v = values[name];
    if (v === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw new UsageError(`--${name} needs a number of seconds above 0, got '${v}'`, command);
    return Math.max(1, Math.round(Number(v) * 1000));
  };
  const limits = {
    maxConnections: integer(values['max-connections'], 'max-connections', command),
    maxInFlightBytes: size('max-inflight-bytes'),
    maxBodyBytes: size('max-body-bytes'),
    headersTimeoutMs: seconds('headers-timeout'),
    bodyTimeoutMs: seconds('body-timeout'),
    minBodyRate: size('min-body-rate'),
    keepAliveTimeoutMs: seconds('keep-alive-timeout'),
  };
  for (const [k, v] of Object.entries(limits)) if (v === undefined) delete limits[k];
  if (limits.maxConnections === 0) throw new UsageError('--max-connections must be at least 1', command);
  return limits;
}

async function serve(opened, { values }, io, { port, config, server, tls, limits }) {
  // The server opens the store itself (with the config's accountId and region) and closes it.
  let running;
  try {
    running = await server.startServer({
      host: values.host ?? '127.0.0.1',
      port,
      store: opened.store,
      config,
      tls,
      limits,
      insecureNoAuth: values['insecure-no-auth'] === true,
      warn: (text) => io.stderr.write(`${text}\n`),
    });
  } catch (e) {
    // The server's refusals of its configuration (credentials, host, TLS, limits) are plain Errors naming it.
    if (e && e.constructor === Error && /^kms-wasm serve: /.test(e.message)) {
      throw new UsageError(e.message.replace(/^kms-wasm serve: /, ''), 'serve');
    }
    throw e;
  }
  await print(io, running.url);
  io.stderr.write(`kms-wasm: serving the store ${opened.path} at ${running.url} (AWS KMS JSON 1.1); Ctrl-C stops\n`);
  const signal = await new Promise((res) => {
    process.once('SIGINT', () => res('SIGINT'));
    process.once('SIGTERM', () => res('SIGTERM'));
  });
  io.stderr.write(`kms-wasm: ${signal}: stopping\n`);
  await running.close();
  return 0;
}

// ---------------------------------------------------------------------------

/**
 * Checks of the command line that need no store, so that a usage error
 * touches nothing: what they return is the handler's fourth argument.
 */
const PREPARE = {
  'create-key': ({ values, command }) => ({
    tags: pairs([...(values.tags ?? []), ...(values.tag ?? [])], 'tags', command),
    alias: values.alias !== undefined ? aliasName(values.alias) : undefined,
  }),
  rotate: ({ values, command }) => {
    const period = integer(values.period, 'period', command);
    if (values['enable-automatic'] && values['disable-automatic']) {
      throw new UsageError('give --enable-automatic or --disable-automatic, not both', command);
    }
    if (period !== undefined && !values['enable-automatic']) throw new UsageError('--period goes with --enable-automatic', command);
    return { period };
  },
  'schedule-deletion': ({ values, command }) => ({ days: integer(values.days, 'days', command) }),
  'encrypt-file': ({ values, command }) => {
    if (values.progress && values['no-progress']) throw new UsageError('give --progress or --no-progress, not both', command);
    return {
      encryptionContext: pairs(values.context, 'context', command),
      frameLength: integer(values['frame-length'], 'frame-length', command) ?? DEFAULT_FRAME_LENGTH,
    };
  },
  'decrypt-file': ({ values, command }) => {
    if (values.progress && values['no-progress']) throw new UsageError('give --progress or --no-progress, not both', command);
    return { requiredEncryptionContext: pairs(values.context, 'context', command) };
  },
  audit: ({ values, command }) => {
    if (values.verify && (values.key || values.since || values.until)) {
      throw new UsageError('--verify checks the whole log; it takes no filter', command);
    }
    return { since: time(values.since, 'since', command), until: time(values.until, 'until', command) };
  },
  backup: async (parsed, env) => ({ passphrase: await backupPassphrase(parsed, env) }),
  restore: async (parsed, env) => ({ passphrase: await backupPassphrase(parsed, env) }),
  serve: async ({ values, command }) => {
    const port = integer(values.port, 'port', command) ?? 4599;
    if (port > 65535) throw new UsageError(`--port must be 0-65535, got ${port}`, command);
    let config;
    if (values.config !== undefined) {
      const text = await readFile(values.config, 'utf8');
      try {
        config = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`the config file ${values.config} is not JSON: ${e.message.split('\n')[0]}`, command);
      }
    }
    if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
      throw new UsageError('--tls-cert and --tls-key go together', command);
    }
    let tls;
    if (values['tls-cert'] !== undefined) {
      tls = { cert: await readFile(values['tls-cert']), key: await readFile(values['tls-key']) };
    }
    let server;
    try {
      server = await import('../serve/server.js');
    } catch (e) {
      if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('server.js')) {
        throw new KmsError('UnsupportedOperationException', 'This build of kms-wasm has no server (src/serve/server.js is missing).');
      }
      throw e;
    }
    return { port, config, server, tls, limits: serveLimits(values, command) };
  },
};

const HANDLERS = {
  'create-key': createKey,
  'list-keys': listKeys,
  'describe-key': describeKey,
  'create-alias': createAlias,
  'enable-key': enableKey,
  'disable-key': disableKey,
  rotate,
  'schedule-deletion': scheduleDeletion,
  'cancel-deletion': cancelDeletion,
  'encrypt-file': encryptFile,
  'decrypt-file': decryptFile,
  audit,
  backup,
  restore,
  serve,
};

/**
 * Runs a parsed command.
 * @param {{ command: string, values: Record<string, any>, positionals: string[] }} parsed
 * @param {{ stdout: NodeJS.WritableStream, stderr: NodeJS.WriteStream, stdin: NodeJS.ReadableStream, env: NodeJS.ProcessEnv }} io
 */
export async function runCommand(parsed, io) {
  const handler = HANDLERS[parsed.command];
  const prepare = PREPARE[parsed.command];
  const extra = prepare ? await prepare(parsed, io.env) : {};
  const opened = makeStore(parsed.command, parsed.values, io.env);
  if (parsed.command === 'serve') return handler(opened, parsed, io, extra);
  // A command is one short burst of calls: the lock is held across them
  // (released and their audit records written every few milliseconds, as
  // the client's lease does), not taken and released around each one.
  // The server releases it after every call (stores/file.js).
  opened.store.releaseAfterCall = false;
  const kms = await createKms({ store: opened.store });
  // --region: every call of the command acts in that region of the store.
  opened.kms = parsed.values.region === undefined ? kms : kms.inRegion(parsed.values.region);
  try {
    return await handler(opened, parsed, io, extra);
  } finally {
    await opened.kms.close();
  }
}
