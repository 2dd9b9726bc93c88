// Arguments and help of the kms-wasm command line (node:util parseArgs).
//
//   kms-wasm [global options] COMMAND [arguments] [options]
//
// Global options may come before or after the command. Every command
// takes -h / --help. A usage error is a UsageError (exit status 2).

import { parseArgs } from 'node:util';

/** A mistake in the command line: exit status 2, with a hint to --help. */
export class UsageError extends Error {
  /**
   * @param {string} message
   * @param {string} [command]
   */
  constructor(message, command) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  store: { type: 'string', arg: 'DIR', help: 'the store directory (default: $KMS_WASM_STORE, else ~/.kms-wasm/store)' },
  'key-file': { type: 'string', arg: 'FILE', help: 'the root key file (default: DIR.key beside the store, created with mode 0600)' },
  'passphrase-env': { type: 'string', arg: 'VAR', help: 'derive the root key from the passphrase in the environment variable VAR instead of a key file' },
  'audit-segment-bytes': { type: 'string', arg: 'N', help: 'close the audit log into a segment past N bytes (default 67108864)' },
  'audit-segments': { type: 'string', arg: 'N', help: 'keep the newest N closed audit segments, delete older ones (default: all)' },
  region: { type: 'string', arg: 'REGION', help: 'act in this AWS region of the store (default: its home region, us-east-1)' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

const JSON_OPTION = { json: { type: 'boolean', help: 'machine output: JSON' } };
const CONTEXT_OPTION = {
  context: { type: 'string', multiple: true, arg: 'K=V', help: 'an encryption context pair (repeat for more)' },
};
const PROGRESS_OPTIONS = {
  progress: { type: 'boolean', help: 'show the progress bar even when stderr is not a terminal' },
  'no-progress': { type: 'boolean', help: 'never show the progress bar' },
};
const PASSPHRASE_OPTION = {
  'passphrase-file': { type: 'string', arg: 'FILE', help: 'read the backup passphrase from FILE (its first line); default: $KMS_WASM_BACKUP_PASSPHRASE' },
};

/**
 * The commands: `args` are the positional arguments (a trailing `?` makes
 * one optional), `options` their own options.
 */
export const COMMANDS = {
  'create-key': {
    summary: 'create a symmetric key',
    args: [],
    options: {
      description: { type: 'string', arg: 'TEXT', help: 'the key description' },
      alias: { type: 'string', arg: 'NAME', help: "an alias for the key ('alias/' is added when missing)" },
      tags: { type: 'string', multiple: true, arg: 'K=V', help: 'a tag (repeat for more); --tag works too' },
      tag: { type: 'string', multiple: true, arg: 'K=V', hidden: true },
      ...JSON_OPTION,
    },
    description: 'Creates a key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) and prints it.',
    examples: ['kms-wasm create-key --description "app data" --alias app --tags team=web --tags env=dev'],
  },
  'list-keys': {
    summary: 'list the keys with their state and aliases',
    args: [],
    options: {
      ...JSON_OPTION,
      details: { type: 'boolean', help: 'state, creation date and description of every key, however many (one DescribeKey each)' },
      'no-details': { type: 'boolean', help: 'key ids and aliases only (ListKeys and ListAliases), however few' },
    },
    description: `Lists every key of the store: key id, state, aliases, creation date, description. A store of more than 1,000 keys lists key ids and aliases only, as ListKeys does (the details cost one DescribeKey, and one audit record, per key): --details asks for them anyway.`,
  },
  'describe-key': {
    summary: 'show one key: metadata, aliases, tags, rotation',
    args: ['KEY'],
    options: { ...JSON_OPTION },
    description: 'KEY is a key id, key ARN, alias name (alias/NAME) or alias ARN.',
  },
  'create-alias': {
    summary: 'point a new alias at a key',
    args: ['ALIAS', 'KEY'],
    options: {},
    description: "Creates the alias ALIAS ('alias/' is added when missing) for KEY.",
    examples: ['kms-wasm create-alias app 1234abcd-12ab-34cd-56ef-1234567890ab'],
  },
  'enable-key': {
    summary: 'enable a disabled key',
    args: ['KEY'],
    options: {},
    description: 'Sets the key state to Enabled.',
  },
  'disable-key': {
    summary: 'disable a key (it can no longer encrypt or decrypt)',
    args: ['KEY'],
    options: {},
    description: 'Sets the key state to Disabled; cryptographic calls with it fail with DisabledException until it is enabled again.',
  },
  rotate: {
    summary: 'rotate a key now, or turn automatic rotation on or off',
    args: ['KEY'],
    options: {
      'enable-automatic': { type: 'boolean', help: 'turn automatic rotation on instead of rotating now' },
      period: { type: 'string', arg: 'DAYS', help: 'with --enable-automatic: the rotation period, 90-2560 days (default 365)' },
      'disable-automatic': { type: 'boolean', help: 'turn automatic rotation off instead of rotating now' },
      ...JSON_OPTION,
    },
    description: 'Without options, rotates KEY on demand (new key material for encryption; old ciphertexts still decrypt). Prints the rotation status.',
    examples: ['kms-wasm rotate alias/app', 'kms-wasm rotate alias/app --enable-automatic --period 180'],
  },
  'schedule-deletion': {
    summary: 'schedule the deletion of a key',
    args: ['KEY'],
    options: {
      days: { type: 'string', arg: 'N', help: 'the waiting period, 7-30 days (default 30)' },
      ...JSON_OPTION,
    },
    description: 'The key becomes PendingDeletion and is deleted, with its aliases, when the waiting period ends; cancel-deletion stops it.',
  },
  'cancel-deletion': {
    summary: 'cancel a scheduled deletion (the key stays Disabled)',
    args: ['KEY'],
    options: { ...JSON_OPTION },
    description: 'Cancels the deletion of a key that is PendingDeletion; the key is then Disabled (enable it with enable-key).',
  },
  'encrypt-file': {
    summary: 'encrypt a file (AWS Encryption SDK message) under a key',
    args: ['KEY', 'IN', 'OUT'],
    options: {
      ...CONTEXT_OPTION,
      'frame-length': { type: 'string', arg: 'N', help: 'plaintext bytes per frame, 1-1048576 (default 65536)' },
      signed: { type: 'boolean', help: 'use the signing suite 0x0578 (ECDSA P-384) instead of 0x0478' },
      ...PROGRESS_OPTIONS,
    },
    description: [
      'Encrypts IN into OUT in the AWS Encryption SDK message format (v2, committing suite),',
      'with a data key from KEY (through the KMS keyring). Streams in constant memory.',
      "IN or OUT may be '-' for stdin / stdout. OUT is written whole or not at all (a temporary",
      'file renamed into place). A progress bar goes to stderr when it is a terminal.',
    ].join('\n'),
    examples: [
      'kms-wasm encrypt-file alias/app report.pdf report.pdf.enc --context tenant=acme',
      'tar c dir | kms-wasm encrypt-file alias/app - - > dir.tar.enc',
    ],
  },
  'decrypt-file': {
    summary: 'decrypt a file written by encrypt-file (or any AWS Encryption SDK)',
    args: ['IN', 'OUT'],
    options: {
      ...CONTEXT_OPTION,
      key: { type: 'string', multiple: true, arg: 'KEY', help: 'only use this key (repeat for more; default: any key of the store the message names)' },
      ...PROGRESS_OPTIONS,
    },
    description: [
      'Decrypts IN into OUT. Every --context pair must be in the message\'s encryption context',
      '(EncryptionContextError otherwise). Only authenticated plaintext is written; OUT is',
      "written whole or not at all ('-': stdout receives each frame once it is verified, and the",
      'exit status tells whether the whole message was). OUT is created with mode 0600.',
    ].join('\n'),
    examples: ['kms-wasm decrypt-file report.pdf.enc report.pdf --context tenant=acme'],
  },
  audit: {
    summary: 'show the audit log (CloudTrail-style records)',
    args: [],
    options: {
      key: { type: 'string', arg: 'KEY', help: 'only records about this key' },
      since: { type: 'string', arg: 'TIME', help: 'only records at or after TIME (ISO 8601, or 30m, 12h, 7d ago)' },
      until: { type: 'string', arg: 'TIME', help: 'only records at or before TIME' },
      verify: { type: 'boolean', help: "verify the whole log's hash chain instead (exit status 1 when altered)" },
      json: { type: 'boolean', help: 'one JSON record per line' },
    },
    description: 'Prints the records oldest first: time, operation, caller, key, result.',
    examples: ['kms-wasm audit --key alias/app --since 1d', 'kms-wasm audit --json | jq .eventName'],
  },
  backup: {
    summary: 'write a passphrase-sealed backup of the store',
    args: ['OUT'],
    options: { ...PASSPHRASE_OPTION },
    description: "Writes every key, alias, policy, grant and the audit log, sealed under the passphrase (Argon2id, AES-256-GCM), to OUT ('-': stdout).",
    examples: ['kms-wasm backup keys.backup --passphrase-file ~/.backup-pass'],
  },
  restore: {
    summary: 'restore a backup into an empty store',
    args: ['IN'],
    options: { ...PASSPHRASE_OPTION },
    description: "Restores a backup made by 'kms-wasm backup' into the store, which must hold no key ('-': stdin).",
    examples: ['kms-wasm --store ~/restored restore keys.backup --passphrase-file ~/.backup-pass'],
  },
  serve: {
    summary: 'serve the store over the AWS KMS JSON 1.1 protocol',
    args: [],
    options: {
      port: { type: 'string', arg: 'PORT', help: 'the port (default 4599; 0: any free port)' },
      host: { type: 'string', arg: 'HOST', help: 'the address to listen on (default 127.0.0.1)' },
      config: { type: 'string', arg: 'FILE', help: 'the JSON configuration: credentials (accessKeys), accountId, region' },
      'tls-cert': { type: 'string', arg: 'FILE', help: 'serve HTTPS with this PEM certificate (chain); needs --tls-key' },
      'tls-key': { type: 'string', arg: 'FILE', help: 'the PEM private key of --tls-cert' },
      'insecure-no-auth': { type: 'boolean', help: 'do not check request signatures (local tests only; loopback hosts only)' },
      'max-connections': { type: 'string', arg: 'N', help: 'open connections at once; more are closed at once (default 256)' },
      'max-inflight-bytes': { type: 'string', arg: 'SIZE', help: 'request bytes held in memory, all connections together; a body that does not fit gets 503 (default 64MiB)' },
      'max-body-bytes': { type: 'string', arg: 'SIZE', help: 'one request body; a larger one gets 413 (default 1MiB)' },
      'headers-timeout': { type: 'string', arg: 'SECONDS', help: 'time for the request line and headers (default 10)' },
      'body-timeout': { type: 'string', arg: 'SECONDS', help: 'time for the body, after the headers (default 10)' },
      'min-body-rate': { type: 'string', arg: 'SIZE', help: 'bytes a second a body still arriving after 2 s must keep up, 0: no check (default 1KiB)' },
      'keep-alive-timeout': { type: 'string', arg: 'SECONDS', help: 'an idle kept-alive connection is closed after this (default 5)' },
    },
    description: [
      'Serves the store to AWS SDKs and the AWS CLI (endpoint URL printed on stdout) until',
      'interrupted (Ctrl-C or SIGTERM). Every request must be signed (AWS Signature Version 4)',
      'with a credential of the config, and is made by its principal:',
      '  { "accessKeys": { "AKID": { "secretAccessKey": "...", "principal": "arn:aws:iam::111122223333:user/alice",',
      '                             "sessionToken": "... (optional)" } },',
      '    "accountId": "111122223333", "region": "us-east-1" }',
      'Without credentials serve does not start, unless --insecure-no-auth (no checks: the',
      'access key id alone names the caller, "AKID": "arn:..."; 127.0.0.1, ::1, localhost only).',
      'Connections, request bytes in memory and the time a client may take are bounded (the',
      'limit options); refusals are AWS errors (408, 413, 503). SIZE is bytes, or with KiB or MiB.',
    ].join('\n'),
    examples: [
      'kms-wasm serve --config serve.json --port 4599',
      'AWS_ACCESS_KEY_ID=AKID AWS_SECRET_ACCESS_KEY=... aws kms list-keys --endpoint-url http://127.0.0.1:4599',
      'kms-wasm serve --config serve.json --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
    ],
  },
};

const globalWithValue = new Set(Object.entries(GLOBAL_OPTIONS)
  .filter(([, o]) => o.type === 'string')
  .map(([name]) => `--${name}`));

/** The parseArgs form of an options table. */
function parseOptions(options) {
  const out = {};
  for (const [name, o] of Object.entries(options)) {
    out[name] = { type: o.type };
    if (o.short) out[name].short = o.short;
    if (o.multiple) out[name].multiple = true;
  }
  return out;
}

/** parseArgs's messages, shortened to their first sentence. */
function usageFromParseError(e, command) {
  let message = e.message.split('. To specify a positional')[0];
  message = message.replace(/^Unknown option '([^']+)'.*$/, "unknown option '$1'");
  message = message.replace(/^Option '([^']+)' argument missing$/, "option '$1' needs a value");
  return new UsageError(message.replace(/\.$/, ''), command);
}

