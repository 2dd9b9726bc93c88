//! The encryption context of a message and its serialization.
//!
//! Serialization (the ESDK's "encryption context serialization"): empty
//! context → no bytes at all; otherwise a big-endian `u16` pair count, then
//! each pair sorted by the UTF-8 bytes of its key as `u16 key length, key,
//! u16 value length, value`. The header's AAD field is that serialization
//! preceded by its own `u16` length; the raw AES keyring uses the
//! serialization without the length as AES-GCM AAD.

use super::error::{EnvelopeError, Result};
use super::wire::Reader;
use std::collections::BTreeMap;

/// The key under which signed suites store the verification key.
pub const PUBLIC_KEY_FIELD: &str = "aws-crypto-public-key";
/// The prefix reserved for the Encryption SDK's own keys.
pub const RESERVED_PREFIX: &str = "aws-crypto-";

/// An encryption context. `BTreeMap<String, _>` orders keys by their UTF-8
/// bytes, which is the canonical order of the serialization.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// A context from caller pairs, refusing keys with the reserved
    /// `aws-crypto-` prefix (encrypt side).
    pub fn from_caller(pairs: BTreeMap<String, String>) -> Result<Self> {
        // Keys beginning with "aws-crypto-" are reserved for the SDK.
        if let Some(k) = pairs.keys().find(|k| k.starts_with(RESERVED_PREFIX)) {
            return Err(EnvelopeError::ReservedContextKey(k.clone()));
        }
        let ec = EncryptionContext(pairs);
        ec.check_size()?;
        Ok(ec)
    }

    /// A context from any pairs, without the reserved-prefix check (for
    /// keyrings, which see the context the message will carry).
    pub fn from_pairs(pairs: BTreeMap<String, String>) -> Result<Self> {
        let ec = EncryptionContext(pairs);
        ec.check_size()?;
        Ok(ec)
    }

    /// The pairs, in canonical order.
    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Whether the context is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn insert_reserved(&mut self, key: &str, value: String) -> Result<()> {
        self.0.insert(key.to_owned(), value);
        self.check_size()
    }

    /// The serialized length, checked against the format's `u16` limits.
    fn check_size(&self) -> Result<()> {
        let too_large = || EnvelopeError::FieldTooLarge("encryption context");
        if self.0.len() > usize::from(u16::MAX) {
            return Err(too_large());
        }
        let mut total = if self.0.is_empty() { 0usize } else { 2 };
        for (k, v) in &self.0 {
            if k.len() > usize::from(u16::MAX) || v.len() > usize::from(u16::MAX) {
                return Err(too_large());
            }
            total = total.saturating_add(4 + k.len() + v.len());
        }
        if total > usize::from(u16::MAX) {
            return Err(too_large());
        }
        Ok(())
    }

    /// The serialization (no bytes for an empty context), as the raw AES
    /// keyring's AAD.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.serialize_into(&mut out);
        out
    }

    /// Appends the serialization to `out`.
    pub fn serialize_into(&self, out: &mut Vec<u8>) {
        if self.0.is_empty() {
            return;
        }
        // `check_size` (every constructor) keeps counts and lengths within u16.
        put_u16(out, self.0.len());
        for (k, v) in &self.0 {
            put_u16(out, k.len());
            out.extend_from_slice(k.as_bytes());
            put_u16(out, v.len());
            out.extend_from_slice(v.as_bytes());
        }
    }

    /// Parses the key-value-pairs field of a header (the bytes after the
    /// AAD length). Order is not enforced (the header tag authenticates the
    /// bytes as they are); duplicate keys and invalid UTF-8 are refused.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self> {
        let mut pairs = BTreeMap::new();
        if bytes.is_empty() {
            return Ok(EncryptionContext(pairs));
        }
        let bad = |what| EnvelopeError::MalformedHeader(what);
        let mut r = Reader::new(bytes);
        let count = r.u16().ok_or(bad("the encryption context is truncated"))?;
        // A present (non-empty) context must have at least one pair.
        if count == 0 {
            return Err(bad("the encryption context has a length but no pairs"));
        }
        for _ in 0..count {
            let k = r.vec16().ok_or(bad("the encryption context is truncated"))?;
            let v = r.vec16().ok_or(bad("the encryption context is truncated"))?;
            let k = String::from_utf8(k.to_vec()).map_err(|_| bad("an encryption context key is not UTF-8"))?;
            let v = String::from_utf8(v.to_vec()).map_err(|_| bad("an encryption context value is not UTF-8"))?;
            // Keys must be unique.
            if pairs.insert(k, v).is_some() {
                return Err(bad("duplicate encryption context key"));
            }
        }
        // The pairs must fill the AAD field exactly.
        if !r.is_empty() {
            return Err(bad("the encryption context has bytes after its last pair"));
        }
        Ok(EncryptionContext(pairs))
    }
}

fn put_u16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn empty_context_serializes_to_nothing() {
        assert!(EncryptionContext::default().serialize().is_empty());
        assert_eq!(EncryptionContext::parse(&[]).unwrap(), EncryptionContext::default());
    }

    #[test]
    fn pairs_are_sorted_by_utf8_bytes() {
        let c = EncryptionContext::from_caller(ec(&[("b", "2"), ("B", "1"), ("a", "")])).unwrap();
        let s = c.serialize();
        assert_eq!(s, b"\x00\x03\x00\x01B\x00\x011\x00\x01a\x00\x00\x00\x01b\x00\x012".to_vec());
        assert_eq!(EncryptionContext::parse(&s).unwrap(), c);
    }

    #[test]
    fn reserved_prefix_is_refused_on_encrypt() {
        assert_eq!(
            EncryptionContext::from_caller(ec(&[("aws-crypto-x", "1")])),
            Err(EnvelopeError::ReservedContextKey("aws-crypto-x".into()))
        );
    }

    #[test]
    fn duplicates_zero_count_and_trailing_bytes_are_refused() {
        let dup = b"\x00\x02\x00\x01a\x00\x011\x00\x01a\x00\x012";
        assert!(matches!(EncryptionContext::parse(dup), Err(EnvelopeError::MalformedHeader(_))));
        assert!(matches!(EncryptionContext::parse(b"\x00\x00"), Err(EnvelopeError::MalformedHeader(_))));
        let trailing = b"\x00\x01\x00\x01a\x00\x011\xff";
        assert!(matches!(EncryptionContext::parse(trailing), Err(EnvelopeError::MalformedHeader(_))));
        let bad_utf8 = b"\x00\x01\x00\x01\xff\x00\x011";
        assert!(matches!(EncryptionContext::parse(bad_utf8), Err(EnvelopeError::MalformedHeader(_))));
    }

    #[test]
    fn oversized_context_is_refused() {
        let big = "x".repeat(70_000);
        assert_eq!(
            EncryptionContext::from_caller(ec(&[("k", &big)])),
            Err(EnvelopeError::FieldTooLarge("encryption context"))
        );
    }
}
