// Type-checked only, never run (check.sh, every cell of the matrix): uses
// every function, Kms member and option of kms-wasm's index.d.ts the way an
// application would, with realistic requests, and shows that wrong shapes are
// refused (`// @ts-expect-error` lines: each must be an error, or tsc fails
// with "Unused '@ts-expect-error' directive").
//
// Coverage is enforced by the compiler: `kmsMembers` must have an entry for
// every member of Kms, `packageExports` one for every value the package
// exports, and the option bags are written as `Required<...>`, so a member
// added to index.d.ts without a use here fails the check.

import * as pkg from 'kms-wasm';
import {
  createKms,
  memoryStore,
  fileStore,
  indexedDbStore,
  webCryptoKeyStore,
  verifyAuditRecords,
  setWasmUrl,
  KmsError,
  encryptMessage,
  decryptMessage,
  encryptStream,
  decryptStream,
  rawAesKeyring,
  kmsKeyring,
  multiKeyring,
  cachingKeyring,
  requestHandler,
  type AuditLogFilter,
  type KeyLastUsageData,
  type MultiRegionConfiguration,
  type AuditRecord,
  type CachingKeyringOptions,
  type Callback,
  type CreateKmsOptions,
  type DecryptMessageOptions,
  type EncryptMessageOptions,
  type EncryptedDataKey,
  type ExternalKeyStore,
  type FileStoreOptions,
  type KeyMetadata,
  type KeyRotationEvent,
  type Keyring,
  type Kms,
  type KmsEngine,
  type KmsErrorName,
  type KmsEvent,
  type KmsLikeClient,
  type KmsRequestHandler,
  type KmsStore,
  type LegacyKmsStore,
  type MessageHeader,
  type PendingDeletionUseAttemptEvent,
  type StoreHead,
  type UsagePrices,
  type WasmUrl,
} from 'kms-wasm';

// ---------------------------------------------------------------- helpers

/** `true` only when A and B are the same type (`any` is only equal to `any`). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only when given `true`: `expectType<Equal<typeof x, string>>()`. */
export function expectType<T extends true>(): void {}

