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
