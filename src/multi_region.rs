//! Multi-Region keys: a primary key and its replicas, one per Region, with
//! the same key id (`mrk-...`) and the same key material, so a ciphertext
//! made by any of them decrypts with any other (AWS Developer Guide,
//! "Multi-Region keys in AWS KMS").
//!
//! Each related key carries a [`MultiRegion`] entry (`State::multi_region`,
//! in its own Region) naming the primary Region and the replica Regions;
//! every change to the set is written to every copy. Shared properties
//! follow AWS's list: the material (and its rotations, made on the primary
//! and copied to every replica, inside the wasm), the rotation settings
//! (the primary's; a replica refuses to change them) and the origin. Key
//! state, policy, grants, aliases, tags and description are each key's own.
//!
//! ReplicateKey and UpdatePrimaryRegion are asynchronous in AWS: the keys
//! they touch report `Creating` or `Updating` until the clock moves past
//! the call (the next call made later sees them settled). A primary
//! scheduled for deletion while it has replicas waits in
//! `PendingReplicaDeletion`; its own waiting period starts when the last
//! replica is deleted.

use crate::access::Access;
use crate::crypto::SecretBytes;
use crate::error::{KmsError, Result, Violations};
use crate::ids::{AliasForms, KeyId};
use crate::keys::tags::Tag;
use crate::keys::{Key, KeyMetadata, KeyState, Origin};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::ops::Empty;
use crate::policy::KeyPolicy;
use crate::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a key of a multi-Region set knows of the set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiRegion {
    /// The Region of the primary key.
    pub primary_region: String,
    /// The Regions of the replicas, in order.
    pub replica_regions: Vec<String>,
    /// Reported instead of the key's state until the clock passes the
    /// time: `Creating` (a new replica) or `Updating` (a primary Region
    /// change).
    pub settling: Option<(KeyState, Timestamp)>,
    /// A primary scheduled for deletion while replicas remain: the waiting
    /// period that starts when the last one is deleted.
    pub pending_window_days: Option<u32>,
}

/// `MultiRegionConfiguration` in `KeyMetadata`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfiguration {
    /// `PRIMARY` or `REPLICA`.
    pub multi_region_key_type: &'static str,
    /// The primary key.
    pub primary_key: MultiRegionKey,
    /// Every replica key.
    pub replica_keys: Vec<MultiRegionKey>,
}

/// A key of a multi-Region set: its ARN and Region.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionKey {
    /// The key ARN.
    pub arn: String,
    /// The Region.
    pub region: String,
}

/// ReplicateKey request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ReplicateKeyRequest {
    #[serde(deserialize_with = "crate::ops::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "crate::ops::nullable")]
    pub replica_region: String,
    #[serde(skip_serializing)]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// ReplicateKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ReplicateKeyResponse {
    pub replica_key_metadata: KeyMetadata,
    pub replica_policy: String,
    pub replica_tags: Vec<Tag>,
}

impl crate::ops::AuditView for ReplicateKeyResponse {
    fn response_elements(&self) -> serde_json::Value {
        serde_json::json!({ "replicaKeyMetadata": crate::ops::camel_case_view(&self.replica_key_metadata) })
    }
}

/// UpdatePrimaryRegion request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct UpdatePrimaryRegionRequest {
    #[serde(deserialize_with = "crate::ops::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "crate::ops::nullable")]
    pub primary_region: String,
}

/// A copy of a value holding key material, made through a zeroizing buffer
/// (replicas share material; it never leaves the wasm).
fn duplicate<T: Serialize + DeserializeOwned>(value: &T) -> Result<T> {
    let internal = || KmsError::KMSInternalException("The key material could not be copied.".into());
    let len = postcard::experimental::serialized_size(value).map_err(|_| internal())?;
    let mut buf = SecretBytes::zeroed(len);
    postcard::to_slice(value, buf.expose_mut()).map_err(|_| internal())?;
    postcard::from_bytes(buf.expose()).map_err(|_| internal())
}

/// AWS's model constraint of a Region member (`RegionType`): 1..32
/// characters of `^([a-z]+-){2,3}\d+$`.
fn region_constraints(v: &mut Violations, member: &str, value: Option<&str>) {
    let matches = |r: &str| {
        let parts: Vec<&str> = r.split('-').collect();
        let (last, words) = parts.split_last().unwrap_or((&"", &[]));
        (2..=3).contains(&words.len())
            && words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
            && !last.is_empty()
            && last.bytes().all(|b| b.is_ascii_digit())
    };
    v.required(member, value).length(member, value, 1, 32).pattern(member, value, "^([a-z]+-){2,3}\\d+$", matches);
}

