//! Custom key stores of the external kind (AWS's XKS): a key manager the
//! customer owns holds an external key for each KMS key of the store, and
//! every ciphertext of such a key is encrypted twice — first by the KMS
//! key's own material, then by the external key — so that neither this KMS
//! nor the external manager alone can decrypt it.
//!
//! The store itself is a host object (in JS, `{ encrypt, decrypt }`); the
//! core keeps its record, which keys live in it, and whether it is
//! connected. A store is usable (`CONNECTED`) when the customer connected
//! it *and* the host has attached its manager in this session; connected
//! but without a manager it is `FAILED`, as an AWS store whose proxy cannot
//! be reached. While a store is not connected its keys are `Unavailable`.

use crate::error::{KmsError, Result, Violations};
use crate::external::ExternalKeyManager;
use crate::ids::KeyId;
use crate::time::Timestamp;
use crate::tracked::Tracked;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most custom key stores an account may have (AWS's quota).
pub const MAX_STORES: usize = 10;
/// Longest store name, in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// Longest external key id, in characters.
pub const MAX_XKS_KEY_ID_CHARS: usize = 128;
/// Most characters of a custom key store id.
pub const MAX_KEY_STORE_ID_CHARS: usize = 64;

/// The customer's wish: connected or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Connection {
    /// ConnectCustomKeyStore was called last.
    Connected,
    /// New, or DisconnectCustomKeyStore was called last.
    Disconnected,
}

/// AWS's `ConnectionState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionState {
    /// Usable.
    Connected,
    /// Not connected by the customer.
    Disconnected,
    /// Connected by the customer, but its manager is not attached.
    Failed,
}

/// One custom key store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomKeyStore {
    /// `cks-` and 17 hex digits.
    pub id: String,
    /// Unique in the account.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// Connected or not, as the customer last asked.
    pub connection: Connection,
}

/// A KMS key's external key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalKey {
    /// The store the KMS key lives in.
    pub store_id: String,
    /// The external key, as the manager names it (`XksKeyId`).
    pub xks_key_id: String,
}

/// How a store's manager is attached in this session.
enum Attachment {
    /// The host answers the store's calls itself (the JS bindings).
    Host,
    /// A Rust manager answers them.
    Native(Box<dyn ExternalKeyManager>),
}

/// The account's custom key stores and the keys that live in them.
#[derive(Default, Serialize, Deserialize)]
pub struct CustomKeyStores {
    /// The stores, by id.
    pub stores: Tracked<String, CustomKeyStore>,
    /// The external key of each KMS key that lives in a store.
    pub keys: Tracked<KeyId, ExternalKey>,
    /// Attached managers, by store id: a fact of this session, never stored.
    #[serde(skip)]
    attached: BTreeMap<String, Attachment>,
}