/**
 * Parses the command line.
 * @param {string[]} argv process.argv.slice(2)
 * @returns {{ action: 'help', command?: string } | { action: 'version' } |
 *   { action: 'run', command: string, values: Record<string, any>, positionals: string[] }}
 */
export function parse(argv) {
  let at = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      at = i + 1 < argv.length ? i + 1 : -1;
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      if (globalWithValue.has(a)) i++;
      continue;
    }
    at = i;
    break;
  }

  if (at === -1) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { ...parseOptions(GLOBAL_OPTIONS), version: { type: 'boolean' } },
        allowPositionals: false,
        strict: true,
      }));
    } catch (e) {
      if (String(e.code).startsWith('ERR_PARSE_ARGS')) throw usageFromParseError(e);
      throw e;
    }
    if (values.version) return { action: 'version' };
    if (values.help) return { action: 'help' };
    throw new UsageError('no command given');
  }

  const name = argv[at];
  const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  if (name === 'help') {
    const topic = rest.find((a) => !a.startsWith('-'));
    if (topic !== undefined && !Object.hasOwn(COMMANDS, topic)) throw new UsageError(`unknown command '${topic}'`);
    return { action: 'help', command: topic };
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    const near = Object.keys(COMMANDS).filter((c) => c.startsWith(name.slice(0, 3)));
    throw new UsageError(`unknown command '${name}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
  }
  const spec = COMMANDS[name];
  const end = rest.indexOf('--');
  const flags = end === -1 ? rest : rest.slice(0, end);
  if (flags.includes('-h') || flags.includes('--help')) return { action: 'help', command: name };

  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...parseOptions(GLOBAL_OPTIONS), ...parseOptions(spec.options) },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    if (String(e.code).startsWith('ERR_PARSE_ARGS')) throw usageFromParseError(e, name);
    throw e;
  }
  const { values, positionals } = parsed;
  const required = spec.args.filter((a) => !a.endsWith('?'));
  if (positionals.length < required.length) {
    throw new UsageError(`missing ${required.slice(positionals.length).join(' ')}`, name);
  }
  if (positionals.length > spec.args.length) {
    throw new UsageError(`unexpected argument '${positionals[spec.args.length]}'`, name);
  }
  return { action: 'run', command: name, values, positionals };
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/**
 * `K=V` pairs into an object; a repeated key or a pair without '=' is a usage error.
 * @param {string[] | undefined} list
 * @param {string} option
 * @param {string} command
 */
export function pairs(list, option, command) {
  const out = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${option} needs KEY=VALUE, got '${item}'`, command);
    const k = item.slice(0, eq);
    if (Object.hasOwn(out, k)) throw new UsageError(`--${option} ${k} is given twice`, command);
    out[k] = item.slice(eq + 1);
  }
  return out;
}

