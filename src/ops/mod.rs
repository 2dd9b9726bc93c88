//! The AWS operations: request and response shapes (AWS member names) and
//! their bodies, each run through [`Kms::run`](crate::Kms). Grouped as the
//! API contract groups them.
//!
//! Requests default every member, so a missing member arrives empty and is
//! rejected by the same validation as an empty one, with a
//! `ValidationException` naming it.

pub mod aliases;
pub mod crypto;
pub mod custom_key_stores;
pub mod data_keys;
pub mod extensions;
pub mod grants;
pub mod import;
pub mod lifecycle;
pub mod paging;
pub mod policy;
pub mod rotation;
pub mod tags;

use crate::error::{KmsError, Result};
use serde::{Deserialize, Serialize};

/// Deserializes a member that JS callers may pass as `null` or `undefined`
/// (as AWS SDK callers often do for optional members) as if it were absent.
pub(crate) fn nullable<'de, D, T>(d: D) -> core::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The empty response of operations that return nothing.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Empty {}

/// Most grant tokens one request may carry.
pub const MAX_GRANT_TOKENS: usize = 10;

/// `GrantTokens`: at most 10, each 1..8192 characters and well-formed
/// (`InvalidGrantTokenException` otherwise). Returns them parsed.
pub(crate) fn check_grant_tokens(tokens: &[String]) -> Result<Vec<crate::grants::GrantToken>> {
    if tokens.len() > MAX_GRANT_TOKENS {
        return Err(KmsError::validation(format!("GrantTokens must hold at most {MAX_GRANT_TOKENS} tokens.")));
    }
    if tokens.iter().any(|t| t.is_empty() || t.len() > 8192) {
        return Err(KmsError::validation("Each grant token must be between 1 and 8192 characters long."));
    }
    crate::grants::parse_tokens(tokens)
}

/// `EncryptionAlgorithm` for a symmetric key: `SYMMETRIC_DEFAULT` or absent.
/// An asymmetric algorithm is AWS's `InvalidKeyUsageException`.
pub(crate) fn check_symmetric_algorithm(member: &str, value: Option<&str>) -> Result<()> {
    match value {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some("RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256" | "SM2PKE") => Err(KmsError::InvalidKeyUsageException(format!(
            "{member} {} is not supported by a symmetric key.",
            value.unwrap_or_default()
        ))),
        Some(_) => Err(KmsError::validation(format!(
            "{member} must be one of SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE."
        ))),
    }
}

/// `DryRun: true` ends a call that would have succeeded, changing nothing.
pub(crate) fn check_dry_run(dry_run: Option<bool>) -> Result<()> {
    if dry_run == Some(true) {
        return Err(KmsError::DryRunOperationException(
            "The request would have succeeded, but the DryRun option is set.".into(),
        ));
    }
    Ok(())
}

/// `Recipient` asks for plaintext wrapped for a Nitro enclave; we cannot do
/// that, and returning the plaintext in the clear instead would betray the
/// caller's intent.
pub(crate) fn check_no_recipient(recipient: Option<&serde::de::IgnoredAny>) -> Result<()> {
    if recipient.is_some() {
        return Err(KmsError::UnsupportedOperationException(
            "Recipient (attested Nitro enclaves) is not supported.".into(),
        ));
    }
    Ok(())
}

/// A request's audit parameters: its camelCase serialization, in which
/// secret members (plaintext, blobs, grant tokens) are never serialized.
pub(crate) fn params<T: Serialize>(request: &T) -> serde_json::Value {
    serde_json::to_value(request).unwrap_or(serde_json::Value::Null)
}

/// What CloudTrail records of a response, as its `responseElements`.
/// Every response type says so: most record nothing (CloudTrail writes
/// null, as for Encrypt and Decrypt, whose responses hold ciphertext or
/// plaintext); the others build their members here, from fields that hold
/// no secret. The audit log never sees a response serialized whole by a
/// derive, so a secret a response hands to its caller (`exposed`) cannot
/// reach it by accident.
pub(crate) trait AuditView {
    /// `responseElements`; null unless the type says otherwise.
    fn response_elements(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// A response of secret-free members as `responseElements`: its
/// serialization with the members in camelCase.
pub(crate) fn camel_case_view<T: Serialize>(response: &T) -> serde_json::Value {
    fn camel(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => serde_json::Value::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        let mut chars = k.chars();
                        let key = chars
                            .next()
                            .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                            .unwrap_or_default();
                        (key, camel(v))
                    })
                    .collect(),
            ),
            serde_json::Value::Array(a) => serde_json::Value::Array(a.into_iter().map(camel).collect()),
            other => other,
        }
    }
    serde_json::to_value(response).map(camel).unwrap_or(serde_json::Value::Null)
}

/// Responses CloudTrail records as null.
macro_rules! unaudited_responses {
    ($($t:ty),* $(,)?) => { $(impl AuditView for $t {})* };
}

/// Responses of ids, states and dates only, recorded as they are: CreateKey
/// and DescribeKey, ScheduleKeyDeletion, CancelKeyDeletion and
/// RotateKeyOnDemand, ImportKeyMaterial and DeleteImportedKeyMaterial (the
/// key and the material they touched).
macro_rules! audited_as_they_are {
    ($($t:ty),* $(,)?) => {
        $(impl AuditView for $t {
            fn response_elements(&self) -> serde_json::Value {
                camel_case_view(self)
            }
        })*
    };
}

audited_as_they_are!(
    lifecycle::KeyMetadataResponse,
    lifecycle::ScheduleKeyDeletionResponse,
    lifecycle::KeyArnResponse,
    import::ImportKeyMaterialResponse,
    import::DeleteImportedKeyMaterialResponse,
);

unaudited_responses!(
    Empty,
    aliases::ListAliasesResponse,
    crypto::EncryptResponse,
    crypto::DecryptResponse,
    crypto::ReEncryptResponse,
    custom_key_stores::CreateCustomKeyStoreResponse,
    custom_key_stores::DescribeCustomKeyStoresResponse,
    data_keys::GenerateDataKeyResponse,
    data_keys::GenerateDataKeyWithoutPlaintextResponse,
    data_keys::GenerateRandomResponse,
    grants::ListGrantsResponse,
    import::GetParametersForImportResponse,
    lifecycle::ListKeysResponse,
    policy::GetKeyPolicyResponse,
    policy::ListKeyPoliciesResponse,
    rotation::KeyRotationStatus,
    rotation::ListKeyRotationsResponse,
    tags::ListResourceTagsResponse,
);

#[cfg(test)]
mod tests {
    use super::crypto::EncryptRequest;
    use super::lifecycle::KeyIdRequest;

    #[test]
    fn null_members_count_as_absent() {
        let r: KeyIdRequest = serde_json::from_str(r#"{"KeyId": "k", "GrantTokens": null}"#).unwrap();
        assert_eq!((r.key_id.as_str(), r.grant_tokens.len()), ("k", 0));
        let r: EncryptRequest =
            serde_json::from_str(r#"{"KeyId": null, "Plaintext": null, "EncryptionContext": null}"#).unwrap();
        assert!(r.key_id.is_empty() && r.plaintext.is_empty() && r.encryption_context.is_none());
    }

    #[test]
    fn unknown_members_are_ignored() {
        let r: KeyIdRequest = serde_json::from_str(r#"{"KeyId": "k", "SomethingNew": [1, 2]}"#).unwrap();
        assert_eq!(r.key_id, "k");
    }
}
