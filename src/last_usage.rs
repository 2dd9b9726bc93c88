//! GetKeyLastUsage: each key's last successful cryptographic operation,
//! kept in the state (`State::last_used`), persisted and backed up.
//!
//! Every successful cryptographic call notes its keys' use (ReEncrypt: both
//! keys), with the call's request id and audit event id. Noting a use
//! changes the state, but a read-only call asks the store to commit it
//! only when the key's use was last committed more than an hour before
//! (`COMMIT_EVERY_MS`): otherwise every Encrypt would be a write. A later
//! write of any kind carries the latest use with it, and a backup or
//! snapshot holds it exactly. So after a crash a store may report a use
//! up to an hour old; AWS documents no stronger promise (API Reference,
//! GetKeyLastUsage: "Do not use GetKeyLastUsage as the sole indicator when
//! scheduling a key for deletion").

use crate::access::Access;
use crate::error::Result;
use crate::ids::{AliasForms, KeyId};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How stale a committed use may get before a read-only call commits it.
pub const COMMIT_EVERY_MS: i64 = 3_600_000;

/// A key's last successful cryptographic operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUsage {
    /// The operation (`Encrypt`, `Decrypt`, `ReEncrypt`, `GenerateDataKey`, ...).
    pub operation: String,
    /// When (the caller's clock).
    pub at: Timestamp,
    /// The request's id (`KmsRequestId`): the protocol request's, or the audit record's.
    pub request_id: String,
    /// The audit record's `eventID` (`CloudTrailEventId`).
    pub event_id: u64,
    /// When this key's use was last committed (not stored: after a reload,
    /// the first use commits).
    #[serde(skip)]
    pub committed: Option<Timestamp>,
}

/// GetKeyLastUsage request.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyLastUsageRequest {
    /// The key: id, ARN, alias name or alias ARN.
    #[serde(deserialize_with = "crate::ops::nullable")]
    pub key_id: String,
}

/// `KeyLastUsage` (AWS's `KeyLastUsageData`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct KeyLastUsageData {
    /// The operation.
    pub operation: String,
    /// When.
    #[serde(with = "crate::time::as_millis")]
    pub timestamp: Timestamp,
    /// The request's id.
    pub kms_request_id: String,
    /// The audit record's `eventID`.
    pub cloud_trail_event_id: String,
}

/// GetKeyLastUsage response.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyLastUsageResponse {
    /// The key's ARN.
    pub key_id: String,
    /// When the key was created.
    #[serde(with = "crate::time::as_millis")]
    pub key_creation_date: Timestamp,
    /// When tracking began for this key: its creation (kms-wasm tracks every
    /// key from its creation; keys made before kms-wasm tracked uses report
    /// it too, though their uses before the upgrade were not recorded).
    #[serde(with = "crate::time::as_millis")]
    pub tracking_start_date: Timestamp,
    /// Absent when the key has not been used since tracking began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_last_usage: Option<KeyLastUsageData>,
}

impl crate::ops::AuditView for GetKeyLastUsageResponse {}

impl Kms {
    /// Notes the use of `keys` by a successful cryptographic call, and
    /// bumps the generation when a key's use was last committed long ago.
    pub(crate) fn note_use(&mut self, keys: &[KeyId], op: Operation, ctx: &CallContext, event_id: u64) {
        let request_id = ctx.request_id.clone().unwrap_or_else(|| crate::events::id_string(event_id));
        let mut commit = false;
        for id in keys {
            let committed = self.state.last_used.get(id).and_then(|u| u.committed);
            let fresh = committed.is_some_and(|c| ctx.now.0.saturating_sub(c.0) < COMMIT_EVERY_MS);
            commit |= !fresh;
            let use_ = LastUsage {
                operation: op.name().to_owned(),
                at: ctx.now,
                request_id: request_id.clone(),
                event_id,
                committed: if fresh { committed } else { Some(ctx.now) },
            };
            self.state.last_used.insert(*id, use_);
        }
        if commit && op.read_only() {
            self.bump();
        }
    }

    /// GetKeyLastUsage.
    pub fn get_key_last_usage(
        &mut self,
        ctx: &CallContext,
        req: GetKeyLastUsageRequest,
    ) -> Result<GetKeyLastUsageResponse> {
        self.run(ctx, Operation::GetKeyLastUsage, crate::ops::params(&req), |kms| {
            let id = kms.key_for(ctx, &Access::new(Operation::GetKeyLastUsage), &req.key_id, AliasForms::Accepted)?;
            let key = kms.key(id)?;
            let last = kms.state.last_used.get(&id).map(|u| KeyLastUsageData {
                operation: u.operation.clone(),
                timestamp: u.at,
                kms_request_id: u.request_id.clone(),
                cloud_trail_event_id: crate::events::id_string(u.event_id),
            });
            Ok(GetKeyLastUsageResponse {
                key_id: kms.partition.key_arn(id),
                key_creation_date: key.created,
                tracking_start_date: key.created,
                key_last_usage: last,
            })
        })
    }
}
