//! Key derivation and commitment (HKDF-SHA-512), and the frame cipher.
//!
//! - PRK = HKDF-Extract(salt = message id (32 bytes), IKM = data key)
//! - frame key = HKDF-Expand(PRK, suite id (u16 BE) || "DERIVEKEY", 32)
//! - commitment = HKDF-Expand(PRK, "COMMITKEY", 32)
//!
//! The frame key encrypts every frame and authenticates the header with
//! AES-256-GCM.

use super::error::{EnvelopeError, Result};
use super::suite::AlgorithmSuite;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use hkdf::Hkdf;
use sha2::Sha512;
use zeroize::Zeroizing;

const KEY_LABEL: &[u8] = b"DERIVEKEY";
const COMMIT_LABEL: &[u8] = b"COMMITKEY";

/// The keys derived from a data key for one message.
pub(crate) struct DerivedKeys {
    pub frame_key: Zeroizing<[u8; 32]>,
    pub commitment: [u8; 32],
}

/// Derives the frame key and the commitment key.
pub(crate) fn derive(suite: AlgorithmSuite, data_key: &[u8], message_id: &[u8; 32]) -> Result<DerivedKeys> {
    // The data key must be exactly 32 bytes (the suites' key-derivation input length).
    if data_key.len() != AlgorithmSuite::DATA_KEY_LEN {
        return Err(EnvelopeError::InvalidArgument(format!(
            "The data key must be {} bytes, not {}.",
            AlgorithmSuite::DATA_KEY_LEN,
            data_key.len()
        )));
    }
    let hk = Hkdf::<Sha512>::new(Some(message_id), data_key);
    let mut info = [0u8; 2 + KEY_LABEL.len()];
    info[..2].copy_from_slice(&suite.id().to_be_bytes());
    info[2..].copy_from_slice(KEY_LABEL);
    let mut frame_key = Zeroizing::new([0u8; 32]);
    let mut commitment = [0u8; 32];
    let failed = |_| EnvelopeError::Internal("key derivation failed");
    hk.expand(&info, frame_key.as_mut()).map_err(failed)?;
    hk.expand(COMMIT_LABEL, &mut commitment).map_err(failed)?;
    Ok(DerivedKeys { frame_key, commitment })
}

/// AES-256-GCM under the derived frame key (`aes-gcm` wipes its key
/// schedule on drop).
pub(crate) struct FrameCipher(Aes256Gcm);

impl FrameCipher {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        FrameCipher(Aes256Gcm::new(&(*key).into()))
    }

    /// Encrypts `plaintext` into `out` (same length) and returns the tag.
    pub(crate) fn seal(&self, iv: &[u8; 12], aad: &[u8], plaintext: &[u8], out: &mut [u8]) -> Result<[u8; 16]> {
        let buf = InOutBuf::new(plaintext, out).map_err(|_| EnvelopeError::Internal("frame buffer size"))?;
        let tag = self
            .0
            .encrypt_inout_detached(&(*iv).into(), aad, buf)
            .map_err(|_| EnvelopeError::Internal("encryption failed"))?;
        Ok(tag.into())
    }

    /// Verifies `tag` over `ciphertext` and only then decrypts into `out`
    /// (same length). On failure `out` is left as it was.
    pub(crate) fn open(&self, iv: &[u8; 12], aad: &[u8], ciphertext: &[u8], tag: &[u8; 16], out: &mut [u8]) -> bool {
        let Ok(buf) = InOutBuf::new(ciphertext, out) else { return false };
        self.0.decrypt_inout_detached(&(*iv).into(), aad, buf, &(*tag).into()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_data_key_length_is_refused() {
        assert!(matches!(
            derive(AlgorithmSuite::default(), &[0u8; 16], &[0u8; 32]),
            Err(EnvelopeError::InvalidArgument(_))
        ));
    }

    #[test]
    fn keys_depend_on_suite_message_id_and_data_key() {
        let a = derive(AlgorithmSuite::AesGcmHkdfSha512CommitKey, &[1u8; 32], &[2u8; 32]).unwrap();
        let b = derive(AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384, &[1u8; 32], &[2u8; 32]).unwrap();
        let c = derive(AlgorithmSuite::AesGcmHkdfSha512CommitKey, &[1u8; 32], &[3u8; 32]).unwrap();
        assert_ne!(*a.frame_key, *b.frame_key);
        // the commitment does not depend on the suite, only on key and message id
        assert_eq!(a.commitment, b.commitment);
        assert_ne!(a.commitment, c.commitment);
    }

    #[test]
    fn open_refuses_a_bad_tag_and_leaves_output_alone() {
        let c = FrameCipher::new(&[9u8; 32]);
        let iv = [0u8; 12];
        let mut ct = [0u8; 5];
        let tag = c.seal(&iv, b"aad", b"hello", &mut ct).unwrap();
        let mut out = [0xAAu8; 5];
        let mut bad = tag;
        bad[0] ^= 1;
        assert!(!c.open(&iv, b"aad", &ct, &bad, &mut out));
        assert_eq!(out, [0xAA; 5]);
        assert!(c.open(&iv, b"aad", &ct, &tag, &mut out));
        assert_eq!(&out, b"hello");
    }
}
