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

use crate::error::{KmsError, Result, Violations};
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

/// Longest grant token.
const MAX_GRANT_TOKEN_CHARS: usize = 8192;

/// The encryption algorithms of AWS's model (`EncryptionAlgorithmSpec`).
const ENCRYPTION_ALGORITHMS: &[&str] = &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];

/// The model constraints of a member that names a key (`keyId`,
/// `targetKeyId`, `destinationKeyId`...): 1..2048 characters.
pub(crate) fn key_id_constraints(v: &mut Violations, member: &str, value: Option<&str>) {
    v.length(member, value, 1, crate::ids::MAX_KEY_ID_CHARS);
}

/// The model constraints of `GrantTokens`: at most 10, each 1..8192
/// characters. Tokens are bearer credentials: never shown.
pub(crate) fn grant_token_constraints(v: &mut Violations, tokens: &[String]) {
    v.size("grantTokens", Some(tokens.len()), 0, MAX_GRANT_TOKENS).each_length(
        "grantTokens",
        tokens,
        1,
        MAX_GRANT_TOKEN_CHARS,
        false,
    );
}

/// `GrantTokens`, after their model constraints, parsed
/// (`InvalidGrantTokenException` for one that is not well-formed).
pub(crate) fn check_grant_tokens(tokens: &[String]) -> Result<Vec<crate::grants::GrantToken>> {
    let mut v = Violations::new();
    grant_token_constraints(&mut v, tokens);
    v.check()?;
    crate::grants::parse_tokens(tokens)
}

/// The model constraint of an encryption algorithm member (`member` in
/// AWS's PascalCase, e.g. `EncryptionAlgorithm`): one of AWS's algorithms.
pub(crate) fn algorithm_constraints(v: &mut Violations, member: &str, value: Option<&str>) {
    v.one_of(&lower_first(member), value, ENCRYPTION_ALGORITHMS);
}

/// `EncryptionAlgorithm` for a symmetric key, after its model constraint:
/// `SYMMETRIC_DEFAULT` or absent. An asymmetric algorithm is AWS's
/// `InvalidKeyUsageException`.
pub(crate) fn check_symmetric_algorithm(member: &str, value: Option<&str>) -> Result<()> {
    let mut v = Violations::new();
    algorithm_constraints(&mut v, member, value);
    v.check()?;
    match value {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some(other) => {
            Err(KmsError::InvalidKeyUsageException(format!("{member} {other} is not supported by a symmetric key.")))
        }
    }
}

/// A PascalCase member name as AWS's messages and records write it: camelCase.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
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
            serde_json::Value::Object(m) => {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (lower_first(&k), camel(v))).collect())
            }
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
