// Access control (issue 3): key policies, grants, private endpoints, AWS
// managed keys and callers from other accounts. Each feature shows the
// allowed and the denied case; every refused call is checked to change
// nothing a caller can observe and to leave its audit record.
import { createKms } from 'kms-wasm';
import {
  suite, ok, equal, deepEqual, rejects, match, observe, fakeClock, utf8, DEFAULT_ACCOUNT, DEFAULT_REGION, DAY,
} from './harness.js';

const ROOT = `arn:aws:iam::${DEFAULT_ACCOUNT}:root`;
const ADMIN = `arn:aws:iam::${DEFAULT_ACCOUNT}:user/admin`;
const ALICE = `arn:aws:iam::${DEFAULT_ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${DEFAULT_ACCOUNT}:user/bob`;
const READER = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/reader`;
const RETIRER = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/retirer`;
const MALLORY = `arn:aws:iam::${DEFAULT_ACCOUNT}:user/mallory`;
const OTHER_ROOT = 'arn:aws:iam::444455556666:root';
const OTHER_ROLE = 'arn:aws:iam::444455556666:role/app';

const VPCE_A = 'vpce-0a1b2c3d4e5f60001';
const VPCE_B = 'vpce-0a1b2c3d4e5f60002';
const VPC = 'vpc-0123456789abcdef0';

