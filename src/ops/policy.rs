//! Key policies: PutKeyPolicy, GetKeyPolicy, ListKeyPolicies.

use super::paging::{page, paging_constraints, Limits};
use super::{key_id_constraints, Empty};
use crate::access::Access;
use crate::error::{quoted, KmsError, Result, Violations};
use crate::ids::AliasForms;
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::policy::{KeyPolicy, MAX_POLICY_CHARS};
use serde::{Deserialize, Serialize};

/// The only policy name AWS KMS has.
pub const POLICY_NAME: &str = "default";

/// Pages of ListKeyPolicies: 100 by default, at most 1000.
const POLICY_PAGES: Limits = Limits { default: 100, max: 1000 };

/// PutKeyPolicy request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct PutKeyPolicyRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// GetKeyPolicy request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct GetKeyPolicyRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
}

/// GetKeyPolicy response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct GetKeyPolicyResponse {
    pub policy: String,
    pub policy_name: &'static str,
}

/// ListKeyPolicies request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ListKeyPoliciesRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// ListKeyPolicies response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ListKeyPoliciesResponse {
    pub policy_names: Vec<&'static str>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// The model constraints of `PolicyName`: 1..128 word characters.
fn policy_name_constraints(v: &mut Violations, name: Option<&str>) {
    let word = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    v.pattern("policyName", name, "[\\w]+", word).length("policyName", name, 1, 128);
}

/// `PolicyName`, where given, must be `default` (after its model constraints).
fn check_policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(other) => Err(KmsError::NotFoundException(format!(
            "Key policy '{}' does not exist; the only key policy name is 'default'.",
            quoted(other)
        ))),
    }
}

impl Kms {
    /// PutKeyPolicy: replaces the key policy, after the lockout safety check.
    pub fn put_key_policy(&mut self, ctx: &CallContext, req: PutKeyPolicyRequest) -> Result<Empty> {
        self.run(ctx, Op::PutKeyPolicy, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            policy_name_constraints(&mut v, req.policy_name.as_deref());
            v.required("policy", req.policy.as_ref()).size(
                "policy",
                req.policy.as_ref().map(|p| p.chars().count()),
                1,
                MAX_POLICY_CHARS,
            );
            v.check()?;
            check_policy_name(req.policy_name.as_deref())?;
            let text = req.policy.as_deref().unwrap_or_default();
            let policy = KeyPolicy::parse(text)?;
            let bypass = req.bypass_policy_lockout_safety_check == Some(true);
            let access =
                Access::new(Op::PutKeyPolicy).fact("kms:bypasspolicylockoutsafetycheck", vec![bypass.to_string()]);
            let id = kms.key_for(ctx, &access, &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::PutKeyPolicy)?;
            // The new policy must still let the caller change the policy.
            kms.check_lockout(ctx, kms.key(id)?, &policy, bypass)?;
            kms.key_mut(id)?.policy = policy;
            Ok(Empty {})
        })
    }

    /// GetKeyPolicy: the policy text as it was put.
    pub fn get_key_policy(&mut self, ctx: &CallContext, req: GetKeyPolicyRequest) -> Result<GetKeyPolicyResponse> {
        self.run(ctx, Op::GetKeyPolicy, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            policy_name_constraints(&mut v, req.policy_name.as_deref());
            v.check()?;
            check_policy_name(req.policy_name.as_deref())?;
            let id = kms.key_for(ctx, &Access::new(Op::GetKeyPolicy), &req.key_id, AliasForms::Rejected)?;
            Ok(GetKeyPolicyResponse { policy: kms.key(id)?.policy.text().to_owned(), policy_name: POLICY_NAME })
        })
    }

    /// ListKeyPolicies: always `["default"]`.
    pub fn list_key_policies(
        &mut self,
        ctx: &CallContext,
        req: ListKeyPoliciesRequest,
    ) -> Result<ListKeyPoliciesResponse> {
        self.run(ctx, Op::ListKeyPolicies, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            paging_constraints(&mut v, req.limit, req.marker.as_deref(), POLICY_PAGES);
            v.check()?;
            kms.key_for(ctx, &Access::new(Op::ListKeyPolicies), &req.key_id, AliasForms::Rejected)?;
            let p = page(vec![POLICY_NAME], req.limit, req.marker.as_deref(), POLICY_PAGES)?;
            Ok(ListKeyPoliciesResponse { policy_names: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }
}
