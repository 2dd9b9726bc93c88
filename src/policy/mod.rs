//! Key policies: the IAM policy language as AWS KMS uses it, parsed once
//! and evaluated on every call: an explicit `Deny` wins, then any `Allow`,
//! else the request is implicitly denied.
//!
//! There is no IAM here, so a statement whose principal is an account
//! (`arn:aws:iam::ACCOUNT:root` or the bare account id) allows every
//! principal of that account — in AWS it would delegate to IAM policies,
//! which would typically allow them.

pub mod condition;
pub mod document;
pub mod wildcard;

use crate::error::{KmsError, Result};
use crate::ids::Partition;
pub use condition::Facts;
use document::{Document, Effect, Match, Principals};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::OnceLock;

/// Largest policy document AWS accepts, in bytes.
pub const MAX_POLICY_BYTES: usize = 32 * 1024;
/// Most characters of a `Policy` member in AWS's model (the 32 KiB limit
/// comes after it).
pub const MAX_POLICY_CHARS: usize = 131_072;

/// The outcome of evaluating one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// At least one statement allows, none denies.
    Allow,
    /// A statement explicitly denies.
    ExplicitDeny,
    /// Nothing allows.
    ImplicitDeny,
}

/// What a policy judges: who, what, on which resource, with which facts.
pub struct Request<'a> {
    /// The caller's principal ARN (or service principal name).
    pub principal: &'a str,
    /// The caller's account, when the principal has one.
    pub principal_account: Option<&'a str>,
    /// The action, e.g. `kms:Encrypt`.
    pub action: &'a str,
    /// The resource ARN.
    pub resource: &'a str,
    /// Condition keys.
    pub facts: &'a dyn Facts,
}

/// A key policy: its text, as the customer wrote it, and its parsed form.
/// A policy read from a store is parsed when it is first evaluated, not
/// when it is read: it was checked when it was written, and a KMS opened
/// with 100,000 keys would otherwise parse 100,000 policies before its
/// first call.
#[derive(Clone, Debug)]
pub struct KeyPolicy {
    text: String,
    document: OnceLock<Document>,
}

impl PartialEq for KeyPolicy {
    fn eq(&self, other: &KeyPolicy) -> bool {
        self.text == other.text
    }
}

fn principal_matches(p: &Principals, req: &Request<'_>) -> bool {
    p.anyone
        || req.principal_account.is_some_and(|a| p.accounts.iter().any(|x| x == a))
        || p.arns.iter().any(|x| x == req.principal)
        || p.services.iter().any(|x| x == req.principal)
}

fn any_pattern(patterns: &[String], value: &str) -> bool {
    patterns.iter().any(|p| p == "*" || wildcard::matches(p, value))
}

/// Action names are case-insensitive; the patterns are stored lower-case.
fn any_action(patterns: &[String], action: &str) -> bool {
    patterns.iter().any(|p| p == "*" || wildcard::matches_ignore_ascii_case(p, action))
}

