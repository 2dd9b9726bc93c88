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
  /** The key ID: a UUID, or `mrk-` and 32 hex digits for a multi-Region key. */
  KeyId: string;
  /** The key ARN, `arn:aws:kms:REGION:ACCOUNT:key/KEY_ID`. */
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
  /** A multi-Region key's set: its type here, the primary key and the replicas. */
  MultiRegionConfiguration?: MultiRegionConfiguration;
  ExpirationModel?: ExpirationModelType;
  /** The custom key store of a key with Origin `EXTERNAL_KEY_STORE`. */
  CustomKeyStoreId?: string;
  /** The external key of a key with Origin `EXTERNAL_KEY_STORE`. */
  XksKeyConfiguration?: { Id: string };
  /**
   * The key material encryption uses now (64 hex digits); changes with
   * every rotation. Present for keys with Origin `AWS_KMS` or `EXTERNAL`
   * (once material was imported).
   */
  CurrentKeyMaterialId?: string;
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
  /** With Origin `EXTERNAL_KEY_STORE`: the connected custom key store to create the key in. */
  CustomKeyStoreId?: string;
  /** With Origin `EXTERNAL_KEY_STORE`: the external key (1..128 of `[A-Za-z0-9._-]`), unused by other keys of the store. */
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
  /** Absent for a multi-Region primary key waiting for its replicas' deletion (`PendingReplicaDeletion`). */
  DeletionDate?: Date;
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

