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
}

impl Operation {
    /// Every operation, in the order of the API contract.
    pub const ALL: [Operation; 26] = [
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
        }
    }

    /// The operation with this AWS name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Self::ALL.into_iter().find(|op| op.name() == name)
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
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
        assert_eq!(Operation::from_name("encrypt"), None);
    }
}
