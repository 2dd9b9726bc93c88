//! Snapshots: the whole state as one versioned, checksummed byte string.
//! The JS layer keeps the latest one so it can rebuild an instance after a
//! trap, and durable stores seal and write it.
//!
//! ```text
//! "KMSW" | version u8 = 4 | postcard(partition, state, custom key stores,
//!                                  [(region, state, custom key stores)])
//!        | SHA-256 of all before
//! ```
//!
//! The partition names the home region, whose state comes first; the list
//! holds every other region in use. Version 3 (before regions and keys'
//! last usage: one region,
//! the partition's), 2 (before key material ids) and 1 (also without
//! custom key stores) are still read, 2 and 1 through `legacy`; the next
//! write is version 4. A snapshot's regions keep their names whatever the
//! home region of the KMS that reads it.
//!
//! The buffer is sized exactly before serializing, so no reallocation
//! leaves a stray copy of key material behind, and it zeroizes on drop.

use crate::crypto::{ct_eq, SecretBytes};
use crate::custom_key_stores::CustomKeyStores;
use crate::error::{KmsError, Result};
use crate::ids::Partition;
use crate::keys::KeyState;
use crate::kms::{Kms, State};
use crate::regions::Region;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

mod legacy;
pub(crate) mod records;

const MAGIC: &[u8; 4] = b"KMSW";
const VERSION: u8 = 4;
/// The version before regions.
const VERSION_3: u8 = 3;
/// The version before key material ids (kms-wasm 0.1.0).
const VERSION_2: u8 = 2;
/// The version before custom key stores.
const VERSION_1: u8 = 1;
const PREFIX_LEN: usize = 5;
const DIGEST_LEN: usize = 32;

#[derive(Serialize)]
struct BodyRef<'a> {
    partition: &'a Partition,
    state: &'a State,
    key_stores: &'a CustomKeyStores,
    others: Vec<(&'a str, &'a State, &'a CustomKeyStores)>,
}

#[derive(Deserialize)]
struct Body {
    partition: Partition,
    state: State,
    key_stores: CustomKeyStores,
    others: Vec<(String, State, CustomKeyStores)>,
}

#[derive(Deserialize)]
struct BodyV3 {
    partition: Partition,
    state: legacy::StateV3,
    key_stores: CustomKeyStores,
}

#[derive(Deserialize)]
struct BodyV2 {
    partition: Partition,
    state: legacy::StateV2,
    key_stores: CustomKeyStores,
}

#[derive(Deserialize)]
struct BodyV1 {
    partition: Partition,
    state: legacy::StateV2,
}

fn corrupt(why: &str) -> KmsError {
    KmsError::KMSInvalidStoreException(format!("The stored state cannot be used: {why}."))
}

impl Kms {
    /// The whole state as a snapshot. Holds key material: seal it before it
    /// leaves memory.
    pub fn snapshot(&self) -> Result<SecretBytes> {
        let others = self.other_regions().map(|(name, r)| (name, &r.state, &r.key_stores)).collect();
        let body = BodyRef { partition: &self.partition, state: &self.state, key_stores: &self.key_stores, others };
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
        let undecodable = |_| corrupt("its contents cannot be decoded");
        let body: Body = match prefix.get(4) {
            Some(&VERSION) => postcard::from_bytes(payload).map_err(undecodable)?,
            Some(&VERSION_3) => {
                let old: BodyV3 = postcard::from_bytes(payload).map_err(undecodable)?;
                Body {
                    partition: old.partition,
                    state: old.state.upgrade(),
                    key_stores: old.key_stores,
                    others: Vec::new(),
                }
            }
            Some(&VERSION_2) => {
                let old: BodyV2 = postcard::from_bytes(payload).map_err(undecodable)?;
                let (state, key_stores) = (old.state.upgrade(), old.key_stores);
                Body { partition: old.partition, state, key_stores, others: Vec::new() }
            }
            Some(&VERSION_1) => {
                let old: BodyV1 = postcard::from_bytes(payload).map_err(undecodable)?;
                let (state, key_stores) = (old.state.upgrade(), CustomKeyStores::default());
                Body { partition: old.partition, state, key_stores, others: Vec::new() }
            }
            _ => return Err(corrupt("it was written by an unknown format version")),
        };
        if body.partition.account_id != partition.account_id {
            return Err(corrupt("it belongs to another account"));
        }
        let mut regions = BTreeMap::new();
        regions.insert(body.partition.region, (body.state, body.key_stores));
        for (name, state, key_stores) in body.others {
            if Partition::new(&partition.account_id, &name).is_err() || regions.contains_key(&name) {
                return Err(corrupt("it names a region twice, or one that is not a region"));
            }
            regions.insert(name, (state, key_stores));
        }
        for (state, key_stores) in regions.values() {
            check_region(state, key_stores)?;
        }
        let mut kms = Kms::new(partition);
        kms.replace_regions(regions);
        Ok(kms)
    }