export interface ListKeyRotationsRequest extends KeyIdRequest, PagedRequest {
  /**
   * `ROTATIONS_ONLY` (default): the materials rotations made current.
   * `ALL_KEY_MATERIAL`: also the first material and any material pending
   * rotation.
   */
  IncludeKeyMaterial?: 'ALL_KEY_MATERIAL' | 'ROTATIONS_ONLY';
}
/** One key material of a key. */
export interface RotationsListEntry {
  /** The key ARN. */
  KeyId: string;
  KeyMaterialId: string;
  /** `CURRENT`, `NON_CURRENT`, or `PENDING_ROTATION` (imported, waiting for RotateKeyOnDemand). */
  KeyMaterialState: 'CURRENT' | 'NON_CURRENT' | 'PENDING_ROTATION';
  /** Imported material: the description given when it was imported. */
  KeyMaterialDescription?: string;
  /** Imported material: `IMPORTED`, or `PENDING_IMPORT` once deleted or expired. */
  ImportState?: 'IMPORTED' | 'PENDING_IMPORT';
  /** Imported material that is here. */
  ExpirationModel?: ExpirationModelType;
  ValidTo?: Date;
  /** When a rotation made it current (absent for the first and pending material). */
  RotationDate?: Date;
  RotationType?: RotationType;
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
  /**
   * The key ID (not the ARN), as in AWS. Absent, with both dates, for AWS's
   * predefined `alias/aws/...` aliases that no key has yet.
   */
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

// ---------------------------------------------------------------- multi-Region keys

export interface MultiRegionKey {
  Arn: string;
  Region: string;
}
export interface MultiRegionConfiguration {
  MultiRegionKeyType: 'PRIMARY' | 'REPLICA';
  PrimaryKey: MultiRegionKey;
  ReplicaKeys: MultiRegionKey[];
}
export interface ReplicateKeyRequest extends KeyIdRequest {
  /** The Region of the new replica (not the primary's). */
  ReplicaRegion: string;
  /** The replica's key policy; default: the default key policy. */
  Policy?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
  Description?: string;
  Tags?: Tag[];
}
export interface ReplicateKeyResponse {
  /** The replica's metadata (`KeyState: 'Creating'` until the clock moves on). */
  ReplicaKeyMetadata: KeyMetadata;
  ReplicaPolicy: string;
  ReplicaTags: Tag[];
}
export interface UpdatePrimaryRegionRequest extends KeyIdRequest {
  /** The Region of the replica that becomes the primary key. */
  PrimaryRegion: string;
}
export type UpdatePrimaryRegionResponse = EmptyResponse;

// ---------------------------------------------------------------- key usage

export type GetKeyLastUsageRequest = KeyIdRequest;
/** The last successful cryptographic operation with a key (AWS's `KeyLastUsageData`). */
export interface KeyLastUsageData {
  /** `Encrypt`, `Decrypt`, `ReEncrypt`, `GenerateDataKey`, `GenerateDataKeyWithoutPlaintext`, ... */
  Operation: string;
  Timestamp: Date;
  /** The request's id: the protocol request's (`x-amzn-RequestId`), or its audit record's `requestID`. */
  KmsRequestId: string;
  /** The audit record's `eventID`. */
  CloudTrailEventId: string;
}
export interface GetKeyLastUsageResponse {
  /** The key ARN. */
  KeyId: string;
  KeyCreationDate: Date;
  /** When tracking began for the key: its creation. */
  TrackingStartDate: Date;
  /** Absent when the key has not been used since tracking began. */
  KeyLastUsage?: KeyLastUsageData;
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
  /** The key material the ciphertext was made with. */
  KeyMaterialId?: string;
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
  /** The key material that had encrypted the blob. */
  SourceKeyMaterialId?: string;
  /** The key material that encrypted the new blob. */
  DestinationKeyMaterialId?: string;
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
  /** The key material that encrypted the data key. */
  KeyMaterialId?: string;
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
  /** The key material that encrypted the data key. */
  KeyMaterialId?: string;
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
// GetParametersForImport and ImportKeyMaterial use RSA: the full engine (see
// CreateKmsOptions.engine), loaded the first time one of them is called.

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
  /**
   * `NEW_KEY_MATERIAL` (the default for a key's first material) stages
   * material for the next RotateKeyOnDemand; `EXISTING_KEY_MATERIAL` (the
   * default afterwards) reimports material the key already has.
   */
  ImportType?: 'NEW_KEY_MATERIAL' | 'EXISTING_KEY_MATERIAL';
  /** Up to 256 characters of `[a-zA-Z0-9:/_\s.-]`; kept across reimports that give none. */
  KeyMaterialDescription?: string;
  /** With `EXISTING_KEY_MATERIAL`: the material the bytes must be (64 hex digits). */
  KeyMaterialId?: string;
}
export interface ImportKeyMaterialResponse {
  KeyId?: string;
  KeyMaterialId?: string;
}

export interface DeleteImportedKeyMaterialRequest extends KeyIdRequest {
  /** The material to delete; the current one when omitted. */
  KeyMaterialId?: string;
}
export interface DeleteImportedKeyMaterialResponse {
  KeyId?: string;
  KeyMaterialId?: string;
}

// ---------------------------------------------------------------- custom key stores (external)

/**
 * The external key manager behind a custom key store: it encrypts and
 * decrypts under external keys it holds, binding `aad`. It only ever sees
 * data already encrypted by the KMS key's own material (double encryption).
 * Throw an error named `InvalidCiphertextException` when a ciphertext does
 * not authenticate and `XksKeyNotFoundException` for an unknown key; any
 * other failure makes the call fail with `KMSInvalidStateException`.
 * It must not call the KMS it serves (calls run one at a time).
 */
export interface ExternalKeyStore {
  encrypt(request: { keyId: string; plaintext: Uint8Array; aad: Uint8Array }): Promise<Uint8Array> | Uint8Array;
  decrypt(request: { keyId: string; ciphertext: Uint8Array; aad: Uint8Array }): Promise<Uint8Array> | Uint8Array;
}

export type ConnectionStateType = 'CONNECTED' | 'CONNECTING' | 'FAILED' | 'DISCONNECTED' | 'DISCONNECTING';

export interface CreateCustomKeyStoreRequest {
  CustomKeyStoreName: string;
  /** Only `EXTERNAL_KEY_STORE` (AWS's default, `AWS_CLOUDHSM`, is UnsupportedOperationException). */
  CustomKeyStoreType: 'EXTERNAL_KEY_STORE' | 'AWS_CLOUDHSM';
  /** The external key manager (kms-wasm's stand-in for AWS's XKS proxy settings, which are ignored). */
  ExternalKeyStore: ExternalKeyStore;
  XksProxyConnectivity?: string;
  XksProxyUriEndpoint?: string;
  XksProxyUriPath?: string;
}
export interface CreateCustomKeyStoreResponse {
  CustomKeyStoreId: string;
}
export interface DescribeCustomKeyStoresRequest extends PagedRequest {
  /** Either this or CustomKeyStoreName, not both. */
  CustomKeyStoreId?: string;
  CustomKeyStoreName?: string;
}
export interface CustomKeyStoresListEntry {
  CustomKeyStoreId: string;
  CustomKeyStoreName: string;
  CustomKeyStoreType: 'EXTERNAL_KEY_STORE';
  /** `FAILED` (with `ConnectionErrorCode: 'XKS_PROXY_NOT_REACHABLE'`) when connected but no ExternalKeyStore is attached in this session. */
  ConnectionState: ConnectionStateType;
  ConnectionErrorCode?: string;
  CreationDate: Date;
}
export interface DescribeCustomKeyStoresResponse extends PagedResponse {
  CustomKeyStores: CustomKeyStoresListEntry[];
}
export interface CustomKeyStoreIdRequest {
  CustomKeyStoreId: string;
}
export type ConnectCustomKeyStoreRequest = CustomKeyStoreIdRequest;
export type DisconnectCustomKeyStoreRequest = CustomKeyStoreIdRequest;
export type DeleteCustomKeyStoreRequest = CustomKeyStoreIdRequest;
export interface UpdateCustomKeyStoreRequest extends CustomKeyStoreIdRequest {
  /** The only member that can change here. */
  NewCustomKeyStoreName: string;
}

/** The ready-made external key store of {@link webCryptoKeyStore}. */
export interface WebCryptoKeyStore extends ExternalKeyStore {
  /** Where its keys live. */
  readonly kind: 'indexeddb' | 'memory';
  /** Creates a non-extractable AES-256-GCM external key (random id by default); resolves to its id. */
  createKey(keyId?: string): Promise<string>;
  hasKey(keyId: string): Promise<boolean>;
  listKeys(): Promise<string[]>;
  /** Deletes an external key: ciphertexts of KMS keys using it can no longer be decrypted. */
  deleteKey(keyId: string): Promise<boolean>;
  encrypt(request: { keyId: string; plaintext: Uint8Array; aad: Uint8Array }): Promise<Uint8Array>;
  decrypt(request: { keyId: string; ciphertext: Uint8Array; aad: Uint8Array }): Promise<Uint8Array>;
  close(): Promise<void> | void;
}

// ---------------------------------------------------------------- beyond the AWS operations

/** `kms.createEndpoint` request (EC2-style members). */
export interface CreateEndpointRequest {
  /** `vpce-` and 8 to 17 hex digits, e.g. `vpce-0123456789abcdef0`. */
  VpcEndpointId: string;
  /** `vpc-` and 8 to 17 hex digits: the `aws:SourceVpc` of calls through the endpoint. */
  VpcId: string;
  /** The endpoint policy (a policy document as JSON text). Without one, AWS's default: full access. */
  Policy?: string;
}
export interface CreateEndpointResponse {
  VpcEndpointId: string;
  VpcId: string;
}

/** `kms.auditLog` filter. */
export interface AuditLogFilter {
  /** Only records about this key (key ID, key ARN, alias name or alias ARN). */
  KeyId?: string;
  /** Only records at or after this time. */
  StartTime?: Date | number;
  /** Only records at or before this time. */
  EndTime?: Date | number;
}

/**
 * One CloudTrail-style record. Plain JSON (timestamps are ISO 8601
 * strings), so an exported copy verifies with {@link verifyAuditRecords}.
 * `requestParameters` are camelCase and never hold plaintext, data keys,
 * grant tokens or key material.
 */
export interface AuditRecord {
  eventVersion: string;
  userIdentity: {
    type: 'Root' | 'IAMUser' | 'AssumedRole' | 'AWSService' | (string & {});
    arn?: string;
    accountId?: string;
    /** `NAME.amazonaws.com` for calls through a service view, `kms.amazonaws.com` for service events. */
    invokedBy?: string;
  };
  /** ISO 8601, e.g. `2030-01-01T00:00:00Z`. */
  eventTime: string;
  eventSource: 'kms.amazonaws.com';
  /** The operation (`Encrypt`, ...) or service event (`RotateKey`, `DeleteKey`, ...). */
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  /** camelCase request members, e.g. `{ keyId, encryptionContext, encryptionAlgorithm }`; `null` for service events. */
  requestParameters: Record<string, unknown> | null;
  /** camelCase response members, for the operations CloudTrail records them for; otherwise `null`. */
  responseElements: Record<string, unknown> | null;
  /** The AWS exception name, for failed and denied calls. */
  errorCode?: string;
  errorMessage?: string;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources: { accountId: string; type: 'AWS::KMS::Key'; ARN: string }[];
  eventType: 'AwsApiCall' | 'AwsServiceEvent';
  managementEvent: boolean;
  recipientAccountId: string;
  /** For calls through a VPC endpoint. */
  vpcEndpointId?: string;
  /** For service events. */
  serviceEventDetails?: Record<string, unknown>;
  eventCategory: 'Management';
  /** Hex SHA-256 digest of the record before this one (the chain). */
  previousDigest: string;
  /** Hex SHA-256 digest of this record's canonical JSON, without `digest`. */
  digest: string;
}

/** The outcome of verifying an audit chain. */
export interface AuditVerification {
  valid: boolean;
  /** The first record that was edited, removed or reordered; `null` when valid. */
  firstInvalidIndex: number | null;
}

export type KmsEventType = 'KMS CMK Rotation' | 'KMS CMK Deletion' | 'KMS CMK Pending Deletion Use Attempt' | 'KMS Imported Key Material Expiration';

/** An EventBridge-style event (`source: 'aws.kms'`). */
export interface KmsEvent<T extends string = KmsEventType, D = KmsEventDetail> {
  version: '0';
  id: string;
  'detail-type': T;
  source: 'aws.kms';
  account: string;
  /** ISO 8601: when it happened on the KMS's clock. */
  time: string;
  region: string;
  /** The key ARN. */
  resources: string[];
  detail: D;
}
export interface KmsEventDetail {
  /** The key ID (a UUID). */
  'key-id': string;
  [member: string]: unknown;
}
/** The alarm raised when someone tries to use a key that is pending deletion. */
export interface PendingDeletionUseAttemptDetail extends KmsEventDetail {
  /** The operation that was refused, e.g. `Decrypt`. */
  'event-name': string;
  /** Who tried. */
  principal: string;
  /** ISO 8601 deletion date. */
  'deletion-date': string | null;
}
export type KeyRotationEvent = KmsEvent<'KMS CMK Rotation'>;
export type KeyDeletionEvent = KmsEvent<'KMS CMK Deletion'>;
export type PendingDeletionUseAttemptEvent = KmsEvent<'KMS CMK Pending Deletion Use Attempt', PendingDeletionUseAttemptDetail>;
export type ImportedKeyMaterialExpirationEvent = KmsEvent<'KMS Imported Key Material Expiration'>;
/** The event type a handler of `detailType` receives. */
export type KmsEventOf<T> = T extends 'KMS CMK Rotation' ? KeyRotationEvent
  : T extends 'KMS CMK Deletion' ? KeyDeletionEvent
  : T extends 'KMS CMK Pending Deletion Use Attempt' ? PendingDeletionUseAttemptEvent
  : T extends 'KMS Imported Key Material Expiration' ? ImportedKeyMaterialExpirationEvent
  : KmsEvent<string>;

/** Prices in USD; each member may be given alone, the rest keep their defaults. */
export interface UsagePrices {
  /** One key version for one month. Default 1. */
  keyMonth?: number;
  /** 10,000 requests. Default 0.03. */
  per10kRequests?: number;
  /** Requests per month that cost nothing. Default 20,000. */
  freeRequests?: number;
}
export interface UsageRequest {
  /** `'YYYY-MM'` (UTC). */
  month: string;
  prices?: UsagePrices;
}
export interface KeyUsageReport {
  /** The key ARN. */
  keyId: string;
  /** The fraction of the month the key existed (up to the time of the latest call). */
  keyMonths: number;
  /** Average billed versions over that time: the current one plus the first two rotations (later rotations are free). */
  billedKeyVersions: number;
}
export interface UsageReport {
  month: string;
  /** Customer-managed key·months (AWS managed keys are not billed). */
  keyMonths: number;
  billedKeyVersionMonths: number;
  keys: KeyUsageReport[];
  /** Calls per operation in the month (allowed or not). */
  requests: Record<string, number>;
  totalRequests: number;
  billableRequests: number;
  estimatedCost: { keys: number; requests: number; total: number; currency: 'USD' };
  /** The prices used. */
  prices: Required<UsagePrices>;
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
 * `[Symbol.asyncDispose](): Promise<void>` (for `await using`) where the
 * program's libraries declare `Symbol.asyncDispose` (TypeScript's
 * `lib.esnext.disposable`, or `@types/node`), and no member where they do
 * not (e.g. lib `ES2022` + `DOM`). These declarations never declare the
 * symbol themselves, so they compile with or without it and cannot conflict
 * with the libraries that do.
 */
export type AsyncDisposeMember = SymbolConstructor extends { readonly asyncDispose: infer S extends symbol }
  ? { [K in S]: () => Promise<void> }
  : {};

/**
 * A KMS. Each AWS KMS operation is a method named in lowerCamelCase, taking
 * the AWS request and resolving to the AWS response; failures reject with a
 * {@link KmsError}. Duck-compatible with `KMS` of `@aws-sdk/client-kms`.
 * Calls run one at a time, in the order they were made. Where
 * `Symbol.asyncDispose` is declared, `await using kms = await createKms()`
 * closes it at the end of the scope (see {@link AsyncDisposeMember}).
 */
/** What `send` takes: an @aws-sdk/client-kms command object (structurally; the SDK is not a dependency). */
export interface KmsCommand {
  readonly input?: object;
  readonly schema?: unknown;
}

export interface Kms extends AsyncDisposeMember {
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

