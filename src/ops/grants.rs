//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

use super::paging::{page, page_size, paging_constraints, Limits};
use super::{check_dry_run, check_grant_tokens, grant_token_constraints, key_id_constraints, Empty};
use crate::access::{check_caller, Access};
use crate::error::{quoted, KmsError, Result, Violations};
use crate::grants::{parse_grant_id, parse_token, Constraints, Grant, GRANT_OPERATIONS, MAX_GRANTS_PER_KEY};
use crate::ids::{AliasForms, KeyId};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

/// CreateGrant request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct CreateGrantRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "super::nullable")]
    pub grantee_principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    #[serde(deserialize_with = "super::nullable")]
    pub operations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::grants::as_aws")]
    pub constraints: Option<Constraints>,
    #[serde(skip_serializing, deserialize_with = "super::nullable")]
    pub grant_tokens: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// CreateGrant response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct CreateGrantResponse {
    pub grant_token: String,
    pub grant_id: String,
}

/// CloudTrail records the grant id, never the grant token (a bearer credential).
impl super::AuditView for CreateGrantResponse {
    fn response_elements(&self) -> serde_json::Value {
        serde_json::json!({ "grantId": self.grant_id })
    }
}

/// ListGrants request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ListGrantsRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// ListRetirableGrants request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ListRetirableGrantsRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub retiring_principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// AWS's `GrantListEntry`.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct GrantListEntry {
    pub key_id: String,
    pub grant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(with = "time::as_millis")]
    pub creation_date: Timestamp,
    pub grantee_principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    pub issuing_account: String,
    pub operations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::grants::as_aws")]
    pub constraints: Option<Constraints>,
}

/// ListGrants / ListRetirableGrants response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ListGrantsResponse {
    pub grants: Vec<GrantListEntry>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// RetireGrant request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct RetireGrantRequest {
    #[serde(skip_serializing)]
    pub grant_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// RevokeGrant request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct RevokeGrantRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "super::nullable")]
    pub grant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

fn entry(kms: &Kms, key: KeyId, g: &Grant) -> GrantListEntry {
    GrantListEntry {
        key_id: kms.partition.key_arn(key),
        grant_id: g.id_hex(),
        name: g.name.clone(),
        creation_date: g.created,
        grantee_principal: g.grantee.clone(),
        retiring_principal: g.retiring.clone(),
        issuing_account: g.issuing_account.clone(),
        operations: g.operations.clone(),
        constraints: g.constraints.clone(),
    }
}

/// AWS's pattern of a principal member, as its messages quote it.
const PRINCIPAL_PATTERN: &str = "^[\\w+=,.@:/-]+$";

/// Most characters of a `GrantId`.
const MAX_GRANT_ID_CHARS: usize = 128;

/// The model constraints of a principal member (`granteePrincipal`,
/// `retiringPrincipal`): 1..256 characters of `^[\w+=,.@:/-]+$`.
fn principal_constraints(v: &mut Violations, member: &str, value: Option<&str>) {
    let allowed = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
    v.pattern(member, value, PRINCIPAL_PATTERN, allowed).length(member, value, 1, 256);
}

/// After its model constraints: a principal that names an IAM principal
/// or a service.
fn check_principal(member: &str, p: &str) -> Result<()> {
    check_caller(p).map_err(|_| KmsError::validation(format!("{member} '{}' is not a valid principal.", quoted(p))))
}

impl CreateGrantRequest {
    fn validate(&self) -> Result<()> {
        let mut v = Violations::new();
        key_id_constraints(&mut v, "keyId", Some(&self.key_id));
        principal_constraints(&mut v, "granteePrincipal", Some(&self.grantee_principal));
        principal_constraints(&mut v, "retiringPrincipal", self.retiring_principal.as_deref());
        v.each_one_of("operations", &self.operations, &GRANT_OPERATIONS);
        grant_token_constraints(&mut v, &self.grant_tokens);
        crate::aliases::name_constraints(&mut v, "name", self.name.as_deref());
        v.check()?;
        check_principal("GranteePrincipal", &self.grantee_principal)?;
        if let Some(r) = &self.retiring_principal {
            check_principal("RetiringPrincipal", r)?;
        }
        // Operations must be a non-empty list of grant operations the key supports.
        if self.operations.is_empty() {
            return Err(KmsError::validation("Operations must list at least one operation."));
        }
        for op in &self.operations {
            if crate::grants::NOT_FOR_SYMMETRIC_KEYS.contains(&op.as_str()) {
                return Err(KmsError::validation(format!("{op} is not compatible with a symmetric encryption key.")));
            }
        }
        if let Some(c) = &self.constraints {
            c.validate(&self.operations)?;
        }
        Ok(())
    }
}