    /// Replaces every region's state with `regions` (by name; the home
    /// region is empty if it is not among them), deriving the indexes
    /// again and keeping the custom key store managers attached in this
    /// session.
    pub(crate) fn replace_regions(&mut self, mut regions: BTreeMap<String, (State, CustomKeyStores)>) {
        let (state, key_stores) = regions.remove(&self.home).unwrap_or_default();
        self.set_state(state);
        self.key_stores.replace_records(key_stores);
        let mut old = core::mem::take(&mut self.others);
        let others = regions
            .into_iter()
            .map(|(name, (state, key_stores))| {
                let mut region = Region::restored(state, CustomKeyStores::default());
                if let Some(previous) = old.remove(&name) {
                    region.key_stores = previous.key_stores;
                }
                region.key_stores.replace_records(key_stores);
                (name, region)
            })
            .collect();
        self.set_other_regions(others);
    }
}

/// What every region of a stored state satisfies.
pub(crate) fn check_region(state: &State, key_stores: &CustomKeyStores) -> Result<()> {
    check_invariants(state)?;
    if !key_stores.consistent(|id| state.keys.contains_key(id)) {
        return Err(corrupt("a custom key store record does not match the keys"));
    }
    Ok(())
}

/// What every state this library writes satisfies; a snapshot that breaks
/// any of it was not written by us.
fn check_invariants(state: &State) -> Result<()> {
    for (id, key) in &state.keys {
        if key.id != *id {
            return Err(corrupt("a key is filed under another id"));
        }
        check_key(key)?;
    }
    if state.aliases.values().any(|a| !state.keys.contains_key(&a.target)) {
        return Err(corrupt("an alias points at a missing key"));
    }
    Ok(())
}

/// What every key this library writes satisfies.
fn check_key(key: &crate::keys::Key) -> Result<()> {
    let awaiting_material = key.state == KeyState::PendingImport || key.origin == crate::keys::Origin::External;
    if key.material.is_empty() && !awaiting_material {
        return Err(corrupt("a key has no material"));
    }
    if key.deletion.is_some() != (key.state == KeyState::PendingDeletion) {
        return Err(corrupt("a key's deletion schedule does not match its state"));
    }
    Ok(())
}

/// Sealed snapshots (durable stores) and backups.
pub mod sealed {
    use crate::crypto::kdf::{self, KdfParams};
    use crate::crypto::{random_array, AeadKey, SecretBytes, NONCE_LEN, TAG_LEN};
    use crate::error::{KmsError, Result};
    use crate::ids::Partition;
    use crate::kms::Kms;
    use serde_json::Value;

    const SEALED_MAGIC: &[u8; 5] = b"KMSS\x01";
    const BACKUP_MAGIC: &[u8; 5] = b"KMSB\x01";
    const BACKUP_HEADER_LEN: usize = 5 + 12 + 16;

    fn damaged(what: &str) -> KmsError {
        KmsError::KMSInvalidStoreException(format!(
            "{what} cannot be opened: the key or passphrase is wrong, or it is damaged."
        ))
    }

    /// `magic || nonce || AES-256-GCM(key, aad = magic [|| header], plaintext)`.
    fn seal(key: &AeadKey, header: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = random_array::<NONCE_LEN>()?;
        let mut out = vec![0u8; header.len() + NONCE_LEN + plaintext.len() + TAG_LEN];
        let (h, rest) = out.split_at_mut(header.len());
        h.copy_from_slice(header);
        let (n, body) = rest.split_at_mut(NONCE_LEN);
        n.copy_from_slice(&nonce);
        key.seal_into(&nonce, header, plaintext, body)?;
        Ok(out)
    }

