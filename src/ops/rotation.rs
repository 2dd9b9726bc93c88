//! Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations.

use super::paging::{page, paging_constraints, Limits};
use super::{key_id_constraints, Empty};
use crate::access::Access;
use crate::error::{KmsError, Result, Violations};
use crate::ids::{AliasForms, KeyId};
use crate::keys::backing::{BackingKey, Provenance};
use crate::keys::import::ExpirationModel;
use crate::keys::rotation::{period_constraints, validate_period, MAX_ON_DEMAND_ROTATIONS};
use crate::keys::Origin;
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

/// Pages of ListKeyRotations: 100 by default, at most 1000.
const ROTATION_PAGES: Limits = Limits { default: 100, max: 1000 };

/// EnableKeyRotation request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct EnableKeyRotationRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<i64>,
}

/// GetKeyRotationStatus response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct KeyRotationStatus {
    pub key_id: String,
    pub key_rotation_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<u32>,
    #[serde(with = "time::as_millis::option", skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<Timestamp>,
}

/// ListKeyRotations request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ListKeyRotationsRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_key_material: Option<String>,
}

/// One key material of a key (AWS's `RotationsListEntry`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct RotationEntry {
    pub key_id: String,
    pub key_material_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_state: Option<&'static str>,
    pub key_material_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    #[serde(with = "time::as_millis::option", skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    #[serde(with = "time::as_millis::option", skip_serializing_if = "Option::is_none")]
    pub rotation_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<&'static str>,
}

impl RotationEntry {
    /// The entry for one material; `state` is CURRENT, NON_CURRENT or
    /// PENDING_ROTATION. Rotation dates and types belong to materials that
    /// became current by rotation; the import members to imported material.
    fn of(arn: &str, b: &BackingKey, state: &'static str) -> RotationEntry {
        let rotated = b.provenance != Provenance::Initial && state != "PENDING_ROTATION";
        let imported = b.imported.as_ref();
        RotationEntry {
            key_id: arn.to_owned(),
            key_material_id: b.material_id(),
            key_material_description: imported.and_then(|i| i.description.clone()),
            import_state: imported.map(|_| if b.present() { "IMPORTED" } else { "PENDING_IMPORT" }),
            key_material_state: state,
            expiration_model: imported.and_then(|i| i.expiration_model).map(ExpirationModel::name),
            valid_to: imported.and_then(|i| i.valid_to),
            rotation_date: rotated.then_some(b.created),
            rotation_type: rotated.then_some(if b.provenance == Provenance::OnDemand {
                "ON_DEMAND"
            } else {
                "AUTOMATIC"
            }),
        }
    }
}

/// ListKeyRotations response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ListKeyRotationsResponse {
    pub rotations: Vec<RotationEntry>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

impl Kms {
    /// Keys the service rotates. Keys with imported material rotate only on
    /// demand, to material the customer imported (and list their
    /// materials); keys in a custom key store do not rotate.
    fn rotatable_key(&self, ctx: &CallContext, access: &Access<'_>, key_id: &str) -> Result<KeyId> {
        let op = access.op;
        let id = self.key_for(ctx, access, key_id, AliasForms::Rejected)?;
        if !op.read_only() {
            self.customer_managed(id, op)?;
            // A multi-Region key's rotation is its primary's.
            self.not_a_replica(id, op)?;
        }
        let origin = self.key(id)?.origin;
        let imported_ok = matches!(op, Op::RotateKeyOnDemand | Op::ListKeyRotations);
        if origin == Origin::ExternalKeyStore || (origin == Origin::External && !imported_ok) {
            let what =
                if origin == Origin::External { "has imported key material" } else { "is in a custom key store" };
            return Err(KmsError::UnsupportedOperationException(format!(
                "{} {what}; {} is not supported for it.",
                self.partition.key_arn(id),
                op.name()
            )));
        }
        Ok(id)
    }

