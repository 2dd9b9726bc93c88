//! Record-level persistence: what a commit changed, as records a store can
//! write one by one, instead of the whole state.
//!
//! The state is a set of records, each one entry of one map: a key (with
//! its grants, material and schedules), an alias, a deleted key, an
//! endpoint, a custom key store, a key's external key; plus one `meta`
//! record (the clock), and a key's last use. [`crate::tracked::Tracked`] marks what every call
//! wrote, so [`Kms::take_changes`] costs what the call changed, not what
//! the KMS holds. A store keeps records (IndexedDB, memory) or appends the
//! bodies to a log on top of a base (the file store); [`Kms::apply_records`]
//! reads them back, a body at a time.
//!
//! ```text
//! body   = "KMSD" | version u8 = 1 | flags u8 (1 sealed, 2 full)
//!          | generation u64 | account: u8 len + bytes | region: u8 len + bytes
//!          | [sealed: salt [32]] | count u32 | record*
//! record = kind u8 | id: u16 len + UTF-8 | present u8 | value: u32 len + bytes
//! ```
//!
//! A record's id names its region: `REGION@ID` (`us-east-1@alias/x`; the
//! meta record of a region is `REGION@`). An id without `@` (written before
//! regions) belongs to the header's region; once such records are read,
//! [`Kms::wants_full_records`] says the next write must be a full body, so
//! a store never holds a record twice.
//! The header's region is the writer's home region.
//!
//! A *full* body holds every record and replaces the whole state; any other
//! body holds changes (`present = 0`: the record is gone). Plain values are
//! the record's postcard encoding (they hold key material: the store seals
//! them). In a sealed body every value, absent ones too, is AES-256-GCM
//! under `HKDF-SHA-256(root key, salt, "kms-wasm records v1")`, a key of
//! its own per body, with the record's index as the nonce and
//! `"KMSR" v1 | account | region | generation | kind | id | present` as the
//! associated data: a record cannot be moved to another slot, another
//! body, another account, or turned into a deletion.

use crate::aliases::Alias;
use crate::crypto::{random_array, AeadKey, SecretBytes, NONCE_LEN, TAG_LEN};
use crate::custom_key_stores::{CustomKeyStore, CustomKeyStores, ExternalKey};
use crate::error::{KmsError, Result};
use crate::ids::KeyId;
use crate::keys::Key;
use crate::kms::{DeletedKey, Endpoint, Kms, State};
use crate::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

const MAGIC: &[u8; 4] = b"KMSD";
const VERSION: u8 = 1;
const SEALED: u8 = 1;
const FULL: u8 = 2;
const SALT_LEN: usize = 32;
const AAD_MAGIC: &[u8; 5] = b"KMSR\x01";

/// What a record is an entry of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The clock (id "").
    Meta = 0,
    /// A key, by id.
    Key = 1,
    /// An alias, by name.
    Alias = 2,
    /// A deleted key, by id.
    Deleted = 3,
    /// A private endpoint, by id.
    Endpoint = 4,
    /// A custom key store, by id.
    KeyStore = 5,
    /// The external key of a key, by the key's id.
    ExternalKey = 6,
    /// A key's last use (GetKeyLastUsage), by the key's id.
    LastUsed = 7,
    /// A multi-Region key's view of its set, by the key's id.
    MultiRegion = 8,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            0 => Kind::Meta,
            1 => Kind::Key,
            2 => Kind::Alias,
            3 => Kind::Deleted,
            4 => Kind::Endpoint,
            5 => Kind::KeyStore,
            6 => Kind::ExternalKey,
            7 => Kind::LastUsed,
            8 => Kind::MultiRegion,
            _ => return None,
        })
    }
}

fn corrupt(why: &str) -> KmsError {
    KmsError::KMSInvalidStoreException(format!("The stored records cannot be used: {why}."))
}

fn internal() -> KmsError {
    KmsError::KMSInternalException("The state could not be serialized.".into())
}

/// One record to write: its value serialized lazily, into the body itself.
struct Out<'a> {
    kind: Kind,
    id: String,
    value: Option<&'a dyn ErasedSerialize>,
}

/// `Serialize` through a vtable (the records are of six types).
trait ErasedSerialize {
    fn size(&self) -> Result<usize>;
    fn write(&self, out: &mut [u8]) -> Result<()>;
}

