//! The ciphertext blob, version 1. Documented with vectors in
//! `docs/ciphertext-format.md` and `tests/vectors/ciphertext/`.
//!
//! ```text
//! offset  size  field
//!      0     1  format version, 0x01
//!      1    16  key id (the UUID's 16 bytes)
//!     17    32  backing key id (which rotation's material sealed it)
//!     49    12  AES-GCM nonce, random per blob
//!     61     n  AES-256-GCM ciphertext of the plaintext
//!   61+n    16  AES-GCM tag
//! ```
//!
//! AAD = bytes 0..49 (version, key id, backing key id) followed by the
//! canonical encryption context, so neither the header nor the context can
//! be changed without failing the tag. The blob names its key and backing
//! key, so decryption picks the key from the bytes and never tries keys.

use crate::context::EncryptionContext;
use crate::crypto::{AeadKey, SecretBytes, NONCE_LEN, TAG_LEN};
use crate::error::{KmsError, Result};
use crate::ids::KeyId;

/// The only format version this build writes and reads.
pub const VERSION: u8 = 1;
/// Length of a backing key id.
pub const BACKING_ID_LEN: usize = 32;
/// Bytes before the AES-GCM body.
pub const HEADER_LEN: usize = 1 + 16 + BACKING_ID_LEN + NONCE_LEN;
/// Bytes the blob adds to the plaintext.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Largest blob AWS accepts (`CiphertextBlob` is 1..6144 bytes).
pub const MAX_BLOB_LEN: usize = 6144;

const AUTHENTICATED_HEADER_LEN: usize = 1 + 16 + BACKING_ID_LEN;

/// A parsed, not yet authenticated, blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blob<'a> {
    /// The key that sealed it.
    pub key_id: KeyId,
    /// The backing key (rotation) that sealed it.
    pub backing_id: [u8; BACKING_ID_LEN],
    nonce: [u8; NONCE_LEN],
    header: &'a [u8],
    sealed: &'a [u8],
}