impl Kms {
    /// CreateGrant: a grant on a key; idempotent for the same `Name` and parameters.
    pub fn create_grant(&mut self, ctx: &CallContext, req: CreateGrantRequest) -> Result<CreateGrantResponse> {
        self.run(ctx, Op::CreateGrant, super::params(&req), |kms| {
            req.validate()?;
            let tokens = check_grant_tokens(&req.grant_tokens)?;
            let constraint_type: Vec<String> = match &req.constraints {
                Some(c) if c.encryption_context_equals.is_some() => vec!["EncryptionContextEquals".into()],
                Some(c) if c.encryption_context_subset.is_some() => vec!["EncryptionContextSubset".into()],
                _ => Vec::new(),
            };
            let mut access = Access::new(Op::CreateGrant)
                .tokens(&tokens)
                .fact("kms:grantoperations", req.operations.clone())
                .fact("kms:granteeprincipal", vec![req.grantee_principal.clone()])
                .fact("kms:grantisforawsresource", vec![ctx.service.is_some().to_string()]);
            if let Some(r) = &req.retiring_principal {
                access = access.fact("kms:retiringprincipal", vec![r.clone()]);
            }
            if !constraint_type.is_empty() {
                access = access.fact("kms:grantconstrainttype", constraint_type);
            }
            let id = kms.key_for(ctx, &access, &req.key_id, AliasForms::Rejected)?;
            let key = kms.key(id)?;
            // A retry with the same Name and parameters returns the same grant.
            if let Some(name) = &req.name {
                let existing = key.grants.iter().find(|g| {
                    g.name.as_deref() == Some(name)
                        && g.same_request(
                            &req.grantee_principal,
                            req.retiring_principal.as_deref(),
                            &req.operations,
                            req.constraints.as_ref(),
                        )
                });
                if let Some(g) = existing {
                    check_dry_run(req.dry_run)?;
                    return Ok(CreateGrantResponse { grant_token: g.token(id), grant_id: g.id_hex() });
                }
            }
            // A key has at most 50,000 grants.
            if key.grants.len() >= MAX_GRANTS_PER_KEY {
                return Err(KmsError::LimitExceededException(format!(
                    "{} has reached the limit of {MAX_GRANTS_PER_KEY} grants.",
                    kms.partition.key_arn(id)
                )));
            }
            check_dry_run(req.dry_run)?;
            let grant = Grant::new(
                req.name,
                req.grantee_principal,
                req.retiring_principal,
                req.operations,
                req.constraints,
                kms.partition.root_principal(),
                ctx.now,
                Timestamp(ctx.now.0.saturating_add(kms.settings.grant_propagation_ms)),
            )?;
            let response = CreateGrantResponse { grant_token: grant.token(id), grant_id: grant.id_hex() };
            kms.key_mut(id)?.grants.push(grant);
            Ok(response)
        })
    }