/** A policy document as text. */
const policy = (...Statement) => JSON.stringify({ Version: '2012-10-17', Statement });
/** The account may do anything (and, with no IAM here, so may every principal of it). */
const allowAccount = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' };
/** Only ADMIN may do anything: other principals of the account get nothing from the policy. */
const allowAdmin = { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:*', Resource: '*' };

const CRYPTO_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/**
 * What a caller can observe, plus the access state of `keys` (policy and
 * grants), seen by `view`.
 */
async function observeAccess(view, keys = []) {
  const base = await observe(view);
  const access = {};
  for (const KeyId of keys) {
    access[KeyId] = {
      policy: (await view.getKeyPolicy({ KeyId })).Policy,
      grants: (await view.listGrants({ KeyId })).Grants,
    };
  }
  return { base, access };
}

/**
 * Requires `call` to reject with `name`, to change nothing `view` can
 * observe (for `keys`), and to leave one audit record with that errorCode,
 * made by `caller`. Returns the error.
 */
async function refused(view, keys, call, name, caller, msg) {
  const before = await observeAccess(view, keys);
  const count = (await view.auditLog()).length;
  const err = await rejects(call, name, msg);
  const log = await view.auditLog();
  equal(log.length, count + 1, `${msg}: exactly one audit record for the refused call`);
  const last = log[log.length - 1];
  equal(last.errorCode, name, `${msg}: the record's errorCode`);
  equal(last.errorMessage, err.message, `${msg}: the record's errorMessage`);
  equal(last.userIdentity.arn, caller, `${msg}: the record names the caller`);
  deepEqual(await observeAccess(view, keys), before, `${msg}: nothing changed`);
  return err;
}

async function encryptAs(view, KeyId, EncryptionContext, text = 'access test') {
  return (await view.encrypt({ KeyId, Plaintext: utf8(text), EncryptionContext })).CiphertextBlob;
}

export default suite('access', (test) => {
  // ---- key policies -------------------------------------------------------

  test('the default key policy allows the account root kms:*, and listKeyPolicies is [default]', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({});
    const got = await kms.getKeyPolicy({ KeyId: KeyMetadata.KeyId, PolicyName: 'default' });
    equal(got.PolicyName, 'default');
    const doc = JSON.parse(got.Policy);
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    ok(statements.some((s) => s.Effect === 'Allow' && s.Principal && s.Principal.AWS === ROOT && s.Action === 'kms:*' && s.Resource === '*'),
      `a statement allows ${ROOT} kms:* on *: ${got.Policy}`);
    deepEqual(await kms.listKeyPolicies({ KeyId: KeyMetadata.KeyId }), { PolicyNames: ['default'], Truncated: false });
    deepEqual((await kms.listKeyPolicies({ KeyId: KeyMetadata.Arn, Limit: 1 })).PolicyNames, ['default'], 'by ARN, with Limit');
    // The account's statement covers every principal of the account (no IAM here).
    const blob = await encryptAs(kms.withCaller(ALICE), KeyMetadata.KeyId);
    deepEqual((await kms.withCaller(BOB).decrypt({ CiphertextBlob: blob })).Plaintext, utf8('access test'));
    await rejects(kms.getKeyPolicy({ KeyId: KeyMetadata.KeyId, PolicyName: 'other' }), 'NotFoundException', 'the only policy name is default');
  });

  test('createKey with Policy: getKeyPolicy returns it as given, and it governs the key', async () => {
    const kms = await createKms();
    const text = policy(allowAccount, { Sid: 'NoBobDecrypt', Effect: 'Deny', Principal: { AWS: BOB }, Action: 'kms:Decrypt', Resource: '*' });
    const { KeyMetadata } = await kms.createKey({ Policy: text, Description: 'with a policy' });
    equal((await kms.getKeyPolicy({ KeyId: KeyMetadata.KeyId })).Policy, text, 'the text as it was put');
    const blob = await encryptAs(kms, KeyMetadata.KeyId);
    await rejects(kms.withCaller(BOB).decrypt({ CiphertextBlob: blob }), 'AccessDeniedException', 'the policy is in force');
  });

  test('createKey with a malformed or locking-out Policy creates nothing', async () => {
    const kms = await createKms();
    await kms.createKey({ Description: 'existing' });
    const before = await observe(kms);
    await rejects(kms.createKey({ Policy: '{"Statement": [' }), 'MalformedPolicyDocumentException', 'not JSON');
    await rejects(kms.createKey({ Policy: policy({ Effect: 'Perhaps', Principal: '*', Action: 'kms:*', Resource: '*' }) }),
      'MalformedPolicyDocumentException', 'Effect must be Allow or Deny');
    await rejects(kms.createKey({ Policy: policy({ Effect: 'Allow', Principal: { AWS: ALICE }, Action: 'kms:Encrypt', Resource: '*' }) }),
      'MalformedPolicyDocumentException', 'a policy the creator could never change');
    deepEqual(await observe(kms), before, 'no key was created');
    const { KeyMetadata } = await kms.createKey({
      Policy: policy({ Effect: 'Allow', Principal: { AWS: ALICE }, Action: 'kms:*', Resource: '*' }),
      BypassPolicyLockoutSafetyCheck: true,
    });
    equal(KeyMetadata.KeyState, 'Enabled', 'allowed with BypassPolicyLockoutSafetyCheck');
  });

  test('a Deny on kms:Decrypt for one principal: that principal is refused, others are not', async () => {
    const kms = await createKms();
    const alice = kms.withCaller(ALICE);
    const bob = kms.withCaller(BOB);
    const { KeyMetadata } = await kms.createKey({
      Policy: policy(allowAccount, { Sid: 'NoAliceDecrypt', Effect: 'Deny', Principal: { AWS: ALICE }, Action: 'kms:Decrypt', Resource: '*' }),
    });
    const KeyId = KeyMetadata.KeyId;
    const blob = await encryptAs(alice, KeyId, { tenant: 'acme' });
    // allowed: bob and the root decrypt; alice may still encrypt
    deepEqual((await bob.decrypt({ CiphertextBlob: blob, EncryptionContext: { tenant: 'acme' } })).Plaintext, utf8('access test'));
    deepEqual((await kms.decrypt({ CiphertextBlob: blob, EncryptionContext: { tenant: 'acme' } })).Plaintext, utf8('access test'));
    // denied: alice decrypts
    const err = await refused(kms, [KeyId], () => alice.decrypt({ CiphertextBlob: blob, EncryptionContext: { tenant: 'acme' } }),
      'AccessDeniedException', ALICE, 'alice decrypts');
    ok(err.message.includes(ALICE) && err.message.includes('kms:Decrypt') && err.message.includes(KeyMetadata.Arn),
      `AWS-style message naming who, which action and which key: ${err.message}`);
    match(err.message, /explicit deny/, 'the message says it was an explicit deny');
    // the explicit deny wins over the grant that would allow it
    await kms.createGrant({ KeyId, GranteePrincipal: ALICE, Operations: ['Decrypt'] });
    await rejects(alice.decrypt({ CiphertextBlob: blob, EncryptionContext: { tenant: 'acme' } }), 'AccessDeniedException', 'a grant does not beat an explicit deny');
  });

  test('a condition on kms:EncryptionContext:tenant allows only that tenant', async () => {
    const kms = await createKms();
    const admin = kms.withCaller(ADMIN);
    const alice = kms.withCaller(ALICE);
    const { KeyMetadata } = await admin.createKey({
      Policy: policy(allowAdmin, {
        Sid: 'AcmeOnly', Effect: 'Allow', Principal: { AWS: ALICE }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
      }),
    });
    const KeyId = KeyMetadata.KeyId;
    // allowed: the acme context
    const blob = await encryptAs(alice, KeyId, { tenant: 'acme', doc: '42' });
    deepEqual((await alice.decrypt({ CiphertextBlob: blob, EncryptionContext: { tenant: 'acme', doc: '42' } })).Plaintext, utf8('access test'));
    // denied: another tenant, no context, and a principal the policy does not name
    await refused(admin, [KeyId], () => alice.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'globex' } }),
      'AccessDeniedException', ALICE, 'another tenant');
    await refused(admin, [KeyId], () => alice.encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', ALICE, 'no context');
    await refused(admin, [KeyId], () => kms.withCaller(BOB).decrypt({ CiphertextBlob: blob, EncryptionContext: { tenant: 'acme', doc: '42' } }),
      'AccessDeniedException', BOB, 'bob is not in the policy');
  });

  test('putKeyPolicy: a valid policy replaces the old one; malformed, oversized and locking-out ones change nothing', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({});
    const KeyId = KeyMetadata.KeyId;
    const next = policy(allowAccount, { Sid: 'NoBob', Effect: 'Deny', Principal: { AWS: BOB }, Action: 'kms:*', Resource: '*' });
    deepEqual(await kms.putKeyPolicy({ KeyId, PolicyName: 'default', Policy: next }), {});
    equal((await kms.getKeyPolicy({ KeyId })).Policy, next);

    await refused(kms, [KeyId], () => kms.putKeyPolicy({ KeyId, Policy: '{"Version": "2012-10-17", "Statement": [' }),
      'MalformedPolicyDocumentException', ROOT, 'not JSON');
    await refused(kms, [KeyId], () => kms.putKeyPolicy({ KeyId, Policy: policy({ Effect: 'Allow', Principal: { AWS: ROOT }, Resource: '*' }) }),
      'MalformedPolicyDocumentException', ROOT, 'a statement without Action');
    const big = policy(allowAccount, { Sid: 'Padding', Effect: 'Deny', Principal: { AWS: BOB }, Action: 'kms:Encrypt', Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:pad': 'p'.repeat(33 * 1024) } } });
    ok(big.length > 32 * 1024, 'the document is over 32 KB');
    await refused(kms, [KeyId], () => kms.putKeyPolicy({ KeyId, Policy: big }), 'LimitExceededException', ROOT, 'over 32 KB');
    const lockout = policy({ Sid: 'AliceUses', Effect: 'Allow', Principal: { AWS: ALICE }, Action: CRYPTO_ACTIONS, Resource: '*' });
    const err = await refused(kms, [KeyId], () => kms.putKeyPolicy({ KeyId, Policy: lockout }), 'MalformedPolicyDocumentException', ROOT,
      'a policy that locks the caller out');
    ok(/policy/i.test(err.message), `the reason: ${err.message}`);
    await refused(kms, [KeyId], () => kms.withCaller(BOB).putKeyPolicy({ KeyId, Policy: next }), 'AccessDeniedException', BOB,
      'bob is denied kms:* by the policy in force');

    // With the safety check bypassed, the caller locks itself out.
    await kms.putKeyPolicy({ KeyId, Policy: lockout, BypassPolicyLockoutSafetyCheck: true });
    await rejects(kms.putKeyPolicy({ KeyId, Policy: next }), 'AccessDeniedException', 'the root can no longer change the policy');
    await rejects(kms.getKeyPolicy({ KeyId }), 'AccessDeniedException', 'nor read it');
    const blob = await encryptAs(kms.withCaller(ALICE), KeyId);
    ok(blob.length > 0, 'alice still uses the key');
  });

  // ---- callers from another account ---------------------------------------

  test('a caller from another account is refused on encrypt and on createKey, unless a key policy names its account', async () => {
    const kms = await createKms();
    const stranger = kms.withCaller(OTHER_ROOT);
    const { KeyMetadata } = await kms.createKey({});
    await refused(kms, [KeyMetadata.KeyId], () => stranger.encrypt({ KeyId: KeyMetadata.Arn, Plaintext: utf8('x') }),
      'AccessDeniedException', OTHER_ROOT, 'encrypt with a key of another account');
    await refused(kms, [KeyMetadata.KeyId], () => stranger.createKey({ Description: 'not here' }), 'AccessDeniedException', OTHER_ROOT,
      'createKey in another account');
    await refused(kms, [KeyMetadata.KeyId], () => kms.withCaller(OTHER_ROLE).describeKey({ KeyId: KeyMetadata.Arn }), 'AccessDeniedException', OTHER_ROLE,
      'describeKey');
    // allowed: a key whose policy names the other account
    const { KeyMetadata: shared } = await kms.createKey({
      Policy: policy(allowAccount, { Sid: 'Partner', Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' }),
    });
    const blob = await encryptAs(kms.withCaller(OTHER_ROLE), shared.Arn);
    deepEqual((await stranger.decrypt({ CiphertextBlob: blob })).Plaintext, utf8('access test'));
  });

  // ---- grants -------------------------------------------------------------

  test('a grant limited to Decrypt with an EncryptionContextSubset constraint: used by the grantee, then retired', async () => {
    const kms = await createKms();
    const admin = kms.withCaller(ADMIN);
    const reader = kms.withCaller(READER);
    const { KeyMetadata } = await admin.createKey({ Policy: policy(allowAdmin) });
    const KeyId = KeyMetadata.KeyId;
    const acmeCtx = { tenant: 'acme', doc: '7' };
    const acme = await encryptAs(admin, KeyId, acmeCtx, 'acme data');
    const globex = await encryptAs(admin, KeyId, { tenant: 'globex' }, 'globex data');
    await refused(admin, [KeyId], () => reader.decrypt({ CiphertextBlob: acme, EncryptionContext: acmeCtx }), 'AccessDeniedException', READER,
      'before the grant');

    const { GrantId, GrantToken } = await admin.createGrant({
      KeyId, GranteePrincipal: READER, RetiringPrincipal: RETIRER, Operations: ['Decrypt'], Name: 'acme-reader',
      Constraints: { EncryptionContextSubset: { tenant: 'acme' } },
    });
    match(GrantId, /^[0-9a-f]{64}$/, 'GrantId');
    ok(typeof GrantToken === 'string' && GrantToken.length > 0, 'GrantToken');
    deepEqual(await admin.createGrant({
      KeyId, GranteePrincipal: READER, RetiringPrincipal: RETIRER, Operations: ['Decrypt'], Name: 'acme-reader',
      Constraints: { EncryptionContextSubset: { tenant: 'acme' } },
    }), { GrantId, GrantToken }, 'a retry with the same Name and parameters returns the same grant');

    // allowed: Decrypt with a context that includes tenant=acme
    deepEqual((await reader.decrypt({ CiphertextBlob: acme, EncryptionContext: acmeCtx })).Plaintext, utf8('acme data'));
    // denied: another tenant, and operations the grant does not list
    await refused(admin, [KeyId], () => reader.decrypt({ CiphertextBlob: globex, EncryptionContext: { tenant: 'globex' } }),
      'AccessDeniedException', READER, 'a context outside the constraint');
    await refused(admin, [KeyId], () => reader.encrypt({ KeyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'acme' } }),
      'AccessDeniedException', READER, 'Encrypt is not granted');
    await refused(admin, [KeyId], () => reader.generateDataKey({ KeyId, KeySpec: 'AES_256', EncryptionContext: { tenant: 'acme' } }),
      'AccessDeniedException', READER, 'GenerateDataKey is not granted');

    const { Grants } = await admin.listGrants({ KeyId });
    equal(Grants.length, 1);
    const g = Grants[0];
    equal(g.GrantId, GrantId);
    equal(g.KeyId, KeyMetadata.Arn);
    equal(g.GranteePrincipal, READER);
    equal(g.RetiringPrincipal, RETIRER);
    equal(g.Name, 'acme-reader');
    deepEqual(g.Operations, ['Decrypt']);
    deepEqual(g.Constraints, { EncryptionContextSubset: { tenant: 'acme' } });
    ok(g.CreationDate instanceof Date, 'CreationDate is a Date');
    deepEqual((await kms.listRetirableGrants({ RetiringPrincipal: RETIRER })).Grants.map((x) => x.GrantId), [GrantId], 'listRetirableGrants');
    deepEqual((await kms.listRetirableGrants({ RetiringPrincipal: MALLORY })).Grants, [], 'nothing for others');

    // denied: a principal that is neither the retiring principal nor allowed by the policy
    await refused(admin, [KeyId], () => kms.withCaller(MALLORY).retireGrant({ KeyId: KeyMetadata.Arn, GrantId }), 'AccessDeniedException', MALLORY,
      'mallory retires');
    // allowed: the retiring principal
    deepEqual(await kms.withCaller(RETIRER).retireGrant({ KeyId: KeyMetadata.Arn, GrantId }), {});
    deepEqual((await admin.listGrants({ KeyId })).Grants, [], 'the grant is gone');
    await rejects(reader.decrypt({ CiphertextBlob: acme, EncryptionContext: acmeCtx }), 'AccessDeniedException', 'unusable once retired');
    await rejects(reader.decrypt({ CiphertextBlob: acme, EncryptionContext: acmeCtx, GrantTokens: [GrantToken] }), 'AccessDeniedException',
      'its token does not bring it back');
    await rejects(kms.withCaller(RETIRER).retireGrant({ KeyId: KeyMetadata.Arn, GrantId }), 'NotFoundException', 'retired once');
  });

  test('retireGrant by token and revokeGrant; the grantee may not revoke', async () => {
    const kms = await createKms();
    const admin = kms.withCaller(ADMIN);
    const reader = kms.withCaller(READER);
    const { KeyMetadata } = await admin.createKey({ Policy: policy(allowAdmin) });
    const KeyId = KeyMetadata.KeyId;
    const one = await admin.createGrant({ KeyId, GranteePrincipal: READER, Operations: ['Encrypt', 'RetireGrant'] });
    const two = await admin.createGrant({ KeyId, GranteePrincipal: READER, Operations: ['Encrypt'] });
    await encryptAs(reader, KeyId);
    deepEqual(await reader.retireGrant({ GrantToken: one.GrantToken }), {}, 'the grantee retires a grant that allows RetireGrant');
    await refused(admin, [KeyId], () => reader.revokeGrant({ KeyId, GrantId: two.GrantId }), 'AccessDeniedException', READER, 'the grantee revokes');
    await encryptAs(reader, KeyId, undefined, 'still granted');
    deepEqual(await admin.revokeGrant({ KeyId, GrantId: two.GrantId }), {});
    deepEqual((await admin.listGrants({ KeyId })).Grants, []);
    await rejects(reader.encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', 'no grant left');
    await rejects(admin.revokeGrant({ KeyId, GrantId: 'nope' }), 'InvalidGrantIdException', 'a malformed grant id');
  });

  test('a new grant is unusable before propagation without its token, usable with it, and without it once propagated', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now, grantPropagationSeconds: 300 });
    const admin = kms.withCaller(ADMIN);
    const reader = kms.withCaller(READER);
    const { KeyMetadata } = await admin.createKey({ Policy: policy(allowAdmin) });
    const KeyId = KeyMetadata.KeyId;
    const { GrantToken } = await admin.createGrant({ KeyId, GranteePrincipal: READER, Operations: ['Encrypt', 'Decrypt'] });
    await refused(admin, [KeyId], () => reader.encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', READER, 'at once, without the token');
    const blob = (await reader.encrypt({ KeyId, Plaintext: utf8('early'), GrantTokens: [GrantToken] })).CiphertextBlob;
    deepEqual((await reader.decrypt({ CiphertextBlob: blob, GrantTokens: [GrantToken] })).Plaintext, utf8('early'), 'with the token');
    clock.advance(299_000);
    await rejects(reader.decrypt({ CiphertextBlob: blob }), 'AccessDeniedException', '1 s before the grant propagates');
    clock.advance(1_000);
    deepEqual((await reader.decrypt({ CiphertextBlob: blob })).Plaintext, utf8('early'), 'once propagated, without the token');
  });

  test('a grant is in force at once with the default grantPropagationSeconds (0)', async () => {
    const kms = await createKms();
    const admin = kms.withCaller(ADMIN);
    const { KeyMetadata } = await admin.createKey({ Policy: policy(allowAdmin) });
    await admin.createGrant({ KeyId: KeyMetadata.KeyId, GranteePrincipal: READER, Operations: ['Encrypt'] });
    ok((await encryptAs(kms.withCaller(READER), KeyMetadata.KeyId)).length > 0);
  });

  test('a malformed grant token is InvalidGrantTokenException, and changes nothing', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({});
    const KeyId = KeyMetadata.KeyId;
    const { GrantToken } = await kms.createGrant({ KeyId, GranteePrincipal: READER, Operations: ['Encrypt'] });
    for (const bad of ['not-a-token', GrantToken.slice(0, -4), `${GrantToken}AAAA`, '!!!!']) {
      await refused(kms, [KeyId], () => kms.encrypt({ KeyId, Plaintext: utf8('x'), GrantTokens: [bad] }), 'InvalidGrantTokenException', ROOT,
        `encrypt with token ${JSON.stringify(bad.slice(0, 12))}`);
    }
    await refused(kms, [KeyId], () => kms.encrypt({ KeyId, Plaintext: utf8('x'), GrantTokens: [GrantToken, 'garbage'] }),
      'InvalidGrantTokenException', ROOT, 'one bad token among good ones');
    await refused(kms, [KeyId], () => kms.retireGrant({ GrantToken: 'garbage' }), 'InvalidGrantTokenException', ROOT, 'retireGrant');
    await refused(kms, [KeyId], () => kms.encrypt({ KeyId, Plaintext: utf8('x'), GrantTokens: [''] }), 'ValidationException', ROOT,
      'an empty token breaks the length constraint (1 to 8192)');
    ok((await kms.encrypt({ KeyId, Plaintext: utf8('x'), GrantTokens: [GrantToken] })).CiphertextBlob.length > 0, 'a real token is accepted');
  });

  test('createGrant refuses bad requests with ValidationException, and grants nothing', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({});
    const KeyId = KeyMetadata.KeyId;
    const cases = [
      ['both constraints', { Constraints: { EncryptionContextSubset: { a: 'b' }, EncryptionContextEquals: { a: 'b' } } }],
      ['no operations', { Operations: [] }],
      ['an unknown operation', { Operations: ['Decrypt', 'Launch'] }],
      ['a constraint with an operation without context', { Operations: ['DescribeKey'], Constraints: { EncryptionContextSubset: { a: 'b' } } }],
      ['a grantee that is not a principal', { GranteePrincipal: 'alice' }],
    ];
    for (const [what, over] of cases) {
      await refused(kms, [KeyId], () => kms.createGrant({ KeyId, GranteePrincipal: READER, Operations: ['Decrypt'], ...over }),
        'ValidationException', ROOT, what);
    }
  });

  // ---- private endpoints --------------------------------------------------

  test('a key usable only through one endpoint: direct calls and other endpoints are denied', async () => {
    const kms = await createKms();
    await kms.createEndpoint({ VpcEndpointId: VPCE_A, VpcId: VPC });
    deepEqual(await kms.createEndpoint({ VpcEndpointId: VPCE_B, VpcId: VPC }), { VpcEndpointId: VPCE_B, VpcId: VPC });
    const { KeyMetadata } = await kms.createKey({
      Policy: policy(allowAccount, {
        Sid: 'OnlyThroughEndpointA', Effect: 'Deny', Principal: '*', Action: CRYPTO_ACTIONS, Resource: '*',
        Condition: { StringNotEquals: { 'aws:SourceVpce': VPCE_A } },
      }),
    });
    const KeyId = KeyMetadata.KeyId;
    const viaA = kms.withCaller(ALICE).viaEndpoint(VPCE_A);
    equal(viaA.caller, ALICE, 'the composed view keeps its caller');
    equal(viaA.endpoint, VPCE_A);
    // allowed: through endpoint A
    const blob = await encryptAs(viaA, KeyId);
    deepEqual((await viaA.decrypt({ CiphertextBlob: blob })).Plaintext, utf8('access test'));
    // denied: directly and through endpoint B
    await refused(kms, [KeyId], () => kms.withCaller(ALICE).encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', ALICE, 'direct encrypt');
    await refused(kms, [KeyId], () => kms.decrypt({ CiphertextBlob: blob }), 'AccessDeniedException', ROOT, 'direct decrypt');
    await refused(kms, [KeyId], () => kms.viaEndpoint(VPCE_B).decrypt({ CiphertextBlob: blob }), 'AccessDeniedException', ROOT, 'through endpoint B');
    // Non-cryptographic calls are not restricted by this policy.
    equal((await kms.describeKey({ KeyId })).KeyMetadata.KeyState, 'Enabled');
    // The records of calls through an endpoint say so.
    const log = await kms.auditLog({ KeyId });
    ok(log.some((r) => r.eventName === 'Encrypt' && r.vpcEndpointId === VPCE_A && !r.errorCode), 'the allowed call through A is recorded with vpcEndpointId');
    ok(log.some((r) => r.eventName === 'Decrypt' && r.vpcEndpointId === VPCE_B && r.errorCode === 'AccessDeniedException'), 'the denied call through B too');
  });

  test('aws:SourceVpc: a key policy that allows only calls from one VPC', async () => {
    const kms = await createKms();
    const admin = kms.withCaller(ADMIN);
    await admin.createEndpoint({ VpcEndpointId: VPCE_A, VpcId: VPC });
    await admin.createEndpoint({ VpcEndpointId: VPCE_B, VpcId: 'vpc-00000000000000bad' });
    const { KeyMetadata } = await admin.createKey({
      Policy: policy(allowAdmin, {
        Sid: 'AppFromVpc', Effect: 'Allow', Principal: { AWS: ALICE }, Action: CRYPTO_ACTIONS, Resource: '*',
        Condition: { StringEquals: { 'aws:SourceVpc': VPC } },
      }),
    });
    const KeyId = KeyMetadata.KeyId;
    const alice = kms.withCaller(ALICE);
    ok((await encryptAs(alice.viaEndpoint(VPCE_A), KeyId)).length > 0, 'through an endpoint of that VPC');
    await refused(admin, [KeyId], () => alice.viaEndpoint(VPCE_B).encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', ALICE, 'another VPC');
    await refused(admin, [KeyId], () => alice.encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', ALICE, 'no VPC');
  });

  test('an endpoint policy that denies wins even when the key policy allows', async () => {
    const kms = await createKms();
    await kms.createEndpoint({
      VpcEndpointId: VPCE_A, VpcId: VPC,
      Policy: policy(
        { Sid: 'All', Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' },
        { Sid: 'NoDecrypt', Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' },
      ),
    });
    await kms.createEndpoint({
      VpcEndpointId: VPCE_B, VpcId: VPC,
      Policy: policy({ Sid: 'DescribeOnly', Effect: 'Allow', Principal: '*', Action: 'kms:DescribeKey', Resource: '*' }),
    });
    const { KeyMetadata } = await kms.createKey({}); // the default key policy allows the account everything
    const KeyId = KeyMetadata.KeyId;
    const viaA = kms.viaEndpoint(VPCE_A);
    const viaB = kms.viaEndpoint(VPCE_B);
    const blob = await encryptAs(viaA, KeyId);
    deepEqual((await kms.decrypt({ CiphertextBlob: blob })).Plaintext, utf8('access test'), 'allowed directly');
    const err = await refused(kms, [KeyId], () => viaA.decrypt({ CiphertextBlob: blob }), 'AccessDeniedException', ROOT, 'explicit deny in the endpoint policy');
    match(err.message, /endpoint/i, 'the message names the endpoint policy');
    equal((await viaB.describeKey({ KeyId })).KeyMetadata.Arn, KeyMetadata.Arn, 'allowed by the second endpoint policy');
    await refused(kms, [KeyId], () => viaB.encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', ROOT, 'not allowed by the endpoint policy');
    await refused(kms, [KeyId], () => viaB.createKey({}), 'AccessDeniedException', ROOT, 'createKey through an endpoint that does not allow it');
  });

  test('createEndpoint and viaEndpoint refuse what is not there or not theirs', async () => {
    const kms = await createKms();
    const { KeyMetadata } = await kms.createKey({});
    await rejects(kms.viaEndpoint('vpce-0000000000000dead').encrypt({ KeyId: KeyMetadata.KeyId, Plaintext: utf8('x') }), 'NotFoundException',
      'an endpoint that was never created');
    await rejects(kms.createEndpoint({ VpcEndpointId: 'endpoint-1', VpcId: VPC }), 'ValidationException', 'a malformed endpoint id');
    await rejects(kms.createEndpoint({ VpcEndpointId: VPCE_A, VpcId: 'my-vpc' }), 'ValidationException', 'a malformed VPC id');
    await rejects(kms.createEndpoint({ VpcEndpointId: VPCE_A, VpcId: VPC, Policy: '{' }), 'MalformedPolicyDocumentException', 'a malformed policy');
    await rejects(kms.withCaller(OTHER_ROOT).createEndpoint({ VpcEndpointId: VPCE_A, VpcId: VPC }), 'AccessDeniedException', 'another account');
    await kms.createEndpoint({ VpcEndpointId: VPCE_A, VpcId: VPC });
    await rejects(kms.createEndpoint({ VpcEndpointId: VPCE_A, VpcId: VPC }), 'AlreadyExistsException', 'twice');
    let threw = null;
    try {
      kms.viaEndpoint('');
    } catch (e) {
      threw = e;
    }
    equal(threw && threw.name, 'ValidationException', 'viaEndpoint needs an id');
  });

  // ---- AWS managed keys ---------------------------------------------------

  test('forService(s3): its first use creates alias/aws/s3 (KeyManager AWS), usable through the service and not directly', async () => {
    const kms = await createKms();
    await rejects(kms.describeKey({ KeyId: 'alias/aws/s3' }), 'NotFoundException', 'no managed key before the service is used');
    const s3 = kms.forService('s3');
    equal(s3.service, 's3');
    equal(s3.caller, ROOT, 'the view keeps its caller');
    const enc = await s3.encrypt({ KeyId: 'alias/aws/s3', Plaintext: utf8('object data'), EncryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::bucket/key' } });
    const { KeyMetadata } = await kms.describeKey({ KeyId: 'alias/aws/s3' });
    equal(KeyMetadata.KeyManager, 'AWS');
    equal(KeyMetadata.KeyState, 'Enabled');
    equal(enc.KeyId, KeyMetadata.Arn, 'the service used its managed key');
    ok((await kms.listAliases({})).Aliases.some((a) => a.AliasName === 'alias/aws/s3' && a.TargetKeyId === KeyMetadata.KeyId), 'listed among the aliases');
    ok((await kms.listKeys({})).Keys.some((k) => k.KeyArn === KeyMetadata.Arn), 'listed among the keys');
    const doc = JSON.parse((await kms.getKeyPolicy({ KeyId: KeyMetadata.KeyId })).Policy);
    ok(JSON.stringify(doc).includes(`s3.${DEFAULT_REGION}.amazonaws.com`), 'its policy requires kms:ViaService s3');
    // allowed: through s3, by principals of the account
    const ctx = { 'aws:s3:arn': 'arn:aws:s3:::bucket/key' };
    deepEqual((await s3.decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx })).Plaintext, utf8('object data'));
    const aliceS3 = kms.withCaller(ALICE).forService('s3');
    ok((await aliceS3.generateDataKey({ KeyId: 'alias/aws/s3', KeySpec: 'AES_256' })).Plaintext.length === 32, 'alice through s3');
    // denied: directly, through another service, from another account
    const KeyId = KeyMetadata.KeyId;
    const ebs = kms.forService('ebs');
    await ebs.generateRandom({ NumberOfBytes: 8 }); // its first use makes alias/aws/ebs (not a change of the refused call below)
    await refused(kms, [KeyId], () => kms.decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx }), 'AccessDeniedException', ROOT, 'direct decrypt');
    await refused(kms, [KeyId], () => kms.encrypt({ KeyId: 'alias/aws/s3', Plaintext: utf8('x') }), 'AccessDeniedException', ROOT, 'direct encrypt');
    await refused(kms, [KeyId], () => kms.withCaller(ALICE).generateDataKey({ KeyId, KeySpec: 'AES_256' }), 'AccessDeniedException', ALICE, 'direct generateDataKey');
    await refused(kms, [KeyId], () => ebs.encrypt({ KeyId, Plaintext: utf8('x') }), 'AccessDeniedException', ROOT, 'through another service');
    await refused(kms, [KeyId], () => kms.withCaller(OTHER_ROOT).forService('s3').encrypt({ KeyId: KeyMetadata.Arn, Plaintext: utf8('x') }),
      'AccessDeniedException', OTHER_ROOT, 'another account through s3');
    equal((await kms.describeKey({ KeyId: 'alias/aws/ebs' })).KeyMetadata.KeyManager, 'AWS', 'the ebs view made its own managed key');
    await s3.encrypt({ KeyId: 'alias/aws/s3', Plaintext: utf8('again') });
    equal((await kms.listAliases({})).Aliases.filter((a) => a.AliasName === 'alias/aws/s3').length, 1, 'made once');
  });

  test('a managed key cannot be disabled, scheduled for deletion, rotated or given another policy (AccessDeniedException)', async () => {
    const kms = await createKms();
    const s3 = kms.forService('s3');
    await s3.generateDataKey({ KeyId: 'alias/aws/s3', KeySpec: 'AES_256' });
    const { KeyMetadata } = await kms.describeKey({ KeyId: 'alias/aws/s3' });
    const KeyId = KeyMetadata.KeyId;
    const tries = [
      ['disableKey', (v) => v.disableKey({ KeyId })],
      ['scheduleKeyDeletion', (v) => v.scheduleKeyDeletion({ KeyId, PendingWindowInDays: 7 })],
      ['putKeyPolicy', (v) => v.putKeyPolicy({ KeyId, Policy: policy(allowAccount) })],
      ['disableKeyRotation', (v) => v.disableKeyRotation({ KeyId })],
      ['enableKeyRotation', (v) => v.enableKeyRotation({ KeyId, RotationPeriodInDays: 90 })],
      ['rotateKeyOnDemand', (v) => v.rotateKeyOnDemand({ KeyId })],
      ['updateKeyDescription', (v) => v.updateKeyDescription({ KeyId, Description: 'mine now' })],
    ];
    for (const [what, call] of tries) {
      await refused(kms, [KeyId], () => call(kms), 'AccessDeniedException', ROOT, `${what} directly`);
      await refused(kms, [KeyId], () => call(s3), 'AccessDeniedException', ROOT, `${what} through s3`);
    }
    // Grants are for the service (its policy allows kms:CreateGrant through s3, as AWS's does), not for customers.
    await refused(kms, [KeyId], () => kms.createGrant({ KeyId, GranteePrincipal: ALICE, Operations: ['Decrypt'] }), 'AccessDeniedException', ROOT,
      'createGrant directly');
    // allowed: reading it
    equal((await kms.getKeyRotationStatus({ KeyId })).KeyRotationEnabled, true, 'AWS managed keys rotate (yearly)');
    deepEqual((await kms.listKeyPolicies({ KeyId })).PolicyNames, ['default']);
    equal((await kms.describeKey({ KeyId })).KeyMetadata.Enabled, true);
  });

  test('an AWS managed key rotates yearly by the clock', async () => {
    const clock = fakeClock();
    const kms = await createKms({ now: clock.now });
    await kms.forService('s3').generateDataKey({ KeyId: 'alias/aws/s3', NumberOfBytes: 32 });
    clock.advance(365 * DAY);
    const { Rotations } = await kms.listKeyRotations({ KeyId: (await kms.describeKey({ KeyId: 'alias/aws/s3' })).KeyMetadata.KeyId });
    equal(Rotations.length, 1, 'one rotation after a year');
    equal(Rotations[0].RotationType, 'AUTOMATIC');
  });
});