fn unsupported(what: String) -> KmsError {
    KmsError::UnsupportedOperationException(what)
}

impl Kms {
    /// The state reported for a key settling after ReplicateKey or
    /// UpdatePrimaryRegion, if it still is.
    pub(crate) fn settling_state(&self, id: KeyId) -> Option<KeyState> {
        let (state, until) = self.state.multi_region.get(&id)?.settling?;
        let now = self.state.clock.unwrap_or(Timestamp(i64::MIN));
        (now < until).then_some(state)
    }

    /// `MultiRegionConfiguration` of a key, if it is multi-Region.
    pub(crate) fn multi_region_configuration(&self, id: KeyId) -> Option<MultiRegionConfiguration> {
        let m = self.state.multi_region.get(&id)?;
        let key =
            |region: &str| MultiRegionKey { arn: self.partition.key_arn_in(region, id), region: region.to_owned() };
        Some(MultiRegionConfiguration {
            multi_region_key_type: if m.primary_region == self.partition.region { "PRIMARY" } else { "REPLICA" },
            primary_key: key(&m.primary_region),
            replica_keys: m.replica_regions.iter().map(|r| key(r)).collect(),
        })
    }

    /// A new multi-Region primary key's entry (CreateKey).
    pub(crate) fn start_multi_region(&mut self, id: KeyId) {
        let entry = MultiRegion { primary_region: self.partition.region.clone(), ..MultiRegion::default() };
        self.state.multi_region.insert(id, entry);
    }

    /// Whether `id` is a multi-Region replica here; its primary key's ARN if so.
    pub(crate) fn replica_of(&self, id: KeyId) -> Option<String> {
        let m = self.state.multi_region.get(&id)?;
        (m.primary_region != self.partition.region).then(|| self.partition.key_arn_in(&m.primary_region, id))
    }

    /// Refuses to change a replica's rotation: the settings are the primary's.
    pub(crate) fn not_a_replica(&self, id: KeyId, op: Op) -> Result<()> {
        match self.replica_of(id) {
            Some(primary) => Err(unsupported(format!(
                "{} is a multi-Region replica key; {} is made on its primary key {primary}.",
                self.partition.key_arn(id),
                op.name()
            ))),
            None => Ok(()),
        }
    }

    /// Runs `f` on the copy of key `id` in `region` (another Region than the
    /// one the call acts in) and on its entry, marking them written.
    fn with_copy_in(&mut self, region: &str, id: KeyId, f: impl FnOnce(&mut Key, &mut MultiRegion)) {
        let Some(slot) = self.others.get_mut(region) else { return };
        let (Some(key), Some(entry)) = (slot.state.keys.get_mut(&id), slot.state.multi_region.get_mut(&id)) else {
            return;
        };
        f(key, entry);
        slot.changed_keys.push(id);
    }

    /// Applies `f` to every copy's entry (this Region's and the others').
    fn update_set(&mut self, id: KeyId, f: impl Fn(&mut MultiRegion)) {
        let Some(here) = self.state.multi_region.get(&id).cloned() else { return };
        let regions: Vec<String> =
            core::iter::once(here.primary_region.clone()).chain(here.replica_regions.iter().cloned()).collect();
        if let Some(m) = self.state.multi_region.get_mut(&id) {
            f(m);
        }
        let here = self.partition.region.clone();
        for region in regions.iter().filter(|r| **r != here) {
            self.with_copy_in(region, id, |_, m| f(m));
        }
    }

    /// Copies a primary key's material and rotation settings to every
    /// replica (after a rotation, or a change of its rotation settings).
    pub(crate) fn sync_replicas(&mut self, id: KeyId) -> Result<()> {
        let Some(m) = self.state.multi_region.get(&id) else { return Ok(()) };
        if m.primary_region != self.partition.region {
            return Ok(());
        }
        let replicas = m.replica_regions.clone();
        let key = self.key(id)?;
        let imported = key.origin == Origin::External;
        let rotation = key.rotation.clone();
        for region in replicas {
            // Imported material is imported into each key of the set.
            let material = if imported { None } else { Some(duplicate(&self.key(id)?.material)?) };
            let rotation = rotation.clone();
            self.with_copy_in(&region, id, move |replica, _| {
                if let Some(material) = material {
                    replica.material = material;
                }
                replica.rotation = rotation;
            });
        }
        Ok(())
    }