const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
const keyArn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`;
const bytes = (length: number): Uint8Array => new Uint8Array(length);
const context = { tenant: 'acme', purpose: 'invoices' };
const policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
});

// ---------------------------------------------------------------- createKms options

const externalStore: ExternalKeyStore = {
  // An external key manager may answer synchronously or asynchronously.
  encrypt: ({ plaintext }) => plaintext.slice(),
  async decrypt({ keyId: externalKeyId, ciphertext, aad }) {
    if (externalKeyId === '' || aad.length === 0) {
      throw new KmsError('XksKeyNotFoundException', `no external key ${externalKeyId}`);
    }
    return ciphertext.slice();
  },
};

/** Every option at once (Required<> fails the check if an option is added without a use here). */
const everyOption: Required<CreateKmsOptions> = {
  accountId: '111122223333',
  region: 'eu-west-1',
  caller: 'arn:aws:iam::111122223333:user/alice',
  now: () => new Date('2030-01-01T00:00:00Z'),
  store: memoryStore(),
  grantPropagationSeconds: 5,
  engine: 'full',
  wasmUrl: { core: '/assets/core.wasm', full: new URL('https://cdn.example.com/kms-wasm/full.wasm') },
  customKeyStores: { 'cks-1234567890abcdef0': externalStore, 'my-store': webCryptoKeyStore({ persist: false }) },
  externalKeyStoreTimeoutMs: 10_000,
};

const wasmUrls: WasmUrl[] = [
  '/assets/kms-wasm-core.wasm',
  new URL('file:///opt/app/kms-wasm-core.wasm'),
  { core: '/assets/core.wasm' },
  { full: new URL('https://cdn.example.com/full.wasm') },
];
const engines: KmsEngine[] = ['core', 'full'];

export async function createKmsVariants(): Promise<Kms[]> {
  const made = [
    await createKms(),
    await createKms({}),
    await createKms(everyOption),
    await createKms({ engine: 'core', wasmUrl: '/static/kms.wasm' }),
    await createKms({ store: fileStore('/var/lib/app/kms'), engine: engines[1] ?? 'core' }),
    await createKms({ wasmUrl: wasmUrls[2] ?? new URL('file:///tmp/core.wasm') }),
  ];
  // @ts-expect-error -- there is no 'fast' engine
  await createKms({ engine: 'fast' });
  // @ts-expect-error -- the object form names the engines: core and full
  await createKms({ wasmUrl: { cor: '/assets/core.wasm' } });
  // @ts-expect-error -- a URL is a string or a URL object
  await createKms({ wasmUrl: { full: 42 } });
  // @ts-expect-error -- the account is a string of digits, not a number
  await createKms({ accountId: 111122223333 });
  // @ts-expect-error -- the clock returns a Date, not milliseconds
  await createKms({ now: () => Date.now() });
  return made;
}

// ---------------------------------------------------------------- every member of Kms

/** One use of each member of Kms; a missing or unknown entry fails the check. */
const kmsMembers: { [K in Exclude<keyof Kms, symbol>]-?: (kms: Kms) => unknown } = {
  // ---- key lifecycle
  async createKey(kms) {
    const { KeyMetadata } = await kms.createKey({
      Description: 'invoices',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      Origin: 'AWS_KMS',
      Tags: [{ TagKey: 'team', TagValue: 'billing' }],
      Policy: policy,
      BypassPolicyLockoutSafetyCheck: false,
      MultiRegion: false,
    });
    expectType<Equal<typeof KeyMetadata, KeyMetadata>>();
    expectType<Equal<typeof KeyMetadata.CreationDate, Date>>();
    expectType<Equal<typeof KeyMetadata.DeletionDate, Date | undefined>>();
    await kms.createKey(); // the request may be omitted
    await kms.createKey({ Origin: 'EXTERNAL' }); // imported key material
    await kms.createKey({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: 'cks-1234567890abcdef0', XksKeyId: 'ext-key-1' });
    // @ts-expect-error -- not a key usage
    await kms.createKey({ KeyUsage: 'ENCRYPT' });
    return KeyMetadata.Arn;
  },
  async describeKey(kms) {
    const { KeyMetadata } = await kms.describeKey({ KeyId: 'alias/invoices', GrantTokens: [] });
    const state: 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport' | 'Unavailable' | 'Creating' | 'PendingReplicaDeletion' | 'Updating' = KeyMetadata.KeyState;
    // @ts-expect-error -- a KeyId is a string (key ID, key ARN, alias name or alias ARN)
    await kms.describeKey({ KeyId: 42 });
    // @ts-expect-error -- the request is required
    await kms.describeKey();
    return state;
  },
  async listKeys(kms) {
    const first = await kms.listKeys({ Limit: 100 });
    const next = first.Truncated && first.NextMarker !== undefined ? await kms.listKeys({ Marker: first.NextMarker }) : await kms.listKeys();
    return [...first.Keys, ...next.Keys].map((entry) => entry.KeyArn);
  },
  updateKeyDescription: (kms) => kms.updateKeyDescription({ KeyId: keyId, Description: 'invoices (2030)' }),
  enableKey: (kms) => kms.enableKey({ KeyId: keyId }),
  disableKey: (kms) => kms.disableKey({ KeyId: keyArn }),
  async scheduleKeyDeletion(kms) {
    const { DeletionDate, KeyState, PendingWindowInDays } = await kms.scheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 });
    // absent for a multi-Region primary key waiting for its replicas
    expectType<Equal<typeof DeletionDate, Date | undefined>>();
    return [KeyState, PendingWindowInDays];
  },
  async cancelKeyDeletion(kms) {
    const { KeyId } = await kms.cancelKeyDeletion({ KeyId: keyId });
    return KeyId.toUpperCase();
  },

  // ---- rotation
  enableKeyRotation: (kms) => kms.enableKeyRotation({ KeyId: keyId, RotationPeriodInDays: 90 }),
  disableKeyRotation: (kms) => kms.disableKeyRotation({ KeyId: keyId }),
  async getKeyRotationStatus(kms) {
    const status = await kms.getKeyRotationStatus({ KeyId: keyId });
    return status.KeyRotationEnabled ? status.NextRotationDate?.toISOString() : status.OnDemandRotationStartDate;
  },
  rotateKeyOnDemand: (kms) => kms.rotateKeyOnDemand({ KeyId: keyId }),
  async listKeyRotations(kms) {
    const { Rotations } = await kms.listKeyRotations({ KeyId: keyId, Limit: 10 });
    return Rotations.filter((rotation) => rotation.RotationType === 'ON_DEMAND').map((rotation) => rotation.RotationDate?.getTime());
  },

  // ---- aliases and tags
  createAlias: (kms) => kms.createAlias({ AliasName: 'alias/invoices', TargetKeyId: keyId }),
  updateAlias: (kms) => kms.updateAlias({ AliasName: 'alias/invoices', TargetKeyId: keyArn }),
  deleteAlias: (kms) => kms.deleteAlias({ AliasName: 'alias/invoices' }),
  async listAliases(kms) {
    const all = await kms.listAliases();
    const ofKey = await kms.listAliases({ KeyId: keyId, Limit: 50 });
    return [...all.Aliases, ...ofKey.Aliases].map((alias) => alias.TargetKeyId ?? alias.AliasArn);
  },
  tagResource: (kms) => kms.tagResource({ KeyId: keyId, Tags: [{ TagKey: 'env', TagValue: 'prod' }] }),
  untagResource: (kms) => kms.untagResource({ KeyId: keyId, TagKeys: ['env'] }),
  async listResourceTags(kms) {
    const { Tags } = await kms.listResourceTags({ KeyId: keyId });
    return Object.fromEntries(Tags.map((tag) => [tag.TagKey, tag.TagValue]));
  },

  // ---- cryptography
  async encrypt(kms) {
    const { CiphertextBlob, KeyId, EncryptionAlgorithm } = await kms.encrypt({
      KeyId: 'alias/invoices',
      Plaintext: bytes(32),
      EncryptionContext: context,
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    });
    expectType<Equal<typeof CiphertextBlob, Uint8Array>>();
    await kms.encrypt({ KeyId, Plaintext: new ArrayBuffer(16) }); // any binary input
    await kms.encrypt({ KeyId, Plaintext: new DataView(new ArrayBuffer(16)), DryRun: true });
    // @ts-expect-error -- a plaintext is bytes, not a string
    await kms.encrypt({ KeyId, Plaintext: 'secret' });
    // @ts-expect-error -- encryption context values are strings
    await kms.encrypt({ KeyId, Plaintext: bytes(1), EncryptionContext: { version: 2 } });
    return EncryptionAlgorithm;
  },
  async decrypt(kms) {
    const { Plaintext, KeyId } = await kms.decrypt({ CiphertextBlob: bytes(100), EncryptionContext: context, KeyId: keyArn });
    expectType<Equal<typeof Plaintext, Uint8Array>>();
    return KeyId;
  },
  async reEncrypt(kms) {
    const result = await kms.reEncrypt({
      CiphertextBlob: bytes(100),
      SourceEncryptionContext: context,
      DestinationKeyId: 'alias/invoices-2030',
      DestinationEncryptionContext: { ...context, year: '2030' },
    });
    return [result.SourceKeyId, result.KeyId, result.CiphertextBlob.byteLength];
  },
  async generateDataKey(kms) {
    const { Plaintext, CiphertextBlob } = await kms.generateDataKey({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
    await kms.generateDataKey({ KeyId: keyId, NumberOfBytes: 64 });
    // @ts-expect-error -- not a data key spec
    await kms.generateDataKey({ KeyId: keyId, KeySpec: 'AES_512' });
    return [Plaintext.fill(0), CiphertextBlob];
  },
  async generateDataKeyWithoutPlaintext(kms) {
    const result = await kms.generateDataKeyWithoutPlaintext({ KeyId: keyId, KeySpec: 'AES_128' });
    // @ts-expect-error -- no plaintext in this response
    return result.Plaintext;
  },
  async generateRandom(kms) {
    const { Plaintext } = await kms.generateRandom({ NumberOfBytes: 32 });
    await kms.generateRandom();
    return Plaintext;
  },

  // ---- key policies and grants
  putKeyPolicy: (kms) => kms.putKeyPolicy({ KeyId: keyId, PolicyName: 'default', Policy: policy }),
  async getKeyPolicy(kms) {
    const { Policy } = await kms.getKeyPolicy({ KeyId: keyId, PolicyName: 'default' });
    return JSON.parse(Policy) as unknown;
  },
  async listKeyPolicies(kms) {
    const { PolicyNames } = await kms.listKeyPolicies({ KeyId: keyId });
    return PolicyNames.includes('default');
  },
  async createGrant(kms) {
    const { GrantId, GrantToken } = await kms.createGrant({
      KeyId: keyId,
      GranteePrincipal: 'arn:aws:iam::111122223333:role/worker',
      RetiringPrincipal: 'arn:aws:iam::111122223333:role/admin',
      Operations: ['Decrypt', 'GenerateDataKey'],
      Constraints: { EncryptionContextSubset: { tenant: 'acme' } },
      Name: 'worker',
    });
    // @ts-expect-error -- not a grant operation
    await kms.createGrant({ KeyId: keyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/worker', Operations: ['DeleteKey'] });
    return [GrantId, GrantToken];
  },
  async listGrants(kms) {
    const { Grants } = await kms.listGrants({ KeyId: keyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/worker' });
    return Grants.map((grant) => [grant.GrantId, grant.Operations.join(','), grant.CreationDate.getTime()]);
  },
  async listRetirableGrants(kms) {
    const { Grants, Truncated } = await kms.listRetirableGrants({ RetiringPrincipal: 'arn:aws:iam::111122223333:role/admin' });
    return Truncated ? [] : Grants;
  },
  async retireGrant(kms) {
    await kms.retireGrant({ GrantToken: 'token' });
    return kms.retireGrant({ KeyId: keyArn, GrantId: 'grant-id' });
  },
  revokeGrant: (kms) => kms.revokeGrant({ KeyId: keyId, GrantId: 'grant-id' }),

  // ---- imported key material
  async getParametersForImport(kms) {
    const { ImportToken, PublicKey, ParametersValidTo } = await kms.getParametersForImport({
      KeyId: keyId,
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_4096',
    });
    return [ImportToken, PublicKey, ParametersValidTo];
  },
  async importKeyMaterial(kms) {
    const { KeyMaterialId } = await kms.importKeyMaterial({
      KeyId: keyId,
      ImportToken: bytes(600),
      EncryptedKeyMaterial: bytes(512),
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: new Date('2031-01-01T00:00:00Z'),
      ImportType: 'NEW_KEY_MATERIAL',
      KeyMaterialDescription: 'from the HSM',
    });
    return KeyMaterialId;
  },
  deleteImportedKeyMaterial: (kms) => kms.deleteImportedKeyMaterial({ KeyId: keyId }),

  // ---- custom key stores
  async createCustomKeyStore(kms) {
    const { CustomKeyStoreId } = await kms.createCustomKeyStore({
      CustomKeyStoreName: 'my-store',
      CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
      ExternalKeyStore: webCryptoKeyStore(),
    });
    // @ts-expect-error -- the external key store is required
    await kms.createCustomKeyStore({ CustomKeyStoreName: 'other', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' });
    return CustomKeyStoreId;
  },
  async describeCustomKeyStores(kms) {
    const { CustomKeyStores } = await kms.describeCustomKeyStores({ CustomKeyStoreName: 'my-store' });
    await kms.describeCustomKeyStores();
    return CustomKeyStores.filter((store) => store.ConnectionState === 'FAILED').map((store) => store.ConnectionErrorCode);
  },
  connectCustomKeyStore: (kms) => kms.connectCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
  disconnectCustomKeyStore: (kms) => kms.disconnectCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
  updateCustomKeyStore: (kms) => kms.updateCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0', NewCustomKeyStoreName: 'renamed' }),
  deleteCustomKeyStore: (kms) => kms.deleteCustomKeyStore({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),

  // ---- views and endpoints
  caller: (kms) => kms.caller.split(':'),
  endpoint: (kms) => kms.endpoint ?? 'direct',
  service: (kms) => kms.service?.toUpperCase(),
  region: (kms) => kms.region.toUpperCase(),
  async inRegion(kms) {
    const eu: Kms = kms.inRegion('eu-west-1');
    // @ts-expect-error -- a region is a name
    kms.inRegion(1);
    return (await eu.listKeys()).Keys;
  },
  async getKeyLastUsage(kms) {
    const r = await kms.getKeyLastUsage({ KeyId: keyId });
    expectType<Equal<typeof r.TrackingStartDate, Date>>();
    expectType<Equal<typeof r.KeyLastUsage, KeyLastUsageData | undefined>>();
    return r.KeyLastUsage?.Operation;
  },
  async replicateKey(kms) {
    const r = await kms.replicateKey({ KeyId: 'mrk-1234abcd12ab34cd56ef1234567890ab', ReplicaRegion: 'eu-west-1', Description: 'eu', Tags: [] });
    const config: MultiRegionConfiguration | undefined = r.ReplicaKeyMetadata.MultiRegionConfiguration;
    // @ts-expect-error -- ReplicaRegion is required
    await kms.replicateKey({ KeyId: 'mrk-1234abcd12ab34cd56ef1234567890ab' });
    return [config?.MultiRegionKeyType, r.ReplicaPolicy, r.ReplicaTags];
  },
  updatePrimaryRegion: (kms) => kms.updatePrimaryRegion({ KeyId: 'mrk-1234abcd12ab34cd56ef1234567890ab', PrimaryRegion: 'eu-west-1' }),
  withCaller: (kms) => kms.withCaller('arn:aws:iam::111122223333:role/worker').listKeys(),
  viaEndpoint: (kms) => kms.viaEndpoint('vpce-0123456789abcdef0').withCaller('arn:aws:iam::111122223333:role/worker').encrypt({ KeyId: keyId, Plaintext: bytes(1) }),
  forService: (kms) => kms.forService('s3').generateDataKey({ KeyId: 'alias/aws/s3', KeySpec: 'AES_256' }),
  async createEndpoint(kms) {
    const { VpcEndpointId, VpcId } = await kms.createEndpoint({ VpcEndpointId: 'vpce-0123456789abcdef0', VpcId: 'vpc-0123456789abcdef0', Policy: policy });
    return `${VpcId}/${VpcEndpointId}`;
  },

  // ---- audit, usage, events
  async auditLog(kms) {
    const filter: Required<AuditLogFilter> = { KeyId: 'alias/invoices', StartTime: new Date('2030-01-01T00:00:00Z'), EndTime: Date.now() };
    const records: AuditRecord[] = await kms.auditLog(filter);
    await kms.auditLog();
    return records.filter((record) => record.errorCode === 'AccessDeniedException').map((record) => [record.eventName, record.userIdentity.arn]);
  },
  async verifyAuditLog(kms) {
    const { valid, firstInvalidIndex } = await kms.verifyAuditLog();
    expectType<Equal<typeof firstInvalidIndex, number | null>>();
    return valid;
  },
  async usage(kms) {
    const prices: Required<UsagePrices> = { keyMonth: 1, per10kRequests: 0.03, freeRequests: 20_000 };
    const report = await kms.usage({ month: '2030-01', prices });
    await kms.usage({ month: '2030-02', prices: { keyMonth: 0.5 } });
    return [report.estimatedCost.total, report.requests['Encrypt'] ?? 0, report.keys.map((key) => key.billedKeyVersions)];
  },
  on(kms) {
    return kms
      .on('KMS CMK Rotation', (event) => {
        expectType<Equal<typeof event['detail-type'], 'KMS CMK Rotation'>>();
        return event.detail['key-id'];
      })
      .on('KMS CMK Pending Deletion Use Attempt', (event) => {
        expectType<Equal<typeof event, PendingDeletionUseAttemptEvent>>();
        return `${event.detail.principal} tried ${event.detail['event-name']} before ${event.detail['deletion-date'] ?? '?'}`;
      })
      .on('*', (event) => event.resources)
      .on('KMS Custom Event', (event: KmsEvent) => event.time);
  },
  off(kms) {
    const handler = (event: KmsEvent): void => void event.id;
    kms.on('KMS CMK Deletion', handler);
    // @ts-expect-error -- a rotation handler cannot take the pending-deletion alarm
    kms.on('KMS CMK Rotation', (event: PendingDeletionUseAttemptEvent) => event.detail.principal);
    const onRotation = (event: KeyRotationEvent): string => event.detail['key-id'];
    kms.on('KMS CMK Rotation', onRotation).off('KMS CMK Rotation', onRotation);
    return kms.off('KMS CMK Deletion', handler);
  },

  // ---- backups and closing
  async exportBackup(kms) {
    const backup = await kms.exportBackup({ passphrase: 'correct horse battery staple' });
    // @ts-expect-error -- the passphrase is required
    await kms.exportBackup({});
    return backup;
  },
  async restoreBackup(kms) {
    const fresh = await createKms({ store: memoryStore() });
    await fresh.restoreBackup(await kms.exportBackup({ passphrase: 'pass' }), { passphrase: 'pass' });
    return fresh;
  },
  async send(kms) {
    // An @aws-sdk/client-kms command, structurally (the SDK is not a dependency of the package).
    const out = await kms.send<{ Keys: { KeyId: string }[] }>({ schema: [9, 'com.amazonaws.kms', 'ListKeys'], input: { Limit: 10 } });
    kms.send({ schema: [9, 'com.amazonaws.kms', 'ListKeys'], input: {} }, (err, data) => void [err, data]);
    // @ts-expect-error -- send takes a command object, not an operation name
    await kms.send('ListKeys');
    return out.Keys.map((k) => k.KeyId);
  },
  close: (kms) => kms.close(),
  __trapForTesting: (kms) => kms.__trapForTesting().catch((error: unknown) => error instanceof KmsError && error.name === 'KMSInternalException'),
  __recoveries: (kms) => kms.__recoveries + 1,
};

/** `true` only for `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;
/** The members of Kms whose request, result or value is `any` (there must be none). */
type AnyInKms = {
  [K in keyof Kms]: Kms[K] extends (...args: infer P) => infer R
    ? IsAny<P[0]> extends true ? K : IsAny<Awaited<R>> extends true ? K : never
    : IsAny<Kms[K]> extends true ? K : never;
}[keyof Kms];
/** Fails naming the members, e.g. "Type 'true' is not assignable to type '"getKeyPolicy"'". */
export const noAnyInKms: [AnyInKms] extends [never] ? true : AnyInKms = true;

