//! AES-256-GCM through RustCrypto's `aes-gcm`. The expanded key schedule is
//! built once per backing key and kept; `aes-gcm`'s `zeroize` feature wipes
//! it on drop, and the raw material is held in a zeroizing array.

use super::secret::SecretBytes;
use crate::error::{KmsError, Result};
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use core::fmt;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// Bytes in an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes in an AES-GCM tag.
pub const TAG_LEN: usize = 16;

/// A 256-bit AES-GCM key: the raw material (kept for snapshots) and the
/// expanded cipher, built on first use and kept for speed. (Built lazily:
/// a KMS opened with 100,000 keys expands only the keys it uses, which
/// saves most of the open time and about a kilobyte of memory per key.)
pub struct AeadKey {
    material: Zeroizing<[u8; 32]>,
    cipher: OnceLock<Aes256Gcm>,
}

impl AeadKey {
    /// Fresh material from the CSPRNG.
    pub fn generate() -> Result<AeadKey> {
        let mut material = Zeroizing::new([0u8; 32]);
        super::fill_random(material.as_mut())?;
        Ok(Self::from_material(material))
    }

    /// A key from existing material (a snapshot, imported material).
    pub fn from_material(material: Zeroizing<[u8; 32]>) -> AeadKey {
        AeadKey { material, cipher: OnceLock::new() }
    }

    fn cipher(&self) -> &Aes256Gcm {
        self.cipher.get_or_init(|| Aes256Gcm::new(&(*self.material).into()))
    }

    /// A key from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<AeadKey> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::from_material(Zeroizing::new(array)))
    }

    /// The raw material, for sealing into a snapshot. Callers must not copy
    /// it anywhere that is not itself zeroized.
    pub fn material(&self) -> &[u8; 32] {
        &self.material
    }

    /// Encrypts `plaintext` with `aad` under `nonce`, writing
    /// `ciphertext || tag` into `out`, which must be exactly
    /// `plaintext.len() + TAG_LEN` bytes long.
    pub fn seal_into(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8], out: &mut [u8]) -> Result<()> {
        let internal = || KmsError::KMSInternalException("Encryption failed.".to_owned());
        if out.len() != plaintext.len() + TAG_LEN {
            return Err(internal());
        }
        let (body, tag_out) = out.split_at_mut(plaintext.len());
        body.copy_from_slice(plaintext);
        let tag = self
            .cipher()
            .encrypt_inout_detached(&(*nonce).into(), aad, InOutBuf::from(body))
            .map_err(|_| internal())?;
        tag_out.copy_from_slice(&tag);
        Ok(())
    }

    /// Decrypts `ciphertext || tag` into a fresh secret buffer. Any failure
    /// is the one uninformative `InvalidCiphertextException`; the tag check
    /// is constant-time inside `aes-gcm`.
    pub fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Result<SecretBytes> {
        let body_len = sealed.len().checked_sub(TAG_LEN).ok_or_else(KmsError::invalid_ciphertext)?;
        let (body, tag) = sealed.split_at(body_len);
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| KmsError::invalid_ciphertext())?;
        let mut plaintext = SecretBytes::zeroed(body_len);
        plaintext.expose_mut().copy_from_slice(body);
        self.cipher()
            .decrypt_inout_detached(&(*nonce).into(), aad, InOutBuf::from(plaintext.expose_mut()), &tag.into())
            .map_err(|_| KmsError::invalid_ciphertext())?;
        Ok(plaintext)
    }
}

impl fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AeadKey([REDACTED])")
    }
}

/// Key material has no `Serialize`: only a field that names this function
/// (`serialize_with`) writes it out — the versions of a key's material in
/// snapshots, which are sealed before they leave memory.
pub fn exposed_option<S: serde::Serializer>(key: &Option<AeadKey>, s: S) -> core::result::Result<S::Ok, S::Error> {
    match key {
        Some(k) => s.serialize_some(serde_bytes::Bytes::new(k.material.as_ref())),
        None => s.serialize_none(),
    }
}

/// The deserializer moves the material straight into a zeroizing array.
impl<'de> serde::Deserialize<'de> for AeadKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let bytes = Zeroizing::new(serde_bytes::ByteBuf::deserialize(d)?.into_vec());
        AeadKey::from_slice(&bytes).ok_or_else(|| serde::de::Error::custom("key material must be 32 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_round_trips() {
        let key = AeadKey::generate().unwrap();
        let nonce = [7u8; NONCE_LEN];
        let mut out = vec![0u8; 5 + TAG_LEN];
        key.seal_into(&nonce, b"aad", b"hello", &mut out).unwrap();
        assert_eq!(key.open(&nonce, b"aad", &out).unwrap().expose(), b"hello");
    }

    #[test]
    fn open_rejects_other_aad_and_short_input() {
        let key = AeadKey::generate().unwrap();
        let nonce = [1u8; NONCE_LEN];
        let mut out = vec![0u8; 3 + TAG_LEN];
        key.seal_into(&nonce, b"a", b"abc", &mut out).unwrap();
        assert_eq!(key.open(&nonce, b"b", &out).unwrap_err(), KmsError::invalid_ciphertext());
        assert_eq!(key.open(&nonce, b"a", &out[..10]).unwrap_err(), KmsError::invalid_ciphertext());
    }

    #[test]
    fn debug_output_never_shows_the_material() {
        let key = AeadKey::from_material(Zeroizing::new([0xAB; 32]));
        let shown = format!("{key:?}");
        assert!(!shown.to_lowercase().contains("ab, ") && !shown.contains("171"));
        assert_eq!(shown, "AeadKey([REDACTED])");
    }

    /// NIST GCM test case 16 (AES-256, 60-byte plaintext, 20-byte AAD),
    /// through our wrapper, so the wrapper adds nothing and drops nothing.
    #[test]
    fn nist_gcm_test_case_16_known_answer() {
        let key = hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308").unwrap();
        let nonce: [u8; 12] = hex::decode("cafebabefacedbaddecaf888").unwrap().try_into().unwrap();
        let pt = hex::decode(concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        ))
        .unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let expected = concat!(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"
        );
        let key = AeadKey::from_slice(&key).unwrap();
        let mut out = vec![0u8; pt.len() + TAG_LEN];
        key.seal_into(&nonce, &aad, &pt, &mut out).unwrap();
        assert_eq!(hex::encode(&out), expected);
        assert_eq!(key.open(&nonce, &aad, &out).unwrap().expose(), &pt[..]);
    }
}
