//! The AWS KMS operations this library implements, by their AWS names.
//! The key-state table, the request path and the bindings' dispatch all
//! speak in these.

/// One AWS KMS API operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // each variant is the AWS operation of the same name
pub enum Operation {
    CreateKey,
    DescribeKey,
    ListKeys,
    UpdateKeyDescription,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    EnableKeyRotation,
    DisableKeyRotation,
    GetKeyRotationStatus,
    RotateKeyOnDemand,
    ListKeyRotations,
    CreateAlias,
    UpdateAlias,
    DeleteAlias,
    ListAliases,
    TagResource,
    UntagResource,
    ListResourceTags,
    Encrypt,
    Decrypt,
    ReEncrypt,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    GenerateRandom,
    PutKeyPolicy,
    GetKeyPolicy,
    ListKeyPolicies,
    CreateGrant,
    ListGrants,
    ListRetirableGrants,
    RetireGrant,
    RevokeGrant,
    GetParametersForImport,
    ImportKeyMaterial,
    DeleteImportedKeyMaterial,
    CreateCustomKeyStore,
    DescribeCustomKeyStores,
    ConnectCustomKeyStore,
    DisconnectCustomKeyStore,
    UpdateCustomKeyStore,
    DeleteCustomKeyStore,
}

impl Operation {
    /// Every operation, in the order of the API contract.
    pub const ALL: [Operation; 43] = [
        Self::CreateKey,
        Self::DescribeKey,
        Self::ListKeys,
        Self::UpdateKeyDescription,
        Self::EnableKey,
        Self::DisableKey,
        Self::ScheduleKeyDeletion,
        Self::CancelKeyDeletion,
        Self::EnableKeyRotation,
        Self::DisableKeyRotation,
        Self::GetKeyRotationStatus,
        Self::RotateKeyOnDemand,
        Self::ListKeyRotations,
        Self::CreateAlias,
        Self::UpdateAlias,
        Self::DeleteAlias,
        Self::ListAliases,
        Self::TagResource,
        Self::UntagResource,
        Self::ListResourceTags,
        Self::Encrypt,
        Self::Decrypt,
        Self::ReEncrypt,
        Self::GenerateDataKey,
        Self::GenerateDataKeyWithoutPlaintext,
        Self::GenerateRandom,
        Self::PutKeyPolicy,
        Self::GetKeyPolicy,
        Self::ListKeyPolicies,
        Self::CreateGrant,
        Self::ListGrants,
        Self::ListRetirableGrants,
        Self::RetireGrant,
        Self::RevokeGrant,
        Self::GetParametersForImport,
        Self::ImportKeyMaterial,
        Self::DeleteImportedKeyMaterial,
        Self::CreateCustomKeyStore,
        Self::DescribeCustomKeyStores,
        Self::ConnectCustomKeyStore,
        Self::DisconnectCustomKeyStore,
        Self::UpdateCustomKeyStore,
        Self::DeleteCustomKeyStore,
    ];

    /// The AWS name, e.g. `"GenerateDataKey"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateKey => "CreateKey",
            Self::DescribeKey => "DescribeKey",
            Self::ListKeys => "ListKeys",
            Self::UpdateKeyDescription => "UpdateKeyDescription",
            Self::EnableKey => "EnableKey",
            Self::DisableKey => "DisableKey",
            Self::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Self::CancelKeyDeletion => "CancelKeyDeletion",
            Self::EnableKeyRotation => "EnableKeyRotation",
            Self::DisableKeyRotation => "DisableKeyRotation",
            Self::GetKeyRotationStatus => "GetKeyRotationStatus",
            Self::RotateKeyOnDemand => "RotateKeyOnDemand",
            Self::ListKeyRotations => "ListKeyRotations",
            Self::CreateAlias => "CreateAlias",
            Self::UpdateAlias => "UpdateAlias",
            Self::DeleteAlias => "DeleteAlias",
            Self::ListAliases => "ListAliases",
            Self::TagResource => "TagResource",
            Self::UntagResource => "UntagResource",
            Self::ListResourceTags => "ListResourceTags",
            Self::Encrypt => "Encrypt",
            Self::Decrypt => "Decrypt",
            Self::ReEncrypt => "ReEncrypt",
            Self::GenerateDataKey => "GenerateDataKey",
            Self::GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
            Self::GenerateRandom => "GenerateRandom",
            Self::PutKeyPolicy => "PutKeyPolicy",
            Self::GetKeyPolicy => "GetKeyPolicy",
            Self::ListKeyPolicies => "ListKeyPolicies",
            Self::CreateGrant => "CreateGrant",
            Self::ListGrants => "ListGrants",
            Self::ListRetirableGrants => "ListRetirableGrants",
            Self::RetireGrant => "RetireGrant",
            Self::RevokeGrant => "RevokeGrant",
            Self::GetParametersForImport => "GetParametersForImport",
            Self::ImportKeyMaterial => "ImportKeyMaterial",
            Self::DeleteImportedKeyMaterial => "DeleteImportedKeyMaterial",
            Self::CreateCustomKeyStore => "CreateCustomKeyStore",
            Self::DescribeCustomKeyStores => "DescribeCustomKeyStores",
            Self::ConnectCustomKeyStore => "ConnectCustomKeyStore",
            Self::DisconnectCustomKeyStore => "DisconnectCustomKeyStore",
            Self::UpdateCustomKeyStore => "UpdateCustomKeyStore",
            Self::DeleteCustomKeyStore => "DeleteCustomKeyStore",
        }
    }

    /// The operation with this AWS name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The IAM action a call needs on the key, e.g. `kms:Encrypt`.
    /// ReEncrypt needs `kms:ReEncryptFrom` on the source key and
    /// `kms:ReEncryptTo` (`REENCRYPT_TO`) on the destination key.
    pub fn action(self) -> &'static str {
        ACTIONS.iter().find(|(op, _)| *op == self).map_or("kms:*", |(_, a)| a)
    }

    /// Whether the operation uses key material (and so is refused by a key
    /// pending deletion with the alarm AWS customers set up).
    pub fn is_cryptographic(self) -> bool {
        matches!(
            self,
            Self::Encrypt
                | Self::Decrypt
                | Self::ReEncrypt
                | Self::GenerateDataKey
                | Self::GenerateDataKeyWithoutPlaintext
        )
    }

    /// Whether CloudTrail records the response (for the others it records
    /// `responseElements: null`, as for Encrypt and Decrypt, whose responses
    /// hold ciphertext or plaintext).
    pub fn audits_response(self) -> bool {
        matches!(
            self,
            Self::CreateKey
                | Self::ScheduleKeyDeletion
                | Self::CancelKeyDeletion
                | Self::CreateGrant
                | Self::DescribeKey
        )
    }

    /// Whether the operation only reads state. Writes (and only writes)
    /// make the state's generation move, which tells the JS layer to persist.
    pub fn read_only(self) -> bool {
        matches!(
            self,
            Self::DescribeKey
                | Self::ListKeys
                | Self::GetKeyRotationStatus
                | Self::ListKeyRotations
                | Self::ListAliases
                | Self::ListResourceTags
                | Self::Encrypt
                | Self::Decrypt
                | Self::ReEncrypt
                | Self::GenerateDataKey
                | Self::GenerateDataKeyWithoutPlaintext
                | Self::GenerateRandom
                | Self::GetKeyPolicy
                | Self::ListKeyPolicies
                | Self::ListGrants
                | Self::ListRetirableGrants
                | Self::DescribeCustomKeyStores
        )
    }
}