  /** The key's last successful cryptographic operation (request id, audit event id), kept in the state and persisted. */
  getKeyLastUsage: Operation<GetKeyLastUsageRequest, GetKeyLastUsageResponse>;

  /** A replica of a multi-Region primary key in another Region: same key id, same key material. */
  replicateKey: Operation<ReplicateKeyRequest, ReplicateKeyResponse>;
  /** Makes the replica in `PrimaryRegion` the primary key, and the primary a replica. */
  updatePrimaryRegion: Operation<UpdatePrimaryRegionRequest, UpdatePrimaryRegionResponse>;

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

  createCustomKeyStore: Operation<CreateCustomKeyStoreRequest, CreateCustomKeyStoreResponse>;
  describeCustomKeyStores: OptionalOperation<DescribeCustomKeyStoresRequest, DescribeCustomKeyStoresResponse>;
  connectCustomKeyStore: Operation<ConnectCustomKeyStoreRequest, EmptyResponse>;
  disconnectCustomKeyStore: Operation<DisconnectCustomKeyStoreRequest, EmptyResponse>;
  updateCustomKeyStore: Operation<UpdateCustomKeyStoreRequest, EmptyResponse>;
  deleteCustomKeyStore: Operation<DeleteCustomKeyStoreRequest, EmptyResponse>;