// ---------------------------------------------------------------- the callback form (AWS SDK style)

export function callbacks(kms: Kms): void {
  kms.describeKey({ KeyId: keyId }, (err, data) => {
    expectType<Equal<typeof err, KmsError | null>>();
    if (err) {
      console.error(err.name, err.$fault);
    } else if (data) {
      console.log(data.KeyMetadata.Arn);
    }
  });
  const done: Callback<pkg.ListKeysResponse> = (err, data) => void (err ?? data?.Keys.length);
  kms.listKeys({}, { abortSignal: undefined }, done);
  // @ts-expect-error -- this callback takes another operation's response
  kms.encrypt({ KeyId: keyId, Plaintext: bytes(1) }, {}, (_err: KmsError | null, data?: pkg.DecryptResponse) => data?.Plaintext);
}

// ---------------------------------------------------------------- errors

export async function errors(kms: Kms): Promise<string> {
  try {
    await kms.decrypt({ CiphertextBlob: bytes(10) });
    return 'decrypted';
  } catch (error: unknown) {
    if (!(error instanceof KmsError)) throw error;
    // Narrowed: name, $fault and $metadata as in the AWS SDK v3.
    expectType<Equal<typeof error.name, KmsErrorName>>();
    const fault: 'client' | 'server' = error.$fault;
    switch (error.name) {
      case 'InvalidCiphertextException':
      case 'IncorrectKeyException':
        return `bad blob (${fault})`;
      case 'KmsClosedException':
        return 'closed';
      default:
        return `${error.name}: ${error.message}`;
    }
  }
}