    /// A key of the set deleted in this Region: the others forget its
    /// Region, and a primary waiting for its replicas starts its own
    /// waiting period when the last one is gone.
    pub(crate) fn forget_multi_region_copy(&mut self, id: KeyId, at: Timestamp) {
        let Some(gone) = self.state.multi_region.remove(&id) else { return };
        let here = self.partition.region.clone();
        let regions: Vec<String> = core::iter::once(gone.primary_region.clone())
            .chain(gone.replica_regions.iter().cloned())
            .filter(|r| *r != here)
            .collect();
        for region in regions {
            self.with_copy_in(&region, id, |key, m| {
                m.replica_regions.retain(|r| *r != here);
                if m.replica_regions.is_empty() && key.state == KeyState::PendingReplicaDeletion {
                    let days = m.pending_window_days.take().unwrap_or(30);
                    key.state = KeyState::PendingDeletion;
                    key.deletion = Some(crate::keys::ScheduledDeletion { date: at.plus_days(days), window_days: days });
                }
            });
        }
    }

    /// A primary key with replicas, scheduled for deletion: it waits for
    /// them. Returns whether it does.
    pub(crate) fn wait_for_replicas(&mut self, id: KeyId, window_days: u32) -> Result<bool> {
        let waits = self
            .state
            .multi_region
            .get(&id)
            .is_some_and(|m| m.primary_region == self.partition.region && !m.replica_regions.is_empty());
        if waits {
            if let Some(m) = self.state.multi_region.get_mut(&id) {
                m.pending_window_days = Some(window_days);
            }
            let key = self.key_mut(id)?;
            key.state = KeyState::PendingReplicaDeletion;
            key.deletion = None;
        }
        Ok(waits)
    }

    /// The first material imported into a key of a multi-Region set must be
    /// the material the other keys of the set have (Developer Guide,
    /// "Importing key material into multi-Region keys"): its id, derived
    /// from the key id and the bytes, is the same.
    pub(crate) fn check_shared_material(&self, id: KeyId, material: &crate::keys::backing::MaterialId) -> Result<()> {
        let Some(m) = self.state.multi_region.get(&id) else { return Ok(()) };
        let others =
            core::iter::once(&m.primary_region).chain(&m.replica_regions).filter(|r| **r != self.partition.region);
        for region in others {
            let Some(key) = self.others.get(region).and_then(|r| r.state.keys.get(&id)) else { continue };
            if key.material.versions().next().is_some() && !key.material.versions().any(|v| v.id == *material) {
                return Err(KmsError::IncorrectKeyMaterialException(format!(
                    "The key material does not match the key material of the multi-Region key {}.",
                    self.partition.key_arn_in(region, id)
                )));
            }
        }
        Ok(())
    }

    /// Clears a primary's wait for its replicas (CancelKeyDeletion).
    pub(crate) fn stop_waiting_for_replicas(&mut self, id: KeyId) {
        if let Some(m) = self.state.multi_region.get_mut(&id) {
            m.pending_window_days = None;
        }
    }

