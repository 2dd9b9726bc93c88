//! KMS keys: their record, state machine, backing keys, rotation schedule
//! and tags, and the `KeyMetadata` view that leaves all material out.

pub mod backing;
pub(crate) mod due;
pub mod import;
pub mod rotation;
pub mod state;
pub mod tags;

use crate::error::Result;
use crate::grants::Grant;
use crate::ids::{KeyId, Partition};
use crate::policy::KeyPolicy;
use crate::time::{self, Timestamp};
use backing::{BackingKey, BackingKeys, Provenance};
use rotation::RotationSchedule;
use serde::{Deserialize, Serialize};
pub use state::KeyState;
use std::collections::BTreeMap;

/// Where a key's material came from (AWS's `Origin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// Generated here.
    #[serde(rename = "AWS_KMS")]
    AwsKms,
    /// Imported by the customer.
    #[serde(rename = "EXTERNAL")]
    External,
    /// Generated here, used together with an external key of a custom key
    /// store (double encryption).
    #[serde(rename = "EXTERNAL_KEY_STORE")]
    ExternalKeyStore,
}

/// Who manages the key (AWS's `KeyManager`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyManager {
    /// The customer.
    #[serde(rename = "CUSTOMER")]
    Customer,
    /// A service, for `alias/aws/NAME` keys.
    #[serde(rename = "AWS")]
    Aws,
}

/// A scheduled deletion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledDeletion {
    /// When the key and all its material go.
    pub date: Timestamp,
    /// The waiting period that was asked for.
    pub window_days: u32,
}

/// One KMS key with all its versions of material.
#[derive(Debug, Serialize, Deserialize)]
pub struct Key {
    /// The key id.
    pub id: KeyId,
    /// When it was created.
    pub created: Timestamp,
    /// The description (may be empty).
    pub description: String,
    /// The state.
    pub state: KeyState,
    /// Set while `PendingDeletion`.
    pub deletion: Option<ScheduledDeletion>,
    /// Where the material comes from.
    pub origin: Origin,
    /// Customer- or AWS-managed.
    pub manager: KeyManager,
    /// Tags, ordered by tag key.
    pub tags: BTreeMap<String, String>,
    /// Every version of the material.
    pub material: BackingKeys,
    /// Automatic rotation.
    pub rotation: RotationSchedule,
    /// The key policy (named `default`, the only name AWS allows).
    pub policy: KeyPolicy,
    /// Grants on the key.
    pub grants: Vec<Grant>,
    /// Import state, for keys with imported material (`Origin: EXTERNAL`).
    pub import: Option<import::ImportState>,
}

impl Key {
    /// A new customer key in `state`, with `material` from `origin`.
    fn new(origin: Origin, state: KeyState, material: BackingKeys, parts: KeyParts, now: Timestamp) -> Result<Key> {
        Ok(Key {
            id: KeyId::random()?,
            created: now,
            description: parts.description,
            state,
            deletion: None,
            origin,
            manager: KeyManager::Customer,
            tags: parts.tags,
            material,
            rotation: RotationSchedule::default(),
            policy: parts.policy,
            grants: Vec::new(),
            import: (origin == Origin::External).then(import::ImportState::default),
        })
    }

    /// A new `Enabled` customer key with generated material.
    pub fn generate(
        description: String,
        tags: BTreeMap<String, String>,
        policy: KeyPolicy,
        now: Timestamp,
    ) -> Result<Key> {
        Key::with_generated_material(Origin::AwsKms, KeyParts { description, tags, policy }, now)
    }

    /// A new `Enabled` key of a custom key store: generated material, used
    /// together with an external key.
    pub fn generate_for_key_store(
        description: String,
        tags: BTreeMap<String, String>,
        policy: KeyPolicy,
        now: Timestamp,
    ) -> Result<Key> {
        Key::with_generated_material(Origin::ExternalKeyStore, KeyParts { description, tags, policy }, now)
    }

    fn with_generated_material(origin: Origin, parts: KeyParts, now: Timestamp) -> Result<Key> {
        let material = BackingKeys::with_initial(BackingKey::generate(Provenance::Initial, now)?);
        Key::new(origin, KeyState::Enabled, material, parts, now)
    }