impl<T: Serialize> ErasedSerialize for T {
    fn size(&self) -> Result<usize> {
        postcard::experimental::serialized_size(self).map_err(|_| internal())
    }
    fn write(&self, out: &mut [u8]) -> Result<()> {
        postcard::to_slice(self, out).map(|_| ()).map_err(|_| internal())
    }
}

/// The associated data of a sealed record.
fn aad(header: &Header<'_>, kind: u8, id: &[u8], present: u8) -> Vec<u8> {
    let mut a =
        Vec::with_capacity(AAD_MAGIC.len() + 2 + header.account.len() + header.region.len() + 8 + 3 + id.len() + 1);
    a.extend_from_slice(AAD_MAGIC);
    for s in [header.account, header.region] {
        a.push(u8::try_from(s.len()).unwrap_or(u8::MAX));
        a.extend_from_slice(s);
    }
    a.extend_from_slice(&header.generation.to_be_bytes());
    a.push(kind);
    a.extend_from_slice(&u16::try_from(id.len()).unwrap_or(u16::MAX).to_be_bytes());
    a.extend_from_slice(id);
    a.push(present);
    a
}

fn body_key(root_key: &[u8], salt: &[u8]) -> Result<AeadKey> {
    let mut okm = Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), root_key)
        .expand(b"kms-wasm records v1", okm.as_mut())
        .map_err(|_| internal())?;
    Ok(AeadKey::from_material(okm))
}

fn nonce(index: u32) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[NONCE_LEN - 4..].copy_from_slice(&index.to_be_bytes());
    n
}

/// The fixed part of a body.
struct Header<'a> {
    flags: u8,
    generation: u64,
    account: &'a [u8],
    region: &'a [u8],
    salt: Option<&'a [u8]>,
    count: u32,
}

/// Writes a body of `records`; sealed under `root_key` when given.
fn encode(kms: &Kms, records: &[Out<'_>], root_key: Option<&[u8]>, full: bool, generation: u64) -> Result<SecretBytes> {
    let root = match root_key {
        Some(k) if k.len() == 32 => Some(k),
        Some(_) => return Err(KmsError::validation("The root key must be 32 bytes.")),
        None => None,
    };
    let salt = match root {
        Some(_) => Some(random_array::<SALT_LEN>()?),
        None => None,
    };
    let account = kms.partition.account_id.as_bytes();
    let region = kms.home.as_bytes();
    if account.len() > 255 || region.len() > 255 {
        return Err(internal());
    }
    let header = Header {
        flags: if root.is_some() { SEALED } else { 0 } | if full { FULL } else { 0 },
        generation,
        account,
        region,
        salt: salt.as_ref().map(|s| s.as_slice()),
        count: u32::try_from(records.len()).map_err(|_| internal())?,
    };
    let key = match (root, &salt) {
        (Some(r), Some(s)) => Some(body_key(r, s)?),
        _ => None,
    };
    // Sizes first, so the body is allocated once (no stray copies of material).
    let mut sizes = Vec::with_capacity(records.len());
    let mut total = 4 + 1 + 1 + 8 + 1 + account.len() + 1 + region.len() + salt.map_or(0, |s| s.len()) + 4;
    for r in records {
        let plain = match r.value {
            Some(v) => v.size()?,
            None => 0,
        };
        let stored = if key.is_some() { plain + TAG_LEN } else { plain };
        if r.id.len() > usize::from(u16::MAX) || u32::try_from(stored).is_err() {
            return Err(KmsError::LimitExceededException("A record is too large to store.".into()));
        }
        sizes.push(plain);
        total += 1 + 2 + r.id.len() + 1 + 4 + stored;
    }
    let mut body = SecretBytes::zeroed(total);
    let mut w = Writer { buf: body.expose_mut(), at: 0 };
    w.put(MAGIC)?;
    w.put(&[VERSION, header.flags])?;
    w.put(&generation.to_be_bytes())?;
    for s in [account, region] {
        w.put(&[u8::try_from(s.len()).map_err(|_| internal())?])?;
        w.put(s)?;
    }
    if let Some(s) = header.salt {
        w.put(s)?;
    }
    w.put(&header.count.to_be_bytes())?;
    let mut scratch = SecretBytes::zeroed(sizes.iter().copied().max().unwrap_or(0));
    for (i, (r, &plain)) in records.iter().zip(&sizes).enumerate() {
        let present = u8::from(r.value.is_some());
        let id = r.id.as_bytes();
        w.put(&[r.kind as u8])?;
        w.put(&u16::try_from(id.len()).map_err(|_| internal())?.to_be_bytes())?;
        w.put(id)?;
        w.put(&[present])?;
        let stored = if key.is_some() { plain + TAG_LEN } else { plain };
        w.put(&u32::try_from(stored).map_err(|_| internal())?.to_be_bytes())?;
        let slot = w.take(stored)?;
        match &key {
            None => {
                if let Some(v) = r.value {
                    v.write(slot)?;
                }
            }
            Some(k) => {
                let plaintext = scratch.expose_mut().get_mut(..plain).ok_or_else(internal)?;
                if let Some(v) = r.value {
                    v.write(plaintext)?;
                }
                let index = u32::try_from(i).map_err(|_| internal())?;
                k.seal_into(&nonce(index), &aad(&header, r.kind as u8, id, present), plaintext, slot)?;
            }
        }
    }
    Ok(body)
}

struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn take(&mut self, n: usize) -> Result<&mut [u8]> {
        let end = self.at.checked_add(n).ok_or_else(internal)?;
        let slot = self.buf.get_mut(self.at..end).ok_or_else(internal)?;
        self.at = end;
        Ok(slot)
    }
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.take(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).ok_or_else(|| corrupt("it is truncated"))?;
        let s = self.buf.get(self.at..end).ok_or_else(|| corrupt("it is truncated"))?;
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| corrupt("it is truncated"))
    }
}