/**
 * A whole number option.
 * @param {string | undefined} value
 * @param {string} option
 * @param {string} command
 */
export function integer(value, option, command) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${option} needs a whole number, got '${value}'`, command);
  }
  return Number(value);
}

/**
 * A time: ISO 8601 (or anything Date.parse reads), or a duration ago
 * (`90s`, `30m`, `12h`, `7d`, `2w`).
 * @param {string | undefined} value
 * @param {string} option
 * @param {string} command
 * @param {number} [now]
 */
export function time(value, option, command, now = Date.now()) {
  if (value === undefined) return undefined;
  const rel = /^(\d+)(s|m|h|d|w)$/.exec(value);
  if (rel) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[rel[2]];
    return new Date(now - Number(rel[1]) * unit * 1000);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--${option} needs a time (ISO 8601 like 2030-01-31T12:00:00Z, or 30m, 12h, 7d), got '${value}'`, command);
  return new Date(t);
}

/** `alias/NAME` from `NAME` or `alias/NAME`. */
export function aliasName(value) {
  return value.startsWith('alias/') || value.startsWith('arn:') ? value : `alias/${value}`;
}

// ---------------------------------------------------------------------------
// Help
// ---------------------------------------------------------------------------

function optionLines(options) {
  const rows = Object.entries(options)
    .filter(([, o]) => !o.hidden)
    .map(([name, o]) => [`${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`, o.help]);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join('\n');
}