export const madeError: Error = new KmsError('ValidationException', 'The request must be an object.', { cause: new Error('x') });
// @ts-expect-error -- KmsError takes a name and a message
export const badError = new KmsError('ValidationException');

// ---------------------------------------------------------------- stores

class ArrayStore implements LegacyKmsStore {
  private snapshot: Uint8Array | null = null;
  load(): Uint8Array | null {
    return this.snapshot;
  }
  async save(snapshot: Uint8Array): Promise<void> {
    this.snapshot = snapshot.slice();
  }
}

/** A store of one's own, through the store interface of src/stores/spi.js. */
class CustomStore implements KmsStore {
  readonly kind = 'custom';
  readonly shared = false;
  readonly form = 'plain';
  readonly auditPolicy = 'none';
  readonly warnings: string[] = [];
  private state: Uint8Array | null = null;
  private head: StoreHead = { seq: 0, mark: '0', records: 0 };
  onExternalChange(_listener: () => void): () => void {
    return () => {};
  }
  open(_context: { deriveKey(passphrase: string, salt: Uint8Array): Promise<Uint8Array> }): void {}
  lock(): StoreHead {
    return this.head;
  }
  unlock(): void {}
  readState(): Uint8Array | null {
    return this.state;
  }
  readAudit(_limit: number): object[] {
    return [];
  }
  commit(change: { state: Uint8Array; audit?: string; count?: number; reset?: boolean }): StoreHead {
    this.state = change.state;
    this.head = { seq: this.head.seq + 1, mark: String(this.head.seq + 1), records: this.head.records + (change.count ?? 0) };
    return this.head;
  }
  append(records: { audit: string; count: number }): StoreHead {
    this.head = { ...this.head, records: this.head.records + records.count };
    return this.head;
  }
  close(): void {}
}