    /// EnableKeyRotation: the first rotation is one period from now; when
    /// rotation is already on, a new period counts from the last rotation.
    pub fn enable_key_rotation(&mut self, ctx: &CallContext, req: EnableKeyRotationRequest) -> Result<Empty> {
        self.run(ctx, Op::EnableKeyRotation, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            period_constraints(&mut v, req.rotation_period_in_days);
            v.check()?;
            let period = validate_period(req.rotation_period_in_days)?;
            let id = kms.rotatable_key(
                ctx,
                &Access::new(Op::EnableKeyRotation).fact("kms:rotationperiodindays", vec![period.to_string()]),
                &req.key_id,
            )?;
            let key = kms.key_mut(id)?;
            let anchor = match (key.rotation.enabled, key.rotation.next) {
                (true, Some(next)) => {
                    Timestamp(next.0.saturating_sub(i64::from(key.rotation.period_days).saturating_mul(time::DAY_MS)))
                }
                _ => ctx.now,
            };
            key.rotation.enable(period, anchor);
            kms.sync_replicas(id)?;
            Ok(Empty {})
        })
    }

    /// DisableKeyRotation.
    pub fn disable_key_rotation(&mut self, ctx: &CallContext, req: super::lifecycle::KeyIdRequest) -> Result<Empty> {
        self.run(ctx, Op::DisableKeyRotation, super::params(&req), |kms| {
            let id = kms.rotatable_key(ctx, &Access::new(Op::DisableKeyRotation), &req.key_id)?;
            kms.key_mut(id)?.rotation.disable();
            kms.sync_replicas(id)?;
            Ok(Empty {})
        })
    }

    /// GetKeyRotationStatus.
    pub fn get_key_rotation_status(
        &mut self,
        ctx: &CallContext,
        req: super::lifecycle::KeyIdRequest,
    ) -> Result<KeyRotationStatus> {
        self.run(ctx, Op::GetKeyRotationStatus, super::params(&req), |kms| {
            let id = kms.key_for(ctx, &Access::new(Op::GetKeyRotationStatus), &req.key_id, AliasForms::Rejected)?;
            let r = &kms.key(id)?.rotation;
            Ok(KeyRotationStatus {
                key_id: kms.partition.key_arn(id),
                key_rotation_enabled: r.enabled,
                rotation_period_in_days: r.enabled.then_some(r.period_days),
                next_rotation_date: r.next.filter(|_| r.enabled),
            })
        })
    }

    /// RotateKeyOnDemand: a new backing key now; the automatic schedule
    /// does not move. A key with imported material rotates to the material
    /// pending rotation. At most 25 per key.
    pub fn rotate_key_on_demand(
        &mut self,
        ctx: &CallContext,
        req: super::lifecycle::KeyIdRequest,
    ) -> Result<super::lifecycle::KeyArnResponse> {
        self.run(ctx, Op::RotateKeyOnDemand, super::params(&req), |kms| {
            let id = kms.rotatable_key(ctx, &Access::new(Op::RotateKeyOnDemand), &req.key_id)?;
            let arn = kms.partition.key_arn(id);
            let key = kms.key(id)?;
            // A key may be rotated on demand at most 25 times.
            if key.rotation.on_demand_count >= MAX_ON_DEMAND_ROTATIONS {
                return Err(super::import::rotation_quota(&arn));
            }
            // Imported keys rotate to the material pending rotation; the others to fresh material.
            let fresh = if key.origin == Origin::External {
                if !key.material.pending().is_some_and(BackingKey::present) {
                    return Err(KmsError::KMSInvalidStateException(format!(
                        "No available key material pending rotation for the key: {arn}."
                    )));
                }
                None
            } else {
                Some(BackingKey::generate(Provenance::OnDemand, ctx.now)?)
            };
            let key = kms.key_mut(id)?;
            match fresh {
                Some(version) => key.material.push(version),
                None => {
                    key.material.promote_pending(ctx.now);
                }
            }
            key.rotation.on_demand_count += 1;
            // A multi-Region primary's new material reaches its replicas.
            kms.sync_replicas(id)?;
            Ok(super::lifecycle::KeyArnResponse { key_id: arn })
        })
    }

    /// ListKeyRotations: completed rotations, oldest first; with
    /// `IncludeKeyMaterial: ALL_KEY_MATERIAL` also the first material and
    /// any material pending rotation.
    pub fn list_key_rotations(
        &mut self,
        ctx: &CallContext,
        req: ListKeyRotationsRequest,
    ) -> Result<ListKeyRotationsResponse> {
        self.run(ctx, Op::ListKeyRotations, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            v.one_of(
                "includeKeyMaterial",
                req.include_key_material.as_deref(),
                &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"],
            );
            paging_constraints(&mut v, req.limit, req.marker.as_deref(), ROTATION_PAGES);
            v.check()?;
            let all_material = req.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL");
            let id = kms.rotatable_key(ctx, &Access::new(Op::ListKeyRotations), &req.key_id)?;
            let arn = kms.partition.key_arn(id);
            let material = &kms.key(id)?.material;
            let last = material.len().saturating_sub(1);
            let mut all: Vec<RotationEntry> = material
                .versions()
                .enumerate()
                .filter(|(_, b)| all_material || b.provenance != Provenance::Initial)
                .map(|(i, b)| RotationEntry::of(&arn, b, if i == last { "CURRENT" } else { "NON_CURRENT" }))
                .collect();
            if all_material {
                all.extend(material.pending().map(|b| RotationEntry::of(&arn, b, "PENDING_ROTATION")));
            }
            let p = page(all, req.limit, req.marker.as_deref(), ROTATION_PAGES)?;
            Ok(ListKeyRotationsResponse { rotations: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }
}
