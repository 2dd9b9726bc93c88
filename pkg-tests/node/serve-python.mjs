// The Python of pkg-tests (the venv made by scripts/setup-python.sh), for
// serve-boto3.test.mjs and moto.test.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The venv's python, and why it cannot be used (null when it can): it must import `modules`. */
export function findPython(modules = ['boto3']) {
  const python = process.env.KMS_WASM_PYTHON
    || fileURLToPath(new URL('../../../.venv/bin/python', import.meta.url)); // APP = pkg-tests/.work/app
  if (!existsSync(python)) return { python, missing: `no Python at ${python} (run scripts/setup-python.sh)` };
  const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) return { python, missing: `${python} cannot import ${modules.join(' and ')} (run scripts/setup-python.sh): ${(probe.stderr || '').trim().split('\n').pop()}` };
  return { python, missing: null };
}
