//! `SecretBytes`: plaintexts and data keys on their way in and out.

use core::fmt;
use serde::{Deserialize, Deserializer, Serializer};
use zeroize::Zeroizing;

/// Bytes that must not outlive their use: plaintexts and data keys.
/// Zeroized on drop, redacted in `Debug`, no `Clone`.
///
/// When deserialized the incoming buffer is moved in, not copied, so no
/// stale copy is left behind on the Rust side.
#[derive(Default, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; they are zeroized when this value drops.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// A zero-filled buffer of `len` bytes, allocated once at its final size
    /// so that filling it leaves no reallocated copies behind.
    pub fn zeroed(len: usize) -> Self {
        SecretBytes(Zeroizing::new(vec![0u8; len]))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret bytes, writable.
    pub fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {}])", self.0.len())
    }
}

/// `SecretBytes` has no `Serialize`: a struct holding one cannot derive it
/// unless the field says how it goes out — skipped (`skip_serializing`, as
/// in every request's audit parameters), or handed over on purpose with
/// `serialize_with = "crate::crypto::secret::exposed"` (the plaintext and
/// data key a response returns to its caller, material in snapshots that
/// are sealed before they leave memory).
pub fn exposed<S: Serializer>(secret: &SecretBytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(&secret.0)
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SecretBytes::new(strict_bytes::deserialize(d)?))
    }
}

/// Deserializes binary members from bytes only (a `Uint8Array` in JS):
/// unlike `serde_bytes`, a list of numbers is refused, as AWS's SDK refuses
/// anything but a blob.
pub mod strict_bytes {
    use core::fmt;
    use serde::de::{Deserializer, Error, Visitor};

    struct Bytes;

    impl Visitor<'_> for Bytes {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a Uint8Array")
        }

        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }

        fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
    }

    /// Bytes, or an error for any other type.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_bytes() {
        let s = SecretBytes::new(b"hunter2-hunter2".to_vec());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("104")); // 'h' as a number
        assert_eq!(shown, "SecretBytes([REDACTED; 15])");
    }
}
