//! Grants: delegated, narrowly scoped permissions on one key, with
//! encryption-context constraints, bearer tokens for immediate use, and
//! the eventual consistency AWS documents (a new grant takes effect after a
//! propagation delay unless its token is presented).

use crate::context::EncryptionContext;
use crate::crypto::{ct_eq, random_array};
use crate::error::{KmsError, Result};
use crate::ids::KeyId;
use crate::time::Timestamp;
use base64ct::{Base64UrlUnpadded, Encoding};
use core::fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most grants one key may have (AWS's quota).
pub const MAX_GRANTS_PER_KEY: usize = 50_000;

/// Operations a grant may allow, as AWS names them.
pub const GRANT_OPERATIONS: [&str; 19] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
];

/// Grant operations only asymmetric or HMAC keys support; a symmetric
/// encryption key supports the rest of `GRANT_OPERATIONS`.
pub const NOT_FOR_SYMMETRIC_KEYS: [&str; 8] =
    ["Sign", "Verify", "GetPublicKey", "GenerateMac", "VerifyMac", "DeriveSharedSecret", "Encapsulate", "Decapsulate"];

/// Operations that carry an encryption context, so constraints apply.
const CONTEXT_OPERATIONS: [&str; 9] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "CreateGrant",
];

const TOKEN_VERSION: u8 = 1;
const TOKEN_LEN: usize = 1 + 16 + 32 + 32;

/// AWS's `GrantConstraints`. Stored in snapshots (postcard, which needs
/// every field written, so none is skipped here); requests, responses and
/// audit records show only the member that is set (`as_aws`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Constraints {
    /// The request's context must be exactly this.
    #[serde(default)]
    pub encryption_context_equals: Option<BTreeMap<String, String>>,
    /// The request's context must include these pairs.
    #[serde(default)]
    pub encryption_context_subset: Option<BTreeMap<String, String>>,
}

/// Constraints as AWS writes them: only the members that are set.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AwsConstraints<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_context_equals: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_context_subset: Option<&'a BTreeMap<String, String>>,
}

/// `serialize_with` for API members holding constraints (never for stored state).
pub(crate) fn as_aws<S: serde::Serializer>(c: &Option<Constraints>, s: S) -> core::result::Result<S::Ok, S::Error> {
    match c {
        None => s.serialize_none(),
        Some(c) => s.serialize_some(&AwsConstraints {
            encryption_context_equals: c.encryption_context_equals.as_ref(),
            encryption_context_subset: c.encryption_context_subset.as_ref(),
        }),
    }
}

/// Context keys compare case-insensitively, values case-sensitively (AWS).
fn folded(pairs: &BTreeMap<String, String>) -> BTreeMap<String, &str> {
    pairs.iter().map(|(k, v)| (k.to_lowercase(), v.as_str())).collect()
}

impl Constraints {
    /// Validates a request's constraints: not both members, and pairs
    /// that are valid encryption contexts.
    pub fn validate(&self, operations: &[String]) -> Result<()> {
        // EncryptionContextEquals and EncryptionContextSubset are exclusive.
        if self.encryption_context_equals.is_some() && self.encryption_context_subset.is_some() {
            return Err(KmsError::validation(
                "Constraints may have EncryptionContextEquals or EncryptionContextSubset, not both.",
            ));
        }
        for pairs in [&self.encryption_context_equals, &self.encryption_context_subset].into_iter().flatten() {
            EncryptionContext::new(Some(pairs.clone()))?;
        }
        // Constraints only make sense when every operation has a context.
        if let Some(op) = operations.iter().find(|o| !CONTEXT_OPERATIONS.contains(&o.as_str())) {
            return Err(KmsError::validation(format!(
                "Grant constraints cannot be used with the {op} operation, which takes no encryption context."
            )));
        }
        Ok(())
    }

    /// Whether a request's encryption context satisfies the constraints.
    pub fn satisfied_by(&self, context: &EncryptionContext) -> bool {
        let request = folded(context.pairs());
        if let Some(eq) = &self.encryption_context_equals {
            return folded(eq) == request;
        }
        if let Some(sub) = &self.encryption_context_subset {
            return folded(sub).iter().all(|(k, v)| request.get(k) == Some(v));
        }
        true
    }
}

/// One grant.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The grant id (64 hex digits in the API).
    pub id: [u8; 32],
    /// The secret half of its grant tokens.
    token_secret: [u8; 32],
    /// The optional idempotency name.
    pub name: Option<String>,
    /// Who the grant is for.
    pub grantee: String,
    /// Who may retire it, besides the grantee (if allowed) and the account.
    pub retiring: Option<String>,
    /// AWS operation names it allows.
    pub operations: Vec<String>,
    /// Encryption-context constraints.
    pub constraints: Option<Constraints>,
    /// The account that created it (`arn:aws:iam::ACCOUNT:root`).
    pub issuing_account: String,
    /// When it was created.
    pub created: Timestamp,
    /// When it takes effect without its token.
    pub effective_at: Timestamp,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant")
            .field("id", &self.id_hex())
            .field("grantee", &self.grantee)
            .field("operations", &self.operations)
            .field("token_secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// A parsed grant token from a request's `GrantTokens`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct GrantToken {
    key_id: KeyId,
    grant_id: [u8; 32],
    secret: [u8; 32],
}