  /** The principal this view's calls are made by. */
  readonly caller: string;
  /** The VPC endpoint this view's calls come through (`viaEndpoint`), if any. */
  readonly endpoint: string | undefined;
  /** The AWS service this view's calls come through (`forService`), if any. */
  readonly service: string | undefined;
  /** The region this view acts in: the home region (`createKms({ region })`) unless made by {@link Kms.inRegion}. */
  readonly region: string;

  /**
   * A view of the same KMS (same store, clock, caller and call queue) whose
   * calls act in another region of the account: its own keys, aliases,
   * grants, endpoints, custom key stores, audit records and usage, with
   * that region in its ARNs. Calls of a view in a region AWS does not have
   * reject with `ValidationException`.
   */
  inRegion(region: string): Kms;

  /**
   * A view of the same KMS (same store, clock, keys, call queue and event
   * handlers) whose calls are made by another principal. Views compose:
   * `kms.withCaller(a).viaEndpoint(e)` keeps both.
   */
  withCaller(principalArn: string): Kms;

  /**
   * A view whose calls come through the private endpoint `vpcEndpointId`
   * (made with {@link Kms.createEndpoint}): they carry `aws:SourceVpce` and
   * `aws:SourceVpc`, and the endpoint's policy must allow them as well as
   * the key policy. A call through an endpoint that does not exist rejects
   * with `NotFoundException`.
   */
  viaEndpoint(vpcEndpointId: string): Kms;

  /**
   * A view whose calls come through the AWS service `name` (e.g. `'s3'`):
   * they carry `kms:ViaService` (`NAME.REGION.amazonaws.com`). The first
   * call creates the service's AWS managed key `alias/aws/NAME`
   * (`KeyManager: 'AWS'`), which only such views may use.
   */
  forService(name: string): Kms;