/// One record read back.
enum Loaded {
    Meta(Option<Timestamp>),
    Key(KeyId, Option<Box<Key>>),
    Alias(String, Option<Alias>),
    Deleted(KeyId, Option<DeletedKey>),
    Endpoint(String, Option<Endpoint>),
    KeyStore(String, Option<CustomKeyStore>),
    ExternalKey(KeyId, Option<ExternalKey>),
    LastUsed(KeyId, Option<crate::last_usage::LastUsage>),
    MultiRegion(KeyId, Option<crate::multi_region::MultiRegion>),
}

fn value<T: DeserializeOwned>(bytes: Option<&[u8]>) -> Result<Option<T>> {
    bytes.map(|b| postcard::from_bytes(b).map_err(|_| corrupt("a record cannot be decoded"))).transpose()
}

fn key_id(id: &str) -> Result<KeyId> {
    KeyId::parse(id).ok_or_else(|| corrupt("a record names a key id that is not one"))
}

fn decode(kind: Kind, id: &str, v: Option<&[u8]>) -> Result<Loaded> {
    Ok(match kind {
        Kind::Meta if id.is_empty() => Loaded::Meta(value::<Option<Timestamp>>(v)?.flatten()),
        Kind::Meta => return Err(corrupt("a meta record has an id")),
        Kind::Key => {
            let id = key_id(id)?;
            let key: Option<Key> = value(v)?;
            if key.as_ref().is_some_and(|k| k.id != id) {
                return Err(corrupt("a key is filed under another id"));
            }
            Loaded::Key(id, key.map(Box::new))
        }
        Kind::Alias => Loaded::Alias(id.to_owned(), value(v)?),
        Kind::Deleted => Loaded::Deleted(key_id(id)?, value(v)?),
        Kind::Endpoint => Loaded::Endpoint(id.to_owned(), value(v)?),
        Kind::KeyStore => {
            let store: Option<CustomKeyStore> = value(v)?;
            if store.as_ref().is_some_and(|s| s.id != id) {
                return Err(corrupt("a custom key store is filed under another id"));
            }
            Loaded::KeyStore(id.to_owned(), store)
        }
        Kind::ExternalKey => Loaded::ExternalKey(key_id(id)?, value(v)?),
        Kind::LastUsed => Loaded::LastUsed(key_id(id)?, value(v)?),
        Kind::MultiRegion => Loaded::MultiRegion(key_id(id)?, value(v)?),
    })
}

