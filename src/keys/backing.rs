//! Backing keys: every version of a KMS key's material. Rotation appends a
//! version; none is ever dropped while the key exists, so every ciphertext
//! ever made by the key still decrypts.

use crate::ciphertext::BACKING_ID_LEN;
use crate::crypto::{random_array, AeadKey};
use crate::error::Result;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How a backing key came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Provenance {
    /// The material the key was created with.
    Initial,
    /// Made by automatic rotation (`RotationType: AUTOMATIC`).
    Automatic,
    /// Made by `RotateKeyOnDemand` (`RotationType: ON_DEMAND`).
    OnDemand,
}

/// One version of a key's material.
#[derive(Debug, Serialize, Deserialize)]
pub struct BackingKey {
    /// Names this version inside ciphertext blobs (random, not secret).
    pub id: [u8; BACKING_ID_LEN],
    /// The AES-256-GCM key.
    pub key: AeadKey,
    /// When it was made (the rotation date for rotations).
    pub created: Timestamp,
    /// Initial, automatic or on-demand.
    pub provenance: Provenance,
}

impl BackingKey {
    /// Fresh material from the CSPRNG.
    pub fn generate(provenance: Provenance, created: Timestamp) -> Result<BackingKey> {
        Ok(BackingKey { id: random_array()?, key: AeadKey::generate()?, created, provenance })
    }

    /// AWS's `KeyMaterialId`: the id as 64 hex digits.
    pub fn material_id(&self) -> String {
        hex::encode(self.id)
    }
}

/// All versions of a key's material, oldest first; the last is current.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BackingKeys(Vec<BackingKey>);

impl BackingKeys {
    /// A key's versions, starting from its initial material.
    pub fn with_initial(initial: BackingKey) -> BackingKeys {
        BackingKeys(vec![initial])
    }

    /// The version encryption uses.
    pub fn current(&self) -> Option<&BackingKey> {
        self.0.last()
    }

    /// The version a ciphertext names, looked up by id (never by trial).
    pub fn find(&self, id: &[u8; BACKING_ID_LEN]) -> Option<&BackingKey> {
        self.0.iter().rev().find(|b| &b.id == id)
    }

    /// Appends a new version, which becomes current.
    pub fn push(&mut self, version: BackingKey) {
        self.0.push(version);
    }

    /// Versions made by rotation (not the initial material), oldest first.
    pub fn rotations(&self) -> impl DoubleEndedIterator<Item = &BackingKey> {
        self.0.iter().filter(|b| b.provenance != Provenance::Initial)
    }

    /// How many versions there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no material at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
