//! Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations.

use super::paging::{page, Limits};
use super::Empty;
use crate::access::Access;
use crate::error::{KmsError, Result};
use crate::ids::{AliasForms, KeyId};
use crate::keys::backing::{BackingKey, Provenance};
use crate::keys::rotation::{validate_period, MAX_ON_DEMAND_ROTATIONS};
use crate::keys::Origin;
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

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
}

/// One completed rotation.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct RotationEntry {
    pub key_id: String,
    pub key_material_id: String,
    #[serde(with = "time::as_millis")]
    pub rotation_date: Timestamp,
    pub rotation_type: &'static str,
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
    /// Rotation of imported material is the customer's job, as in AWS.
    fn rotatable_key(&self, ctx: &CallContext, access: &Access<'_>, key_id: &str) -> Result<KeyId> {
        let op = access.op;
        let id = self.key_for(ctx, access, key_id, AliasForms::Rejected)?;
        if !op.read_only() {
            self.customer_managed(id, op)?;
        }
        // Keys with imported material, or in a custom key store, cannot be
        // rotated by the service.
        let origin = self.key(id)?.origin;
        if origin != Origin::AwsKms {
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
            Ok(Empty {})
        })
    }

    /// DisableKeyRotation.
    pub fn disable_key_rotation(&mut self, ctx: &CallContext, req: super::lifecycle::KeyIdRequest) -> Result<Empty> {
        self.run(ctx, Op::DisableKeyRotation, super::params(&req), |kms| {
            let id = kms.rotatable_key(ctx, &Access::new(Op::DisableKeyRotation), &req.key_id)?;
            kms.key_mut(id)?.rotation.disable();
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
    /// does not move. At most 25 per key.
    pub fn rotate_key_on_demand(
        &mut self,
        ctx: &CallContext,
        req: super::lifecycle::KeyIdRequest,
    ) -> Result<super::lifecycle::KeyArnResponse> {
        self.run(ctx, Op::RotateKeyOnDemand, super::params(&req), |kms| {
            let id = kms.rotatable_key(ctx, &Access::new(Op::RotateKeyOnDemand), &req.key_id)?;
            // A key may be rotated on demand at most 25 times.
            if kms.key(id)?.rotation.on_demand_count >= MAX_ON_DEMAND_ROTATIONS {
                return Err(KmsError::LimitExceededException(format!(
                    "{} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.",
                    kms.partition.key_arn(id)
                )));
            }
            let version = BackingKey::generate(Provenance::OnDemand, ctx.now)?;
            let key = kms.key_mut(id)?;
            key.material.push(version);
            key.rotation.on_demand_count += 1;
            Ok(super::lifecycle::KeyArnResponse { key_id: kms.partition.key_arn(id) })
        })
    }

    /// ListKeyRotations: completed rotations, oldest first.
    pub fn list_key_rotations(
        &mut self,
        ctx: &CallContext,
        req: ListKeyRotationsRequest,
    ) -> Result<ListKeyRotationsResponse> {
        self.run(ctx, Op::ListKeyRotations, super::params(&req), |kms| {
            let id = kms.rotatable_key(ctx, &Access::new(Op::ListKeyRotations), &req.key_id)?;
            let arn = kms.partition.key_arn(id);
            let all: Vec<RotationEntry> = kms
                .key(id)?
                .material
                .rotations()
                .map(|b| RotationEntry {
                    key_id: arn.clone(),
                    key_material_id: b.material_id(),
                    rotation_date: b.created,
                    rotation_type: if b.provenance == Provenance::OnDemand { "ON_DEMAND" } else { "AUTOMATIC" },
                })
                .collect();
            let p = page(all, req.limit, req.marker.as_deref(), Limits { default: 100, max: 1000 })?;
            Ok(ListKeyRotationsResponse { rotations: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }
}