/** The help of the whole program. */
export function mainHelp(version) {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `kms-wasm ${version} — a local key management service with AWS KMS semantics

Usage: kms-wasm [options] COMMAND [arguments] [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}

Options (every command):
${optionLines({ ...GLOBAL_OPTIONS, version: { type: 'boolean', help: 'print the version' } })}

KEY is a key id, key ARN, alias name (alias/NAME) or alias ARN.
Exit status: 0 success, 1 the operation failed (AWS exception or I/O error), 2 usage error.
Run 'kms-wasm COMMAND --help' for the details of a command.
`;
}

/** The help of one command. */
export function commandHelp(name) {
  const c = COMMANDS[name];
  const args = c.args.map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : a)).join(' ');
  const own = Object.keys(c.options).length ? `\nOptions:\n${optionLines(c.options)}\n` : '';
  const examples = c.examples ? `\nExamples:\n${c.examples.map((e) => `  ${e}`).join('\n')}\n` : '';
  return `Usage: kms-wasm ${name}${args ? ` ${args}` : ''}${Object.keys(c.options).length ? ' [options]' : ''}

${c.summary[0].toUpperCase()}${c.summary.slice(1)}.
${c.description}
${own}
Global options:
${optionLines(GLOBAL_OPTIONS)}
${examples}`;
}
