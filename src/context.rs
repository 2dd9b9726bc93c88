//! Encryption context: validation and the canonical byte encoding that is
//! bound into every ciphertext as additional authenticated data.
//!
//! Canonical form: a big-endian `u16` entry count, then each entry in
//! byte-wise order of its key as `u16 key length, key, u16 value length,
//! value`. Every field is length-prefixed, so no two different contexts
//! encode alike (`{ab: "c"}` and `{a: "bc"}` differ), and the order in
//! which the caller listed the pairs does not matter.

use crate::error::{KmsError, Result};
use std::collections::BTreeMap;

/// Largest total size (keys plus values, in UTF-8 bytes) we accept. AWS
/// bounds the context only by the request size; this bound keeps the AAD
/// small and every length prefix within a `u16`.
pub const MAX_CONTEXT_BYTES: usize = 8192;

/// A validated encryption context. `BTreeMap<String, _>` orders keys by
/// their UTF-8 bytes, which is the canonical order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// Validates a context from a request (absent means empty).
    pub fn new(pairs: Option<BTreeMap<String, String>>) -> Result<Self> {
        let pairs = pairs.unwrap_or_default();
        let mut total = 0usize;
        for (k, v) in &pairs {
            // Encryption context keys must be non-empty strings.
            if k.is_empty() {
                return Err(KmsError::validation("EncryptionContext keys must not be empty."));
            }
            // Encryption context values must be non-empty strings.
            if v.is_empty() {
                return Err(KmsError::validation(format!(
                    "EncryptionContext value for key '{}' must not be empty.",
                    crate::error::quoted(k)
                )));
            }
            total = total.saturating_add(k.len()).saturating_add(v.len());
        }
        // The whole context must fit in MAX_CONTEXT_BYTES.
        if total > MAX_CONTEXT_BYTES {
            return Err(KmsError::validation(format!("EncryptionContext must not exceed {MAX_CONTEXT_BYTES} bytes.")));
        }
        Ok(EncryptionContext(pairs))
    }

    /// The pairs, in canonical order.
    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Appends the canonical encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        // `new` bounds the total size to MAX_CONTEXT_BYTES (< u16::MAX),
        // so neither the count nor any length can overflow a u16.
        let put_u16 = |out: &mut Vec<u8>, n: usize| {
            out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
        };
        put_u16(out, self.0.len());
        for (k, v) in &self.0 {
            put_u16(out, k.len());
            out.extend_from_slice(k.as_bytes());
            put_u16(out, v.len());
            out.extend_from_slice(v.as_bytes());
        }
    }

    /// The number of bytes `encode_into` appends.
    pub fn encoded_len(&self) -> usize {
        2 + self.0.iter().map(|(k, v)| 4 + k.len() + v.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        EncryptionContext::new(Some(pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect())).unwrap()
    }

    fn encode(c: &EncryptionContext) -> Vec<u8> {
        let mut out = Vec::new();
        c.encode_into(&mut out);
        assert_eq!(out.len(), c.encoded_len());
        out
    }

    #[test]
    fn shifting_bytes_between_key_and_value_changes_the_encoding() {
        assert_ne!(encode(&ctx(&[("ab", "c")])), encode(&ctx(&[("a", "bc")])));
    }

    #[test]
    fn order_of_pairs_does_not_matter() {
        assert_eq!(encode(&ctx(&[("a", "1"), ("b", "2")])), encode(&ctx(&[("b", "2"), ("a", "1")])));
    }

    #[test]
    fn empty_context_encodes_as_a_zero_count() {
        assert_eq!(encode(&EncryptionContext::new(None).unwrap()), vec![0, 0]);
    }

    #[test]
    fn canonical_encoding_known_answer() {
        assert_eq!(encode(&ctx(&[("b", "xy"), ("a", "z")])), b"\x00\x02\x00\x01a\x00\x01z\x00\x01b\x00\x02xy".to_vec());
    }

    #[test]
    fn empty_keys_and_values_are_rejected() {
        let bad = |k: &str, v: &str| EncryptionContext::new(Some([(k.to_owned(), v.to_owned())].into())).unwrap_err();
        assert_eq!(bad("", "v").name(), "ValidationException");
        assert_eq!(bad("k", "").name(), "ValidationException");
    }

    #[test]
    fn oversized_context_is_rejected() {
        let big = "x".repeat(MAX_CONTEXT_BYTES);
        let err = EncryptionContext::new(Some([("k".to_owned(), big)].into())).unwrap_err();
        assert_eq!(err.name(), "ValidationException");
    }
}