/// A body's records, opened and decoded, and whether it replaces everything.
struct Decoded {
    generation: u64,
    full: bool,
    /// Some record had no region in its id (written before regions).
    legacy: bool,
    /// Each record with its region.
    records: Vec<(String, Loaded)>,
}

fn parse(kms: &Kms, body: &[u8], root_key: Option<&[u8]>) -> Result<Decoded> {
    let mut r = Reader { buf: body, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(corrupt("it is not a kms-wasm record body"));
    }
    if r.u8()? != VERSION {
        return Err(corrupt("it was written by an unknown format version"));
    }
    let flags = r.u8()?;
    if flags & !(SEALED | FULL) != 0 {
        return Err(corrupt("it has unknown flags"));
    }
    let generation = u64::from_be_bytes(r.array()?);
    let account_len = usize::from(r.u8()?);
    let account = r.take(account_len)?;
    let region_len = usize::from(r.u8()?);
    let region = r.take(region_len)?;
    if account != kms.partition.account_id.as_bytes() {
        return Err(corrupt("they belong to another account"));
    }
    let header_region = core::str::from_utf8(region)
        .ok()
        .filter(|r| crate::ids::Partition::new(&kms.partition.account_id, r).is_ok())
        .ok_or_else(|| corrupt("its region is not a region name"))?;
    let mut legacy = false;
    let sealed = flags & SEALED != 0;
    let salt = if sealed { Some(r.take(SALT_LEN)?) } else { None };
    let key = match (sealed, root_key, salt) {
        (true, Some(root), Some(s)) if root.len() == 32 => Some(body_key(root, s)?),
        (true, _, _) => return Err(corrupt("they are sealed and no root key was given")),
        (false, Some(_), _) => return Err(corrupt("they are not sealed, and sealed records were expected")),
        (false, None, _) => None,
    };
    let header = Header { flags, generation, account, region, salt, count: 0 };
    let count = u32::from_be_bytes(r.array()?);
    let mut records = Vec::new();
    for i in 0..count {
        let kind_byte = r.u8()?;
        let kind = Kind::from_u8(kind_byte).ok_or_else(|| corrupt("a record is of an unknown kind"))?;
        let id_len = usize::from(u16::from_be_bytes(r.array()?));
        let id_bytes = r.take(id_len)?;
        let id = core::str::from_utf8(id_bytes).map_err(|_| corrupt("a record's id is not UTF-8"))?;
        let present = r.u8()?;
        if present > 1 {
            return Err(corrupt("a record's presence flag is not 0 or 1"));
        }
        let len = usize::try_from(u32::from_be_bytes(r.array()?)).map_err(|_| corrupt("it is truncated"))?;
        let stored = r.take(len)?;
        let (region, local_id) = match id.split_once('@') {
            Some((region, rest)) => {
                if crate::ids::Partition::new(&kms.partition.account_id, region).is_err() {
                    return Err(corrupt("a record names a region that is not one"));
                }
                (region, rest)
            }
            None => {
                legacy = true;
                (header_region, id)
            }
        };
        let loaded = match &key {
            None => decode(kind, local_id, (present == 1).then_some(stored))?,
            Some(k) => {
                let plain = k.open(&nonce(i), &aad(&header, kind_byte, id_bytes, present), stored).map_err(|_| {
                    corrupt("a record cannot be opened (the root key is wrong, or it was altered or moved)")
                })?;
                if present == 0 && !plain.is_empty() {
                    return Err(corrupt("an absent record has a value"));
                }
                decode(kind, local_id, (present == 1).then_some(plain.expose()))?
            }
        };
        records.push((region.to_owned(), loaded));
    }
    if r.at != body.len() {
        return Err(corrupt("it has bytes after its last record"));
    }
    Ok(Decoded { generation, full: flags & FULL != 0, legacy, records })
}

/// What one region's maps marked as written since the last body.
struct Changes {
    keys: std::collections::BTreeSet<KeyId>,
    aliases: std::collections::BTreeSet<String>,
    deleted: std::collections::BTreeSet<KeyId>,
    endpoints: std::collections::BTreeSet<String>,
    stores: std::collections::BTreeSet<String>,
    external: std::collections::BTreeSet<KeyId>,
    last_used: std::collections::BTreeSet<KeyId>,
    multi_region: std::collections::BTreeSet<KeyId>,
}