/// `kms:NAME` for every operation (ReEncrypt's two actions are separate).
const ACTIONS: [(Operation, &str); 43] = [
    (Operation::CreateKey, "kms:CreateKey"),
    (Operation::DescribeKey, "kms:DescribeKey"),
    (Operation::ListKeys, "kms:ListKeys"),
    (Operation::UpdateKeyDescription, "kms:UpdateKeyDescription"),
    (Operation::EnableKey, "kms:EnableKey"),
    (Operation::DisableKey, "kms:DisableKey"),
    (Operation::ScheduleKeyDeletion, "kms:ScheduleKeyDeletion"),
    (Operation::CancelKeyDeletion, "kms:CancelKeyDeletion"),
    (Operation::EnableKeyRotation, "kms:EnableKeyRotation"),
    (Operation::DisableKeyRotation, "kms:DisableKeyRotation"),
    (Operation::GetKeyRotationStatus, "kms:GetKeyRotationStatus"),
    (Operation::RotateKeyOnDemand, "kms:RotateKeyOnDemand"),
    (Operation::ListKeyRotations, "kms:ListKeyRotations"),
    (Operation::CreateAlias, "kms:CreateAlias"),
    (Operation::UpdateAlias, "kms:UpdateAlias"),
    (Operation::DeleteAlias, "kms:DeleteAlias"),
    (Operation::ListAliases, "kms:ListAliases"),
    (Operation::TagResource, "kms:TagResource"),
    (Operation::UntagResource, "kms:UntagResource"),
    (Operation::ListResourceTags, "kms:ListResourceTags"),
    (Operation::Encrypt, "kms:Encrypt"),
    (Operation::Decrypt, "kms:Decrypt"),
    (Operation::ReEncrypt, "kms:ReEncryptFrom"),
    (Operation::GenerateDataKey, "kms:GenerateDataKey"),
    (Operation::GenerateDataKeyWithoutPlaintext, "kms:GenerateDataKeyWithoutPlaintext"),
    (Operation::GenerateRandom, "kms:GenerateRandom"),
    (Operation::PutKeyPolicy, "kms:PutKeyPolicy"),
    (Operation::GetKeyPolicy, "kms:GetKeyPolicy"),
    (Operation::ListKeyPolicies, "kms:ListKeyPolicies"),
    (Operation::CreateGrant, "kms:CreateGrant"),
    (Operation::ListGrants, "kms:ListGrants"),
    (Operation::ListRetirableGrants, "kms:ListRetirableGrants"),
    (Operation::RetireGrant, "kms:RetireGrant"),
    (Operation::RevokeGrant, "kms:RevokeGrant"),
    (Operation::GetParametersForImport, "kms:GetParametersForImport"),
    (Operation::ImportKeyMaterial, "kms:ImportKeyMaterial"),
    (Operation::DeleteImportedKeyMaterial, "kms:DeleteImportedKeyMaterial"),
    (Operation::CreateCustomKeyStore, "kms:CreateCustomKeyStore"),
    (Operation::DescribeCustomKeyStores, "kms:DescribeCustomKeyStores"),
    (Operation::ConnectCustomKeyStore, "kms:ConnectCustomKeyStore"),
    (Operation::DisconnectCustomKeyStore, "kms:DisconnectCustomKeyStore"),
    (Operation::UpdateCustomKeyStore, "kms:UpdateCustomKeyStore"),
    (Operation::DeleteCustomKeyStore, "kms:DeleteCustomKeyStore"),
];

/// The IAM action for ReEncrypt's destination key.
pub const REENCRYPT_TO: &str = "kms:ReEncryptTo";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_action() {
        for op in Operation::ALL {
            let expected =
                if op == Operation::ReEncrypt { "kms:ReEncryptFrom".to_owned() } else { format!("kms:{}", op.name()) };
            assert_eq!(op.action(), expected);
        }
    }

    #[test]
    fn names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
        assert_eq!(Operation::from_name("encrypt"), None);
    }
}
