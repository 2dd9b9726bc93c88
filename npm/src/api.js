// Generated from the operations table in src/operation.rs by tests/api_table.rs
// (`KMS_WASM_BLESS=1 cargo test --test api_table` rewrites it). Do not edit.

/** The AWS KMS operations kms-wasm implements, by AWS name, in the API contract's order. */
export const OPERATIONS = Object.freeze([
  'CreateKey', 'DescribeKey', 'ListKeys', 'UpdateKeyDescription', 'EnableKey', 'DisableKey',
  'ScheduleKeyDeletion', 'CancelKeyDeletion', 'EnableKeyRotation', 'DisableKeyRotation',
  'GetKeyRotationStatus', 'RotateKeyOnDemand', 'ListKeyRotations', 'CreateAlias', 'UpdateAlias',
  'DeleteAlias', 'ListAliases', 'TagResource', 'UntagResource', 'ListResourceTags',
  'GetKeyLastUsage', 'ReplicateKey', 'UpdatePrimaryRegion', 'Encrypt', 'Decrypt', 'ReEncrypt',
  'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateRandom', 'PutKeyPolicy',
  'GetKeyPolicy', 'ListKeyPolicies', 'CreateGrant', 'ListGrants', 'ListRetirableGrants',
  'RetireGrant', 'RevokeGrant', 'GetParametersForImport', 'ImportKeyMaterial',
  'DeleteImportedKeyMaterial', 'CreateCustomKeyStore', 'DescribeCustomKeyStores',
  'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore',
  'DeleteCustomKeyStore',
]);

/** The operations only the full engine has: the core engine hands them over to it. */
export const FULL_ENGINE_OPERATIONS = Object.freeze([
  'ReplicateKey', 'UpdatePrimaryRegion', 'GetParametersForImport', 'ImportKeyMaterial',
]);

/** The other operations of the AWS KMS API (56 in all): `serve` answers them with UnsupportedOperationException. */
export const OTHER_KMS_OPERATIONS = Object.freeze([
  'Decapsulate', 'DeriveSharedSecret', 'Encapsulate', 'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext', 'GenerateMac', 'GetPublicKey', 'Sign', 'Verify',
  'VerifyMac',
]);

/** Top-level blob members of AWS KMS requests (every operation's, from the AWS service model). */
export const REQUEST_BLOBS = Object.freeze([
  'CiphertextBlob', 'EncryptedKeyMaterial', 'ImportToken', 'Mac', 'Message', 'Plaintext',
  'PublicKey', 'SharedSecretCiphertextBlob', 'Signature',
]);

/** Timestamp members of AWS KMS requests. */
export const REQUEST_TIMESTAMPS = Object.freeze([
  'ValidTo',
]);

/** Timestamp members of responses, at any depth (milliseconds from the wasm, Dates for callers). */
export const RESPONSE_TIMESTAMPS = Object.freeze([
  'CreationDate', 'DeletionDate', 'ValidTo', 'RotationDate', 'NextRotationDate',
  'LastUpdatedDate', 'ParametersValidTo', 'OnDemandRotationStartDate', 'KeyCreationDate',
  'TrackingStartDate', 'Timestamp',
]);

/** The regions a call may act in (src/regions.rs), besides a KMS's home region. */
export const REGIONS = Object.freeze([
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3',
  'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7', 'ca-central-1',
  'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1',
  'mx-central-1', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
]);