impl core::fmt::Debug for CustomKeyStores {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CustomKeyStores")
            .field("stores", &self.stores)
            .field("keys", &self.keys)
            .field("attached", &self.attached.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CustomKeyStores {
    /// Takes the stores and keys of `other` (read from a store), keeping
    /// the managers attached in this session.
    pub(crate) fn replace_records(&mut self, other: CustomKeyStores) {
        self.stores = other.stores;
        self.keys = other.keys;
    }

    /// The store with this id.
    pub fn get(&self, id: &str) -> Result<&CustomKeyStore> {
        self.stores.get(id).ok_or_else(|| not_found(id))
    }

    /// The store with this id, writable.
    pub fn get_mut(&mut self, id: &str) -> Result<&mut CustomKeyStore> {
        self.stores.get_mut(id).ok_or_else(|| not_found(id))
    }

    /// The store with this id or, failing that, this name.
    pub fn find(&self, id_or_name: &str) -> Option<&CustomKeyStore> {
        self.stores.get(id_or_name).or_else(|| self.stores.values().find(|s| s.name == id_or_name))
    }

    /// The connection state AWS would report.
    pub fn state(&self, store: &CustomKeyStore) -> ConnectionState {
        match (store.connection, self.attached.contains_key(&store.id)) {
            (Connection::Disconnected, _) => ConnectionState::Disconnected,
            (Connection::Connected, true) => ConnectionState::Connected,
            (Connection::Connected, false) => ConnectionState::Failed,
        }
    }

    /// Whether the store with this id can be used now.
    pub fn is_connected(&self, id: &str) -> bool {
        self.stores.get(id).is_some_and(|s| self.state(s) == ConnectionState::Connected)
    }

    /// How many KMS keys live in the store.
    pub fn key_count(&self, id: &str) -> usize {
        self.keys.values().filter(|k| k.store_id == id).count()
    }

    /// The KMS key of the store that uses this external key, if any.
    pub fn key_using(&self, store_id: &str, xks_key_id: &str) -> Option<KeyId> {
        self.keys.iter().find(|(_, k)| k.store_id == store_id && k.xks_key_id == xks_key_id).map(|(id, _)| *id)
    }

    /// Marks the store (by id or name) as answered by the host. Returns its id.
    pub fn attach_host(&mut self, id_or_name: &str) -> Option<String> {
        self.attach(id_or_name, Attachment::Host)
    }

    /// Attaches a Rust manager to the store (by id or name). Returns its id.
    pub fn attach_native(&mut self, id_or_name: &str, manager: Box<dyn ExternalKeyManager>) -> Option<String> {
        self.attach(id_or_name, Attachment::Native(manager))
    }

    fn attach(&mut self, id_or_name: &str, attachment: Attachment) -> Option<String> {
        let id = self.find(id_or_name)?.id.clone();
        self.attached.insert(id.clone(), attachment);
        Some(id)
    }

    /// Forgets the manager of a store (by id or name).
    pub fn detach(&mut self, id_or_name: &str) {
        if let Some(id) = self.find(id_or_name).map(|s| s.id.clone()) {
            self.attached.remove(&id);
        }
    }

    /// The Rust manager attached to the store, if any.
    pub(crate) fn manager(&mut self, id: &str) -> Option<&mut Box<dyn ExternalKeyManager>> {
        match self.attached.get_mut(id) {
            Some(Attachment::Native(m)) => Some(m),
            _ => None,
        }
    }

    /// What every stored state satisfies.
    pub(crate) fn consistent(&self, key_exists: impl Fn(&KeyId) -> bool) -> bool {
        self.stores.iter().all(|(id, s)| *id == s.id)
            && self.keys.iter().all(|(k, x)| key_exists(k) && self.stores.contains_key(&x.store_id))
    }
}

/// A new store id: `cks-` and 17 random hex digits, as AWS's.
pub fn new_store_id() -> Result<String> {
    let bytes = crate::crypto::random_array::<9>()?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("cks-{}", hex.get(..17).unwrap_or_default()))
}

fn not_found(id: &str) -> KmsError {
    KmsError::CustomKeyStoreNotFoundException(format!(
        "Custom key store '{}' does not exist.",
        crate::error::quoted(id)
    ))
}

/// The model constraints of `XksKeyId`: 1..128 characters of
/// `^[a-zA-Z0-9-_.]+$`.
pub(crate) fn xks_key_id_constraints(v: &mut Violations, id: Option<&str>) {
    let allowed = |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    v.pattern("xksKeyId", id, "^[a-zA-Z0-9-_.]+$", allowed).length("xksKeyId", id, 1, MAX_XKS_KEY_ID_CHARS);
}

/// The AAD the external manager binds to a ciphertext of KMS key `key_id`:
/// a label, the blob's header and the canonical encryption context. The
/// same header and context must come back for the manager to decrypt.
pub fn external_aad(header: &[u8], context: &crate::context::EncryptionContext) -> Vec<u8> {
    const LABEL: &[u8] = b"kms-wasm external key store v1\0";
    let mut aad = Vec::with_capacity(LABEL.len() + header.len() + context.encoded_len());
    aad.extend_from_slice(LABEL);
    aad.extend_from_slice(header);
    context.encode_into(&mut aad);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_ids_look_like_aws_ones() {
        let id = new_store_id().unwrap();
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("cks-") && id[4..].bytes().all(|b| b.is_ascii_hexdigit()));
    }

    fn check_xks_key_id(id: &str) -> Result<()> {
        let mut v = Violations::new();
        xks_key_id_constraints(&mut v, Some(id));
        v.check()
    }

    #[test]
    fn xks_key_ids_follow_aws_pattern() {
        for ok in ["a", "key-1_2.3", &"x".repeat(128)] {
            assert!(check_xks_key_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "ключ", &"x".repeat(129)] {
            assert_eq!(check_xks_key_id(bad).unwrap_err().name(), "ValidationException", "{bad}");
        }
        assert_eq!(
            check_xks_key_id("a b").unwrap_err().message(),
            "1 validation error detected: Value 'a b' at 'xksKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_.]+$"
        );
    }

    #[test]
    fn a_connected_store_without_its_manager_has_failed() {
        let mut all = CustomKeyStores::default();
        let store = CustomKeyStore {
            id: "cks-00000000000000000".into(),
            name: "s".into(),
            created: Timestamp(0),
            connection: Connection::Connected,
        };
        all.stores.insert(store.id.clone(), store.clone());
        assert_eq!(all.state(&store), ConnectionState::Failed);
        assert_eq!(all.attach_host("s").as_deref(), Some(store.id.as_str()));
        assert_eq!(all.state(&store), ConnectionState::Connected);
        all.detach(&store.id);
        assert!(!all.is_connected(&store.id));
    }
}
