//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use super::paging::{page_map, Limits, MarkerForm};
use super::Empty;
use crate::access::Access;
use crate::aliases::{validate_name, Alias, MAX_ALIASES_PER_KEY};
use crate::error::{KmsError, Result};
use crate::ids::{AliasForms, KeyId};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

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

/// AWS's `AliasListEntry`. `TargetKeyId` is the key id, not the ARN, as in AWS.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct AliasListEntry {
    pub alias_name: String,
    pub alias_arn: String,
    pub target_key_id: String,
    #[serde(with = "time::as_millis")]
    pub creation_date: Timestamp,
    #[serde(with = "time::as_millis")]
    pub last_updated_date: Timestamp,
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
            validate_name(&req.alias_name)?;
            // Alias names are unique in the account and region.
            if kms.state.aliases.contains_key(&req.alias_name) {
                return Err(KmsError::AlreadyExistsException(format!(
                    "An alias with the name {} already exists.",
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

    /// UpdateAlias: points an existing alias at another key.
    pub fn update_alias(&mut self, ctx: &CallContext, req: AliasRequest) -> Result<Empty> {
        self.run(ctx, Op::UpdateAlias, super::params(&req), |kms| {
            validate_name(&req.alias_name)?;
            // The alias must exist.
            let current = kms
                .state
                .aliases
                .get(&req.alias_name)
                .map(|a| a.target)
                .ok_or_else(|| KmsError::NotFoundException(format!("Alias {} is not found.", req.alias_name)))?;
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
            if req.alias_name.is_empty() || req.alias_name.len() > 256 {
                return Err(KmsError::validation("AliasName must be between 1 and 256 characters long."));
            }
            // Aliases of AWS managed keys belong to AWS.
            if req.alias_name.starts_with("alias/aws/") {
                return Err(KmsError::InvalidAliasNameException(
                    "Alias names beginning with 'alias/aws/' are reserved for AWS managed keys.".into(),
                ));
            }
            let target = kms
                .state
                .aliases
                .get(&req.alias_name)
                .map(|a| a.target)
                .ok_or_else(|| KmsError::NotFoundException(format!("Alias {} is not found.", req.alias_name)))?;
            kms.key_for(ctx, &Access::new(Op::DeleteAlias), &kms.partition.key_arn(target), AliasForms::Rejected)?;
            kms.state.aliases.remove(&req.alias_name);
            Ok(Empty {})
        })
    }

    /// ListAliases: all aliases, or those of one key; 50 a page by default.
    pub fn list_aliases(&mut self, ctx: &CallContext, req: ListAliasesRequest) -> Result<ListAliasesResponse> {
        self.run(ctx, Op::ListAliases, super::params(&req), |kms| {
            kms.authorize_account(ctx, &Access::new(Op::ListAliases))?;
            let only = match req.key_id.as_deref() {
                Some(k) => Some(kms.key_for(ctx, &Access::new(Op::ListAliases), k, AliasForms::Rejected)?),
                None => None,
            };
            let limits = Limits { default: 50, max: 100 };
            let p =
                page_map(&kms.state.aliases, req.limit, req.marker.as_deref(), limits, &ALIAS_MARKERS, |name, a| {
                    only.is_none_or(|id| a.target == id).then(|| AliasListEntry {
                        alias_name: name.clone(),
                        alias_arn: kms.partition.alias_arn(name),
                        target_key_id: a.target.to_string(),
                        creation_date: a.created,
                        last_updated_date: a.updated,
                    })
                })?;
            Ok(ListAliasesResponse { aliases: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }
}
