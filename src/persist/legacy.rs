//! Snapshots written before key material ids (format versions 1 and 2, as
//! kms-wasm 0.1.0 wrote them): their shapes, kept only to read them, and
//! how each key's material becomes per-material records.
//!
//! Before, a key with imported material had one material, named by a
//! random backing id, with its check value, expiry and expiration model on
//! the key. Now each material carries those itself; the old random id stays
//! the material's id, so ciphertexts made before keep naming it.

use crate::aliases::Alias;
use crate::crypto::AeadKey;
use crate::grants::Grant;
use crate::ids::KeyId;
use crate::keys::backing::{BackingKey, BackingKeys, Imported, Provenance};
use crate::keys::import::{ExpirationModel, ImportParameters, ImportState};
use crate::keys::rotation::RotationSchedule;
use crate::keys::{Key, KeyManager, KeyState, Origin, ScheduledDeletion};
use crate::kms::{DeletedKey, Endpoint, State};
use crate::policy::KeyPolicy;
use crate::time::Timestamp;
use crate::tracked::Tracked;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The state as versions 1 and 2 hold it.
#[derive(Deserialize)]
pub(super) struct StateV2 {
    keys: BTreeMap<KeyId, KeyV2>,
    aliases: BTreeMap<String, Alias>,
    deleted: BTreeMap<KeyId, DeletedKey>,
    clock: Option<Timestamp>,
    endpoints: BTreeMap<String, Endpoint>,
}

#[derive(Deserialize)]
struct KeyV2 {
    id: KeyId,
    created: Timestamp,
    description: String,
    state: KeyState,
    deletion: Option<ScheduledDeletion>,
    origin: Origin,
    manager: KeyManager,
    tags: BTreeMap<String, String>,
    material: Vec<BackingKeyV2>,
    rotation: RotationSchedule,
    policy: KeyPolicy,
    grants: Vec<Grant>,
    import: Option<ImportStateV2>,
}

#[derive(Deserialize)]
struct BackingKeyV2 {
    id: [u8; 32],
    key: AeadKey,
    created: Timestamp,
    provenance: Provenance,
}

#[derive(Deserialize)]
struct ImportStateV2 {
    fingerprint: Option<[u8; 32]>,
    backing_id: Option<[u8; 32]>,
    valid_to: Option<Timestamp>,
    expiration_model: Option<ExpirationModel>,
    parameters: Option<ImportParameters>,
}

impl StateV2 {
    /// The same state in today's shape.
    pub(super) fn upgrade(self) -> State {
        State {
            keys: self.keys.into_iter().map(|(id, key)| (id, key.upgrade())).collect::<BTreeMap<_, _>>().into(),
            aliases: self.aliases.into(),
            deleted: self.deleted.into(),
            clock: self.clock,
            endpoints: self.endpoints.into(),
            last_used: Tracked::default(),
            multi_region: Tracked::default(),
        }
    }
}

impl KeyV2 {
    fn upgrade(self) -> Key {
        let mut old = self.material.into_iter();
        let (material, import) = match self.import {
            // Imported material: at most one, with what the key kept about it.
            Some(i) => {
                let present = old.next();
                let versions = match (i.backing_id, i.fingerprint) {
                    (Some(id), Some(fingerprint)) => BackingKeys::with_initial(BackingKey {
                        id,
                        created: present.as_ref().map_or(self.created, |b| b.created),
                        imported: Some(Imported {
                            fingerprint,
                            description: None,
                            expiration_model: present.as_ref().and(i.expiration_model),
                            valid_to: present.as_ref().and(i.valid_to),
                        }),
                        key: present.map(|b| b.key),
                        provenance: Provenance::Initial,
                    }),
                    _ => BackingKeys::default(),
                };
                (versions, Some(ImportState { parameters: i.parameters }))
            }
            None => {
                let mut versions = BackingKeys::default();
                for b in old {
                    versions.push(BackingKey {
                        id: b.id,
                        key: Some(b.key),
                        created: b.created,
                        provenance: b.provenance,
                        imported: None,
                    });
                }
                (versions, None)
            }
        };
        Key {
            id: self.id,
            created: self.created,
            description: self.description,
            state: self.state,
            deletion: self.deletion,
            origin: self.origin,
            manager: self.manager,
            tags: self.tags,
            material,
            rotation: self.rotation,
            policy: self.policy,
            grants: self.grants,
            import,
        }
    }
}

/// The state of snapshot format 3 (before regions and key usage).
#[derive(Deserialize)]
pub(super) struct StateV3 {
    keys: Tracked<KeyId, Key>,
    aliases: Tracked<String, Alias>,
    deleted: Tracked<KeyId, DeletedKey>,
    clock: Option<Timestamp>,
    endpoints: Tracked<String, Endpoint>,
}

impl StateV3 {
    pub(super) fn upgrade(self) -> State {
        State {
            keys: self.keys,
            aliases: self.aliases,
            deleted: self.deleted,
            clock: self.clock,
            endpoints: self.endpoints,
            last_used: Tracked::default(),
            multi_region: Tracked::default(),
        }
    }
}
