//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use super::paging::{marker_key, page_size, page_walk, paging_constraints, Limits, MarkerForm};
use super::{key_id_constraints, Empty};
use crate::access::Access;
use crate::aliases::{
    check_not_reserved, check_prefix, name_constraints, validate_name, Alias, MAX_ALIASES_PER_KEY, PREDEFINED,
};
use crate::error::{quoted, KmsError, Result, Violations};
use crate::ids::{AliasForms, KeyId};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use std::ops::Bound;

/// ListAliases markers: the last alias name of the previous page.
const ALIAS_MARKERS: MarkerForm<String> = MarkerForm {
    prefix: "a:",
    encode: |name| name.clone(),
    decode: |name| name.starts_with("alias/").then(|| name.to_owned()),
};

/// CreateAlias / UpdateAlias request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct AliasRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub alias_name: String,
    #[serde(deserialize_with = "super::nullable")]
    pub target_key_id: String,
}

/// DeleteAlias request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct DeleteAliasRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub alias_name: String,
}

/// ListAliases request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ListAliasesRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// AWS's `AliasListEntry`. `TargetKeyId` is the key id, not the ARN, as in
/// AWS. A predefined alias (see [`PREDEFINED`]) has only its name and ARN.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct AliasListEntry {
    pub alias_name: String,
    pub alias_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "time::as_millis::option")]
    pub creation_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none", with = "time::as_millis::option")]
    pub last_updated_date: Option<Timestamp>,
}

/// ListAliases response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ListAliasesResponse {
    pub aliases: Vec<AliasListEntry>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

impl Kms {
    /// A key has at most 50 aliases.
    fn check_alias_room(&self, id: KeyId) -> Result<()> {
        if self.state.aliases.values().filter(|a| a.target == id).count() >= MAX_ALIASES_PER_KEY {
            return Err(KmsError::LimitExceededException(format!(
                "A KMS key can have at most {MAX_ALIASES_PER_KEY} aliases."
            )));
        }
        Ok(())
    }

    /// CreateAlias: a new, unique alias for a key (by key id or ARN).
    pub fn create_alias(&mut self, ctx: &CallContext, req: AliasRequest) -> Result<Empty> {
        self.run(ctx, Op::CreateAlias, super::params(&req), |kms| {
            req.constraints()?;
            validate_name(&req.alias_name)?;
            // Alias names are unique in the account and region.
            if kms.state.aliases.contains_key(&req.alias_name) {
                return Err(KmsError::AlreadyExistsException(format!(
                    "An alias with the name {} already exists",
                    kms.partition.alias_arn(&req.alias_name)
                )));
            }
            let target = kms.key_for(ctx, &Access::new(Op::CreateAlias), &req.target_key_id, AliasForms::Rejected)?;
            kms.customer_managed(target, Op::CreateAlias)?;
            kms.check_alias_room(target)?;
            kms.state.aliases.insert(req.alias_name, Alias { target, created: ctx.now, updated: ctx.now });
            Ok(Empty {})
        })
    }

    /// The alias of this name, or AWS's NotFoundException naming its ARN.
    fn alias_target(&self, name: &str) -> Result<KeyId> {
        self.state.aliases.get(name).map(|a| a.target).ok_or_else(|| {
            KmsError::NotFoundException(format!("Alias {} is not found.", quoted(&self.partition.alias_arn(name))))
        })
    }

    /// UpdateAlias: points an existing alias at another key.
    pub fn update_alias(&mut self, ctx: &CallContext, req: AliasRequest) -> Result<Empty> {
        self.run(ctx, Op::UpdateAlias, super::params(&req), |kms| {
            req.constraints()?;
            validate_name(&req.alias_name)?;
            // The alias must exist.
            let current = kms.alias_target(&req.alias_name)?;
            // UpdateAlias needs permission on the key the alias leaves, too.
            kms.authorize_id(ctx, &Access::new(Op::UpdateAlias), current)?;
            let target = kms.key_for(ctx, &Access::new(Op::UpdateAlias), &req.target_key_id, AliasForms::Rejected)?;
            kms.customer_managed(target, Op::UpdateAlias)?;
            // Re-pointing an alias at the key it already names adds no alias.
            if current != target {
                kms.check_alias_room(target)?;
            }
            if let Some(alias) = kms.state.aliases.get_mut(&req.alias_name) {
                alias.target = target;
                alias.updated = ctx.now;
            }
            Ok(Empty {})
        })
    }