impl KeyPolicy {
    /// Parses a policy from a request: at most 32 KiB
    /// (`LimitExceededException`), valid grammar
    /// (`MalformedPolicyDocumentException` with the reason).
    pub fn parse(text: &str) -> Result<KeyPolicy> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(KmsError::LimitExceededException(format!(
                "The key policy is {} bytes; the limit is {MAX_POLICY_BYTES} bytes.",
                text.len()
            )));
        }
        if text.trim().is_empty() {
            return Err(KmsError::validation("Policy must not be empty."));
        }
        let document =
            document::parse(text).map_err(|why| KmsError::MalformedPolicyDocumentException(format!("{why}.")))?;
        Ok(KeyPolicy { text: text.to_owned(), document: OnceLock::from(document) })
    }

    /// The parsed document. A text that no longer parses (it was checked
    /// when written, so only a change of grammar could do it) is an empty
    /// policy: it allows nothing.
    fn document(&self) -> &Document {
        self.document.get_or_init(|| document::parse(&self.text).unwrap_or(Document { statements: Vec::new() }))
    }

    fn builtin(text: String) -> KeyPolicy {
        // The built-in documents below are fixed and valid; parsing cannot
        // fail, but an empty policy (deny everything) is the safe fallback.
        let document = document::parse(&text).unwrap_or(Document { statements: Vec::new() });
        KeyPolicy { text, document: OnceLock::from(document) }
    }

    /// AWS's default key policy: the account may do everything.
    pub fn default_for(partition: &Partition) -> KeyPolicy {
        Self::builtin(format!(
            r#"{{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {{
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{}:root"
    }},
    "Action" : "kms:*",
    "Resource" : "*"
  }} ]
}}"#,
            partition.account_id
        ))
    }

    /// AWS's policy for the managed key of a service (`alias/aws/SERVICE`):
    /// principals of the account may use it only through that service,
    /// and may read its metadata directly.
    pub fn aws_managed(partition: &Partition, service: &str) -> KeyPolicy {
        Self::builtin(format!(
            r#"{{
  "Version" : "2012-10-17",
  "Id" : "auto-{service}-1",
  "Statement" : [ {{
    "Sid" : "Allow access through {service} for all principals in the account that are authorized to use {service}",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}",
        "kms:ViaService" : "{service}.{region}.amazonaws.com"
      }}
    }}
  }}, {{
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
    "Resource" : "*"
  }} ]
}}"#,
            account = partition.account_id,
            region = partition.region,
        ))
    }

    /// The policy as the customer wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the policy for one request. Cheap checks first: the
    /// principal, then the action and resource, conditions last.
    pub fn evaluate(&self, req: &Request<'_>) -> Decision {
        let mut allowed = false;
        for s in &self.document().statements {
            // An Allow cannot change the outcome once something allowed.
            if allowed && s.effect == Effect::Allow {
                continue;
            }
            let principal_ok = match &s.principal {
                Match::Is(p) => principal_matches(p, req),
                Match::Not(p) => !principal_matches(p, req),
            };
            if !principal_ok {
                continue;
            }
            let action_ok = match &s.action {
                Match::Is(a) => any_action(a, req.action),
                Match::Not(a) => !any_action(a, req.action),
            };
            let resource_ok = action_ok
                && match &s.resource {
                    Match::Is(r) => any_pattern(r, req.resource),
                    Match::Not(r) => !any_pattern(r, req.resource),
                };
            if !resource_ok || !s.conditions.iter().all(|c| c.holds(req.facts)) {
                continue;
            }
            match s.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

impl Serialize for KeyPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for KeyPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        // Parsed when first evaluated (see the type's docs).
        Ok(KeyPolicy { text: String::deserialize(d)?, document: OnceLock::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct F(BTreeMap<String, Vec<String>>);
    impl Facts for F {
        fn get(&self, key: &str) -> Option<Vec<String>> {
            self.0.get(key).cloned()
        }
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn eval(p: &KeyPolicy, principal: &str, action: &str, facts: &[(&str, &str)]) -> Decision {
        let f = F(facts.iter().map(|(k, v)| (k.to_lowercase(), vec![(*v).to_owned()])).collect());
        let account = document::principal_arn_parts(principal).map(|(a, _)| a);
        p.evaluate(&Request { principal, principal_account: account, action, resource: KEY, facts: &f })
    }

    fn partition() -> Partition {
        Partition::new("111122223333", "us-east-1").unwrap()
    }

    #[test]
    fn the_default_policy_allows_every_principal_of_the_account_only() {
        let p = KeyPolicy::default_for(&partition());
        assert_eq!(eval(&p, "arn:aws:iam::111122223333:root", "kms:Encrypt", &[]), Decision::Allow);
        assert_eq!(eval(&p, "arn:aws:iam::111122223333:role/app", "kms:PutKeyPolicy", &[]), Decision::Allow);
        assert_eq!(eval(&p, "arn:aws:iam::444455556666:root", "kms:Encrypt", &[]), Decision::ImplicitDeny);
    }

    #[test]
    fn an_explicit_deny_wins_over_any_allow() {
        let p = KeyPolicy::parse(
            r#"{"Statement":[
              {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
              {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},"Action":"kms:Decrypt","Resource":"*"}]}"#,
        )
        .unwrap();
        assert_eq!(eval(&p, "arn:aws:iam::111122223333:user/mallory", "kms:Decrypt", &[]), Decision::ExplicitDeny);
        assert_eq!(eval(&p, "arn:aws:iam::111122223333:user/mallory", "kms:Encrypt", &[]), Decision::Allow);
        assert_eq!(eval(&p, "arn:aws:iam::111122223333:user/alice", "kms:Decrypt", &[]), Decision::Allow);
    }

    #[test]
    fn conditions_on_the_encryption_context() {
        let p = KeyPolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
                "Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"acme"}}}}"#,
        )
        .unwrap();
        let who = "arn:aws:iam::111122223333:role/app";
        assert_eq!(eval(&p, who, "kms:Decrypt", &[("kms:EncryptionContext:tenant", "acme")]), Decision::Allow);
        assert_eq!(eval(&p, who, "kms:Decrypt", &[("kms:EncryptionContext:tenant", "other")]), Decision::ImplicitDeny);
        assert_eq!(eval(&p, who, "kms:Decrypt", &[]), Decision::ImplicitDeny);
    }

    #[test]
    fn action_wildcards_not_action_and_resources() {
        let p = KeyPolicy::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":["kms:Decrypt","kms:Put*"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}]}"#,
        )
        .unwrap();
        let who = "arn:aws:iam::111122223333:role/app";
        assert_eq!(eval(&p, who, "kms:Encrypt", &[]), Decision::Allow);
        assert_eq!(eval(&p, who, "kms:Decrypt", &[]), Decision::ImplicitDeny);
        assert_eq!(eval(&p, who, "kms:PutKeyPolicy", &[]), Decision::ImplicitDeny);
    }

    #[test]
    fn the_managed_key_policy_allows_use_only_via_its_service() {
        let p = KeyPolicy::aws_managed(&partition(), "s3");
        let who = "arn:aws:iam::111122223333:role/app";
        let via = [("kms:ViaService", "s3.us-east-1.amazonaws.com"), ("kms:CallerAccount", "111122223333")];
        assert_eq!(eval(&p, who, "kms:GenerateDataKey", &via), Decision::Allow);
        assert_eq!(
            eval(&p, who, "kms:GenerateDataKey", &[("kms:CallerAccount", "111122223333")]),
            Decision::ImplicitDeny
        );
        assert_eq!(eval(&p, who, "kms:DescribeKey", &[]), Decision::Allow);
        assert_eq!(eval(&p, who, "kms:DisableKey", &via), Decision::ImplicitDeny);
    }

    #[test]
    fn oversized_and_malformed_policies_are_refused_with_aws_names() {
        let big = format!(r#"{{"Id":"{}","Statement":[]}}"#, "x".repeat(MAX_POLICY_BYTES));
        assert_eq!(KeyPolicy::parse(&big).unwrap_err().name(), "LimitExceededException");
        assert_eq!(KeyPolicy::parse("{}").unwrap_err().name(), "MalformedPolicyDocumentException");
    }

    #[test]
    fn policies_round_trip_through_serde_as_their_text() {
        let p = KeyPolicy::default_for(&partition());
        let json = serde_json::to_string(&p).unwrap();
        let back: KeyPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}
