// What every bundled build of the test app does in the page: load kms-wasm,
// a round trip, forced traps and the recovery from them, and a look at what
// the page fetched. The outcome goes to window.__bundlerResult, which the
// driver (../run.mjs) waits for.
//
// URL parameters (set by the driver):
//   expect-missing-wasm  the build does not ship the wasm where the package
//                        looks for it (esbuild without wasmUrl): createKms()
//                        must reject with a KmsError naming the wasmUrl option
//   wasm=URL, full=URL   then retry with createKms({ wasmUrl: { core: URL, full: URL } })
import { createKms, KmsError } from 'kms-wasm';

const text = new TextEncoder();
const untext = new TextDecoder();

class CheckFailed extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckFailed(message);
}

function describe(e) {
  if (e instanceof Error) return `${e.constructor?.name ?? 'Error'} ${e.name}: ${e.message}`;
  return String(e);
}

/** `promise` must reject with a KmsError named `name`; returns it. */
async function rejectsWith(promise, name, what) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert(error !== undefined, `${what}: resolved, expected a ${name} KmsError`);
  assert(error instanceof KmsError, `${what}: rejected with ${describe(error)}, not a KmsError`);
  assert(error.name === name, `${what}: rejected with ${error.name}, expected ${name}: ${error.message}`);
  return error;
}

async function roundTrip(kms, keyId, message) {
  const { CiphertextBlob } = await kms.encrypt({ KeyId: keyId, Plaintext: text.encode(message) });
  const { Plaintext, KeyId } = await kms.decrypt({ CiphertextBlob });
  assert(untext.decode(Plaintext) === message, `decrypt gave ${JSON.stringify(untext.decode(Plaintext))}, expected ${JSON.stringify(message)}`);
  assert(KeyId.endsWith(keyId), `decrypt named key ${KeyId}, expected ${keyId}`);
  return CiphertextBlob;
}

/** The resources the page fetched (scripts, the wasm, dynamic imports). */
function fetched() {
  return performance.getEntriesByType('resource').map((r) => new URL(r.name));
}

async function loadFailure(steps, params) {
  const error = await rejectsWith(createKms(), 'KMSInternalException', 'createKms() without the wasm');
  assert(/wasmUrl/.test(error.message), `the error does not name the wasmUrl option: ${error.message}`);
  steps.push(`createKms() → KmsError ${error.name} naming wasmUrl`);
  const again = await rejectsWith(createKms({ wasmUrl: './index.html' }), 'KMSInternalException', 'createKms({ wasmUrl: an HTML page })');
  assert(/HTML page/.test(again.message) && /wasmUrl/.test(again.message), `an HTML page as the wasm is not explained: ${again.message}`);
  steps.push('wasmUrl pointing at an HTML page → KmsError saying so');
  const core = params.get('wasm');
  const full = params.get('full');
  assert(core && full, 'the driver gave no wasm= and full= URLs to retry with');
  return { core, full };
}

export async function check({ wasmUrl } = {}) {
  const steps = [];
  const result = { ok: false, steps, error: null };
  try {
    const params = new URLSearchParams(location.search);
    if (params.has('expect-missing-wasm')) wasmUrl = await loadFailure(steps, params);
    const options = wasmUrl === undefined ? {} : { wasmUrl };

    const kms = await createKms(options);
    const other = await createKms(); // a second KMS on the same wasm instance
    steps.push(`createKms(${wasmUrl === undefined ? '' : '{ wasmUrl }'})`);

    const { KeyMetadata } = await kms.createKey({ Description: 'bundler test' });
    const keyId = KeyMetadata.KeyId;
    const before = await roundTrip(kms, keyId, 'before the trap');
    steps.push('createKey, encrypt/decrypt');

    for (const round of [1, 2]) {
      const trap = await rejectsWith(kms.__trapForTesting(), 'KMSInternalException', `__trapForTesting() #${round}`);
      assert(/restarted/.test(trap.message), `trap #${round}: ${trap.message}`);
      const { Plaintext } = await kms.decrypt({ CiphertextBlob: before });
      assert(untext.decode(Plaintext) === 'before the trap', `after trap #${round} an old ciphertext decrypts to ${JSON.stringify(untext.decode(Plaintext))}`);
      await roundTrip(kms, keyId, `after trap #${round}`);
      steps.push(`trap #${round} → KMSInternalException, recovered with the key`);
    }

    // The other KMS lived in the trapped instance: it moves on by itself.
    const { KeyMetadata: otherKey } = await other.createKey({});
    await roundTrip(other, otherKey.KeyId, 'the other KMS');
    const listed = (await other.listKeys({})).Keys.map((k) => k.KeyId);
    assert(listed.length === 1 && listed[0] === otherKey.KeyId, `the other KMS lists ${JSON.stringify(listed)}`);
    steps.push('a second KMS of the trapped instance works on');

    // A call only the full engine can make: the KMS moves to it (a split-off
    // chunk and a second .wasm, fetched now), and recovery works there too.
    const { KeyMetadata: ext } = await kms.createKey({ Origin: 'EXTERNAL' });
    const params2 = await kms.getParametersForImport({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    assert(params2.PublicKey instanceof Uint8Array, 'getParametersForImport answered');
    assert(kms.__engine === 'full', `after getParametersForImport the KMS runs on the ${kms.__engine} engine`);
    await rejectsWith(kms.__trapForTesting(), 'KMSInternalException', '__trapForTesting() on the full engine');
    await roundTrip(kms, keyId, 'after a trap of the full engine');
    steps.push('getParametersForImport → full engine; trap there → recovered with the key');

    // Recovery re-instantiated the modules the page has: each wasm fetched once, no re-import of the glue.
    const resources = fetched();
    const wasms = resources.filter((u) => u.pathname.endsWith('.wasm'));
    const loaded = (url) => wasms.filter((u) => u.href === new URL(url, location.href).href);
    // (after a failed load, the failed fetches are there too: count the ones that worked)
    const okWasms = params.has('expect-missing-wasm') ? [...loaded(wasmUrl.core), ...loaded(wasmUrl.full)] : wasms;
    assert(okWasms.length === 2, `the page fetched ${okWasms.length} wasm files (expected the core's and the full engine's once each): ${okWasms.map((u) => u.href).join(', ')}`);
    const reimports = resources.filter((u) => /[?&]instance=/.test(u.search));
    assert(reimports.length === 0, `the glue was re-imported: ${reimports.map((u) => u.href).join(', ')}`);
    steps.push(`two wasm fetches (${okWasms.map((u) => u.pathname.split('/').pop()).join(', ')}), no re-import`);

    await kms.close();
    await other.close();
    result.ok = true;
  } catch (e) {
    result.error = e instanceof CheckFailed ? e.message : `${describe(e)}\n${e?.stack ?? ''}`;
  }
  window.__bundlerResult = result;
  const out = document.getElementById('out');
  if (out) out.textContent = JSON.stringify(result, null, 2);
  return result;
}