export async function stores(): Promise<unknown[]> {
  const fileOptions: Required<FileStoreOptions> = { rootKey: bytes(32), passphrase: 'pass', keyFile: '/etc/app/kms.key', auditSegmentBytes: 1 << 26, auditSegments: 8, journalBytes: 1 << 20 };
  const file = fileStore(new URL('file:///var/lib/app/kms/'), fileOptions);
  const idb = indexedDbStore('app');
  const legacy = new ArrayStore();
  const memory = memoryStore(legacy.load() ?? undefined); // seeded with a snapshot of an old-style store
  const stop = file.onExternalChange(() => console.log('another process committed'));
  stop();
  const kmses = await Promise.all([
    createKms({ store: file }),
    createKms({ store: idb }),
    createKms({ store: memory }),
    createKms({ store: legacy }),
    createKms({ store: new CustomStore() }),
    createKms({ store: { load: () => undefined, save: () => {} } }),
  ]);
  // @ts-expect-error -- a path is a string or a URL
  fileStore(42);
  // @ts-expect-error -- an object with neither the store members nor load/save is no store
  await createKms({ store: { load: () => null } });
  return [file.dir, file.keyFile, file.kind, idb.databaseName, idb.name, idb.kind, memory.form, memory.warnings, kmses];
}

// ---------------------------------------------------------------- external key stores

