// The cost of the AWS SDK's two call forms over a kms-wasm KMS, per
// generateDataKey call, as a ratio to the method `kms.generateDataKey(req)`,
// all three measured in the same run on the same KMS (interleaved rounds,
// medians):
//   send        `kms.send(new GenerateDataKeyCommand(req))` (the command recognized by its schema)
//   KMSClient   `client.send(new GenerateDataKeyCommand(req))` with
//               `new KMSClient({ requestHandler: requestHandler(kms) })`: the
//               SDK's middleware stack (serialize, sign, retry, deserialize)
//               and the AWS JSON 1.1 protocol (JSON, base64) in-process
//   the SDK alone  the same client over a handler that returns a recorded
//               answer of requestHandler(kms) (no KMS call): what the SDK's
//               own stack costs, so the rest of KMSClient's time is the
//               handler's and the KMS's
// @aws-sdk/client-kms comes from the test project (pkg-tests/.work/app,
// installed by pkg-tests/run.sh); without it the measurement is skipped
// with a note. A report, not a test: nothing fails on a slow number.

import path from 'node:path';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** @aws-sdk/client-kms of the test project (CommonJS build, through require), or null. */
function loadSdk(pkgTests) {
  for (const from of [path.join(pkgTests, '.work', 'app'), pkgTests]) {
    if (!existsSync(path.join(from, 'node_modules', '@aws-sdk', 'client-kms', 'package.json'))) continue;
    return createRequire(path.join(from, 'package.json'))('@aws-sdk/client-kms');
  }
  return null;
}

/**
 * @param {object} o
 * @param {any} o.kmsPkg the package
 * @param {any} o.kms the KMS to measure on (the main bench's aged one: the same audit regime for every form)
 * @param {string} o.keyId a symmetric key of it
 * @param {string} o.pkgTests the pkg-tests folder
 * @param {{ rounds: number, slice: number, warmup: number, timeAsync: (fn: () => Promise<unknown>, s: number) => Promise<number>,
 *   median: (xs: number[]) => number, table: Function, int: (x: number) => string, us: (x: number) => string }} o.tools
 * @returns {Promise<string[]>} the summary lines
 */
export async function measureSdkForms({ kmsPkg, kms, keyId, pkgTests, tools }) {
  const { rounds, slice, warmup, timeAsync, median, table, int, us } = tools;
  const sdk = loadSdk(pkgTests);
  if (!sdk) {
    const why = '@aws-sdk/client-kms is not installed (run `bash pkg-tests/run.sh` once)';
    console.log(`\nThe AWS SDK's call forms: skipped (${why})`);
    return [`  send / KMSClient vs the method: not measured (${why})`];
  }
  if (typeof kmsPkg.requestHandler !== 'function' || typeof kms.send !== 'function') {
    console.log('\nThe AWS SDK\'s call forms: skipped (this package has no requestHandler or kms.send)');
    return [];
  }
  const { KMSClient, GenerateDataKeyCommand } = sdk;
  const client = new KMSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    requestHandler: kmsPkg.requestHandler(kms),
  });
  const req = { KeyId: keyId, KeySpec: 'AES_256' };
  // One real answer, recorded, for the client that measures the SDK alone
  // (fresh copies each time: the SDK lower-cases headers in place and re-types the body).
  const handler = kmsPkg.requestHandler(kms);
  const { response: recorded } = await handler.handle({
    method: 'POST', path: '/', headers: { 'x-amz-target': 'TrentService.GenerateDataKey', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(req),
  });
  if (recorded.statusCode !== 200) throw new Error(`sdk forms bench: the recorded answer is HTTP ${recorded.statusCode}`);
  const replay = {
    handle: async () => ({ response: { statusCode: 200, headers: { ...recorded.headers }, body: recorded.body.slice() } }),
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const sdkAlone = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' }, requestHandler: replay });
  const FORMS = [
    { key: 'method', label: 'kms.generateDataKey(req)', fn: () => kms.generateDataKey(req) },
    { key: 'send', label: 'kms.send(new GenerateDataKeyCommand(req))', fn: () => kms.send(new GenerateDataKeyCommand(req)) },
    { key: 'client', label: 'KMSClient + requestHandler(kms)', fn: () => client.send(new GenerateDataKeyCommand(req)) },
    { key: 'sdk', label: 'KMSClient + a recorded answer (the SDK alone)', fn: () => sdkAlone.send(new GenerateDataKeyCommand(req)), noKms: true },
  ];
  // Each form gives a data key that decrypts to its plaintext.
  for (const f of FORMS) {
    f.samples = [];
    const { Plaintext, CiphertextBlob } = await f.fn();
    if (f.noKms) continue;
    const back = await kms.decrypt({ CiphertextBlob });
    if (Plaintext.length !== 32 || !Buffer.from(back.Plaintext).equals(Buffer.from(Plaintext))) {
      throw new Error(`sdk forms bench: ${f.label} gave a data key that does not round trip`);
    }
  }
  console.log(`\nThe AWS SDK's call forms: measuring ${FORMS.length} cases on the main KMS (≈ ${Math.round(FORMS.length * (rounds * slice + warmup))} s)…`);
  for (const f of FORMS) await timeAsync(f.fn, warmup);
  for (let r = 0; r < rounds; r++) {
    for (const f of FORMS) f.samples.push(await timeAsync(f.fn, slice));
    process.stdout.write(`  round ${r + 1}/${rounds} done\n`);
  }
  client.destroy();
  sdkAlone.destroy();
  for (const f of FORMS) {
    f.med = median(f.samples);
    f.spread = (Math.max(...f.samples) - Math.min(...f.samples)) / f.med;
  }
  const base = FORMS[0].med;
  console.log('\ngenerateDataKey (AES_256) through the AWS SDK\'s call forms (ops/s, median; ratio to the method, and the extra time per call)\n');
  console.log(table(
    ['form', 'ops/s', 'µs/op', 'ratio to the method', 'extra per call'],
    FORMS.map((f) => [f.label, `${int(f.med)} ±${Math.round(f.spread * 100)}%`, us(f.med), `${(f.med / base).toFixed(3)}`,
      f === FORMS[0] ? '–' : `${(1e6 / f.med - 1e6 / base).toFixed(1)} µs`]),
    [false, true, true, true, true],
  ));
  console.log(
    '\n  send        the command object recognized by its schema, then the method: same request, same response objects' +
      '\n  KMSClient   the SDK\'s own client (serialize to JSON, SigV4 signing, retry, deserialize) over requestHandler(kms): the' +
      '\n              AWS JSON 1.1 protocol of `kms-wasm serve` in-process (base64 blobs, a request id), no network' +
      '\n  SDK alone   the same client over a handler replaying one recorded answer of requestHandler(kms): no KMS call, no protocol work\n',
  );
  const sendOver = base / FORMS[1].med - 1;
  const perCall = (f) => 1e6 / f.med;
  const extra = perCall(FORMS[2]) - perCall(FORMS[0]);
  return [
    `  send within 10% of the method (generateDataKey): ${sendOver >= 0 ? '+' : ''}${Math.round(sendOver * 100)}% → ${sendOver < 0.1 ? 'met' : 'NOT met'}`,
    `  KMSClient over requestHandler: ${(FORMS[2].med / base).toFixed(3)}× the method's ops/s (${int(FORMS[2].med)} vs ${int(base)} ops/s); ` +
      `of its ${extra.toFixed(0)} µs more per call, the SDK's own stack takes ${perCall(FORMS[3]).toFixed(0)} µs (recorded answer)`,
  ];
}
