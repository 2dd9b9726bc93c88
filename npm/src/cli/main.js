// The kms-wasm command line: parses, runs, and turns failures into exit
// statuses — 0 success, 1 the operation failed (an AWS exception, an
// envelope error, an I/O error; one line `kms-wasm: Name: message` on
// stderr), 2 usage error. No stack traces, except for what is a bug
// (and then only with KMS_WASM_DEBUG=1).

import { readFileSync } from 'node:fs';
import { UsageError, parse, mainHelp, commandHelp } from './args.js';
import { writeOut } from './output.js';

/** The package version, from its package.json. */
export function version() {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const oneLine = (s) => String(s).replace(/\s*[\r\n]+\s*/g, ' ').trim();

/** An error we expect and explain in a line: an AWS exception, an envelope error, a file-system error. */
function explain(e) {
  if (!(e instanceof Error)) return null;
  // The KMS keyring wraps the KMS's own refusal: show the refusal (DisabledException...).
  if (e.name === 'KeyringError' && e.cause instanceof Error && /Exception$/.test(e.cause.name)) return explain(e.cause);
  if (/^[A-Z][A-Za-z0-9]*(Exception|Error)$/.test(e.name) && e.name !== 'TypeError' && e.name !== 'RangeError'
    && e.name !== 'ReferenceError' && e.name !== 'SyntaxError' && (e.name !== 'Error')) {
    return `${e.name}: ${oneLine(e.message)}`;
  }
  if (typeof e.code === 'string' && typeof e.syscall === 'string') {
    // Node's own message already starts with the code: "ENOENT: no such file or directory, open 'x'".
    return oneLine(e.message.startsWith(e.code) ? e.message : `${e.code}: ${e.message}`);
  }
  if (e.name === 'AbortError') return `AbortError: ${oneLine(e.message)}`;
  return null;
}

/**
 * Runs the command line `argv` (without node and the script).
 * @param {string[]} argv
 * @param {{ stdout?: NodeJS.WritableStream, stderr?: NodeJS.WriteStream, stdin?: NodeJS.ReadableStream, env?: NodeJS.ProcessEnv }} [streams]
 * @returns {Promise<number>} the exit status
 */
export async function main(argv, streams = {}) {
  const io = {
    stdout: streams.stdout ?? process.stdout,
    stderr: streams.stderr ?? process.stderr,
    stdin: streams.stdin ?? process.stdin,
    env: streams.env ?? process.env,
  };
  let command;
  try {
    const parsed = parse(argv);
    command = parsed.command;
    if (parsed.action === 'version') {
      await writeOut(io.stdout, `${version()}\n`);
      return 0;
    }
    if (parsed.action === 'help') {
      await writeOut(io.stdout, parsed.command ? commandHelp(parsed.command) : mainHelp(version()));
      return 0;
    }
    // Loaded only now: help and --version need no wasm and no package code.
    const { runCommand } = await import('./commands.js');
    return await runCommand(parsed, io);
  } catch (e) {
    if (e instanceof UsageError) {
      const cmd = e.command ?? command;
      io.stderr.write(`kms-wasm: ${oneLine(e.message)}\nTry 'kms-wasm ${cmd ? `${cmd} ` : ''}--help'.\n`);
      return 2;
    }
    if (e && (e.code === 'EPIPE' || e.cause?.code === 'EPIPE')) return 1; // the reader went away
    const line = explain(e);
    if (line) {
      io.stderr.write(`kms-wasm: ${line}\n`);
      return 1;
    }
    io.stderr.write(`kms-wasm: internal error: ${oneLine(e?.message ?? e)}${io.env.KMS_WASM_DEBUG ? `\n${e?.stack}` : ' (KMS_WASM_DEBUG=1 shows where)'}\n`);
    return 1;
  }
}

/**
 * The peak resident set size of this process, in KiB (for the memory
 * tests). Linux: VmHWM, which belongs to this program alone; getrusage's
 * maxRSS also counts the parent's memory copied by fork() before exec.
 */
function peakRssKiB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

/** The `bin` entry: runs main() on process.argv and sets the exit status. */
export async function cli() {
  // A reader that goes away (`| head`) ends us quietly, with status 1: the output is incomplete.
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(1);
  });
  const code = await main(process.argv.slice(2));
  if (process.env.KMS_WASM_CLI_REPORT_RSS) process.stderr.write(`kms-wasm: maxrss ${peakRssKiB()} KiB\n`);
  process.exitCode = code;
}
