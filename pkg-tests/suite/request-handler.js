// requestHandler(kms): @aws-sdk/client-kms's own KMSClient over a kms-wasm
// KMS, in-process, portable (Node and Chromium; the page gets the SDK
// bundled by browser/serve.mjs). Every operation of the SDK once through the
// client (answering as the method does), every implemented one with real
// input (blobs and timestamps both ways), paginators over several pages,
// the SDK's exception classes and `$metadata`, middleware that reads and
// changes the raw request and response, retries, aborts, and requests serve
// would refuse (a wrong target, a malformed body) refused the same way.
// node/request-handler.test.mjs compares the answers with serve's byte for
// byte and holds the region and request id tests.
import * as sdk from '@aws-sdk/client-kms';
import { createKms, requestHandler, webCryptoKeyStore } from 'kms-wasm';
import {
  suite, equal, deepEqual, ok, rejects, bytes, date, match, utf8, text, observe, keyArnRe, fakeClock, UUID_RE, DAY,
} from './harness.js';

const {
  KMSClient, KMSServiceException, NotFoundException, DisabledException, InvalidCiphertextException,
  paginateListKeys, paginateListAliases, paginateListGrants,
} = sdk;

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not checked in-process' };
const lowerCamel = (s) => s.charAt(0).toLowerCase() + s.slice(1);

/** Every operation of the SDK: the names of its `<Operation>Command` classes. */
const SDK_OPERATIONS = Object.keys(sdk)
  .filter((k) => /^[A-Z]\w*Command$/.test(k) && typeof sdk[k] === 'function' && k !== 'Command')
  .map((k) => k.slice(0, -'Command'.length));

/** The SDK's client over `kms`, in-process. */
function clientOf(kms, options = {}) {
  return new KMSClient({ region: 'us-east-1', credentials: CREDENTIALS, requestHandler: requestHandler(kms), ...options });
}

/** `client.send(new <op>Command(input))`. */
const send = (client, op, input = {}) => client.send(new sdk[`${op}Command`](input));

/** A response without the SDK's `$metadata`. */
function withoutMetadata(response) {
  const { $metadata, ...rest } = response;
  return rest;
}

/** A call's outcome in comparable form: the error name, or the response's members. */
async function outcome(call) {
  try {
    return { ok: Object.keys(withoutMetadata(await call())).sort() };
  } catch (e) {
    ok(!(e instanceof TypeError), `a TypeError: ${e.stack}`);
    return { error: e.name };
  }
}

/** A rejection with the SDK's exception: `name`, an SDK class, `$fault`, `$metadata.httpStatusCode`. */
async function sdkRejects(call, name, status = 400) {
  const e = await rejects(call, name);
  ok(e instanceof KMSServiceException, `${name} is a KMSServiceException of the SDK`);
  if (typeof sdk[name] === 'function') ok(e instanceof sdk[name], `${name} is the SDK's ${name} class`);
  equal(e.$fault, status >= 500 ? 'server' : 'client', `${name}.$fault`);
  equal(e.$metadata.httpStatusCode, status, `${name}.$metadata.httpStatusCode`);
  match(e.$metadata.requestId, UUID_RE, `${name}.$metadata.requestId`);
  return e;
}

/**
 * A middleware at `step` that may change each raw HTTP request, and records
 * each request and, when it succeeds, its raw response. At the deserialize
 * step it sees the signed request of every attempt.
 */
function tap(client, step, onRequest = () => {}) {
  const seen = [];
  client.middlewareStack.add((next) => async (args) => {
    onRequest(args.request);
    const result = await next(args);
    seen.push({ request: args.request, response: result.response });
    return result;
  }, { step, name: `kms-wasm-tap-${step}` });
  return seen;
}