impl Changes {
    fn take(s: &mut State, x: &mut CustomKeyStores) -> Changes {
        Changes {
            keys: s.keys.take_changed(),
            aliases: s.aliases.take_changed(),
            deleted: s.deleted.take_changed(),
            endpoints: s.endpoints.take_changed(),
            stores: x.stores.take_changed(),
            external: x.keys.take_changed(),
            last_used: s.last_used.take_changed(),
            multi_region: s.multi_region.take_changed(),
        }
    }
}

impl Kms {
    /// The records written since the last call (and the clock), as a body
    /// tagged `generation`, sealed under `root_key` when given; forgets them.
    /// Costs what changed, not what the KMS holds. Holds key material.
    pub fn take_changes(&mut self, root_key: Option<&[u8]>, generation: u64) -> Result<SecretBytes> {
        self.records_body(root_key, generation, false)
    }

    /// Whether records were read in the form before regions, so the next
    /// write must be [`Kms::all_records`] (a store keeps no record twice).
    pub fn wants_full_records(&self) -> bool {
        self.rewrite_records
    }

    /// Every record, as a full body (a store's base, or its first write in
    /// this format); forgets what was changed, since all of it is here.
    pub fn all_records(&mut self, root_key: Option<&[u8]>, generation: u64) -> Result<SecretBytes> {
        self.records_body(root_key, generation, true)
    }

    /// The body of the changed records (`full`: of every record), and the
    /// changes forgotten either way.
    fn records_body(&mut self, root_key: Option<&[u8]>, generation: u64, full: bool) -> Result<SecretBytes> {
        if full {
            self.rewrite_records = false;
        }
        let mut changes = Vec::with_capacity(1 + self.others.len());
        changes.push(Changes::take(&mut self.state, &mut self.key_stores));
        for region in self.others.values_mut() {
            changes.push(Changes::take(&mut region.state, &mut region.key_stores));
        }
        let regions = core::iter::once((self.home.as_str(), &self.state, &self.key_stores))
            .chain(self.others.iter().map(|(name, r)| (name.as_str(), &r.state, &r.key_stores)));
        let mut out: Vec<Out<'_>> = Vec::new();
        for ((region, s, x), changed) in regions.zip(&changes) {
            // One map's records: every entry, or the changed ones (absent: deleted).
            fn add<'a, K: Ord, V: Serialize>(
                out: &mut Vec<Out<'a>>,
                kind: Kind,
                map: &'a crate::tracked::Tracked<K, V>,
                changed: &std::collections::BTreeSet<K>,
                full: bool,
                id: impl Fn(&K) -> String,
            ) {
                if full {
                    out.extend(map.iter().map(|(k, v)| Out {
                        kind,
                        id: id(k),
                        value: Some(v as &dyn ErasedSerialize),
                    }));
                } else {
                    out.extend(changed.iter().map(|k| Out { kind, id: id(k), value: map.get(k).map(|v| v as _) }));
                }
            }
            let tag = |id: &dyn core::fmt::Display| format!("{region}@{id}");
            out.push(Out { kind: Kind::Meta, id: tag(&""), value: Some(&s.clock) });
            add(&mut out, Kind::Key, &s.keys, &changed.keys, full, |k| tag(k));
            add(&mut out, Kind::Alias, &s.aliases, &changed.aliases, full, |k| tag(k));
            add(&mut out, Kind::Deleted, &s.deleted, &changed.deleted, full, |k| tag(k));
            add(&mut out, Kind::Endpoint, &s.endpoints, &changed.endpoints, full, |k| tag(k));
            add(&mut out, Kind::KeyStore, &x.stores, &changed.stores, full, |k| tag(k));
            add(&mut out, Kind::ExternalKey, &x.keys, &changed.external, full, |k| tag(k));
            add(&mut out, Kind::LastUsed, &s.last_used, &changed.last_used, full, |k| tag(k));
            add(&mut out, Kind::MultiRegion, &s.multi_region, &changed.multi_region, full, |k| tag(k));
        }
        encode(self, &out, root_key, full, generation)
    }

    /// Applies a body a store kept: a full body replaces the state, any
    /// other changes the records it names. All or nothing: a damaged body,
    /// one of another account, or one that would leave the state
    /// inconsistent changes nothing. Returns the body's generation.
    pub fn apply_records(&mut self, root_key: Option<&[u8]>, body: &[u8]) -> Result<u64> {
        let decoded = parse(self, body, root_key)?;
        let mut by_region: BTreeMap<String, Vec<Loaded>> = BTreeMap::new();
        for (region, record) in decoded.records {
            by_region.entry(region).or_default().push(record);
        }
        if decoded.full {
            let mut regions = BTreeMap::new();
            for (name, records) in by_region {
                let mut state = State::default();
                let mut stores = CustomKeyStores::default();
                load_into(&mut state, &mut stores, records);
                super::check_region(&state, &stores)?;
                regions.insert(name, (state, stores));
            }
            self.replace_regions(regions);
            self.rewrite_records |= decoded.legacy;
            return Ok(decoded.generation);
        }
        // A change: check what it touches, in each region, against the
        // state it lands on; then apply all of it.
        let empty = State::default();
        let mut touched = Vec::with_capacity(by_region.len());
        for (name, records) in &by_region {
            let state =
                if *name == self.home { &self.state } else { self.others.get(name).map_or(&empty, |r| &r.state) };
            touched.push(check_change(state, records)?);
        }
        for ((name, records), touched) in by_region.into_iter().zip(touched) {
            if name == self.home {
                load_into(&mut self.state, &mut self.key_stores, records);
                self.changed_keys.extend(touched);
            } else {
                let region = self.others.entry(name).or_default();
                load_into(&mut region.state, &mut region.key_stores, records);
                region.changed_keys.extend(touched);
            }
        }
        self.rewrite_records |= decoded.legacy;
        Ok(decoded.generation)
    }
}