impl fmt::Debug for GrantToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantToken({}, [REDACTED])", hex::encode(self.grant_id))
    }
}

impl GrantToken {
    /// The key the token's grant is on.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The grant's id.
    pub fn grant_id(&self) -> [u8; 32] {
        self.grant_id
    }
}

/// Parses `GrantTokens`; a malformed token is `InvalidGrantTokenException`.
pub fn parse_tokens(tokens: &[String]) -> Result<Vec<GrantToken>> {
    tokens.iter().map(|t| parse_token(t)).collect()
}

/// Parses one grant token.
pub fn parse_token(token: &str) -> Result<GrantToken> {
    let bad = || KmsError::InvalidGrantTokenException("The grant token is not valid.".into());
    let mut raw = [0u8; TOKEN_LEN];
    let decoded = Base64UrlUnpadded::decode(token, &mut raw).map_err(|_| bad())?;
    if decoded.len() != TOKEN_LEN || raw[0] != TOKEN_VERSION {
        return Err(bad());
    }
    let (_, rest) = raw.split_at(1);
    let (key, rest) = rest.split_at(16);
    let (id, secret) = rest.split_at(32);
    Ok(GrantToken {
        key_id: KeyId(key.try_into().map_err(|_| bad())?),
        grant_id: id.try_into().map_err(|_| bad())?,
        secret: secret.try_into().map_err(|_| bad())?,
    })
}

/// Parses a `GrantId` (64 hex digits); anything else is `InvalidGrantIdException`.
pub fn parse_grant_id(id: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    if id.len() != 64 || hex::decode_to_slice(id, &mut out).is_err() {
        return Err(KmsError::InvalidGrantIdException("The grant ID is not valid.".into()));
    }
    Ok(out)
}

/// The principal account of a grantee or caller ARN, if it has one.
fn account_of(principal: &str) -> Option<&str> {
    crate::policy::document::principal_arn_parts(principal).map(|(a, _)| a)
}

/// Whether `grantee` names `principal`: the same ARN, or the account's
/// root, which stands for every principal of the account.
pub fn names(grantee: &str, principal: &str) -> bool {
    if grantee == principal {
        return true;
    }
    match crate::policy::document::principal_arn_parts(grantee) {
        Some((account, "root")) => account_of(principal) == Some(account),
        _ => false,
    }
}