  /** Registers a private (VPC) endpoint with its own policy, checked together with the key policy on calls made through it. */
  createEndpoint(request: CreateEndpointRequest): Promise<CreateEndpointResponse>;

  /** The CloudTrail-style audit records of this view's region (`awsRegion`), oldest first: one per call, allowed or denied, successful or not, plus service events. */
  auditLog(filter?: AuditLogFilter): Promise<AuditRecord[]>;

  /** Verifies the audit log's hash chain. */
  verifyAuditLog(): Promise<AuditVerification>;

  /** Customer-managed key·months, billed key versions, requests per operation and an estimated bill for a calendar month (UTC). */
  usage(request: UsageRequest): Promise<UsageReport>;

  /**
   * Calls `handler` with each event of `detailType` (or of any type, for
   * `'*'`) raised by this KMS or any of its views. Events are delivered
   * after the call that raised them has been committed, before it
   * resolves; the call's own success or failure does not matter. A handler
   * that throws or rejects is reported with `console.error` and never
   * fails a call. Returns this view.
   */
  on<T extends KmsEventType | '*'>(detailType: T, handler: (event: KmsEventOf<T>) => unknown): this;
  on(detailType: string, handler: (event: KmsEvent) => unknown): this;
  /** Removes a handler added with {@link Kms.on}. Returns this view. */
  off(detailType: string, handler: (event: never) => unknown): this;

  /**
   * The whole state — keys and their material, aliases, tags, policies,
   * grants, endpoints, schedules — and the audit log (the records in
   * memory, up to 10,000), sealed under a passphrase (Argon2id, then
   * AES-256-GCM) into one versioned, authenticated blob. Argon2id is in
   * the full engine, loaded on first use (see {@link CreateKmsOptions.engine}).
   */
  exportBackup(options: BackupOptions): Promise<Uint8Array>;

  /**
   * Fills an empty KMS and its store with a backup made by `exportBackup`:
   * its state, and its audit log in place of the store's. A wrong
   * passphrase or a backup altered in any byte rejects with
   * `KMSInvalidStoreException`, a KMS holding any key with
   * `KMSInvalidStateException`; either way nothing is restored. Loads the
   * full engine, like `exportBackup`.
   */
  restoreBackup(backup: Uint8Array, options: BackupOptions): Promise<void>;

  /**
   * The AWS SDK's command form: `await kms.send(new EncryptCommand(input))`
   * answers as `kms.encrypt(input)`. @aws-sdk/client-kms commands are
   * recognized by their schema (it survives minifiers), or by class name for
   * SDK releases without one. A command that is not an AWS KMS operation
   * kms-wasm answers rejects with `UnsupportedOperationException`.
   */
  send<Output = unknown>(command: KmsCommand): Promise<Output>;
  send(command: KmsCommand, callback: (err: unknown, data?: unknown) => void): void;
  /**
   * Releases the wasm instance's KMS and closes the store, after the calls
   * already made (audit records still waiting are written first). Later
   * calls (on this KMS and all its views) reject with a `KmsError` named
   * `KmsClosedException`. `await using` calls it at the end of the scope.
   */
  close(): Promise<void>;