    /// A new key waiting for imported material (`PendingImport`).
    pub fn awaiting_import(
        description: String,
        tags: BTreeMap<String, String>,
        policy: KeyPolicy,
        now: Timestamp,
    ) -> Result<Key> {
        Key::new(
            Origin::External,
            KeyState::PendingImport,
            BackingKeys::default(),
            KeyParts { description, tags, policy },
            now,
        )
    }

    /// After imported material came or went: a key is usable only while
    /// every material permanently associated with it is here (AWS: deleting
    /// or letting any of them expire makes the key `PendingImport`; a
    /// successful import makes it `Enabled`). A key pending deletion stays so.
    pub fn settle_import_state(&mut self) {
        if self.origin != Origin::External || self.state == KeyState::PendingDeletion {
            return;
        }
        if !self.material.all_present() {
            self.state = KeyState::PendingImport;
        } else if self.state == KeyState::PendingImport {
            self.state = KeyState::Enabled;
        }
    }

    /// Makes the automatic rotations due by `now`, if the key is Enabled
    /// (a disabled or pending-deletion key does not rotate). Returns how
    /// many were made. Material is generated before anything changes.
    pub fn rotate_due(&mut self, now: Timestamp) -> Result<usize> {
        if self.state != KeyState::Enabled || !self.rotation.enabled {
            return Ok(0);
        }
        let mut schedule = self.rotation.clone();
        let due = schedule.take_due(now);
        let fresh =
            due.iter().map(|at| BackingKey::generate(Provenance::Automatic, *at)).collect::<Result<Vec<_>>>()?;
        let made = fresh.len();
        fresh.into_iter().for_each(|b| self.material.push(b));
        self.rotation = schedule;
        Ok(made)
    }

    /// The metadata AWS returns for the key; never any material.
    pub fn metadata(&self, partition: &Partition) -> KeyMetadata {
        // ValidTo and ExpirationModel are those of the current material, and
        // absent while it is (AWS drops ExpirationModel on deletion).
        let current_import = self.material.current().filter(|b| b.present()).and_then(|b| b.imported.as_ref());
        KeyMetadata {
            aws_account_id: partition.account_id.clone(),
            key_id: self.id.to_string(),
            arn: partition.key_arn(self.id),
            creation_date: self.created,
            enabled: self.state == KeyState::Enabled,
            description: self.description.clone(),
            key_usage: "ENCRYPT_DECRYPT",
            key_state: self.state,
            deletion_date: self.deletion.map(|d| d.date),
            pending_deletion_window_in_days: self.deletion.map(|d| d.window_days),
            valid_to: current_import.and_then(|i| i.valid_to),
            origin: self.origin,
            key_manager: self.manager,
            key_spec: "SYMMETRIC_DEFAULT",
            customer_master_key_spec: "SYMMETRIC_DEFAULT",
            encryption_algorithms: ["SYMMETRIC_DEFAULT"],
            multi_region: false,
            multi_region_configuration: None,
            expiration_model: current_import.and_then(|i| i.expiration_model).map(import::ExpirationModel::name),
            current_key_material_id: matches!(self.origin, Origin::AwsKms | Origin::External)
                .then(|| self.material.current().map(BackingKey::material_id))
                .flatten(),
            custom_key_store_id: None,
            xks_key_configuration: None,
        }
    }
}

/// What the customer chose for a new key.
struct KeyParts {
    description: String,
    tags: BTreeMap<String, String>,
    policy: KeyPolicy,
}

/// AWS's `KeyMetadata`, as returned by `CreateKey` and `DescribeKey`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)] // each member is AWS's member of the same name
pub struct KeyMetadata {
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    pub key_id: String,
    pub arn: String,
    #[serde(with = "time::as_millis")]
    pub creation_date: Timestamp,
    pub enabled: bool,
    pub description: String,
    pub key_usage: &'static str,
    pub key_state: KeyState,
    #[serde(with = "time::as_millis::option", skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<u32>,
    #[serde(with = "time::as_millis::option", skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    pub origin: Origin,
    pub key_manager: KeyManager,
    pub key_spec: &'static str,
    pub customer_master_key_spec: &'static str,
    pub encryption_algorithms: [&'static str; 1],
    pub multi_region: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region_configuration: Option<crate::multi_region::MultiRegionConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_key_configuration: Option<XksKeyConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

/// AWS's `XksKeyConfiguration`: the external key of a key in an external key store.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct XksKeyConfiguration {
    /// The external key's id (`XksKeyId`).
    pub id: String,
}