impl<'a> Blob<'a> {
    /// Parses the layout. Every structural fault is the same
    /// `InvalidCiphertextException`.
    pub fn parse(bytes: &'a [u8]) -> Result<Blob<'a>> {
        let bad = KmsError::invalid_ciphertext;
        // A blob must hold a header, at least one byte of body and a tag.
        if bytes.len() <= OVERHEAD || bytes.len() > MAX_BLOB_LEN {
            return Err(bad());
        }
        let (header, rest) = bytes.split_at(AUTHENTICATED_HEADER_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let (version, ids) = header.split_first().ok_or_else(bad)?;
        // The format version must be one this build knows.
        if *version != VERSION {
            return Err(bad());
        }
        let (key_id, backing_id) = ids.split_at(16);
        Ok(Blob {
            key_id: KeyId(key_id.try_into().map_err(|_| bad())?),
            backing_id: backing_id.try_into().map_err(|_| bad())?,
            nonce: nonce.try_into().map_err(|_| bad())?,
            header,
            sealed,
        })
    }

    /// Authenticates and decrypts with the backing key the blob names.
    pub fn open(&self, key: &AeadKey, context: &EncryptionContext) -> Result<SecretBytes> {
        key.open(&self.nonce, &aad(self.header, context), self.sealed)
    }
}

fn aad(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + context.encoded_len());
    aad.extend_from_slice(header);
    context.encode_into(&mut aad);
    aad
}

/// Seals `plaintext` into a new blob with a fresh random nonce.
pub fn seal(
    key_id: KeyId,
    backing_id: &[u8; BACKING_ID_LEN],
    key: &AeadKey,
    context: &EncryptionContext,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let nonce = crate::crypto::random_array::<NONCE_LEN>()?;
    seal_with_nonce(key_id, backing_id, key, context, plaintext, &nonce)
}

/// `seal` with a caller-chosen nonce; only for test vectors, where output
/// must be reproducible. A nonce must never be reused with the same key.
pub(crate) fn seal_with_nonce(
    key_id: KeyId,
    backing_id: &[u8; BACKING_ID_LEN],
    key: &AeadKey,
    context: &EncryptionContext,
    plaintext: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>> {
    let mut blob = vec![0u8; OVERHEAD + plaintext.len()];
    let (header, rest) = blob.split_at_mut(AUTHENTICATED_HEADER_LEN);
    let (version, ids) = header.split_at_mut(1);
    version.copy_from_slice(&[VERSION]);
    let (kid, bid) = ids.split_at_mut(16);
    kid.copy_from_slice(&key_id.0);
    bid.copy_from_slice(backing_id);
    let (nonce_out, sealed) = rest.split_at_mut(NONCE_LEN);
    nonce_out.copy_from_slice(nonce);
    key.seal_into(nonce, &aad(header, context), plaintext, sealed)?;
    Ok(blob)
}

/// The format version of blobs of keys in an external key store:
///
/// ```text
/// offset  size  field
///      0     1  format version, 0x02
///      1    16  key id
///     17     n  the external key manager's ciphertext of a version-1 blob
/// ```
///
/// The inner version-1 blob is sealed by the KMS key's own material as
/// usual; the manager then encrypts it under the external key, with AAD =
/// a label, bytes 0..17 and the canonical encryption context
/// ([`crate::custom_key_stores::external_aad`]).
pub const EXTERNAL_VERSION: u8 = 2;
/// Bytes before the external manager's ciphertext.
pub const EXTERNAL_HEADER_LEN: usize = 1 + 16;

/// A parsed, not yet authenticated, blob of a key in an external key store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalBlob<'a> {
    /// The key that sealed it.
    pub key_id: KeyId,
    /// Bytes 0..17, bound into the external manager's AAD.
    pub header: &'a [u8],
    /// The external manager's ciphertext.
    pub outer: &'a [u8],
}

/// The header of an external-key-store blob of `key_id`.
pub fn external_header(key_id: KeyId) -> [u8; EXTERNAL_HEADER_LEN] {
    let mut h = [0u8; EXTERNAL_HEADER_LEN];
    let (version, id) = h.split_at_mut(1);
    version.copy_from_slice(&[EXTERNAL_VERSION]);
    id.copy_from_slice(&key_id.0);
    h
}

/// An external-key-store blob: the header and the manager's ciphertext.
/// Fails when the result would exceed AWS's blob limit.
pub fn wrap_external(key_id: KeyId, outer: &[u8]) -> Result<Vec<u8>> {
    if outer.is_empty() || EXTERNAL_HEADER_LEN + outer.len() > MAX_BLOB_LEN {
        return Err(KmsError::KMSInvalidStateException(format!(
            "The external key store returned a ciphertext of {} bytes; a ciphertext blob holds at most {} bytes.",
            outer.len(),
            MAX_BLOB_LEN - EXTERNAL_HEADER_LEN
        )));
    }
    let mut blob = Vec::with_capacity(EXTERNAL_HEADER_LEN + outer.len());
    blob.extend_from_slice(&external_header(key_id));
    blob.extend_from_slice(outer);
    Ok(blob)
}

/// A blob of either kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyBlob<'a> {
    /// Version 1: sealed by the KMS key's material alone.
    Local(Blob<'a>),
    /// Version 2: also encrypted by an external key.
    External(ExternalBlob<'a>),
}

impl AnyBlob<'_> {
    /// The key that sealed it.
    pub fn key_id(&self) -> KeyId {
        match self {
            AnyBlob::Local(b) => b.key_id,
            AnyBlob::External(b) => b.key_id,
        }
    }
}

/// Parses a blob of either version; every fault is `InvalidCiphertextException`.
pub fn parse_any(bytes: &[u8]) -> Result<AnyBlob<'_>> {
    if bytes.first() != Some(&EXTERNAL_VERSION) {
        return Blob::parse(bytes).map(AnyBlob::Local);
    }
    let bad = KmsError::invalid_ciphertext;
    if bytes.len() <= EXTERNAL_HEADER_LEN || bytes.len() > MAX_BLOB_LEN {
        return Err(bad());
    }
    let (header, outer) = bytes.split_at(EXTERNAL_HEADER_LEN);
    let key_id = KeyId(header.get(1..).and_then(|id| id.try_into().ok()).ok_or_else(bad)?);
    Ok(AnyBlob::External(ExternalBlob { key_id, header, outer }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn fixture() -> (KeyId, [u8; 32], AeadKey) {
        (KeyId::random().unwrap(), [9u8; 32], AeadKey::generate().unwrap())
    }

    fn context(k: &str, v: &str) -> EncryptionContext {
        EncryptionContext::new(Some(BTreeMap::from([(k.to_owned(), v.to_owned())]))).unwrap()
    }

    #[test]
    fn a_4096_byte_plaintext_fits_in_aws_blob_limit() {
        let (id, bid, key) = fixture();
        let blob = seal(id, &bid, &key, &EncryptionContext::default(), &[0u8; 4096]).unwrap();
        assert_eq!(blob.len(), 4096 + OVERHEAD);
        assert!(blob.len() <= MAX_BLOB_LEN);
    }

    #[test]
    fn blob_names_its_key_and_backing_key() {
        let (id, bid, key) = fixture();
        let blob = seal(id, &bid, &key, &EncryptionContext::default(), b"x").unwrap();
        let parsed = Blob::parse(&blob).unwrap();
        assert_eq!((parsed.key_id, parsed.backing_id), (id, bid));
    }

    #[test]
    fn every_single_bit_flip_is_invalid_ciphertext() {
        let (id, bid, key) = fixture();
        let ctx = context("tenant", "a");
        let blob = seal(id, &bid, &key, &ctx, b"secret data").unwrap();
        for i in 0..blob.len() {
            for bit in 0..8 {
                let mut t = blob.clone();
                t[i] ^= 1 << bit;
                let outcome = Blob::parse(&t).and_then(|b| {
                    // a flip in the id fields leaves the key lookup to the
                    // caller; here the original key stands in for any key
                    b.open(&key, &ctx)
                });
                assert_eq!(outcome.unwrap_err(), KmsError::invalid_ciphertext(), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn truncations_and_extensions_are_invalid_ciphertext() {
        let (id, bid, key) = fixture();
        let ctx = EncryptionContext::default();
        let blob = seal(id, &bid, &key, &ctx, b"abc").unwrap();
        for len in 0..blob.len() {
            let r = Blob::parse(&blob[..len]).and_then(|b| b.open(&key, &ctx));
            assert_eq!(r.unwrap_err(), KmsError::invalid_ciphertext(), "len {len}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert!(Blob::parse(&longer).and_then(|b| b.open(&key, &ctx)).is_err());
    }

    #[test]
    fn another_context_is_invalid_ciphertext() {
        let (id, bid, key) = fixture();
        let blob = seal(id, &bid, &key, &context("ab", "c"), b"abc").unwrap();
        let err = Blob::parse(&blob).unwrap().open(&key, &context("a", "bc")).unwrap_err();
        assert_eq!(err, KmsError::invalid_ciphertext());
    }

    #[test]
    fn oversized_blobs_are_rejected_before_any_work() {
        assert_eq!(Blob::parse(&vec![1u8; MAX_BLOB_LEN + 1]).unwrap_err(), KmsError::invalid_ciphertext());
    }
}

/// Known-answer and negative vectors, kept as data in
/// `tests/vectors/ciphertext/`. Each file is `name: value` lines; files
/// named `fail_*` must be rejected with `InvalidCiphertextException`.
/// `KMS_WASM_WRITE_VECTORS=1 cargo test vectors` rewrites them (only
/// needed when adding vectors; the format itself must never change).
#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod vectors {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/ciphertext")
    }

    struct Vector {
        fields: BTreeMap<String, String>,
    }

    impl Vector {
        fn parse(text: &str) -> Vector {
            let fields = text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .map(|l| {
                    let (k, v) = l.split_once(": ").unwrap();
                    (k.to_owned(), v.to_owned())
                })
                .collect();
            Vector { fields }
        }
        fn hex(&self, k: &str) -> Vec<u8> {
            hex::decode(&self.fields[k]).unwrap()
        }
        fn context(&self, k: &str) -> EncryptionContext {
            EncryptionContext::new(Some(serde_json::from_str(&self.fields[k]).unwrap())).unwrap()
        }
    }

    struct Good {
        name: &'static str,
        description: &'static str,
        context: &'static str,
        plaintext: Vec<u8>,
    }

    fn write(name: &str, description: &str, expect: &str, fields: &[(&str, String)]) {
        let mut text = format!("# kms-wasm ciphertext blob v1 vector: {description}\nexpect: {expect}\n");
        for (k, v) in fields {
            text.push_str(&format!("{k}: {v}\n"));
        }
        std::fs::write(dir().join(format!("{name}.txt")), text).unwrap();
    }

    /// Deterministic inputs; the material is a test value, never a real key.
    fn regenerate() {
        let key_id = KeyId::parse("1234abcd-12ab-4cd3-96ef-1234567890ab").unwrap();
        let backing: [u8; 32] = core::array::from_fn(|i| i as u8);
        let material: [u8; 32] = core::array::from_fn(|i| 0xA0 ^ i as u8);
        let nonce: [u8; 12] = core::array::from_fn(|i| 0x10 + i as u8);
        let key = AeadKey::from_slice(&material).unwrap();
        let goods = [
            Good {
                name: "empty_context",
                description: "one byte, no encryption context",
                context: "{}",
                plaintext: vec![0x2a],
            },
            Good {
                name: "two_pairs",
                description: "two context pairs, canonical order",
                context: r#"{"tenant":"acme","purpose":"backup"}"#,
                plaintext: b"hello, kms-wasm".to_vec(),
            },
            Good {
                name: "unicode_context",
                description: "non-ASCII context",
                context: r#"{"clé":"värde ✓"}"#,
                plaintext: (0..=255u8).collect(),
            },
            Good {
                name: "max_plaintext",
                description: "4096-byte plaintext, the Encrypt maximum",
                context: "{}",
                plaintext: (0..4096u32).map(|i| (i % 251) as u8).collect(),
            },
        ];
        let base = |g: &Good, blob: &[u8]| {
            vec![
                ("key_id", key_id.to_string()),
                ("backing_id", hex::encode(backing)),
                ("material", hex::encode(material)),
                ("nonce", hex::encode(nonce)),
                ("context", g.context.to_owned()),
                ("plaintext", hex::encode(&g.plaintext)),
                ("blob", hex::encode(blob)),
            ]
        };
        let mut reference = Vec::new();
        for g in &goods {
            let ctx = EncryptionContext::new(Some(serde_json::from_str(g.context).unwrap())).unwrap();
            let blob = seal_with_nonce(key_id, &backing, &key, &ctx, &g.plaintext, &nonce).unwrap();
            write(g.name, g.description, "ok", &base(g, &blob));
            if g.name == "two_pairs" {
                reference = blob;
            }
        }
        let g = &goods[1];
        let flip = |at: usize| {
            let mut b = reference.clone();
            b[at] ^= 0x01;
            b
        };
        let mut fails: Vec<(&str, &str, Vec<u8>, &str)> = vec![
            (
                "fail_version",
                "version byte is not 1",
                {
                    let mut b = reference.clone();
                    b[0] = 2;
                    b
                },
                g.context,
            ),
            ("fail_key_id", "a key-id byte changed", flip(5), g.context),
            ("fail_backing_id", "a backing-key-id byte changed", flip(30), g.context),
            ("fail_nonce", "a nonce byte changed", flip(50), g.context),
            ("fail_body", "a ciphertext byte changed", flip(HEADER_LEN + 3), g.context),
            ("fail_tag", "a tag byte changed", flip(reference.len() - 1), g.context),
            ("fail_truncated", "last byte missing", reference[..reference.len() - 1].to_vec(), g.context),
            (
                "fail_extended",
                "one byte appended",
                {
                    let mut b = reference.clone();
                    b.push(0);
                    b
                },
                g.context,
            ),
            ("fail_header_only", "header and tag without a body", reference[..OVERHEAD].to_vec(), g.context),
        ];
        fails.push((
            "fail_context_value",
            "decrypted with a changed context value",
            reference.clone(),
            r#"{"tenant":"acme","purpose":"backuP"}"#,
        ));
        fails.push(("fail_context_missing", "decrypted without the context", reference.clone(), "{}"));
        for (name, description, blob, context) in fails {
            let mut fields = base(g, &blob);
            fields.retain(|(k, _)| *k != "context" && *k != "plaintext");
            fields.push(("context", context.to_owned()));
            write(name, description, "InvalidCiphertextException", &fields);
        }
    }

    #[test]
    fn vectors() {
        if std::env::var_os("KMS_WASM_WRITE_VECTORS").is_some() {
            regenerate();
        }
        let mut count = (0, 0);
        for entry in std::fs::read_dir(dir()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let v = Vector::parse(&std::fs::read_to_string(&path).unwrap());
            let key = AeadKey::from_slice(&v.hex("material")).unwrap();
            let blob = v.hex("blob");
            let ctx = v.context("context");
            let outcome = Blob::parse(&blob).and_then(|b| {
                // the lookup the KMS does: key and backing key named in the blob
                let expected_key = KeyId::parse(&v.fields["key_id"]).unwrap();
                if b.key_id != expected_key || b.backing_id.as_slice() != v.hex("backing_id") {
                    return Err(KmsError::invalid_ciphertext());
                }
                b.open(&key, &ctx)
            });
            if name.starts_with("fail_") {
                assert_eq!(v.fields["expect"], "InvalidCiphertextException");
                assert_eq!(outcome.unwrap_err(), KmsError::invalid_ciphertext(), "{name}");
                count.1 += 1;
            } else {
                assert_eq!(v.fields["expect"], "ok");
                assert_eq!(outcome.unwrap().expose(), &v.hex("plaintext")[..], "{name}");
                // and sealing the same inputs gives the same bytes
                let nonce: [u8; 12] = v.hex("nonce").try_into().unwrap();
                let backing: [u8; 32] = v.hex("backing_id").try_into().unwrap();
                let again = seal_with_nonce(
                    KeyId::parse(&v.fields["key_id"]).unwrap(),
                    &backing,
                    &key,
                    &ctx,
                    &v.hex("plaintext"),
                    &nonce,
                )
                .unwrap();
                assert_eq!(again, blob, "{name}");
                count.0 += 1;
            }
        }
        assert!(count.0 >= 4 && count.1 >= 11, "vectors found: {count:?}");
    }
}