  /** @internal Panics inside the wasm on purpose (tests of recovery). Rejects with `KMSInternalException`. */
  __trapForTesting(): Promise<never>;
  /** @internal How many times this KMS moved to a fresh wasm instance. */
  readonly __recoveries: number;
}

/** What a store's head is: `seq` counts commits, `mark` changes with every write by anyone. */
export interface StoreHead {
  seq: number;
  mark: string;
  /** Audit records the store holds. */
  records: number;
}

/**
 * Where a KMS keeps its state and its audit log: `memoryStore()`,
 * `fileStore(path)` (Node) or `indexedDbStore(name)` (browsers). createKms
 * opens it; the client talks to it only through these members (see
 * `src/stores/spi.js`), so other stores can implement them too. Each method
 * may return a promise.
 */
export interface KmsStore {
  readonly kind: 'memory' | 'file' | 'indexeddb' | 'custom' | (string & {});
  /** Other processes or tabs may write it: the client locks it around its work and reloads what changed. */
  readonly shared: boolean;
  /** 'plain': the client hands over the plain snapshot (the store seals it, or keeps it in memory); 'sealed': sealed by the wasm under `rootKey`. */
  readonly form: 'plain' | 'sealed';
  /** 'commit': audit records are persisted with every commit and in batches between; 'none': the log lives in the wasm only. */
  readonly auditPolicy: 'commit' | 'none';
  /** Problems found and recovered from (a damaged copy, a damaged audit frame...), also printed with `console.warn`. */
  readonly warnings: string[];
  /**
   * Calls `listener` when another process or tab committed to the store (a
   * hint: the KMS checks the store before each call anyway). Returns a
   * function that removes the listener. File stores use `fs.watch`,
   * IndexedDB stores a `BroadcastChannel`.
   */
  onExternalChange(listener: () => void): () => void;
  /** @internal */ open(context: { deriveKey(passphrase: string, salt: Uint8Array): Promise<Uint8Array> }): void | Promise<void>;
  /** @internal */ lock(): StoreHead | Promise<StoreHead>;
  /** @internal */ unlock(): void;
  /** @internal */ readState(): Uint8Array | null | Promise<Uint8Array | null>;
  /** @internal */ readAudit(limit: number): object[] | Promise<object[]>;
  /** @internal */ commit(change: { state: Uint8Array; audit?: string; count?: number; reset?: boolean }): StoreHead | Promise<StoreHead>;
  /** @internal */ append(records: { audit: string; count: number }): StoreHead | Promise<StoreHead>;
  /** @internal */ close(): void | Promise<void>;
}

/**
 * The store interface of earlier versions, still accepted by `createKms`:
 * the latest plain snapshot (key material included), no audit log. `save`
 * must have durably stored the bytes when it resolves.
 */
export interface LegacyKmsStore {
  /** The snapshot saved last, or null/undefined for an empty store. */
  load(): Uint8Array | null | undefined | Promise<Uint8Array | null | undefined>;
  /** Replaces the snapshot. A rejection undoes the call that changed the state. */
  save(snapshot: Uint8Array): void | Promise<void>;
  /** Called by `kms.close()`. */
  close?(): void | Promise<void>;
}

export interface FileStoreOptions {
  /** The 256-bit root key the state is sealed under (32 bytes). */
  rootKey?: Uint8Array;
  /** A passphrase the root key is derived from (Argon2id; the random salt is kept in the files' headers). */
  passphrase?: string;
  /** Where the key file is when neither is given (default `PATH.key`, beside the store; created with mode 0600, refused when others may read it). */
  keyFile?: string;
  /** `audit.log` is closed into a segment (`audit.SEQ.RECORDS.log`) past this many bytes (default 64 MiB, at least 4096). The hash chain runs on across segments. */
  auditSegmentBytes?: number;
  /** How many closed audit segments to keep; older ones are deleted (default: all). verifyAuditLog() verifies from the first record kept. */
  auditSegments?: number;
  /** The journal of changes may grow to this many bytes, or to the base's size if larger, before a commit writes a new base (default 1 MiB, at least 4096). */
  journalBytes?: number;
}

/** A store in the directory `path` (Node). */
export interface FileStore extends KmsStore {
  readonly kind: 'file';
  readonly dir: string;
  readonly keyFile: string;
}

/** A store in the IndexedDB database `kms-wasm/NAME` (browsers). */
export interface IndexedDbStore extends KmsStore {
  readonly kind: 'indexeddb';
  readonly name: string;
  /** `kms-wasm/NAME` */
  readonly databaseName: string;
}

export interface BackupOptions {
  /** The passphrase the backup is sealed under (Argon2id, then AES-256-GCM). */
  passphrase: string;
}

/** The wasm engines the package ships; see {@link CreateKmsOptions.engine}. */
export type KmsEngine = 'core' | 'full';

/**
 * Where the engines' `.wasm` files are: a string or URL for the core engine's
 * file, or `{ core, full }` for either or both. An engine not named here is
 * loaded from the file shipped in the package.
 */
export type WasmUrl = string | URL | { core?: string | URL; full?: string | URL };

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
  store?: KmsStore | LegacyKmsStore;
  /**
   * How long a new grant takes to take effect (AWS's eventual
   * consistency), in seconds of the `now` clock. Until then the grant
   * allows a call only when the call presents its grant token in
   * `GrantTokens`. Default 0 (effective at once).
   */
  grantPropagationSeconds?: number;
  /**
   * The wasm engine to start on. The package ships two: the small `'core'`
   * engine (symmetric keys, policies, grants, audit, stores, custom key
   * stores, envelope encryption with the non-signing suite 0x0478) and the
   * `'full'` engine (all of that, plus RSA for imported key material, the
   * ECDSA P-384 signing suite 0x0578 and Argon2id backups).
   *
   * `'core'` (default): start on the core engine and load the full one on
   * demand, once, the first time a call needs it (that call waits for the
   * download). `'full'`: start on the full engine, loaded before `createKms`
   * resolves, so no later call waits for a download.
   */
  engine?: KmsEngine;
  /**
   * Where to load the engines' `.wasm` files from, instead of the files
   * shipped in the package (browsers: URLs, resolved against the document;
   * Node: file URLs or paths), e.g. for bundlers that cannot emit the
   * package's assets. See {@link WasmUrl}; same as {@link setWasmUrl}.
   * Only before the first `createKms()` loads the engine concerned.
   */
  wasmUrl?: WasmUrl;
  /**
   * External key stores of the custom key stores created earlier (in a
   * durable store), by custom key store id or name: a store connected
   * before is usable again once its ExternalKeyStore is given here.
   */
  customKeyStores?: Record<string, ExternalKeyStore>;
  /** How long an external key store may take to answer before the call fails (ms). Default 30000. */
  externalKeyStoreTimeoutMs?: number;
}

/** A new KMS, empty or restored from `options.store`. */
export function createKms(options?: CreateKmsOptions): Promise<Kms>;

/** A store keeping the latest snapshot in memory (the default). Reuse it in a later `createKms({ store })` to get the keys back. */
export function memoryStore(initial?: Uint8Array): KmsStore;

/**
 * A durable store in the directory `path` (Node only; in browsers it throws
 * ValidationException). Two mirrored copies of the state (both hold the
 * current generation), each checksummed and sealed under a 256-bit root
 * key: `rootKey`, or derived from `passphrase`, or (default) read from the
 * key file `PATH.key`, created with mode 0600. Commits are all-or-nothing
 * (write, fsync, rename, fsync the directory); processes sharing the store
 * take turns through a lock file, released before each call resolves.
 */