export default suite('requestHandler: the AWS SDK\'s KMSClient in-process', (test) => {
  test('each of the SDK\'s operations answers through KMSClient as through its method (those kms-wasm does not implement: UnsupportedOperationException)', async () => {
    ok(SDK_OPERATIONS.length >= 56, `the SDK's operations: ${SDK_OPERATIONS.length}`);
    const kms = await createKms();
    const client = clientOf(kms);
    let implemented = 0;
    for (const op of SDK_OPERATIONS) {
      if (typeof kms[lowerCamel(op)] !== 'function') {
        const e = await sdkRejects(() => send(client, op), 'UnsupportedOperationException');
        equal(e.message, `kms-wasm does not implement ${op}.`);
        continue;
      }
      implemented += 1;
      const viaMethod = await outcome(() => kms[lowerCamel(op)]({}));
      const viaClient = await outcome(() => send(client, op));
      deepEqual(viaClient, viaMethod, op);
    }
    ok(implemented >= 43, `implemented operations: ${implemented}`);
    client.destroy();
  });

  test('every implemented operation succeeds through KMSClient with real input: blobs, timestamps, lists and maps both ways', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    const client = clientOf(kms);
    const called = new Set();
    let metadata;
    const call = async (op, input) => {
      called.add(op);
      const r = await send(client, op, input);
      equal(r.$metadata.httpStatusCode, 200, op);
      metadata = r.$metadata;
      return withoutMetadata(r);
    };
    // Keys, descriptions, states, deletion.
    const { KeyMetadata } = await call('CreateKey', { Description: 'via the SDK', Tags: [{ TagKey: 'team', TagValue: 'a' }] });
    ok(keyArnRe().test(KeyMetadata.Arn), KeyMetadata.Arn);
    date(KeyMetadata.CreationDate, 'CreationDate is a Date');
    const KeyId = KeyMetadata.KeyId;
    deepEqual((await call('DescribeKey', { KeyId })).KeyMetadata, (await kms.describeKey({ KeyId })).KeyMetadata);
    ok((await call('ListKeys', {})).Keys.some((k) => k.KeyId === KeyId));
    await call('UpdateKeyDescription', { KeyId, Description: 'renamed' });
    await call('DisableKey', { KeyId });
    await sdkRejects(() => send(client, 'Encrypt', { KeyId, Plaintext: utf8('x') }), 'DisabledException');
    await call('EnableKey', { KeyId });
    const scheduled = await call('ScheduleKeyDeletion', { KeyId, PendingWindowInDays: 7 });
    date(scheduled.DeletionDate, 'DeletionDate is a Date');
    equal(scheduled.PendingWindowInDays, 7);
    equal((await call('CancelKeyDeletion', { KeyId })).KeyId, KeyMetadata.Arn);
    await call('EnableKey', { KeyId });
    // Rotation.
    await call('EnableKeyRotation', { KeyId, RotationPeriodInDays: 90 });
    equal((await call('GetKeyRotationStatus', { KeyId })).KeyRotationEnabled, true);
    await call('DisableKeyRotation', { KeyId });
    await call('RotateKeyOnDemand', { KeyId });
    const rotations = (await call('ListKeyRotations', { KeyId })).Rotations;
    equal(rotations.length, 1);
    date(rotations[0].RotationDate, 'RotationDate is a Date');
    // Aliases and tags.
    await call('CreateAlias', { AliasName: 'alias/sdk', TargetKeyId: KeyId });
    const { KeyMetadata: other } = await kms.createKey({});
    await call('UpdateAlias', { AliasName: 'alias/sdk', TargetKeyId: other.KeyId });
    equal((await call('ListAliases', { KeyId: other.KeyId })).Aliases[0].AliasName, 'alias/sdk');
    await call('DeleteAlias', { AliasName: 'alias/sdk' });
    await call('TagResource', { KeyId, Tags: [{ TagKey: 'env', TagValue: 'test' }] });
    await call('UntagResource', { KeyId, TagKeys: ['team'] });
    deepEqual((await call('ListResourceTags', { KeyId })).Tags, [{ TagKey: 'env', TagValue: 'test' }]);
    // Cryptography: blobs both ways, an encryption context (a map) whose key is a blob member's name.
    const EncryptionContext = { Plaintext: 'a context key named like a blob member', tenant: 't1' };
    const { CiphertextBlob } = await call('Encrypt', { KeyId, Plaintext: utf8('hello'), EncryptionContext });
    bytes(CiphertextBlob, 'CiphertextBlob is a Uint8Array');
    if (typeof kms.getKeyLastUsage === 'function') {
      // Where the build has it: the last use is this Encrypt, with the response's request id.
      const encryptId = metadata.requestId;
      const usage = await call('GetKeyLastUsage', { KeyId });
      equal(usage.KeyId, KeyMetadata.Arn);
      date(usage.KeyCreationDate, 'KeyCreationDate is a Date');
      equal(usage.KeyLastUsage.Operation, 'Encrypt');
      date(usage.KeyLastUsage.Timestamp, 'the last use\'s Timestamp is a Date');
      equal(usage.KeyLastUsage.KmsRequestId, encryptId, 'the Encrypt\'s x-amzn-RequestId');
    }
    const decrypted = await call('Decrypt', { CiphertextBlob, EncryptionContext });
    equal(text(decrypted.Plaintext), 'hello');
    deepEqual(decrypted, await kms.decrypt({ CiphertextBlob, EncryptionContext }), 'as the method answers');
    const reEncrypted = await call('ReEncrypt', { CiphertextBlob, SourceEncryptionContext: EncryptionContext, DestinationKeyId: other.KeyId });
    equal(text((await kms.decrypt({ CiphertextBlob: reEncrypted.CiphertextBlob })).Plaintext), 'hello');
    const dataKey = await call('GenerateDataKey', { KeyId, KeySpec: 'AES_256' });
    equal(bytes(dataKey.Plaintext).length, 32);
    deepEqual((await kms.decrypt({ CiphertextBlob: dataKey.CiphertextBlob })).Plaintext, dataKey.Plaintext);
    const withoutPlaintext = await call('GenerateDataKeyWithoutPlaintext', { KeyId, NumberOfBytes: 16 });
    equal((await kms.decrypt({ CiphertextBlob: withoutPlaintext.CiphertextBlob })).Plaintext.length, 16);
    equal(bytes((await call('GenerateRandom', { NumberOfBytes: 24 })).Plaintext).length, 24);
    // Key policies.
    const Policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'all', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::111122223333:root` }, Action: 'kms:*', Resource: '*' }] });
    await call('PutKeyPolicy', { KeyId, PolicyName: 'default', Policy });
    equal((await call('GetKeyPolicy', { KeyId, PolicyName: 'default' })).Policy, Policy);
    deepEqual((await call('ListKeyPolicies', { KeyId })).PolicyNames, ['default']);
    // Grants.
    const grantee = 'arn:aws:iam::111122223333:role/app';
    const grant = await call('CreateGrant', { KeyId, GranteePrincipal: grantee, RetiringPrincipal: grantee, Operations: ['Encrypt', 'Decrypt'] });
    ok((await call('ListGrants', { KeyId })).Grants.some((g) => g.GrantId === grant.GrantId));
    date((await call('ListGrants', { KeyId })).Grants[0].CreationDate, 'a grant\'s CreationDate is a Date');
    equal((await call('ListRetirableGrants', { RetiringPrincipal: grantee })).Grants.length, 1);
    await call('RetireGrant', { KeyId: KeyMetadata.Arn, GrantId: grant.GrantId });
    const second = await call('CreateGrant', { KeyId, GranteePrincipal: grantee, Operations: ['Decrypt'] });
    await call('RevokeGrant', { KeyId, GrantId: second.GrantId });
    equal((await call('ListGrants', { KeyId })).Grants.length, 0);
    // Imported key material: a wrapping public key out, wrapped material and a ValidTo timestamp in.
    const { KeyMetadata: external } = await call('CreateKey', { Origin: 'EXTERNAL' });
    const params = await call('GetParametersForImport', { KeyId: external.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
    date(params.ParametersValidTo, 'ParametersValidTo is a Date');
    const subtle = globalThis.crypto.subtle;
    const wrappingKey = await subtle.importKey('spki', bytes(params.PublicKey), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    const material = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const EncryptedKeyMaterial = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, wrappingKey, material));
    const ValidTo = clock.date(30 * DAY + 123);
    await call('ImportKeyMaterial', { KeyId: external.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo });
    const imported = (await kms.describeKey({ KeyId: external.KeyId })).KeyMetadata;
    equal(imported.KeyState, 'Enabled');
    equal(imported.ValidTo.getTime(), ValidTo.getTime(), 'ValidTo to the millisecond');
    await call('DeleteImportedKeyMaterial', { KeyId: external.KeyId });
    equal((await kms.describeKey({ KeyId: external.KeyId })).KeyMetadata.KeyState, 'PendingImport');
    if (typeof kms.replicateKey === 'function') {
      // Where the build has them: a multi-Region key replicated to another region, then made primary there.
      const { KeyMetadata: primary } = await call('CreateKey', { MultiRegion: true, Description: 'multi-Region' });
      const { ReplicaKeyMetadata } = await call('ReplicateKey', { KeyId: primary.KeyId, ReplicaRegion: 'eu-west-1', Description: 'replica' });
      equal(ReplicaKeyMetadata.Arn, primary.Arn.replace(':us-east-1:', ':eu-west-1:'));
      date(ReplicaKeyMetadata.CreationDate, 'the replica\'s CreationDate is a Date');
      clock.advance(1000);
      await call('UpdatePrimaryRegion', { KeyId: primary.KeyId, PrimaryRegion: 'eu-west-1' });
      clock.advance(1000);
      equal((await kms.describeKey({ KeyId: primary.KeyId })).KeyMetadata.MultiRegionConfiguration.PrimaryKey.Region, 'eu-west-1');
    }
    // Custom key stores: the store object itself is not on the wire, so it is
    // made with the method; everything else goes through the SDK.
    const { CustomKeyStoreId } = await kms.createCustomKeyStore({
      CustomKeyStoreName: 'vault', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: webCryptoKeyStore({ database: `kms-wasm-test-rh-${Date.now()}` }),
    });
    deepEqual(await outcome(() => send(client, 'CreateCustomKeyStore', { CustomKeyStoreName: 'x', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' })),
      await outcome(() => kms.createCustomKeyStore({ CustomKeyStoreName: 'x', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' })), 'CreateCustomKeyStore without the store object');
    called.add('CreateCustomKeyStore');
    await call('ConnectCustomKeyStore', { CustomKeyStoreId });
    const [store] = (await call('DescribeCustomKeyStores', { CustomKeyStoreId })).CustomKeyStores;
    equal(store.ConnectionState, 'CONNECTED');
    date(store.CreationDate, 'a store\'s CreationDate is a Date');
    await call('DisconnectCustomKeyStore', { CustomKeyStoreId });
    await call('UpdateCustomKeyStore', { CustomKeyStoreId, NewCustomKeyStoreName: 'vault-2' });
    equal((await kms.describeCustomKeyStores({ CustomKeyStoreId })).CustomKeyStores[0].CustomKeyStoreName, 'vault-2');
    await call('DeleteCustomKeyStore', { CustomKeyStoreId });
    deepEqual((await kms.describeCustomKeyStores({})).CustomKeyStores, []);

    deepEqual([...called].sort(), SDK_OPERATIONS.filter((op) => typeof kms[lowerCamel(op)] === 'function').sort(), 'every implemented operation was called');
    client.destroy();
  });

  test('paginators over several pages: paginateListKeys, paginateListAliases, paginateListGrants', async () => {
    const kms = await createKms();
    const client = clientOf(kms);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await kms.createKey({})).KeyMetadata.KeyId);
    for (let i = 0; i < 5; i++) await kms.createAlias({ AliasName: `alias/page-${i}`, TargetKeyId: ids[i] });
    for (let i = 0; i < 5; i++) await kms.createGrant({ KeyId: ids[0], GranteePrincipal: `arn:aws:iam::111122223333:role/r${i}`, Operations: ['Decrypt'] });

    const pages = async (paginator) => {
      const out = [];
      for await (const page of paginator) {
        equal(page.$metadata.httpStatusCode, 200);
        out.push(page);
      }
      return out;
    };
    const keyPages = await pages(paginateListKeys({ client, pageSize: 2 }, {}));
    deepEqual(keyPages.map((p) => p.Keys.length), [2, 2, 1]);
    deepEqual(keyPages.flatMap((p) => p.Keys.map((k) => k.KeyId)).sort(), [...ids].sort());
    const aliasPages = await pages(paginateListAliases({ client, pageSize: 2 }, {}));
    ok(aliasPages.length >= 3, `pages of aliases: ${aliasPages.length}`);
    deepEqual(aliasPages.flatMap((p) => p.Aliases.map((a) => a.AliasName)).filter((n) => n.startsWith('alias/page-')).sort(),
      [0, 1, 2, 3, 4].map((i) => `alias/page-${i}`));
    const grantPages = await pages(paginateListGrants({ client, pageSize: 2 }, { KeyId: ids[0] }));
    deepEqual(grantPages.map((p) => p.Grants.length), [2, 2, 1]);
    equal(new Set(grantPages.flatMap((p) => p.Grants.map((g) => g.GrantId))).size, 5);
    client.destroy();
  });

  test('errors are the SDK\'s exception classes, with the method\'s message and $metadata (HTTP 400, a request id)', async () => {
    const kms = await createKms();
    const client = clientOf(kms);
    const { KeyMetadata } = await kms.createKey({});
    const before = await observe(kms);
    const missing = await sdkRejects(() => send(client, 'DescribeKey', { KeyId: 'alias/none' }), 'NotFoundException');
    ok(missing instanceof NotFoundException);
    const viaMethod = await rejects(kms.describeKey({ KeyId: 'alias/none' }), 'NotFoundException');
    equal(missing.message, viaMethod.message);
    const { CiphertextBlob } = await send(client, 'Encrypt', { KeyId: KeyMetadata.KeyId, Plaintext: utf8('x'), EncryptionContext: { a: '1' } });
    ok(await sdkRejects(() => send(client, 'Decrypt', { CiphertextBlob, EncryptionContext: { a: '2' } }), 'InvalidCiphertextException') instanceof InvalidCiphertextException);
    await sdkRejects(() => send(client, 'GenerateRandom', { NumberOfBytes: 0 }), 'ValidationException');
    await sdkRejects(() => send(client, 'Sign', { KeyId: KeyMetadata.KeyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' }), 'UnsupportedOperationException');
    await kms.disableKey({ KeyId: KeyMetadata.KeyId });
    ok(await sdkRejects(() => send(client, 'Encrypt', { KeyId: KeyMetadata.KeyId, Plaintext: utf8('x') }), 'DisabledException') instanceof DisabledException);
    await kms.enableKey({ KeyId: KeyMetadata.KeyId });
    deepEqual(await observe(kms), before, 'the refused calls changed nothing');
    client.destroy();
  });

  test('middleware sees the raw request (signed, JSON 1.1) and response (200, JSON, a request id); $metadata carries the id', async () => {
    const kms = await createKms();
    const client = clientOf(kms, { region: 'eu-west-1' });
    const seen = tap(client, 'deserialize');
    const { KeyMetadata, $metadata } = await send(client, 'CreateKey', { Description: 'tapped' });
    equal(KeyMetadata.Description, 'tapped');
    equal(seen.length, 1);
    const [{ request, response }] = seen;
    equal(request.method, 'POST');
    equal(request.headers['x-amz-target'], 'TrentService.CreateKey');
    match(request.headers['content-type'], /^application\/x-amz-json-1\.1/);
    match(request.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/kms\/aws4_request, /);
    equal(response.statusCode, 200);
    equal(response.headers['content-type'], 'application/x-amz-json-1.1');
    match(response.headers['x-amzn-requestid'], UUID_RE);
    equal($metadata.httpStatusCode, 200);
    equal($metadata.requestId, response.headers['x-amzn-requestid']);
    equal($metadata.attempts, 1);
    client.destroy();
  });

  test('retries: a 500 (a closed KMS) is retried by the SDK up to maxAttempts', async () => {
    const kms = await createKms();
    const client = clientOf(kms, { maxAttempts: 2 });
    let attempts = 0;
    tap(client, 'deserialize', () => { attempts += 1; });
    await kms.close();
    const e = await sdkRejects(() => send(client, 'ListKeys', {}), 'KmsClosedException', 500);
    equal(e.$metadata.attempts, 2, '$metadata.attempts');
    equal(attempts, 2, 'two requests reached the handler');
    client.destroy();
  });

  test('a wrong target and a malformed body are refused as serve refuses them (HTTP 400, its __type), changing nothing', async () => {
    const kms = await createKms();
    await kms.createKey({});
    const before = await observe(kms);
    for (const [change, name] of [
      [(r) => { r.headers['x-amz-target'] = 'TrentService.NoSuchOperation'; }, 'UnknownOperationException'],
      [(r) => { r.headers['x-amz-target'] = 'KeyManagementService.ListKeys'; }, 'UnknownOperationException'],
      [(r) => { delete r.headers['x-amz-target']; }, 'UnknownOperationException'],
      [(r) => { r.headers['x-amz-target'] = 'TrentService.Verify'; }, 'UnsupportedOperationException'],
      [(r) => { r.body = '{"KeyId": '; }, 'SerializationException'],
      [(r) => { r.body = '[1, 2]'; }, 'SerializationException'],
      [(r) => { r.body = '{"KeyId": "alias/x", "Plaintext": "not base64!"}'; }, 'SerializationException'],
      [(r) => { r.headers['content-type'] = 'text/plain'; }, 'SerializationException'],
    ]) {
      const client = clientOf(kms);
      tap(client, 'build', change);
      const e = await sdkRejects(() => send(client, 'ListKeys', {}), name);
      equal(e.$metadata.attempts, 1, `${name} is not retried`);
      client.destroy();
    }
    deepEqual(await observe(kms), before, 'nothing changed');
  });

  test('an abort (the SDK\'s abortSignal) rejects the call with AbortError at once; the KMS carries on', async () => {
    // An external key store whose encrypt waits while `gate` is set: a call that is slow inside the KMS.
    const inner = webCryptoKeyStore({ database: `kms-wasm-test-rh-abort-${Date.now()}` });
    await inner.createKey('ext-1');
    let gate = null;
    let entered = () => {};
    const store = {
      async encrypt(args) {
        entered();
        if (gate) await gate;
        return inner.encrypt(args);
      },
      decrypt: (args) => inner.decrypt(args),
    };
    const kms = await createKms();
    const { CustomKeyStoreId } = await kms.createCustomKeyStore({ CustomKeyStoreName: 'slow', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ExternalKeyStore: store });
    await kms.connectCustomKeyStore({ CustomKeyStoreId });
    const { KeyMetadata } = await kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId: 'ext-1' });
    const client = clientOf(kms);
    let release;
    gate = new Promise((resolve) => { release = resolve; });
    const controller = new AbortController();
    const inStore = new Promise((resolve) => { entered = resolve; });
    const pending = client.send(new sdk.EncryptCommand({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('slow') }), { abortSignal: controller.signal });
    await inStore; // the call is inside the KMS, waiting on the store
    controller.abort();
    // The store may answer now: a handler that waited for the KMS would resolve, not reject.
    release();
    gate = null;
    const e = await rejects(pending, 'AbortError');
    equal(e.$metadata?.attempts ?? 1, 1, 'an abort is not retried');
    const { CiphertextBlob } = await send(client, 'Encrypt', { KeyId: KeyMetadata.KeyId, Plaintext: utf8('after') });
    equal(text((await kms.decrypt({ CiphertextBlob })).Plaintext), 'after', 'the next call answers');
    client.destroy();
  });

  test('the handler is the SDK\'s HttpHandler: updateHttpClientConfig, httpHandlerConfigs, destroy; only a KMS is taken', async () => {
    const kms = await createKms();
    const handler = requestHandler(kms);
    handler.updateHttpClientConfig('requestTimeout', 5);
    deepEqual(handler.httpHandlerConfigs(), { requestTimeout: 5 });
    const client = new KMSClient({ region: 'us-east-1', credentials: CREDENTIALS, requestHandler: handler });
    equal(client.config.requestHandler, handler, 'the SDK keeps the handler as given');
    ok(Array.isArray((await client.send(new sdk.ListKeysCommand({}))).Keys));
    client.destroy();
    ok(Array.isArray((await kms.listKeys({})).Keys), 'destroying the client leaves the KMS open');
    // An already-aborted signal: the SDK's handlers' AbortError.
    const aborted = new AbortController();
    aborted.abort();
    await rejects(handler.handle({ method: 'POST', path: '/', headers: { 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' }, { abortSignal: aborted.signal }), 'AbortError');
    for (const bad of [undefined, null, {}, 'kms', { encrypt() {} }]) {
      await rejects(async () => requestHandler(bad), 'ValidationException', String(bad));
    }
  });
});
