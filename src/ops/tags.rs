//! Tags: TagResource, UntagResource, ListResourceTags.

use super::paging::{page, paging_constraints, Limits};
use super::{key_id_constraints, Empty};
use crate::access::Access;
use crate::error::{Result, Violations};
use crate::ids::AliasForms;
use crate::keys::tags::{self, Tag};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use serde::{Deserialize, Serialize};

/// Pages of ListResourceTags: 50 by default and at most.
const TAG_PAGES: Limits = Limits { default: 50, max: 50 };

/// TagResource request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct TagResourceRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// UntagResource request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct UntagResourceRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_keys: Vec<String>,
}

/// ListResourceTags request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ListResourceTagsRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// ListResourceTags response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ListResourceTagsResponse {
    pub tags: Vec<Tag>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

impl Kms {
    /// TagResource: adds or overwrites tags; at most 50 per key.
    pub fn tag_resource(&mut self, ctx: &CallContext, req: TagResourceRequest) -> Result<Empty> {
        self.run(ctx, Op::TagResource, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            tags::constraints(&mut v, &req.tags);
            v.check()?;
            let new = tags::validate(&req.tags)?;
            let id = kms.key_for(ctx, &Access::new(Op::TagResource), &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::TagResource)?;
            let all = tags::merged(&kms.key(id)?.tags, new)?;
            kms.key_mut(id)?.tags = all;
            Ok(Empty {})
        })
    }

    /// UntagResource: removes tags by key; absent keys are ignored, as in AWS.
    pub fn untag_resource(&mut self, ctx: &CallContext, req: UntagResourceRequest) -> Result<Empty> {
        self.run(ctx, Op::UntagResource, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            tags::key_constraints(&mut v, &req.tag_keys);
            v.check()?;
            req.tag_keys.iter().try_for_each(|k| tags::validate_key(k))?;
            let id = kms.key_for(ctx, &Access::new(Op::UntagResource), &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::UntagResource)?;
            let key = kms.key_mut(id)?;
            req.tag_keys.iter().for_each(|k| {
                key.tags.remove(k);
            });
            Ok(Empty {})
        })
    }

    /// ListResourceTags: 50 a page by default, ordered by tag key.
    pub fn list_resource_tags(
        &mut self,
        ctx: &CallContext,
        req: ListResourceTagsRequest,
    ) -> Result<ListResourceTagsResponse> {
        self.run(ctx, Op::ListResourceTags, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            paging_constraints(&mut v, req.limit, req.marker.as_deref(), TAG_PAGES);
            v.check()?;
            let id = kms.key_for(ctx, &Access::new(Op::ListResourceTags), &req.key_id, AliasForms::Rejected)?;
            let all: Vec<Tag> =
                kms.key(id)?.tags.iter().map(|(k, v)| Tag { tag_key: k.clone(), tag_value: v.clone() }).collect();
            let p = page(all, req.limit, req.marker.as_deref(), TAG_PAGES)?;
            Ok(ListResourceTagsResponse { tags: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }
}