export function fileStore(path: string | URL, options?: FileStoreOptions): FileStore;

/**
 * A durable store in the IndexedDB database `kms-wasm/NAME` (browsers). The
 * state is sealed by a non-extractable AES-GCM CryptoKey kept in the same
 * database; tabs take turns through the Web Locks API.
 */
export function indexedDbStore(name: string): IndexedDbStore;

/**
 * A ready external key store for custom key stores: its keys are
 * non-extractable WebCrypto AES-256-GCM keys, kept in IndexedDB (browsers;
 * database `options.database`, default `kms-wasm-external-keys`) or in memory
 * (Node, or `persist: false`).
 */
export function webCryptoKeyStore(options?: { database?: string; persist?: boolean }): WebCryptoKeyStore;

/**
 * Verifies an exported copy of a whole audit log (as `kms.auditLog()`
 * returned it, e.g. after a JSON round trip): `firstInvalidIndex` is the
 * first record that was edited, removed or reordered.
 */
export function verifyAuditRecords(records: AuditRecord[] | object[]): Promise<AuditVerification>;

/**
 * An AWS SDK for JavaScript v3 request handler (the SDK's `HttpHandler`
 * contract, written out so that no SDK type is imported) answering AWS JSON
 * 1.1 requests in-process, with no network.
 */
export interface KmsRequestHandler {
  readonly metadata: { handlerProtocol: string };
  /** Answers one request; an `abortSignal` that fires rejects with an `AbortError` at once (a call the KMS has begun still completes there). */
  handle(
    request: { method?: string; path?: string; headers?: Record<string, string>; body?: unknown },
    options?: { abortSignal?: { readonly aborted: boolean; readonly reason?: unknown }; requestTimeout?: number },
  ): Promise<{ response: { statusCode: number; reason?: string; headers: Record<string, string>; body: Uint8Array } }>;
  updateHttpClientConfig(key: string | symbol, value: unknown): void;
  httpHandlerConfigs(): Record<string | symbol, unknown>;
  destroy(): void;
}

/**
 * The AWS SDK's own client over this KMS, in-process:
 * `new KMSClient({ region, credentials, requestHandler: requestHandler(kms) })`.
 * Paginators, middleware, `$metadata` and the SDK's exception classes all
 * work; the client's region picks the region; signatures are not checked
 * and calls are made by `kms`'s caller. The protocol is `kms-wasm serve`'s.
 */
export function requestHandler(kms: Kms): KmsRequestHandler;

/**
 * Where to load the engines' `.wasm` files from; same as
 * `createKms({ wasmUrl })`. Only before the engine concerned is loaded (a
 * different URL afterwards throws).
 */
export function setWasmUrl(url: WasmUrl): void;

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
  | 'IncorrectKeyMaterialException'
  | 'InvalidImportTokenException'
  | 'ExpiredImportTokenException'
  | 'MalformedPolicyDocumentException'
  | 'InvalidGrantTokenException'
  | 'InvalidGrantIdException'
  | 'InvalidArnException'
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

// ---- Envelope encryption (AWS Encryption SDK message format v2) -------------

/** Encryption context: UTF-8 string pairs, stored (in the clear) in the message header and authenticated. */
export type EncryptionContext = Record<string, string>;

/**
 * 0x0478 (default) `ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY`, 0x0578 the same plus an ECDSA
 * P-384 signature (the full engine, loaded the first time a message of this suite is made or read).
 */
export type AlgorithmSuite =
  | 0x0478 | 0x0578
  | 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY' | 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384'
  | 'ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY' | 'ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384';

/** An encrypted data key as keyrings exchange it. */
export interface EncryptedDataKey {
  providerId: string;
  providerInfo: Uint8Array;
  encryptedDataKey: Uint8Array;
}

/** A keyring: wraps the data key on encrypt, unwraps one on decrypt. rawAesKeyring, kmsKeyring and multiKeyring make them; any object with these two methods is one. */
export interface Keyring {
  onEncrypt(input: { glue: unknown; encryptionContext: EncryptionContext; dataKey?: Uint8Array; plaintextLength?: number }):
    Promise<{ dataKey: Uint8Array; encryptedDataKeys: EncryptedDataKey[] }>;
  /** The data key, or null when none of the EDKs is this keyring's. */
  onDecrypt(input: { glue: unknown; encryptionContext: EncryptionContext; encryptedDataKeys: EncryptedDataKey[] }): Promise<Uint8Array | null>;
}

/** The message header as encryptMessage / decryptMessage report it. On decrypt it is authenticated. */
export interface MessageHeader {
  version: 2;
  algorithmSuite: 0x0478 | 0x0578;
  algorithmSuiteName: string;
  messageId: Uint8Array;
  /** Includes `aws-crypto-public-key` for 0x0578. */
  encryptionContext: EncryptionContext;
  /** `providerInfo` as a UTF-8 string (the key ARN for 'aws-kms'), as the AWS Encryption SDK reports it; `rawInfo` its bytes. */
  encryptedDataKeys: Array<{ providerId: string; providerInfo: string; rawInfo: Uint8Array; encryptedDataKey: Uint8Array }>;
  contentType: 2;
  frameLength: number;
}