    fn open(key: &AeadKey, header_len: usize, sealed: &[u8], what: &str) -> Result<SecretBytes> {
        let (header, rest) = sealed.split_at_checked(header_len).ok_or_else(|| damaged(what))?;
        let (nonce, body) = rest.split_at_checked(NONCE_LEN).ok_or_else(|| damaged(what))?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| damaged(what))?;
        key.open(&nonce, header, body).map_err(|_| damaged(what))
    }

    fn root(root_key: &[u8]) -> Result<AeadKey> {
        AeadKey::from_slice(root_key).ok_or_else(|| KmsError::validation("The root key must be 32 bytes."))
    }

    impl Kms {
        /// The snapshot sealed under a 256-bit root key: what a file store
        /// writes. Material is never at rest in the clear, and the AEAD tag
        /// protects every byte of metadata too.
        pub fn sealed_snapshot(&self, root_key: &[u8]) -> Result<Vec<u8>> {
            seal(&root(root_key)?, SEALED_MAGIC, self.snapshot()?.expose())
        }

        /// Rebuilds a KMS from a sealed snapshot.
        pub fn restore_sealed(partition: Partition, root_key: &[u8], sealed: &[u8]) -> Result<Kms> {
            if sealed.get(..5) != Some(SEALED_MAGIC.as_slice()) {
                return Err(KmsError::KMSInvalidStoreException(
                    "The stored state is not a kms-wasm sealed snapshot.".into(),
                ));
            }
            let plain = open(&root(root_key)?, SEALED_MAGIC.len(), sealed, "The stored state")?;
            Kms::restore(partition, plain.expose())
        }

        /// The whole state — keys, material, aliases, policies, grants,
        /// schedules and the audit log — sealed under a passphrase
        /// (Argon2id, then AES-256-GCM).
        pub fn export_backup(&mut self, passphrase: &str) -> Result<Vec<u8>> {
            self.export_backup_with(passphrase, kdf::DEFAULT_PARAMS)
        }

        /// `export_backup` with explicit KDF parameters (tests use cheap ones).
        pub fn export_backup_with(&mut self, passphrase: &str, params: KdfParams) -> Result<Vec<u8>> {
            let salt = random_array::<16>()?;
            let key = AeadKey::from_material(kdf::derive(passphrase.as_bytes(), &salt, params)?);
            let snapshot = self.snapshot()?;
            let partition = self.partition.clone();
            let audit = serde_json::to_vec(&self.audit.since(&partition, 0))
                .map_err(|_| KmsError::KMSInternalException("The audit log could not be serialized.".into()))?;
            let snap_len = u32::try_from(snapshot.len())
                .map_err(|_| KmsError::LimitExceededException("The state is too large to back up.".into()))?;
            let mut body = SecretBytes::zeroed(4 + snapshot.len() + audit.len());
            let (len, rest) = body.expose_mut().split_at_mut(4);
            len.copy_from_slice(&snap_len.to_be_bytes());
            let (snap, log) = rest.split_at_mut(snapshot.len());
            snap.copy_from_slice(snapshot.expose());
            log.copy_from_slice(&audit);
            let mut header = Vec::with_capacity(BACKUP_HEADER_LEN);
            header.extend_from_slice(BACKUP_MAGIC);
            for v in [params.m_kib, params.t, params.p] {
                header.extend_from_slice(&v.to_be_bytes());
            }
            header.extend_from_slice(&salt);
            seal(&key, &header, body.expose())
        }

        /// Rebuilds a KMS from a backup. A wrong passphrase or any altered
        /// byte fails with one clear error, and nothing is restored.
        pub fn restore_backup(partition: Partition, backup: &[u8], passphrase: &str) -> Result<Kms> {
            let what = "The backup";
            let header = backup.get(..BACKUP_HEADER_LEN).ok_or_else(|| damaged(what))?;
            let (magic, rest) = header.split_at(5);
            if magic != BACKUP_MAGIC {
                return Err(KmsError::KMSInvalidStoreException(
                    "This is not a kms-wasm backup (or of an unknown version).".into(),
                ));
            }
            let word = |i: usize| -> Result<u32> {
                let b: [u8; 4] =
                    rest.get(i * 4..i * 4 + 4).and_then(|s| s.try_into().ok()).ok_or_else(|| damaged(what))?;
                Ok(u32::from_be_bytes(b))
            };
            let params = KdfParams { m_kib: word(0)?, t: word(1)?, p: word(2)? };
            let salt: [u8; 16] = rest.get(12..28).and_then(|s| s.try_into().ok()).ok_or_else(|| damaged(what))?;
            let key = AeadKey::from_material(kdf::derive(passphrase.as_bytes(), &salt, params)?);
            let body = open(&key, BACKUP_HEADER_LEN, backup, what)?;
            let (len, rest) = body.expose().split_at_checked(4).ok_or_else(|| damaged(what))?;
            let len = usize::try_from(u32::from_be_bytes(len.try_into().map_err(|_| damaged(what))?))
                .map_err(|_| damaged(what))?;
            let (snapshot, log) = rest.split_at_checked(len).ok_or_else(|| damaged(what))?;
            let records: Vec<Value> = serde_json::from_slice(log).map_err(|_| damaged(what))?;
            let mut kms = Kms::restore(partition, snapshot)?;
            let p = kms.partition.clone();
            kms.audit.load(records, &p);
            Ok(kms)
        }
    }
}