export async function externalKeyStores(): Promise<unknown> {
  const keys = webCryptoKeyStore({ database: 'app-external-keys', persist: true });
  const kind: 'indexeddb' | 'memory' = keys.kind;
  const id = await keys.createKey('ext-key-1');
  const exists = await keys.hasKey(id);
  const ciphertext = await keys.encrypt({ keyId: id, plaintext: bytes(32), aad: bytes(8) });
  const plaintext = await keys.decrypt({ keyId: id, ciphertext, aad: bytes(8) });
  const deleted = await keys.deleteKey(id);
  await keys.close();
  const kms = await createKms({ customKeyStores: { 'my-store': keys } });
  return [kind, exists, plaintext, deleted, await keys.listKeys(), kms];
}

// ---------------------------------------------------------------- envelope encryption

export async function envelope(kms: Kms): Promise<Uint8Array> {
  const raw = rawAesKeyring({ keyNamespace: 'app', keyName: 'wrapping-key-1', wrappingKey: bytes(32) });
  const viaKms = kmsKeyring({ client: kms, generatorKeyId: 'alias/invoices', keyIds: [keyArn], grantTokens: [] });
  const sdkLike: KmsLikeClient = {
    generateDataKey: async ({ KeyId }) => ({ Plaintext: bytes(32), CiphertextBlob: bytes(100), KeyId }),
    encrypt: async ({ KeyId }) => ({ CiphertextBlob: bytes(100), KeyId }),
    decrypt: async () => ({ Plaintext: bytes(32) }),
  };
  const viaSdk = kmsKeyring({ client: sdkLike, generatorKeyId: keyArn });
  const custom: Keyring = {
    async onEncrypt({ dataKey, encryptionContext }) {
      const key = dataKey ?? bytes(32);
      const edk: EncryptedDataKey = { providerId: 'app', providerInfo: bytes(4), encryptedDataKey: key.slice() };
      return { dataKey: key, encryptedDataKeys: encryptionContext['tenant'] === undefined ? [] : [edk] };
    },
    async onDecrypt({ encryptedDataKeys }) {
      return encryptedDataKeys.find((edk) => edk.providerId === 'app')?.encryptedDataKey ?? null;
    },
  };
  const keyring = multiKeyring({ generator: viaKms, children: [raw, viaSdk, custom] });
  const cacheOptions: Required<CachingKeyringOptions> = {
    keyring,
    maxAge: 60_000,
    maxMessages: 1000,
    maxBytes: 1 << 30,
    capacity: 10,
    now: () => Date.now(),
  };
  const cached = cachingKeyring(cacheOptions);
  const { hits, misses, entries } = cached.stats;
  cached.clear();

  const encryptOptions: Required<EncryptMessageOptions> = {
    keyring: cached,
    encryptionContext: context,
    frameLength: 65_536,
    algorithmSuite: 'ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384',
    maxEncryptedDataKeys: 4,
    frameCipher: 'wasm',
  };
  const { result, messageHeader } = await encryptMessage('hello', encryptOptions);
  await encryptMessage(bytes(10), { keyring: raw, algorithmSuite: 0x0478 });
  const header: MessageHeader = messageHeader;
  const signed: boolean = header.algorithmSuite === 0x0578 && 'aws-crypto-public-key' in header.encryptionContext;

  const decryptOptions: Required<DecryptMessageOptions> = {
    keyring,
    requiredEncryptionContext: { tenant: 'acme' },
    maxEncryptedDataKeys: 4,
    maxFrameLength: 1 << 20,
    maxHeaderLength: 1 << 20,
    refuseSignedSuites: !signed,
    frameCipher: 'platform',
  };
  const { plaintext } = await decryptMessage(result, decryptOptions);

  // Streams: Web streams in both browsers and Node.
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(plaintext);
      controller.close();
    },
  });
  const encrypting = encryptStream({ keyring: raw, frameLength: 4096 });
  const decrypting = decryptStream({ keyring: raw, refuseSignedSuites: true });
  const roundTrip = source.pipeThrough(encrypting).pipeThrough(decrypting);
  const headers: MessageHeader[] = await Promise.all([encrypting.messageHeader, decrypting.messageHeader]);
  const reader = roundTrip.getReader();
  const chunk = await reader.read();

  // @ts-expect-error -- a keyring is required
  await encryptMessage('hello', {});
  // @ts-expect-error -- not an algorithm suite
  await encryptMessage('hello', { keyring: raw, algorithmSuite: 0x0014 });
  // @ts-expect-error -- decryptMessage takes bytes, not text
  await decryptMessage('AYAAFO...', { keyring: raw });
  // @ts-expect-error -- the raw AES keyring's wrapping key is bytes
  rawAesKeyring({ keyNamespace: 'app', keyName: 'k', wrappingKey: 'secret' });

  console.log(hits + misses + entries, headers.length);
  return chunk.value ?? plaintext;
}

