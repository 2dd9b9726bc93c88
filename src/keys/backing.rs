//! Backing keys: every version of a KMS key's material, each named by its
//! key material id (AWS's `KeyMaterialId`, 64 hex digits; the same 32 bytes
//! name it inside ciphertext blobs). Rotation appends a version; none is
//! dropped while the key exists, so every ciphertext ever made by the key
//! decrypts while its material is there.
//!
//! Keys with imported material (`Origin: EXTERNAL`) keep, per version, what
//! AWS keeps per key material: a check value of the bytes (so a reimport
//! can be matched), a description, the expiration model and `ValidTo`. Their
//! material can be absent (deleted, or expired), and the next material can
//! wait as *pending rotation* until `RotateKeyOnDemand` makes it current.

use crate::ciphertext::BACKING_ID_LEN;
use crate::crypto::{random_array, AeadKey};
use crate::error::Result;
use crate::keys::import::ExpirationModel;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A key material id.
pub type MaterialId = [u8; BACKING_ID_LEN];

/// How a backing key came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Provenance {
    /// The material the key was created with (or first imported).
    Initial,
    /// Made by automatic rotation (`RotationType: AUTOMATIC`).
    Automatic,
    /// Made by `RotateKeyOnDemand` (`RotationType: ON_DEMAND`).
    OnDemand,
}

/// What AWS keeps about one imported key material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// Identifies the bytes without revealing them (see `import::fingerprint`),
    /// so a reimport can be checked to be the same material.
    pub fingerprint: [u8; 32],
    /// `KeyMaterialDescription` (kept across reimports that give none).
    pub description: Option<String>,
    /// Of the latest import; `None` while the material is absent.
    pub expiration_model: Option<ExpirationModel>,
    /// When the material expires (`KEY_MATERIAL_EXPIRES`).
    pub valid_to: Option<Timestamp>,
}

/// One version of a key's material.
#[derive(Debug, Serialize, Deserialize)]
pub struct BackingKey {
    /// The key material id (random for generated material; for imported
    /// material a one-way function of the material and the key id).
    pub id: MaterialId,
    /// The AES-256-GCM key; `None` while imported material is absent
    /// (deleted or expired; AWS's `ImportState: PENDING_IMPORT`).
    #[serde(serialize_with = "crate::crypto::aead::exposed_option")]
    pub key: Option<AeadKey>,
    /// When it was made; for rotations, when it became current.
    pub created: Timestamp,
    /// Initial, automatic or on-demand.
    pub provenance: Provenance,
    /// For imported material.
    pub imported: Option<Imported>,
}

impl BackingKey {
    /// Fresh material from the CSPRNG.
    pub fn generate(provenance: Provenance, created: Timestamp) -> Result<BackingKey> {
        Ok(BackingKey { id: random_array()?, key: Some(AeadKey::generate()?), created, provenance, imported: None })
    }

    /// AWS's `KeyMaterialId`: the id as 64 hex digits.
    pub fn material_id(&self) -> String {
        hex::encode(self.id)
    }

    /// Whether the material is here (`ImportState: IMPORTED`).
    pub fn present(&self) -> bool {
        self.key.is_some()
    }

    /// Drops the material (expiry or DeleteImportedKeyMaterial), keeping
    /// what identifies it, so the same material can be imported again.
    pub fn drop_material(&mut self) {
        self.key = None;
        if let Some(i) = self.imported.as_mut() {
            i.expiration_model = None;
            i.valid_to = None;
        }
    }

    /// When imported material expires, if it is here and expires.
    pub fn expires(&self) -> Option<Timestamp> {
        self.key.as_ref().and(self.imported.as_ref()).and_then(|i| i.valid_to)
    }
}

/// All versions of a key's material, oldest first; the last is current.
/// Imported keys may also hold one material pending rotation.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BackingKeys {
    versions: Vec<BackingKey>,
    pending: Option<BackingKey>,
}

impl BackingKeys {
    /// A key's versions, starting from its initial material.
    pub fn with_initial(initial: BackingKey) -> BackingKeys {
        BackingKeys { versions: vec![initial], pending: None }
    }

    /// The version encryption uses.
    pub fn current(&self) -> Option<&BackingKey> {
        self.versions.last()
    }

    /// The version a ciphertext names, looked up by id (never by trial);
    /// the pending material is not used until it is current.
    pub fn find(&self, id: &MaterialId) -> Option<&BackingKey> {
        self.versions.iter().rev().find(|b| &b.id == id)
    }

    /// The version (or the pending material) with this id, to change it.
    pub fn find_mut(&mut self, id: &MaterialId) -> Option<&mut BackingKey> {
        self.versions.iter_mut().chain(self.pending.as_mut()).find(|b| &b.id == id)
    }

    /// Appends a new version, which becomes current.
    pub fn push(&mut self, version: BackingKey) {
        self.versions.push(version);
    }

    /// Versions made by rotation (not the initial material), oldest first.
    pub fn rotations(&self) -> impl DoubleEndedIterator<Item = &BackingKey> {
        self.versions.iter().filter(|b| b.provenance != Provenance::Initial)
    }

    /// Every version, oldest first (not the pending material).
    pub fn versions(&self) -> impl DoubleEndedIterator<Item = &BackingKey> {
        self.versions.iter()
    }

    /// Every material, the pending one included, to change them (expiry).
    pub fn materials_mut(&mut self) -> impl Iterator<Item = &mut BackingKey> {
        self.versions.iter_mut().chain(self.pending.as_mut())
    }

    /// The material waiting for `RotateKeyOnDemand`.
    pub fn pending(&self) -> Option<&BackingKey> {
        self.pending.as_ref()
    }

    /// Stages material for the next on-demand rotation.
    pub fn set_pending(&mut self, material: Option<BackingKey>) {
        self.pending = material;
    }

    /// Makes the pending material current, dated `at`; returns its id.
    pub fn promote_pending(&mut self, at: Timestamp) -> Option<MaterialId> {
        let mut next = self.pending.take()?;
        next.created = at;
        next.provenance = Provenance::OnDemand;
        let id = next.id;
        self.versions.push(next);
        Some(id)
    }

    /// How many versions there are.
    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// Whether there is no version at all.
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// Whether every version's material is here: a key with imported
    /// material is usable only then (AWS: "If you delete any of them or let
    /// it expire, the KMS key state becomes PendingImport").
    pub fn all_present(&self) -> bool {
        !self.versions.is_empty() && self.versions.iter().all(BackingKey::present)
    }

    /// The earliest `ValidTo` of material that is here (pending included).
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.versions.iter().chain(self.pending.as_ref()).filter_map(BackingKey::expires).min()
    }
}