    /// DeleteAlias.
    pub fn delete_alias(&mut self, ctx: &CallContext, req: DeleteAliasRequest) -> Result<Empty> {
        self.run(ctx, Op::DeleteAlias, super::params(&req), |kms| {
            let mut v = Violations::new();
            name_constraints(&mut v, "aliasName", Some(&req.alias_name));
            v.check()?;
            check_prefix(&req.alias_name)?;
            // Aliases of AWS managed keys belong to AWS.
            check_not_reserved(&req.alias_name)?;
            let target = kms.alias_target(&req.alias_name)?;
            kms.key_for(ctx, &Access::new(Op::DeleteAlias), &kms.partition.key_arn(target), AliasForms::Rejected)?;
            kms.state.aliases.remove(&req.alias_name);
            Ok(Empty {})
        })
    }

    /// ListAliases: all aliases, or those of one key; 50 a page by default.
    /// Without `KeyId` the list also holds the predefined aliases that no
    /// key has yet, in name order with the others.
    pub fn list_aliases(&mut self, ctx: &CallContext, req: ListAliasesRequest) -> Result<ListAliasesResponse> {
        self.run(ctx, Op::ListAliases, super::params(&req), |kms| {
            let limits = Limits { default: 50, max: 100 };
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", req.key_id.as_deref());
            paging_constraints(&mut v, req.limit, req.marker.as_deref(), limits);
            v.check()?;
            kms.authorize_account(ctx, &Access::new(Op::ListAliases))?;
            let only = match req.key_id.as_deref() {
                Some(k) => Some(kms.key_for(ctx, &Access::new(Op::ListAliases), k, AliasForms::Rejected)?),
                None => None,
            };
            let size = page_size(req.limit, req.marker.as_deref(), limits)?;
            let after = marker_key(req.marker.as_deref(), &ALIAS_MARKERS)?;
            let aliases = &kms.state.aliases;
            let stored = match &after {
                None => aliases.range::<String, _>(..),
                Some(name) => aliases.range::<String, _>((Bound::Excluded(name), Bound::Unbounded)),
            }
            .map(|(name, a)| (name.as_str(), Some(a)));
            // A predefined alias that a service view has given a key is stored.
            let predefined = PREDEFINED
                .into_iter()
                .filter(|name| after.as_deref().is_none_or(|a| *name > a) && !aliases.contains_key(*name))
                .map(|name| (name, None));
            let walk = in_name_order(stored, predefined).filter_map(|(name, alias)| {
                let entry = |alias: Option<&Alias>| AliasListEntry {
                    alias_name: name.to_owned(),
                    alias_arn: kms.partition.alias_arn(name),
                    target_key_id: alias.map(|a| a.target.to_string()),
                    creation_date: alias.map(|a| a.created),
                    last_updated_date: alias.map(|a| a.updated),
                };
                match (only, alias) {
                    (None, alias) => Some((name, entry(alias))),
                    (Some(id), Some(a)) if a.target == id => Some((name, entry(Some(a)))),
                    _ => None,
                }
            });
            let p = page_walk(walk, size, |name| format!("{}{name}", ALIAS_MARKERS.prefix));
            Ok(ListAliasesResponse { aliases: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }
}

impl AliasRequest {
    /// The model constraints of CreateAlias and UpdateAlias.
    fn constraints(&self) -> Result<()> {
        let mut v = Violations::new();
        name_constraints(&mut v, "aliasName", Some(&self.alias_name));
        key_id_constraints(&mut v, "targetKeyId", Some(&self.target_key_id));
        v.check()
    }
}

/// Two walks of `(name, item)` in name order, merged in name order.
fn in_name_order<'a, T>(
    a: impl Iterator<Item = (&'a str, T)>,
    b: impl Iterator<Item = (&'a str, T)>,
) -> impl Iterator<Item = (&'a str, T)> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some((x, _)), Some((y, _))) if y < x => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}