// ---------------------------------------------------------------- the AWS SDK's own client (requestHandler)

/**
 * What `new KMSClient({ requestHandler })` of @aws-sdk/client-kms takes as a
 * handler: @smithy/core's HttpHandler (RequestHandler<HttpRequest,
 * HttpResponse, HttpHandlerOptions> with its config members), written out as
 * @smithy/types declares it, since the SDK is no dependency of the package.
 * `handle` is a property there, so its parameters are checked strictly.
 */
type SdkHttpHandler = {
  metadata?: { handlerProtocol: string };
  destroy?: () => void;
  handle: (
    request: {
      method: string; protocol: string; hostname: string; port?: number; path: string;
      query: Record<string, string | Array<string> | null>; headers: Record<string, string>; body?: any; fragment?: string;
    },
    handlerOptions?: { abortSignal?: { readonly aborted: boolean; onabort: ((...args: any[]) => any) | null }; requestTimeout?: number },
  ) => Promise<{ response: { statusCode: number; reason?: string; headers: Record<string, string>; body: any } }>;
  updateHttpClientConfig(key: never, value: never): void;
  httpHandlerConfigs(): {};
};

export async function sdkRequestHandler(kms: Kms): Promise<number> {
  const handler: KmsRequestHandler = requestHandler(kms);
  const forTheSdk: SdkHttpHandler = handler;
  // A view of the KMS works too (calls made by that principal).
  const asAlice: SdkHttpHandler = requestHandler(kms.withCaller('arn:aws:iam::111122223333:user/alice'));
  handler.updateHttpClientConfig('requestTimeout', 1000);
  const configs: Record<string | symbol, unknown> = handler.httpHandlerConfigs();
  const { response } = await forTheSdk.handle({
    method: 'POST', protocol: 'https:', hostname: 'kms.us-east-1.amazonaws.com', path: '/', query: {},
    headers: { 'x-amz-target': 'TrentService.ListKeys', 'content-type': 'application/x-amz-json-1.1' }, body: '{}',
  });
  const body: Uint8Array = (await handler.handle({ method: 'POST', path: '/', headers: {}, body: '{}' })).response.body;
  asAlice.destroy?.();
  // @ts-expect-error -- requestHandler takes a kms-wasm KMS, not a region or an options bag
  requestHandler({ region: 'us-east-1' });
  return response.statusCode + body.length + Object.keys(configs).length;
}

