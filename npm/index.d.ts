// Types of the kms-wasm package. Member names are AWS KMS's; see the AWS KMS
// API Reference for the semantics of each operation and member.

// ---------------------------------------------------------------- shared shapes

/** Binary input: a `Uint8Array` (a Node `Buffer` is one); other views and `ArrayBuffer` are accepted too. */
export type BinaryInput = Uint8Array | ArrayBuffer | ArrayBufferView;

/** An encryption context: string keys to string values, bound to the ciphertext. */
export type EncryptionContextType = Record<string, string>;

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport' | 'Unavailable' | 'Creating' | 'PendingReplicaDeletion' | 'Updating';
export type KeyUsageType = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT';
export type KeySpec = 'SYMMETRIC_DEFAULT' | (string & {});
export type OriginType = 'AWS_KMS' | 'EXTERNAL' | 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
export type KeyManagerType = 'CUSTOMER' | 'AWS';
export type EncryptionAlgorithmSpec = 'SYMMETRIC_DEFAULT' | 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'SM2PKE';
export type DataKeySpec = 'AES_128' | 'AES_256';
export type ExpirationModelType = 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
export type RotationType = 'AUTOMATIC' | 'ON_DEMAND';

/** AWS's `Tag`. */
export interface Tag {
  TagKey: string;
  TagValue: string;
}

/** AWS's `KeyMetadata`, for the symmetric keys this package creates. */
export interface KeyMetadata {
  AWSAccountId: string;
  /** The key ID (a UUID). */
  KeyId: string;
  /** The key ARN, `arn:aws:kms:REGION:ACCOUNT:key/UUID`. */
  Arn: string;
  CreationDate: Date;
  Enabled: boolean;
  Description: string;
  KeyUsage: KeyUsageType;
  KeyState: KeyState;
  /** When a key pending deletion will be deleted. */
  DeletionDate?: Date;
  PendingDeletionWindowInDays?: number;
  /** When imported key material expires. */
  ValidTo?: Date;
  Origin: OriginType;
  KeyManager: KeyManagerType;
  KeySpec: KeySpec;
  /** @deprecated AWS's older name of KeySpec. */
  CustomerMasterKeySpec: KeySpec;
  EncryptionAlgorithms: EncryptionAlgorithmSpec[];
  MultiRegion: boolean;
  ExpirationModel?: ExpirationModelType;
}

/** Members of the List operations' requests. */
export interface PagedRequest {
  /** Page size (each operation has its own bounds, as in AWS). */
  Limit?: number;
  /** `NextMarker` of the previous page. */
  Marker?: string;
}

/** Members of the List operations' responses. */
export interface PagedResponse {
  Truncated: boolean;
  /** Present when `Truncated`. */
  NextMarker?: string;
}

/** The response of operations that return nothing. */
export type EmptyResponse = Record<string, never>;

/** Requests naming one key: a key ID, key ARN, alias name (`alias/x`) or alias ARN where AWS accepts it. */
export interface KeyIdRequest {
  KeyId: string;
}

// ---------------------------------------------------------------- key lifecycle

export interface CreateKeyRequest {
  Description?: string;
  KeyUsage?: KeyUsageType;
  KeySpec?: KeySpec;
  /** @deprecated Use KeySpec. */
  CustomerMasterKeySpec?: KeySpec;
  Origin?: OriginType;
  Tags?: Tag[];
  Policy?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
  MultiRegion?: boolean;
  CustomKeyStoreId?: string;
  XksKeyId?: string;
}
export interface CreateKeyResponse {
  KeyMetadata: KeyMetadata;
}

export interface DescribeKeyRequest extends KeyIdRequest {
  GrantTokens?: string[];
}
export interface DescribeKeyResponse {
  KeyMetadata: KeyMetadata;
}

export interface ListKeysRequest extends PagedRequest {}
export interface KeyListEntry {
  KeyId: string;
  KeyArn: string;
}
export interface ListKeysResponse extends PagedResponse {
  Keys: KeyListEntry[];
}