export interface EncryptMessageOptions {
  keyring: Keyring;
  encryptionContext?: EncryptionContext;
  /** Plaintext bytes per frame, 1 … 1,048,576 (default 65,536). Every frame costs a fixed amount on top of its AES-GCM, so 64 KiB frames run near the platform's AES-GCM speed where 4 KiB frames reach about a third of it; pass 4096 for the AWS Encryption SDK's default layout (the SDKs decrypt either). A stream holds about one frame. */
  frameLength?: number;
  algorithmSuite?: AlgorithmSuite;
  maxEncryptedDataKeys?: number;
  /** 'platform' (default): frames on node:crypto / WebCrypto where present, else wasm. 'wasm': always the Rust AES-GCM. Both write byte-identical messages. */
  frameCipher?: 'platform' | 'wasm';
}

export interface DecryptMessageOptions {
  keyring: Keyring;
  /** Every pair must be in the message's context with this value. */
  requiredEncryptionContext?: EncryptionContext;
  maxEncryptedDataKeys?: number;
  /** Default 1 MiB. */
  maxFrameLength?: number;
  /** Default 1 MiB. */
  maxHeaderLength?: number;
  /** Refuse 0x0578 messages (SignedSuiteRefused). */
  refuseSignedSuites?: boolean;
  frameCipher?: 'platform' | 'wasm';
}

/** Names of envelope errors; `code` gives the reason (docs/envelope.md). */
export type EnvelopeErrorName =
  | 'MalformedMessageError' | 'LimitExceededError' | 'EncryptionContextError' | 'AuthenticationError'
  | 'KeyringError' | 'InvalidArgumentError' | 'InvalidStateError' | 'InternalError';

export function encryptMessage(plaintext: Uint8Array | ArrayBuffer | ArrayBufferView | string, options: EncryptMessageOptions):
  Promise<{ result: Uint8Array; messageHeader: MessageHeader }>;
export function decryptMessage(message: Uint8Array | ArrayBuffer | ArrayBufferView, options: DecryptMessageOptions):
  Promise<{ plaintext: Uint8Array; messageHeader: MessageHeader }>;

/** Plaintext in, message out; memory O(frame length). `messageHeader` resolves once the header is written. */
export function encryptStream(options: EncryptMessageOptions): TransformStream<Uint8Array, Uint8Array> & { readonly messageHeader: Promise<MessageHeader> };
/**
 * Message in, plaintext out; memory O(frame length). A frame's plaintext is released only after its tag
 * verifies; the final frame only after every check (and, for 0x0578, the signature); any failure errors
 * the stream. For 0x0578 the regular frames are released before the signature is checked: treat the
 * output as authentic only once the stream closes without error. `messageHeader` resolves once the
 * header is authenticated.
 */
export function decryptStream(options: DecryptMessageOptions): TransformStream<Uint8Array, Uint8Array> & { readonly messageHeader: Promise<MessageHeader> };

/** The AWS Encryption SDK's raw AES keyring; `wrappingKey` is 16, 24 or 32 bytes. */
export function rawAesKeyring(options: { keyNamespace: string; keyName: string; wrappingKey: Uint8Array }): Keyring;

/** An AWS-KMS-shaped client: a kms-wasm Kms, or e.g. `new KMS()` from @aws-sdk/client-kms. */
export interface KmsLikeClient {
  generateDataKey(input: { KeyId: string; NumberOfBytes: number; EncryptionContext?: EncryptionContext; GrantTokens?: string[] }):
    Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array; KeyId?: string }>;
  encrypt(input: { KeyId: string; Plaintext: Uint8Array; EncryptionContext?: EncryptionContext; GrantTokens?: string[] }):
    Promise<{ CiphertextBlob?: Uint8Array; KeyId?: string }>;
  decrypt(input: { CiphertextBlob: Uint8Array; EncryptionContext?: EncryptionContext; KeyId?: string; GrantTokens?: string[] }):
    Promise<{ Plaintext?: Uint8Array; KeyId?: string }>;
}

/** EDKs as providerId 'aws-kms' with the key ARN, like the AWS Encryption SDK; decrypts EDKs of the generator and keyIds (by ARN). */
export function kmsKeyring(options: { client: KmsLikeClient | Kms; generatorKeyId?: string; keyIds?: string[]; grantTokens?: string[] }): Keyring;

/** The generator makes and wraps the data key, every child wraps it too; on decrypt the first that unwraps wins. */
export function multiKeyring(options: { generator?: Keyring; children?: Keyring[] }): Keyring;

export interface CachingKeyringOptions {
  /** The keyring whose data keys are cached. */
  keyring: Keyring;
  /** How long a data key is reused, in milliseconds (required). */
  maxAge: number;
  /** Messages one data key may encrypt (default 2^32). */
  maxMessages?: number;
  /** Plaintext bytes one data key may encrypt; with it, messages of unknown length (streams) bypass the cache. */
  maxBytes?: number;
  /** Most cached data keys (least recently used evicted; default 100). */
  capacity?: number;
  /** The clock, in milliseconds (default Date.now). */
  now?: () => number;
}

/**
 * A data-key cache (the Encryption SDK's caching materials manager, as a
 * keyring): messages with the same encryption context reuse one data key
 * within the limits, and decrypts of the same encrypted data keys reuse the
 * unwrapped key within maxAge. Evicted keys are overwritten with zeros.
 */
export function cachingKeyring(options: CachingKeyringOptions): Keyring & {
  readonly stats: { hits: number; misses: number; entries: number };
  clear(): void;
};