/// Whether applying `records` to `state` keeps the invariants
/// `check_invariants` checks of a whole state, looking only at what they
/// touch. Returns the keys they touch.
fn check_change(state: &State, records: &[Loaded]) -> Result<Vec<KeyId>> {
    let mut keys_after: BTreeMap<KeyId, bool> = BTreeMap::new();
    let mut touched = Vec::new();
    for r in records {
        if let Loaded::Key(id, key) = r {
            if let Some(k) = key {
                super::check_key(k)?;
            }
            keys_after.insert(*id, key.is_some());
            touched.push(*id);
        }
    }
    let exists = |id: &KeyId| keys_after.get(id).copied().unwrap_or_else(|| state.keys.contains_key(id));
    let mut aliases_after: BTreeMap<&str, Option<KeyId>> = BTreeMap::new();
    for r in records {
        if let Loaded::Alias(name, alias) = r {
            aliases_after.insert(name, alias.as_ref().map(|a| a.target));
        }
    }
    for target in aliases_after.values().flatten() {
        if !exists(target) {
            return Err(corrupt("an alias points at a missing key"));
        }
    }
    // A key removed: no alias left may point at it (rare: scan the aliases).
    if keys_after.values().any(|present| !present) {
        for (name, a) in state.aliases.iter() {
            let target = aliases_after.get(name.as_str()).copied().unwrap_or(Some(a.target));
            if target.is_some_and(|t| !exists(&t)) {
                return Err(corrupt("an alias points at a missing key"));
            }
        }
    }
    Ok(touched)
}

fn load_into(state: &mut State, stores: &mut crate::custom_key_stores::CustomKeyStores, records: Vec<Loaded>) {
    for r in records {
        match r {
            Loaded::Meta(clock) => state.clock = clock,
            Loaded::Key(id, key) => state.keys.load(id, key.map(|k| *k)),
            Loaded::Alias(name, a) => state.aliases.load(name, a),
            Loaded::Deleted(id, d) => state.deleted.load(id, d),
            Loaded::Endpoint(id, e) => state.endpoints.load(id, e),
            Loaded::KeyStore(id, s) => stores.stores.load(id, s),
            Loaded::ExternalKey(id, x) => stores.keys.load(id, x),
            Loaded::LastUsed(id, u) => state.last_used.load(id, u),
            Loaded::MultiRegion(id, m) => state.multi_region.load(id, m),
        }
    }
}
