// The portable suite's AWS-API tests, unchanged, over `kms-wasm serve`:
// the suite's `createKms` (import from 'kms-wasm') is mapped to
// node/serve-kms-wasm.mjs, which serves a fresh KMS on a free port and
// hands the test the AWS SDK's `KMS` client (@aws-sdk/client-kms) pointed
// at it. Suites and tests that need members only the JS client has are
// listed in NOT_OVER_HTTP with the reason, and reported as skipped.
import { register } from 'node:module';
import { describe, test, afterEach } from 'node:test';

register(new URL('./serve-hooks.mjs', import.meta.url), {
  data: {
    shimUrl: new URL('./serve-kms-wasm.mjs', import.meta.url).href,
    suiteDir: new URL('../suite/', import.meta.url).href,
  },
});

const { closeAll } = await import('./serve-kms-wasm.mjs');

/**
 * Suite files run over the endpoint. The others test what only the JS
 * client has: the audit log, events and usage, backups, imported material
 * wrapped in the page, envelope encryption.
 */
const OVER_HTTP = ['lifecycle', 'crypto', 'rotation', 'aliases-tags', 'errors', 'client', 'access'];
const suites = await Promise.all(OVER_HTTP.map(async (file) => ({ file, ...(await import(`../suite/${file}.js`)).default })));

const JS_TYPES = 'tests how the JS client refuses a non-binary value; through the SDK a string blob is sent as its UTF-8 bytes, '
  + 'and a number or array as a non-base64 value (SerializationException, tested in serve.test.mjs)';
const TRAP = 'needs kms.__trapForTesting (JS-only test hook; the server answers a trap with KMSInternalException, HTTP 500)';
const ENDPOINTS = 'needs kms.createEndpoint / viaEndpoint (JS-only: the server has no VPC endpoints)';
const SERVICES = 'needs kms.forService (JS-only: calls through an AWS service)';

/** Tests of those suites that cannot run over the AWS protocol, and why. */
const NOT_OVER_HTTP = {
  'client: send takes the AWS SDK command form (recognized by its schema) and refuses what is not a KMS command, changing nothing':
    "tests kms-wasm's own send with plain command-shaped objects; over HTTP the SDK's send takes only its own commands (node/sdk-send.test.mjs tests kms-wasm's send with them)",
  'errors: ValidationException: encrypt: a string as Plaintext; nothing changes': JS_TYPES,
  'errors: ValidationException: encrypt: a number as Plaintext; nothing changes': JS_TYPES,
  'errors: ValidationException: encrypt: an array of numbers as Plaintext; nothing changes': JS_TYPES,
  'errors: ValidationException: decrypt: a string as CiphertextBlob; nothing changes': JS_TYPES,
  'errors: error messages never quote the plaintext': `its first case ${JS_TYPES}; serve.test.mjs checks the wire errors`,
  'client: a trap in the wasm instance becomes KMSInternalException, and the KMS recovers with its keys': TRAP,
  'client: a trap does not lose calls that were queued behind it': TRAP,
  'access: a key usable only through one endpoint: direct calls and other endpoints are denied': ENDPOINTS,
  'access: aws:SourceVpc: a key policy that allows only calls from one VPC': ENDPOINTS,
  'access: an endpoint policy that denies wins even when the key policy allows': ENDPOINTS,
  'access: createEndpoint and viaEndpoint refuse what is not there or not theirs': ENDPOINTS,
  'access: forService(s3): its first use creates alias/aws/s3 (KeyManager AWS), usable through the service and not directly': SERVICES,
  'access: a managed key cannot be disabled, scheduled for deletion, rotated or given another policy (AccessDeniedException)': SERVICES,
  'access: an AWS managed key rotates yearly by the clock': SERVICES,
  'aliases-tags: a predefined alias a service used lists its managed key, in its place and once': SERVICES,
};

afterEach(() => closeAll());

for (const s of suites) {
  describe(`serve: suite ${s.file}`, () => {
    for (const t of s.tests) {
      const why = NOT_OVER_HTTP[`${s.file}: ${t.name}`];
      if (why) test(t.name, { skip: why }, () => {});
      else test(t.name, t.fn);
    }
  });
}
