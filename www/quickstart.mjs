// kms-wasm quick start (Node). Run with `make quickstart`, which packs the package
// and installs the tarball into www/node_modules, so this imports exactly
// what users install.
import { createKms, KmsError } from 'kms-wasm';

const text = (bytes) => new TextDecoder().decode(bytes);
const hex = (bytes, n = 16) => Buffer.from(bytes).subarray(0, n).toString('hex') + (bytes.length > n ? '…' : '');
const step = (what, detail = '') => console.log(`• ${what}${detail ? `\n    ${detail}` : ''}`);

const kms = await createKms({ accountId: '111122223333', region: 'eu-west-1' });

// 1. A key and an alias.
const { KeyMetadata } = await kms.createKey({ Description: 'quick start key' });
step('CreateKey', `${KeyMetadata.Arn} (${KeyMetadata.KeyState}, created ${KeyMetadata.CreationDate.toISOString()})`);
await kms.createAlias({ AliasName: 'alias/quickstart', TargetKeyId: KeyMetadata.KeyId });
step('CreateAlias', 'alias/quickstart → ' + KeyMetadata.KeyId);

// 2. Encrypt through the alias, bound to an encryption context.
const context = { tenant: 'acme', purpose: 'quickstart' };
const { CiphertextBlob, KeyId } = await kms.encrypt({
  KeyId: 'alias/quickstart',
  Plaintext: new TextEncoder().encode('attack at dawn'),
  EncryptionContext: context,
});
step('Encrypt', `${CiphertextBlob.length}-byte blob ${hex(CiphertextBlob)} under ${KeyId}`);

// 3. Rotate: new material for new ciphertexts; the old material is kept.
await kms.rotateKeyOnDemand({ KeyId: KeyMetadata.KeyId });
const { Rotations } = await kms.listKeyRotations({ KeyId: KeyMetadata.KeyId });
step('RotateKeyOnDemand', `${Rotations.length} rotation(s), last ${Rotations.at(-1).RotationType} at ${Rotations.at(-1).RotationDate.toISOString()}`);

// 4. The blob made before the rotation still decrypts; no KeyId needed.
const decrypted = await kms.decrypt({ CiphertextBlob, EncryptionContext: context });
step('Decrypt (old ciphertext, after rotation)', `"${text(decrypted.Plaintext)}" with ${decrypted.KeyId}`);

// 5. A data key for envelope encryption: use Plaintext locally, store CiphertextBlob.
const dataKey = await kms.generateDataKey({ KeyId: 'alias/quickstart', KeySpec: 'AES_256', EncryptionContext: context });
step('GenerateDataKey', `${dataKey.Plaintext.length}-byte key, wrapped in a ${dataKey.CiphertextBlob.length}-byte blob`);
const unwrapped = await kms.decrypt({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context });
step('Decrypt (data key)', `same key: ${Buffer.compare(unwrapped.Plaintext, dataKey.Plaintext) === 0}`);
dataKey.Plaintext.fill(0);
unwrapped.Plaintext.fill(0);

// 6. The wrong encryption context fails, as in AWS KMS.
try {
  await kms.decrypt({ CiphertextBlob, EncryptionContext: { ...context, tenant: 'evil corp' } });
  throw new Error('decrypt with the wrong context succeeded');
} catch (e) {
  if (!(e instanceof KmsError)) throw e;
  step('Decrypt with the wrong context fails', `${e.name}: ${e.message}`);
}

// 7. Key policies: the account root may do anything (AWS's default policy);
//    a Deny keeps one principal from decrypting.
const ROOT = 'arn:aws:iam::111122223333:root';
const mallory = kms.withCaller('arn:aws:iam::111122223333:user/mallory');
await kms.putKeyPolicy({
  KeyId: KeyMetadata.KeyId,
  Policy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Account', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
      { Sid: 'NoMallory', Effect: 'Deny', Principal: { AWS: mallory.caller }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  }),
});
try {
  await mallory.decrypt({ CiphertextBlob, EncryptionContext: context });
  throw new Error('mallory decrypted');
} catch (e) {
  if (!(e instanceof KmsError)) throw e;
  step('PutKeyPolicy, then mallory decrypts', `${e.name}: ${e.message}`);
}

// 8. A grant: Decrypt only, only for tenant=acme, usable at once with its token.
const reader = kms.withCaller('arn:aws:iam::111122223333:role/reader');
const { GrantId, GrantToken } = await kms.createGrant({
  KeyId: KeyMetadata.KeyId, GranteePrincipal: reader.caller, Operations: ['Decrypt'],
  Constraints: { EncryptionContextSubset: { tenant: 'acme' } },
});
const viaGrant = await reader.decrypt({ CiphertextBlob, EncryptionContext: context, GrantTokens: [GrantToken] });
step('CreateGrant, then the grantee decrypts', `"${text(viaGrant.Plaintext)}" (grant ${GrantId.slice(0, 12)}…)`);

// 9. Events: rotation, deletion, and an alarm when a key pending deletion is used.
kms.on('KMS CMK Pending Deletion Use Attempt', (event) => {
  step('event: ' + event['detail-type'], `${event.detail.principal} tried ${event.detail['event-name']} on ${event.detail['key-id']}`);
});
const { KeyMetadata: old } = await kms.createKey({ Description: 'retired key' });
const oldBlob = (await kms.encrypt({ KeyId: old.KeyId, Plaintext: new TextEncoder().encode('old') })).CiphertextBlob;
await kms.scheduleKeyDeletion({ KeyId: old.KeyId, PendingWindowInDays: 7 });
await kms.decrypt({ CiphertextBlob: oldBlob }).catch((e) => step('Decrypt with a key pending deletion', e.name));

// 10. The audit log: one CloudTrail-style record per call, allowed or not, in a hash chain.
const records = await kms.auditLog({ KeyId: KeyMetadata.KeyId });
const denied = records.filter((r) => r.errorCode === 'AccessDeniedException');
step('auditLog', `${records.length} records for the key, ${denied.length} denied (${denied[0]?.userIdentity.arn}); ` +
  `chain ${(await kms.verifyAuditLog()).valid ? 'intact' : 'BROKEN'}`);
const usage = await kms.usage({ month: new Date().toISOString().slice(0, 7) });
step('usage', `${usage.totalRequests} requests this month; estimated $${usage.estimatedCost.total.toFixed(4)}`);

await kms.close();
console.log('done.');