// ---------------------------------------------------------------- every value the package exports

/** One use of each export; a missing or unknown entry fails the check. */
const packageExports: { [K in keyof typeof pkg]-?: () => unknown } = {
  createKms: () => createKmsVariants(),
  memoryStore: () => memoryStore().kind,
  fileStore: () => stores(),
  indexedDbStore: () => indexedDbStore('app').databaseName,
  webCryptoKeyStore: () => externalKeyStores(),
  async verifyAuditRecords() {
    const kms = await createKms();
    // An exported copy, e.g. after a JSON round trip.
    const copy = JSON.parse(JSON.stringify(await kms.auditLog())) as object[];
    const { valid, firstInvalidIndex } = await verifyAuditRecords(copy);
    return valid || firstInvalidIndex;
  },
  setWasmUrl() {
    setWasmUrl('/assets/kms-wasm-core.wasm');
    setWasmUrl(new URL('https://cdn.example.com/kms-wasm/core.wasm'));
    setWasmUrl({ core: '/assets/core.wasm', full: '/assets/full.wasm' });
    // @ts-expect-error -- the object form names the engines: core and full
    setWasmUrl({ rsa: '/assets/full.wasm' });
  },
  KmsError: () => errors,
  encryptMessage: () => envelope,
  decryptMessage: () => envelope,
  encryptStream: () => envelope,
  decryptStream: () => envelope,
  rawAesKeyring: () => envelope,
  kmsKeyring: () => envelope,
  multiKeyring: () => envelope,
  cachingKeyring: () => envelope,
  requestHandler: async () => sdkRequestHandler(await createKms()),
  async __benchCipher() {
    const cipher = await pkg.__benchCipher();
    const sealed = cipher.seal(bytes(0), bytes(1024));
    const opened: Uint8Array = cipher.open(bytes(0), sealed);
    cipher.free();
    return opened;
  },
};

export async function everything(): Promise<void> {
  const kms = await createKms(everyOption);
  for (const exercise of Object.values(kmsMembers)) await exercise(kms);
  for (const exercise of Object.values(packageExports)) await exercise();
  callbacks(kms);
  await errors(kms);
  await envelope(kms);
}