impl Grant {
    /// A new grant with a fresh id and token secret.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: Option<String>,
        grantee: String,
        retiring: Option<String>,
        operations: Vec<String>,
        constraints: Option<Constraints>,
        issuing_account: String,
        created: Timestamp,
        effective_at: Timestamp,
    ) -> Result<Grant> {
        Ok(Grant {
            id: random_array()?,
            token_secret: random_array()?,
            name,
            grantee,
            retiring,
            operations,
            constraints,
            issuing_account,
            created,
            effective_at,
        })
    }

    /// The id as AWS shows it.
    pub fn id_hex(&self) -> String {
        hex::encode(self.id)
    }

    /// A bearer token for this grant on `key`.
    pub fn token(&self, key: KeyId) -> String {
        let mut raw = [0u8; TOKEN_LEN];
        let (v, rest) = raw.split_at_mut(1);
        v.copy_from_slice(&[TOKEN_VERSION]);
        let (k, rest) = rest.split_at_mut(16);
        k.copy_from_slice(&key.0);
        let (i, s) = rest.split_at_mut(32);
        i.copy_from_slice(&self.id);
        s.copy_from_slice(&self.token_secret);
        Base64UrlUnpadded::encode_string(&raw)
    }

    /// Whether one of `tokens` is this grant's (secret compared in constant time).
    pub fn presented_in(&self, key: KeyId, tokens: &[GrantToken]) -> bool {
        tokens.iter().any(|t| t.key_id == key && t.grant_id == self.id && ct_eq(&t.secret, &self.token_secret))
    }

    /// Whether the grant lets `principal` perform `operation` now.
    pub fn allows(
        &self,
        key: KeyId,
        principal: &str,
        operation: &str,
        context: Option<&EncryptionContext>,
        now: Timestamp,
        tokens: &[GrantToken],
    ) -> bool {
        names(&self.grantee, principal)
            && self.operations.iter().any(|o| o == operation)
            && (now >= self.effective_at || self.presented_in(key, tokens))
            && match (&self.constraints, context) {
                (Some(c), Some(ctx)) if CONTEXT_OPERATIONS.contains(&operation) => c.satisfied_by(ctx),
                (Some(_), None) if CONTEXT_OPERATIONS.contains(&operation) => false,
                _ => true,
            }
    }

    /// Whether `principal` may retire the grant: its retiring principal,
    /// its grantee when it allows RetireGrant, or the issuing account.
    pub fn retirable_by(&self, principal: &str) -> bool {
        self.retiring.as_deref().is_some_and(|r| names(r, principal))
            || (names(&self.grantee, principal) && self.operations.iter().any(|o| o == "RetireGrant"))
            || principal == self.issuing_account
    }

    /// Whether a CreateGrant with these parameters is a retry of this grant.
    pub fn same_request(
        &self,
        grantee: &str,
        retiring: Option<&str>,
        operations: &[String],
        constraints: Option<&Constraints>,
    ) -> bool {
        let mut a = self.operations.clone();
        let mut b = operations.to_vec();
        a.sort();
        b.sort();
        self.grantee == grantee
            && self.retiring.as_deref() == retiring
            && a == b
            && self.constraints.as_ref() == constraints
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        EncryptionContext::new(Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())).unwrap()
    }

    fn grant(constraints: Option<Constraints>, effective_at: i64) -> Grant {
        Grant::new(
            None,
            "arn:aws:iam::111122223333:role/app".into(),
            Some("arn:aws:iam::111122223333:role/admin".into()),
            vec!["Decrypt".into()],
            constraints,
            "arn:aws:iam::111122223333:root".into(),
            Timestamp(0),
            Timestamp(effective_at),
        )
        .unwrap()
    }

    #[test]
    fn subset_constraints_need_the_pairs_keys_case_insensitively() {
        let c = Constraints {
            encryption_context_subset: Some([("Tenant".to_owned(), "acme".to_owned())].into()),
            ..Default::default()
        };
        assert!(c.satisfied_by(&ctx(&[("tenant", "acme"), ("x", "y")])));
        assert!(!c.satisfied_by(&ctx(&[("tenant", "ACME")])));
        assert!(!c.satisfied_by(&ctx(&[])));
    }

    #[test]
    fn equals_constraints_need_exactly_the_pairs() {
        let c = Constraints {
            encryption_context_equals: Some([("a".to_owned(), "1".to_owned())].into()),
            ..Default::default()
        };
        assert!(c.satisfied_by(&ctx(&[("A", "1")])));
        assert!(!c.satisfied_by(&ctx(&[("a", "1"), ("b", "2")])));
    }

    #[test]
    fn constraints_are_validated() {
        let both = Constraints {
            encryption_context_equals: Some(BTreeMap::new()),
            encryption_context_subset: Some(BTreeMap::new()),
        };
        assert_eq!(both.validate(&["Decrypt".into()]).unwrap_err().name(), "ValidationException");
        let one = Constraints { encryption_context_subset: Some(BTreeMap::new()), ..Default::default() };
        assert_eq!(one.validate(&["DescribeKey".into()]).unwrap_err().name(), "ValidationException");
        assert!(one.validate(&["Decrypt".into(), "Encrypt".into()]).is_ok());
    }

    #[test]
    fn a_grant_takes_effect_after_propagation_or_with_its_token() {
        let key = KeyId([7; 16]);
        let g = grant(None, 5_000);
        let who = "arn:aws:iam::111122223333:role/app";
        assert!(!g.allows(key, who, "Decrypt", Some(&ctx(&[])), Timestamp(1_000), &[]));
        let token = parse_token(&g.token(key)).unwrap();
        assert!(g.allows(key, who, "Decrypt", Some(&ctx(&[])), Timestamp(1_000), &[token]));
        assert!(g.allows(key, who, "Decrypt", Some(&ctx(&[])), Timestamp(5_000), &[]));
        assert!(!g.allows(key, who, "Encrypt", Some(&ctx(&[])), Timestamp(5_000), &[]));
        assert!(!g.allows(
            key,
            "arn:aws:iam::111122223333:role/other",
            "Decrypt",
            Some(&ctx(&[])),
            Timestamp(5_000),
            &[]
        ));
    }

    #[test]
    fn malformed_tokens_and_grant_ids_are_refused() {
        for bad in ["", "!!!", "AAAA", &"A".repeat(200)] {
            assert_eq!(parse_token(bad).unwrap_err().name(), "InvalidGrantTokenException", "{bad}");
        }
        assert_eq!(parse_grant_id("xyz").unwrap_err().name(), "InvalidGrantIdException");
        assert!(parse_grant_id(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn who_may_retire() {
        let g = grant(None, 0);
        assert!(g.retirable_by("arn:aws:iam::111122223333:role/admin"));
        assert!(g.retirable_by("arn:aws:iam::111122223333:root"));
        assert!(!g.retirable_by("arn:aws:iam::111122223333:role/app"), "the grantee needs RetireGrant in the grant");
    }

    #[test]
    fn debug_output_hides_the_token_secret() {
        let g = grant(None, 0);
        let shown = format!("{g:?}");
        assert!(shown.contains("[REDACTED]") && !shown.contains(&hex::encode(g.token_secret)));
    }
}