export interface UpdateKeyDescriptionRequest extends KeyIdRequest {
  Description: string;
}
export type UpdateKeyDescriptionResponse = EmptyResponse;

export interface EnableKeyRequest extends KeyIdRequest {}
export type EnableKeyResponse = EmptyResponse;

export interface DisableKeyRequest extends KeyIdRequest {}
export type DisableKeyResponse = EmptyResponse;

export interface ScheduleKeyDeletionRequest extends KeyIdRequest {
  /** 7..30, default 30. */
  PendingWindowInDays?: number;
}
export interface ScheduleKeyDeletionResponse {
  /** The key ARN. */
  KeyId: string;
  DeletionDate: Date;
  KeyState: KeyState;
  PendingWindowInDays: number;
}

export interface CancelKeyDeletionRequest extends KeyIdRequest {}
export interface CancelKeyDeletionResponse {
  /** The key ARN. */
  KeyId: string;
}

// ---------------------------------------------------------------- rotation

export interface EnableKeyRotationRequest extends KeyIdRequest {
  /** 90..2560, default 365. */
  RotationPeriodInDays?: number;
}
export type EnableKeyRotationResponse = EmptyResponse;

export interface DisableKeyRotationRequest extends KeyIdRequest {}
export type DisableKeyRotationResponse = EmptyResponse;

export interface GetKeyRotationStatusRequest extends KeyIdRequest {}
export interface GetKeyRotationStatusResponse {
  /** The key ARN. */
  KeyId: string;
  KeyRotationEnabled: boolean;
  RotationPeriodInDays?: number;
  NextRotationDate?: Date;
  OnDemandRotationStartDate?: Date;
}

export interface RotateKeyOnDemandRequest extends KeyIdRequest {}
export interface RotateKeyOnDemandResponse {
  /** The key ARN. */
  KeyId: string;
}

export interface ListKeyRotationsRequest extends KeyIdRequest, PagedRequest {}
export interface RotationsListEntry {
  /** The key ARN. */
  KeyId: string;
  KeyMaterialId?: string;
  RotationDate: Date;
  RotationType: RotationType;
}
export interface ListKeyRotationsResponse extends PagedResponse {
  Rotations: RotationsListEntry[];
}

// ---------------------------------------------------------------- aliases and tags

export interface CreateAliasRequest {
  /** `alias/NAME`. */
  AliasName: string;
  /** Key ID or key ARN. */
  TargetKeyId: string;
}
export type CreateAliasResponse = EmptyResponse;

export interface UpdateAliasRequest {
  AliasName: string;
  TargetKeyId: string;
}
export type UpdateAliasResponse = EmptyResponse;

export interface DeleteAliasRequest {
  AliasName: string;
}
export type DeleteAliasResponse = EmptyResponse;

export interface ListAliasesRequest extends PagedRequest {
  /** Only the aliases of this key. */
  KeyId?: string;
}
export interface AliasListEntry {
  AliasName: string;
  AliasArn: string;
  /** The key ID (not the ARN), as in AWS. */
  TargetKeyId?: string;
  CreationDate?: Date;
  LastUpdatedDate?: Date;
}
export interface ListAliasesResponse extends PagedResponse {
  Aliases: AliasListEntry[];
}

export interface TagResourceRequest extends KeyIdRequest {
  Tags: Tag[];
}
export type TagResourceResponse = EmptyResponse;

export interface UntagResourceRequest extends KeyIdRequest {
  TagKeys: string[];
}
export type UntagResourceResponse = EmptyResponse;

export interface ListResourceTagsRequest extends KeyIdRequest, PagedRequest {}
export interface ListResourceTagsResponse extends PagedResponse {
  Tags: Tag[];
}

// ---------------------------------------------------------------- cryptography

