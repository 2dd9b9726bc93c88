// Shared by the property-based fuzz tests (fast-check) of the package's
// JavaScript parsers: how many runs, which seeds, and how a failure is told.
//
// Every property is registered as node:test tests:
//   smoke (default, run by pkg-tests/run.sh in `make test`): two tests per
//     property, one with the fixed seed FIXED_SEED and one with a random
//     seed, each with the property's small `smoke` number of runs;
//   long (JS_FUZZ_RUNS=N, run by scripts/fuzz.sh in `make fuzz`): one test
//     per property with a random seed (or JS_FUZZ_SEED) and N × the
//     property's `weight` runs (slow properties have a weight below 1).
// A failure names the seed and the shrunk counterexample's path, and the
// command that replays it: JS_FUZZ_SEED=S JS_FUZZ_PATH=P with
// PKG_TESTS_GREP naming the property.
import { test } from 'node:test';
import fc from 'fast-check';

export { fc };

export const FIXED_SEED = 20261202;
const LONG_RUNS = Number(process.env.JS_FUZZ_RUNS || 0);
const GIVEN_SEED = process.env.JS_FUZZ_SEED !== undefined && process.env.JS_FUZZ_SEED !== '' ? Number(process.env.JS_FUZZ_SEED) : undefined;
const GIVEN_PATH = process.env.JS_FUZZ_PATH || undefined;

const randomSeed = () => (Math.random() * 0x7fffffff) | 0;

/**
 * Registers `property` (a function of the fast-check `fc` returning an
 * fc.property or fc.asyncProperty, built anew for each test so its state is
 * fresh) as fuzz tests named `name`.
 * @param {string} name
 * @param {(fc: typeof import('fast-check')) => any} build
 * `shrink: false` for properties over shared state (a server's KMS): the first
 * failing input is then reported as it was, since a shrunk replay runs
 * against the state the failure left.
 * @param {{ smoke?: number, weight?: number, timeout?: number, skip?: string, shrink?: boolean }} [options]
 */
export function fuzz(name, build, { smoke = 50, weight = 1, timeout = 600_000, skip, shrink = true } = {}) {
  const runs = [];
  if (GIVEN_SEED !== undefined) {
    runs.push({ label: `seed ${GIVEN_SEED}`, seed: GIVEN_SEED, numRuns: LONG_RUNS ? Math.max(1, Math.ceil(LONG_RUNS * weight)) : smoke });
  } else if (LONG_RUNS) {
    runs.push({ label: 'long, random seed', seed: randomSeed(), numRuns: Math.max(1, Math.ceil(LONG_RUNS * weight)) });
  } else {
    runs.push({ label: 'fixed seed', seed: FIXED_SEED, numRuns: smoke });
    runs.push({ label: 'random seed', seed: randomSeed(), numRuns: smoke });
  }
  for (const r of runs) {
    test(`fuzz: ${name} (${r.label})`, { timeout, skip }, async (t) => {
      const started = Date.now();
      const params = { seed: r.seed, numRuns: r.numRuns, endOnFailure: !shrink };
      if (GIVEN_PATH) params.path = GIVEN_PATH;
      const details = await fc.check(build(fc), params);
      const ms = Date.now() - started;
      if (details.failed) {
        const replay = `JS_FUZZ_SEED=${details.seed} JS_FUZZ_PATH=${JSON.stringify(details.counterexamplePath)} PKG_TESTS_GREP=${JSON.stringify(name.replace(/[^A-Za-z0-9 ]/g, '.'))}`;
        const shown = fc.stringify(details.counterexample);
        const error = details.errorInstance;
        const message = `property "${name}" failed after ${details.numRuns} run(s) (seed ${details.seed}, path ${details.counterexamplePath}, ${details.numShrinks} shrinks)\n`
          + `counterexample: ${shown.length > 4000 ? `${shown.slice(0, 4000)}... (${shown.length} chars)` : shown}\n`
          + `error: ${error && error.stack ? error.stack : error}\n`
          + `replay: ${replay}`;
        throw new Error(message);
      }
      t.diagnostic(`${details.numRuns} runs in ${ms} ms (seed ${r.seed}${details.numSkips ? `, ${details.numSkips} skipped by preconditions` : ''})`);
    });
  }
}

/** Rejects after `ms` (a property that hangs fails instead of stalling the run). */
export function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

/** An internal module of the installed package (not in its exports map), by path from its main entry. */
export async function internal(path) {
  return import(new URL(path, import.meta.resolve('kms-wasm')).href);
}

/** Errors a parser must never throw: a programming error, not a report of damage. */
export function isProgrammingError(e) {
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
}