    /// ListGrants: the grants of one key, optionally one grant or one grantee.
    pub fn list_grants(&mut self, ctx: &CallContext, req: ListGrantsRequest) -> Result<ListGrantsResponse> {
        self.run(ctx, Op::ListGrants, super::params(&req), |kms| {
            let mut v = Violations::new();
            paging_constraints(&mut v, req.limit, req.marker.as_deref(), GRANT_PAGES);
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            v.length("grantId", req.grant_id.as_deref(), 1, MAX_GRANT_ID_CHARS);
            principal_constraints(&mut v, "granteePrincipal", req.grantee_principal.as_deref());
            v.check()?;
            let only_id = req.grant_id.as_deref().map(parse_grant_id).transpose()?;
            let id = kms.key_for(ctx, &Access::new(Op::ListGrants), &req.key_id, AliasForms::Rejected)?;
            let all: Vec<GrantListEntry> = kms
                .key(id)?
                .grants
                .iter()
                .filter(|g| only_id.is_none_or(|i| g.id == i))
                .filter(|g| req.grantee_principal.as_deref().is_none_or(|p| g.grantee == p))
                .map(|g| entry(kms, id, g))
                .collect();
            let p = page(all, req.limit, req.marker.as_deref(), GRANT_PAGES)?;
            Ok(ListGrantsResponse { grants: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }

    /// ListRetirableGrants: grants on any key that a principal may retire.
    pub fn list_retirable_grants(
        &mut self,
        ctx: &CallContext,
        req: ListRetirableGrantsRequest,
    ) -> Result<ListGrantsResponse> {
        self.run(ctx, Op::ListRetirableGrants, super::params(&req), |kms| {
            let mut v = Violations::new();
            paging_constraints(&mut v, req.limit, req.marker.as_deref(), GRANT_PAGES);
            principal_constraints(&mut v, "retiringPrincipal", Some(&req.retiring_principal));
            v.check()?;
            check_principal("RetiringPrincipal", &req.retiring_principal)?;
            kms.authorize_account(ctx, &Access::new(Op::ListRetirableGrants))?;
            // Through the index of grants by retiring principal: a page costs
            // what it returns, not a walk over every key's grants.
            let size = page_size(req.limit, req.marker.as_deref(), GRANT_PAGES)?;
            let after = req.marker.as_deref().map(parse_retirable_marker).transpose()?;
            let mut found = kms.retiring.after(&req.retiring_principal, after);
            let mut grants = Vec::with_capacity(size);
            let mut last = None;
            for (key, grant) in found.by_ref() {
                if grants.len() == size {
                    break;
                }
                let g = kms.key(key)?.grants.iter().find(|g| g.id == grant);
                if let Some(g) = g {
                    grants.push(entry(kms, key, g));
                    last = Some((key, grant));
                }
            }
            let truncated = grants.len() == size
                && last.is_some_and(|l| kms.retiring.after(&req.retiring_principal, Some(l)).next().is_some());
            let next_marker =
                if truncated { last.map(|(k, g)| format!("r{}{}", hex::encode(k.0), hex::encode(g))) } else { None };
            let p = super::paging::Page { items: grants, truncated, next_marker };
            Ok(ListGrantsResponse { grants: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }

    /// RetireGrant: by token, or by key and grant id; by its retiring
    /// principal, its grantee (if the grant allows RetireGrant), or a
    /// principal the key policy allows `kms:RetireGrant`.
    pub fn retire_grant(&mut self, ctx: &CallContext, req: RetireGrantRequest) -> Result<Empty> {
        self.run(ctx, Op::RetireGrant, super::params(&req), |kms| {
            let mut v = Violations::new();
            v.size("grantToken", req.grant_token.as_ref().map(|t| t.chars().count()), 1, 8192);
            key_id_constraints(&mut v, "keyId", req.key_id.as_deref());
            v.length("grantId", req.grant_id.as_deref(), 1, MAX_GRANT_ID_CHARS);
            v.check()?;
            let (key, grant_id) = match (&req.grant_token, &req.key_id, &req.grant_id) {
                (Some(token), named_key, named_id) => {
                    let t = parse_token(token)?;
                    let (key, id) = (t.key_id(), t.grant_id());
                    if let Some(k) = named_key {
                        if kms.resolve(k, AliasForms::Rejected)?.0 != key {
                            return Err(KmsError::validation("KeyId does not match the grant token."));
                        }
                    }
                    if named_id.as_deref().map(parse_grant_id).transpose()?.is_some_and(|i| i != id) {
                        return Err(KmsError::validation("GrantId does not match the grant token."));
                    }
                    (key, id)
                }
                (None, Some(k), Some(g)) => (kms.resolve(k, AliasForms::Rejected)?.0, parse_grant_id(g)?),
                _ => return Err(KmsError::validation("Specify GrantToken, or both KeyId and GrantId.")),
            };
            kms.touch_key(key);
            let k = kms.key(key).map_err(|_| KmsError::NotFoundException("The grant does not exist.".into()))?;
            let grant = k.grants.iter().find(|g| g.id == grant_id).ok_or_else(|| {
                KmsError::NotFoundException(format!("Grant {} does not exist.", hex::encode(grant_id)))
            })?;
            if let Some(token) = &req.grant_token {
                let t = parse_token(token)?;
                if !grant.presented_in(key, &[t]) {
                    return Err(KmsError::InvalidGrantTokenException("The grant token is not valid.".into()));
                }
            }
            if !grant.retirable_by(&ctx.caller) && !kms.key_policy_allows(ctx, k, &Access::new(Op::RetireGrant)) {
                return Err(KmsError::AccessDeniedException(format!(
                    "User: {} is not authorized to perform: kms:RetireGrant on grant {}.",
                    ctx.caller,
                    grant.id_hex()
                )));
            }
            check_dry_run(req.dry_run)?;
            kms.key_mut(key)?.grants.retain(|g| g.id != grant_id);
            Ok(Empty {})
        })
    }

    /// RevokeGrant: deletes a grant, for principals the key policy allows.
    pub fn revoke_grant(&mut self, ctx: &CallContext, req: RevokeGrantRequest) -> Result<Empty> {
        self.run(ctx, Op::RevokeGrant, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            v.length("grantId", Some(&req.grant_id), 1, MAX_GRANT_ID_CHARS);
            v.check()?;
            let grant_id = parse_grant_id(&req.grant_id)?;
            let id = kms.key_for(ctx, &Access::new(Op::RevokeGrant), &req.key_id, AliasForms::Rejected)?;
            if !kms.key(id)?.grants.iter().any(|g| g.id == grant_id) {
                return Err(KmsError::NotFoundException(format!("Grant {} does not exist.", req.grant_id)));
            }
            check_dry_run(req.dry_run)?;
            kms.key_mut(id)?.grants.retain(|g| g.id != grant_id);
            Ok(Empty {})
        })
    }
}

/// Pages of ListGrants and ListRetirableGrants: 50 by default, at most 100.
const GRANT_PAGES: Limits = Limits { default: 50, max: 100 };

/// A ListRetirableGrants marker: `r`, the last key id and grant id of the
/// page, in hex.
fn parse_retirable_marker(m: &str) -> Result<(KeyId, [u8; 32])> {
    let invalid = || KmsError::InvalidMarkerException("The Marker is not valid.".into());
    let hex_part = m.strip_prefix('r').filter(|h| h.len() == 96).ok_or_else(invalid)?;
    let mut key = [0u8; 16];
    let mut grant = [0u8; 32];
    let (k, g) = hex_part.split_at(32);
    hex::decode_to_slice(k, &mut key).map_err(|_| invalid())?;
    hex::decode_to_slice(g, &mut grant).map_err(|_| invalid())?;
    Ok((KeyId(key), grant))
}