export interface EncryptRequest extends KeyIdRequest {
  /** 1..4096 bytes. */
  Plaintext: BinaryInput;
  EncryptionContext?: EncryptionContextType;
  GrantTokens?: string[];
  EncryptionAlgorithm?: EncryptionAlgorithmSpec;
  DryRun?: boolean;
}
export interface EncryptResponse {
  CiphertextBlob: Uint8Array;
  /** The key ARN. */
  KeyId: string;
  EncryptionAlgorithm: EncryptionAlgorithmSpec;
}

export interface DecryptRequest {
  CiphertextBlob: BinaryInput;
  EncryptionContext?: EncryptionContextType;
  GrantTokens?: string[];
  /** Optional; when given, must identify the key that encrypted the blob. */
  KeyId?: string;
  EncryptionAlgorithm?: EncryptionAlgorithmSpec;
  DryRun?: boolean;
  /** Not supported (attested Nitro enclaves): UnsupportedOperationException. */
  Recipient?: unknown;
}
export interface DecryptResponse {
  /** The key ARN. */
  KeyId: string;
  Plaintext: Uint8Array;
  EncryptionAlgorithm: EncryptionAlgorithmSpec;
}

export interface ReEncryptRequest {
  CiphertextBlob: BinaryInput;
  SourceEncryptionContext?: EncryptionContextType;
  SourceKeyId?: string;
  DestinationKeyId: string;
  DestinationEncryptionContext?: EncryptionContextType;
  SourceEncryptionAlgorithm?: EncryptionAlgorithmSpec;
  DestinationEncryptionAlgorithm?: EncryptionAlgorithmSpec;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface ReEncryptResponse {
  CiphertextBlob: Uint8Array;
  /** ARN of the key that had encrypted the blob. */
  SourceKeyId: string;
  /** ARN of the key that encrypted the new blob. */
  KeyId: string;
  SourceEncryptionAlgorithm: EncryptionAlgorithmSpec;
  DestinationEncryptionAlgorithm: EncryptionAlgorithmSpec;
}

export interface GenerateDataKeyRequest extends KeyIdRequest {
  /** Exactly one of KeySpec or NumberOfBytes. */
  KeySpec?: DataKeySpec;
  /** 1..1024. */
  NumberOfBytes?: number;
  EncryptionContext?: EncryptionContextType;
  GrantTokens?: string[];
  DryRun?: boolean;
  /** Not supported (attested Nitro enclaves): UnsupportedOperationException. */
  Recipient?: unknown;
}
export interface GenerateDataKeyResponse {
  CiphertextBlob: Uint8Array;
  Plaintext: Uint8Array;
  /** The key ARN. */
  KeyId: string;
}

export interface GenerateDataKeyWithoutPlaintextRequest extends KeyIdRequest {
  KeySpec?: DataKeySpec;
  NumberOfBytes?: number;
  EncryptionContext?: EncryptionContextType;
  GrantTokens?: string[];
  DryRun?: boolean;
}
export interface GenerateDataKeyWithoutPlaintextResponse {
  CiphertextBlob: Uint8Array;
  /** The key ARN. */
  KeyId: string;
}

export interface GenerateRandomRequest {
  /** 1..1024. */
  NumberOfBytes?: number;
  CustomKeyStoreId?: string;
  /** Not supported (attested Nitro enclaves): UnsupportedOperationException. */
  Recipient?: unknown;
}
export interface GenerateRandomResponse {
  Plaintext: Uint8Array;
}

// ---------------------------------------------------------------- access: key policies and grants

export interface PutKeyPolicyRequest extends KeyIdRequest {
  /** Only `'default'`. */
  PolicyName?: string;
  /** The policy document, JSON. */
  Policy: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
}
export type PutKeyPolicyResponse = EmptyResponse;

export interface GetKeyPolicyRequest extends KeyIdRequest {
  PolicyName?: string;
}
export interface GetKeyPolicyResponse {
  Policy: string;
  PolicyName: string;
}

export interface ListKeyPoliciesRequest extends KeyIdRequest, PagedRequest {}
export interface ListKeyPoliciesResponse extends PagedResponse {
  PolicyNames: string[];
}

export type GrantOperation =
  | 'Decrypt' | 'Encrypt' | 'GenerateDataKey' | 'GenerateDataKeyWithoutPlaintext' | 'ReEncryptFrom' | 'ReEncryptTo'
  | 'Sign' | 'Verify' | 'GetPublicKey' | 'CreateGrant' | 'RetireGrant' | 'DescribeKey'
  | 'GenerateDataKeyPair' | 'GenerateDataKeyPairWithoutPlaintext' | 'GenerateMac' | 'VerifyMac' | 'DeriveSharedSecret';

export interface GrantConstraints {
  EncryptionContextSubset?: EncryptionContextType;
  EncryptionContextEquals?: EncryptionContextType;
}

export interface CreateGrantRequest extends KeyIdRequest {
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  Operations: GrantOperation[];
  Constraints?: GrantConstraints;
  GrantTokens?: string[];
  Name?: string;
  DryRun?: boolean;
}
export interface CreateGrantResponse {
  GrantToken: string;
  GrantId: string;
}

export interface GrantListEntry {
  KeyId: string;
  GrantId: string;
  Name?: string;
  CreationDate: Date;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  IssuingAccount: string;
  Operations: GrantOperation[];
  Constraints?: GrantConstraints;
}

export interface ListGrantsRequest extends KeyIdRequest, PagedRequest {
  GrantId?: string;
  GranteePrincipal?: string;
}
export interface ListGrantsResponse extends PagedResponse {
  Grants: GrantListEntry[];
}

export interface ListRetirableGrantsRequest extends PagedRequest {
  RetiringPrincipal: string;
}
export type ListRetirableGrantsResponse = ListGrantsResponse;

export interface RetireGrantRequest {
  GrantToken?: string;
  KeyId?: string;
  GrantId?: string;
  DryRun?: boolean;
}
export type RetireGrantResponse = EmptyResponse;

export interface RevokeGrantRequest extends KeyIdRequest {
  GrantId: string;
  DryRun?: boolean;
}
export type RevokeGrantResponse = EmptyResponse;

// ---------------------------------------------------------------- imported key material

export type AlgorithmSpec = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256' | 'SM2PKE';
export type WrappingKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'SM2';

export interface GetParametersForImportRequest extends KeyIdRequest {
  WrappingAlgorithm: AlgorithmSpec;
  WrappingKeySpec: WrappingKeySpec;
}
export interface GetParametersForImportResponse {
  /** The key ARN. */
  KeyId: string;
  ImportToken: Uint8Array;
  /** DER-encoded SubjectPublicKeyInfo of the wrapping key. */
  PublicKey: Uint8Array;
  ParametersValidTo: Date;
}

export interface ImportKeyMaterialRequest extends KeyIdRequest {
  ImportToken: BinaryInput;
  EncryptedKeyMaterial: BinaryInput;
  ValidTo?: Date;
  ExpirationModel?: ExpirationModelType;
  ImportType?: 'NEW_KEY_MATERIAL' | 'EXISTING_KEY_MATERIAL';
  KeyMaterialDescription?: string;
  KeyMaterialId?: string;
}
export interface ImportKeyMaterialResponse {
  KeyId?: string;
  KeyMaterialId?: string;
}

export interface DeleteImportedKeyMaterialRequest extends KeyIdRequest {
  KeyMaterialId?: string;
}
export interface DeleteImportedKeyMaterialResponse {
  KeyId?: string;
  KeyMaterialId?: string;
}

// ---------------------------------------------------------------- the client

/** A Node-style callback, as the AWS SDK's aggregated client accepts. */
export type Callback<T> = (err: KmsError | null, data?: T) => void;

/** One operation: a promise of the AWS response, or the callback form. */
export interface Operation<Req, Res> {
  (request: Req, callback: Callback<Res>): void;
  (request: Req, options: unknown, callback: Callback<Res>): void;
  (request: Req, options?: unknown): Promise<Res>;
}

/** An operation whose request may be omitted. */
export interface OptionalOperation<Req, Res> {
  (request: Req, callback: Callback<Res>): void;
  (request: Req, options: unknown, callback: Callback<Res>): void;
  (request?: Req, options?: unknown): Promise<Res>;
}

/**
 * A KMS. Each AWS KMS operation is a method named in lowerCamelCase, taking
 * the AWS request and resolving to the AWS response; failures reject with a
 * {@link KmsError}. Duck-compatible with `KMS` of `@aws-sdk/client-kms`.
 * Calls run one at a time, in the order they were made.
 */
export interface Kms {
  createKey: OptionalOperation<CreateKeyRequest, CreateKeyResponse>;
  describeKey: Operation<DescribeKeyRequest, DescribeKeyResponse>;
  listKeys: OptionalOperation<ListKeysRequest, ListKeysResponse>;
  updateKeyDescription: Operation<UpdateKeyDescriptionRequest, UpdateKeyDescriptionResponse>;
  enableKey: Operation<EnableKeyRequest, EnableKeyResponse>;
  disableKey: Operation<DisableKeyRequest, DisableKeyResponse>;
  scheduleKeyDeletion: Operation<ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse>;
  cancelKeyDeletion: Operation<CancelKeyDeletionRequest, CancelKeyDeletionResponse>;

