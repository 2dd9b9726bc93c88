//! The key-state machine as one explicit table: which operation each
//! `KeyState` allows, and which AWS exception it raises when it does not.
//! Mirrors the AWS KMS Developer Guide's "key states" table for the
//! operations this library implements.

use crate::error::KmsError;
use crate::operation::Operation;
use serde::{Deserialize, Serialize};

/// A key's state, named as AWS's `KeyState` enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Kept, but refused for cryptography.
    Disabled,
    /// Waiting for its deletion date; cancellable.
    PendingDeletion,
    /// An `EXTERNAL` key without key material.
    PendingImport,
    /// A key in a disconnected custom key store.
    Unavailable,
    /// A multi-Region replica being made (reported until ReplicateKey's
    /// asynchronous step is over: `multi_region`).
    Creating,
    /// A multi-Region key whose primary Region is changing.
    Updating,
    /// A multi-Region primary key scheduled for deletion, waiting for its
    /// replicas to be deleted before its own waiting period starts.
    PendingReplicaDeletion,
}

/// What the table says for one (state, operation) cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The operation may proceed.
    Allowed,
    /// `DisabledException`.
    Disabled,
    /// `KMSInvalidStateException`.
    InvalidState,
}

impl KeyState {
    /// The AWS name of the state.
    pub fn name(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
            Self::PendingImport => "PendingImport",
            Self::Unavailable => "Unavailable",
            Self::Creating => "Creating",
            Self::Updating => "Updating",
            Self::PendingReplicaDeletion => "PendingReplicaDeletion",
        }
    }

    /// The table.
    pub fn verdict(self, op: Operation) -> Verdict {
        use KeyState::{Enabled, PendingDeletion, PendingImport, Unavailable};
        use Operation as Op;
        use Verdict::{Allowed, InvalidState};
        match op {
            // Cryptography and rotation need an Enabled key; a Disabled key
            // says so, any other state is an invalid state.
            Op::Encrypt
            | Op::Decrypt
            | Op::ReEncrypt
            | Op::GenerateDataKey
            | Op::GenerateDataKeyWithoutPlaintext
            | Op::EnableKeyRotation
            | Op::DisableKeyRotation
            | Op::RotateKeyOnDemand => match self {
                Enabled => Allowed,
                KeyState::Disabled => Verdict::Disabled,
                // A multi-Region key stays usable while its primary Region changes.
                KeyState::Updating if op.is_cryptographic() => Allowed,
                PendingDeletion
                | PendingImport
                | Unavailable
                | KeyState::Creating
                | KeyState::Updating
                | KeyState::PendingReplicaDeletion => InvalidState,
            },
            // Enabling or disabling needs material and no pending deletion.
            Op::EnableKey | Op::DisableKey => match self {
                Enabled | KeyState::Disabled | Unavailable => Allowed,
                PendingDeletion
                | PendingImport
                | KeyState::Creating
                | KeyState::Updating
                | KeyState::PendingReplicaDeletion => InvalidState,
            },
            // Replicating a key or moving its primary Region needs a settled,
            // usable key.
            Op::ReplicateKey | Op::UpdatePrimaryRegion => match self {
                Enabled | KeyState::Disabled => Allowed,
                _ => InvalidState,
            },
            // Changing a key's description, tags or aliases is refused only
            // while the key is pending deletion.
            Op::UpdateKeyDescription
            | Op::TagResource
            | Op::UntagResource
            | Op::CreateAlias
            | Op::UpdateAlias
            | Op::ScheduleKeyDeletion
            | Op::CreateGrant
            | Op::GetParametersForImport
            | Op::ImportKeyMaterial => match self {
                PendingDeletion | KeyState::PendingReplicaDeletion | KeyState::Creating => InvalidState,
                _ => Allowed,
            },
            // There must be imported material to delete.
            Op::DeleteImportedKeyMaterial => match self {
                PendingImport => InvalidState,
                _ => Allowed,
            },
            // Only a key pending deletion can have its deletion cancelled.
            Op::CancelKeyDeletion => match self {
                PendingDeletion | KeyState::PendingReplicaDeletion => Allowed,
                _ => InvalidState,
            },
            // Reading a key's description, tags, aliases or rotations
            // works in every state.
            Op::DescribeKey
            | Op::GetKeyLastUsage
            | Op::ListKeys
            | Op::GetKeyRotationStatus
            | Op::ListKeyRotations
            | Op::DeleteAlias
            | Op::ListAliases
            | Op::ListResourceTags
            | Op::CreateKey
            | Op::GenerateRandom
            | Op::PutKeyPolicy
            | Op::GetKeyPolicy
            | Op::ListKeyPolicies
            | Op::ListGrants
            | Op::ListRetirableGrants
            | Op::RetireGrant
            | Op::RevokeGrant
            | Op::CreateCustomKeyStore
            | Op::DescribeCustomKeyStores
            | Op::ConnectCustomKeyStore
            | Op::DisconnectCustomKeyStore
            | Op::UpdateCustomKeyStore
            | Op::DeleteCustomKeyStore => Allowed,
        }
    }

    /// The table's verdict as a `Result`, with AWS's message.
    pub fn check(self, op: Operation, key_arn: &str) -> Result<(), KmsError> {
        self.check_with(op, || key_arn.to_owned())
    }

    /// `check`, formatting the key ARN only for the error message.
    pub fn check_with(self, op: Operation, key_arn: impl FnOnce() -> String) -> Result<(), KmsError> {
        let verdict = self.verdict(op);
        if verdict == Verdict::Allowed {
            return Ok(());
        }
        let key_arn = key_arn();
        match verdict {
            Verdict::Allowed => Ok(()),
            Verdict::Disabled => Err(KmsError::DisabledException(format!("{key_arn} is disabled."))),
            Verdict::InvalidState => Err(KmsError::KMSInvalidStateException(match self {
                KeyState::PendingDeletion => format!("{key_arn} is pending deletion."),
                KeyState::PendingImport => format!("{key_arn} is pending import."),
                other => format!("{key_arn} is {}; {} is not allowed in this state.", other.name(), op.name()),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Operation as Op;

    const CRYPTO: [Op; 5] =
        [Op::Encrypt, Op::Decrypt, Op::ReEncrypt, Op::GenerateDataKey, Op::GenerateDataKeyWithoutPlaintext];

    #[test]
    fn cryptography_on_a_disabled_key_is_disabled_exception() {
        for op in CRYPTO {
            assert_eq!(KeyState::Disabled.check(op, "k").unwrap_err().name(), "DisabledException");
        }
    }

    #[test]
    fn cryptography_on_a_key_pending_deletion_or_import_is_invalid_state() {
        for op in CRYPTO {
            for s in [KeyState::PendingDeletion, KeyState::PendingImport, KeyState::Unavailable] {
                assert_eq!(s.check(op, "k").unwrap_err().name(), "KMSInvalidStateException");
            }
        }
    }

    #[test]
    fn management_of_a_key_pending_deletion_is_invalid_state() {
        for op in [
            Op::EnableKey,
            Op::DisableKey,
            Op::TagResource,
            Op::UntagResource,
            Op::UpdateKeyDescription,
            Op::CreateAlias,
            Op::UpdateAlias,
            Op::ScheduleKeyDeletion,
        ] {
            assert_eq!(KeyState::PendingDeletion.verdict(op), Verdict::InvalidState, "{op:?}");
        }
    }

    #[test]
    fn cancel_key_deletion_only_on_a_key_pending_deletion() {
        for s in [KeyState::Enabled, KeyState::Disabled, KeyState::PendingImport, KeyState::Unavailable] {
            assert_eq!(s.verdict(Op::CancelKeyDeletion), Verdict::InvalidState);
        }
        assert_eq!(KeyState::PendingDeletion.verdict(Op::CancelKeyDeletion), Verdict::Allowed);
    }

    #[test]
    fn enabled_keys_allow_every_operation_but_cancel_deletion() {
        for op in Operation::ALL {
            let expected = if op == Op::CancelKeyDeletion { Verdict::InvalidState } else { Verdict::Allowed };
            assert_eq!(KeyState::Enabled.verdict(op), expected, "{op:?}");
        }
    }

    #[test]
    fn reads_work_in_every_state() {
        for s in [
            KeyState::Enabled,
            KeyState::Disabled,
            KeyState::PendingDeletion,
            KeyState::PendingImport,
            KeyState::Unavailable,
        ] {
            for op in [
                Op::DescribeKey,
                Op::ListResourceTags,
                Op::ListKeyRotations,
                Op::GetKeyRotationStatus,
                Op::ListAliases,
                Op::DeleteAlias,
            ] {
                assert_eq!(s.verdict(op), Verdict::Allowed);
            }
        }
    }
}