    /// ReplicateKey: a replica of a multi-Region primary key in another
    /// Region, with the same id and material, its own policy, description
    /// and tags. `Creating` until the clock moves on.
    pub fn replicate_key(&mut self, ctx: &CallContext, req: ReplicateKeyRequest) -> Result<ReplicateKeyResponse> {
        self.run(ctx, Op::ReplicateKey, crate::ops::params(&req), |kms| {
            let mut v = Violations::new();
            let region = Some(req.replica_region.as_str()).filter(|r| !r.is_empty());
            region_constraints(&mut v, "replicaRegion", region);
            v.size("policy", req.policy.as_ref().map(|p| p.chars().count()), 1, crate::policy::MAX_POLICY_CHARS);
            v.length("description", req.description.as_deref(), 0, 8192);
            crate::keys::tags::constraints(&mut v, req.tags.as_deref().unwrap_or_default());
            v.check()?;
            kms.check_region(&req.replica_region)?;
            let tags = crate::keys::tags::merged(
                &Default::default(),
                crate::keys::tags::validate(req.tags.as_deref().unwrap_or_default())?,
            )?;
            let id = kms.key_for(ctx, &Access::new(Op::ReplicateKey), &req.key_id, AliasForms::Rejected)?;
            let arn = kms.partition.key_arn(id);
            let Some(entry) = kms.state.multi_region.get(&id).cloned() else {
                return Err(unsupported(format!(
                    "{arn} is not a multi-Region key; only multi-Region keys can be replicated."
                )));
            };
            if let Some(primary) = kms.replica_of(id) {
                return Err(unsupported(format!("{arn} is a replica key; replicate its primary key {primary}.")));
            }
            let region = req.replica_region.clone();
            if region == kms.partition.region {
                return Err(KmsError::validation(format!(
                    "ReplicaRegion must be another Region than the primary key's ({region})."
                )));
            }
            if entry.replica_regions.contains(&region) {
                return Err(KmsError::AlreadyExistsException(format!(
                    "{} already exists.",
                    kms.partition.key_arn_in(&region, id)
                )));
            }
            let replica_partition = crate::ids::Partition { region: region.clone(), ..kms.partition.clone() };
            let bypass = req.bypass_policy_lockout_safety_check == Some(true);
            let policy = match req.policy.as_deref() {
                Some(text) => KeyPolicy::parse(text)?,
                None => KeyPolicy::default_for(&replica_partition),
            };
            let primary = kms.key(id)?;
            let description = req.description.clone().unwrap_or_default();
            let mut replica = if primary.origin == Origin::External {
                Key::awaiting_import(description, tags, policy, ctx.now)?
            } else {
                let mut k = Key::generate(description, tags, policy, ctx.now)?;
                k.material = duplicate(&primary.material)?;
                k
            };
            replica.id = id;
            replica.rotation = primary.rotation.clone();
            kms.check_lockout(ctx, &replica, &replica.policy, bypass)?;

            // Every copy learns of the new Region; the replica settles after this call.
            let mut replicas = entry.replica_regions.clone();
            replicas.push(region.clone());
            replicas.sort();
            kms.update_set(id, |m| m.replica_regions.clone_from(&replicas));
            let replica_entry = MultiRegion {
                primary_region: kms.partition.region.clone(),
                replica_regions: replicas,
                settling: Some((KeyState::Creating, Timestamp(ctx.now.0.saturating_add(1)))),
                pending_window_days: None,
            };
            let here = kms.partition.region.clone();
            kms.enter(&region);
            kms.state.multi_region.insert(id, replica_entry);
            kms.changed_keys.push(id);
            kms.state.keys.insert(id, replica);
            if kms.state.clock.is_none_or(|c| c < ctx.now) {
                kms.state.clock = Some(ctx.now);
            }
            let replica = kms.key(id)?;
            let replica_key_metadata = kms.metadata(replica);
            let replica_policy = replica.policy.text().to_owned();
            let replica_tags =
                replica.tags.iter().map(|(k, v)| Tag { tag_key: k.clone(), tag_value: v.clone() }).collect();
            kms.enter(&here);
            Ok(ReplicateKeyResponse { replica_key_metadata, replica_policy, replica_tags })
        })
    }

    /// UpdatePrimaryRegion: a replica becomes the primary key and the
    /// primary a replica; both report `Updating` until the clock moves on.
    pub fn update_primary_region(&mut self, ctx: &CallContext, req: UpdatePrimaryRegionRequest) -> Result<Empty> {
        self.run(ctx, Op::UpdatePrimaryRegion, crate::ops::params(&req), |kms| {
            let mut v = Violations::new();
            region_constraints(&mut v, "primaryRegion", Some(req.primary_region.as_str()).filter(|r| !r.is_empty()));
            v.check()?;
            kms.check_region(&req.primary_region)?;
            let id = kms.key_for(ctx, &Access::new(Op::UpdatePrimaryRegion), &req.key_id, AliasForms::Rejected)?;
            let arn = kms.partition.key_arn(id);
            let Some(entry) = kms.state.multi_region.get(&id).cloned() else {
                return Err(unsupported(format!("{arn} is not a multi-Region key.")));
            };
            if let Some(primary) = kms.replica_of(id) {
                return Err(unsupported(format!(
                    "{arn} is a replica key; call UpdatePrimaryRegion on the primary key {primary}."
                )));
            }
            let new_primary = req.primary_region.clone();
            if !entry.replica_regions.contains(&new_primary) {
                return Err(KmsError::NotFoundException(format!(
                    "{} does not exist: {arn} has no replica in {new_primary}.",
                    kms.partition.key_arn_in(&new_primary, id)
                )));
            }
            let old_primary = kms.partition.region.clone();
            let mut replicas: Vec<String> = entry
                .replica_regions
                .iter()
                .filter(|r| **r != new_primary)
                .cloned()
                .chain([old_primary.clone()])
                .collect();
            replicas.sort();
            let until = Timestamp(ctx.now.0.saturating_add(1));
            kms.update_set(id, |m| {
                m.primary_region.clone_from(&new_primary);
                m.replica_regions.clone_from(&replicas);
            });
            // The two keys that change roles settle after this call.
            if let Some(m) = kms.state.multi_region.get_mut(&id) {
                m.settling = Some((KeyState::Updating, until));
            }
            kms.changed_keys.push(id);
            kms.with_copy_in(&new_primary, id, |_, m| m.settling = Some((KeyState::Updating, until)));
            Ok(Empty {})
        })
    }
}