  enableKeyRotation: Operation<EnableKeyRotationRequest, EnableKeyRotationResponse>;
  disableKeyRotation: Operation<DisableKeyRotationRequest, DisableKeyRotationResponse>;
  getKeyRotationStatus: Operation<GetKeyRotationStatusRequest, GetKeyRotationStatusResponse>;
  rotateKeyOnDemand: Operation<RotateKeyOnDemandRequest, RotateKeyOnDemandResponse>;
  listKeyRotations: Operation<ListKeyRotationsRequest, ListKeyRotationsResponse>;

  createAlias: Operation<CreateAliasRequest, CreateAliasResponse>;
  updateAlias: Operation<UpdateAliasRequest, UpdateAliasResponse>;
  deleteAlias: Operation<DeleteAliasRequest, DeleteAliasResponse>;
  listAliases: OptionalOperation<ListAliasesRequest, ListAliasesResponse>;
  tagResource: Operation<TagResourceRequest, TagResourceResponse>;
  untagResource: Operation<UntagResourceRequest, UntagResourceResponse>;
  listResourceTags: Operation<ListResourceTagsRequest, ListResourceTagsResponse>;

  encrypt: Operation<EncryptRequest, EncryptResponse>;
  decrypt: Operation<DecryptRequest, DecryptResponse>;
  reEncrypt: Operation<ReEncryptRequest, ReEncryptResponse>;
  generateDataKey: Operation<GenerateDataKeyRequest, GenerateDataKeyResponse>;
  generateDataKeyWithoutPlaintext: Operation<GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse>;
  generateRandom: OptionalOperation<GenerateRandomRequest, GenerateRandomResponse>;

