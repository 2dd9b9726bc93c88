//! Snapshots: the whole state as one versioned, checksummed byte string.
//! The JS layer keeps the latest one so it can rebuild an instance after a
//! trap, and durable stores seal and write it.
//!
//! ```text
//! "KMSW" | version u8 = 1 | postcard(partition, state) | SHA-256 of all before
//! ```
//!
//! The buffer is sized exactly before serializing, so no reallocation
//! leaves a stray copy of key material behind, and it zeroizes on drop.

use crate::crypto::{ct_eq, SecretBytes};
use crate::error::{KmsError, Result};
use crate::ids::Partition;
use crate::keys::KeyState;
use crate::kms::{Kms, State};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 4] = b"KMSW";
const VERSION: u8 = 1;
const PREFIX_LEN: usize = 5;
const DIGEST_LEN: usize = 32;

#[derive(Serialize)]
struct BodyRef<'a> {
    partition: &'a Partition,
    state: &'a State,
}

#[derive(Deserialize)]
struct Body {
    partition: Partition,
    state: State,
}

fn corrupt(why: &str) -> KmsError {
    KmsError::KMSInvalidStoreException(format!("The stored state cannot be used: {why}."))
}

impl Kms {
    /// The whole state as a snapshot. Holds key material: seal it before it
    /// leaves memory.
    pub fn snapshot(&self) -> Result<SecretBytes> {
        let body = BodyRef { partition: &self.partition, state: &self.state };
        let internal = |_| KmsError::KMSInternalException("The state could not be serialized.".into());
        let body_len = postcard::experimental::serialized_size(&body).map_err(internal)?;
        let mut out = SecretBytes::zeroed(PREFIX_LEN + body_len + DIGEST_LEN);
        let buf = out.expose_mut();
        let (prefix, rest) = buf.split_at_mut(PREFIX_LEN);
        let (payload, digest) = rest.split_at_mut(body_len);
        prefix.copy_from_slice(&[MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], VERSION]);
        postcard::to_slice(&body, payload).map_err(internal)?;
        let mut hasher = Sha256::new();
        hasher.update(&*prefix);
        hasher.update(&*payload);
        digest.copy_from_slice(&hasher.finalize());
        Ok(out)
    }

    /// Rebuilds a KMS from a snapshot, refusing anything damaged, of
    /// another version, of another account or region, or inconsistent.
    pub fn restore(partition: Partition, snapshot: &[u8]) -> Result<Kms> {
        let body_end = snapshot
            .len()
            .checked_sub(DIGEST_LEN)
            .filter(|&n| n >= PREFIX_LEN)
            .ok_or_else(|| corrupt("it is truncated"))?;
        let (content, digest) = snapshot.split_at(body_end);
        if !ct_eq(&Sha256::digest(content), digest) {
            return Err(corrupt("its checksum does not match"));
        }
        let (prefix, payload) = content.split_at(PREFIX_LEN);
        if prefix.get(..4) != Some(MAGIC.as_slice()) {
            return Err(corrupt("it is not a kms-wasm snapshot"));
        }
        if prefix.get(4) != Some(&VERSION) {
            return Err(corrupt("it was written by an unknown format version"));
        }
        let body: Body = postcard::from_bytes(payload).map_err(|_| corrupt("its contents cannot be decoded"))?;
        if body.partition != partition {
            return Err(corrupt("it belongs to another account or region"));
        }
        check_invariants(&body.state)?;
        let mut kms = Kms::new(partition);
        kms.state = body.state;
        Ok(kms)
    }
}

/// What every state this library writes satisfies; a snapshot that breaks
/// any of it was not written by us.
fn check_invariants(state: &State) -> Result<()> {
    for (id, key) in &state.keys {
        if key.id != *id {
            return Err(corrupt("a key is filed under another id"));
        }
        let awaiting_material = key.state == KeyState::PendingImport || key.origin == crate::keys::Origin::External;
        if key.material.is_empty() && !awaiting_material {
            return Err(corrupt("a key has no material"));
        }
        if key.deletion.is_some() != (key.state == KeyState::PendingDeletion) {
            return Err(corrupt("a key's deletion schedule does not match its state"));
        }
    }
    if state.aliases.values().any(|a| !state.keys.contains_key(&a.target)) {
        return Err(corrupt("an alias points at a missing key"));
    }
    Ok(())
}