  putKeyPolicy: Operation<PutKeyPolicyRequest, PutKeyPolicyResponse>;
  getKeyPolicy: Operation<GetKeyPolicyRequest, GetKeyPolicyResponse>;
  listKeyPolicies: Operation<ListKeyPoliciesRequest, ListKeyPoliciesResponse>;
  createGrant: Operation<CreateGrantRequest, CreateGrantResponse>;
  listGrants: Operation<ListGrantsRequest, ListGrantsResponse>;
  listRetirableGrants: Operation<ListRetirableGrantsRequest, ListRetirableGrantsResponse>;
  retireGrant: Operation<RetireGrantRequest, RetireGrantResponse>;
  revokeGrant: Operation<RevokeGrantRequest, RevokeGrantResponse>;

  getParametersForImport: Operation<GetParametersForImportRequest, GetParametersForImportResponse>;
  importKeyMaterial: Operation<ImportKeyMaterialRequest, ImportKeyMaterialResponse>;
  deleteImportedKeyMaterial: Operation<DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse>;

  /** The principal this view's calls are made by. */
  readonly caller: string;

  /** A view of the same KMS (same store, clock, keys and call queue) whose calls are made by another principal. */
  withCaller(principalArn: string): Kms;

  /**
   * Releases the wasm instance's KMS and closes the store, after the calls
   * already made. Later calls (on this KMS and all its views) reject with a
   * `KmsError` named `KmsClosedException`.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;

  /** @internal Panics inside the wasm on purpose (tests of recovery). Rejects with `KMSInternalException`. */
  __trapForTesting(): Promise<never>;
  /** @internal How many times this KMS moved to a fresh wasm instance. */
  readonly __recoveries: number;
}

/**
 * Where a KMS keeps its state: the latest snapshot (an opaque, versioned
 * byte string holding the key material). Each method may return a promise;
 * `save` must have durably stored the bytes when it resolves.
 */
export interface KmsStore {
  /** The snapshot saved last, or null/undefined for an empty store. */
  load(): Uint8Array | null | undefined | Promise<Uint8Array | null | undefined>;
  /** Replaces the snapshot. A rejection undoes the call that changed the state. */
  save(snapshot: Uint8Array): void | Promise<void>;
  /** Called by `kms.close()`. */
  close?(): void | Promise<void>;
}

export interface CreateKmsOptions {
  /** The account in ARNs. Default `'111122223333'`. */
  accountId?: string;
  /** The region in ARNs. Default `'us-east-1'`. */
  region?: string;
  /** The principal making the calls. Default `arn:aws:iam::ACCOUNT:root`. */
  caller?: string;
  /** The clock, read before each operation (time-driven changes follow it). Default `() => new Date()`. */
  now?: () => Date;
  /** Where keys live. Default: a new `memoryStore()`. */
  store?: KmsStore;
  /**
   * Where to load `kms_wasm_bg.wasm` from, instead of the file shipped in
   * the package (browsers: a URL, resolved against the document; Node: a
   * file URL or path). Only before the first `createKms()`.
   */
  wasmUrl?: string | URL;
}

/** A new KMS, empty or restored from `options.store`. */
export function createKms(options?: CreateKmsOptions): Promise<Kms>;

/** A store keeping the latest snapshot in memory (the default). Reuse it in a later `createKms({ store })` to get the keys back. */
export function memoryStore(initial?: Uint8Array): KmsStore;

/** Where to load `kms_wasm_bg.wasm` from; same as `createKms({ wasmUrl })`. Only before the first `createKms()`. */
export function setWasmUrl(url: string | URL): void;

/** AWS exception names this package throws. */
export type KmsErrorName =
  | 'NotFoundException'
  | 'DisabledException'
  | 'KMSInvalidStateException'
  | 'InvalidCiphertextException'
  | 'IncorrectKeyException'
  | 'InvalidKeyUsageException'
  | 'ValidationException'
  | 'AlreadyExistsException'
  | 'LimitExceededException'
  | 'AccessDeniedException'
  | 'UnsupportedOperationException'
  | 'InvalidAliasNameException'
  | 'InvalidMarkerException'
  | 'TagException'
  | 'DryRunOperationException'
  | 'KMSInternalException'
  | 'KMSInvalidStoreException'
  | 'KmsClosedException'
  | (string & {});

/** A failed call, shaped like an AWS SDK for JavaScript v3 service exception. */
export class KmsError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown });
  /** The AWS exception name. */
  name: KmsErrorName;
  /** `'server'` for KMSInternalException, `'client'` otherwise. */
  $fault: 'client' | 'server';
  $metadata: Record<string, never>;
}

/** @internal The crate's raw AES-256-GCM, with no KMS around it: the benchmark's baseline. */
export interface BenchCipher {
  /** `nonce || ciphertext || tag` with a fresh random nonce. */
  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Opens `nonce || ciphertext || tag`. */
  open(aad: Uint8Array, sealed: Uint8Array): Uint8Array;
  free(): void;
}
/** @internal A new raw cipher with random key material, on the shared wasm instance. */
export function __benchCipher(): Promise<BenchCipher>;
