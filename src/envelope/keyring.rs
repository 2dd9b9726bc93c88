//! Keyrings: who wraps and unwraps the data key.
//!
//! The raw AES keyring is the Encryption SDK's: AES-GCM (128/192/256-bit
//! wrapping key, 12-byte random IV, 16-byte tag) over the 32-byte data key
//! with the serialized encryption context as AAD.
//!
//! ```text
//! provider id   = key namespace
//! provider info = key name || u32 BE tag length in bits (128) || u32 BE IV length (12) || IV
//! ciphertext    = AES-GCM(wrapping key, IV, data key, AAD = context serialization) || tag
//! ```
//!
//! The context is serialized in canonical order (keys sorted by UTF-8
//! bytes). Note: the Encryption SDK for JavaScript's raw AES keyring sorts
//! with `localeCompare` unless created with `utf8Sorting: true`; with keys
//! whose two orders differ (e.g. `"B"` and `"a"`), only `utf8Sorting: true`
//! interoperates (as with the SDKs for other languages).

use super::context::EncryptionContext;
use super::error::{EnvelopeError, Result};
use super::header::EncryptedDataKey;
use super::suite::AlgorithmSuite;
use super::wire::Reader;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aes::Aes192;
use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm, AesGcm, KeyInit};
use zeroize::Zeroizing;

/// Wraps data keys for encryption and unwraps them for decryption.
pub trait Keyring {
    /// Returns the data key (`data_key`, or a fresh one) and the encrypted
    /// data keys this keyring makes for `context`.
    fn on_encrypt(
        &self,
        context: &EncryptionContext,
        data_key: Option<&[u8]>,
    ) -> Result<(Zeroizing<[u8; 32]>, Vec<EncryptedDataKey>)>;

    /// Unwraps the first encrypted data key this keyring can decrypt.
    fn on_decrypt(&self, context: &EncryptionContext, edks: &[EncryptedDataKey]) -> Result<Zeroizing<[u8; 32]>>;
}

type Aes192Gcm = AesGcm<Aes192, U12>;

enum WrappingKey {
    Aes128(Aes128Gcm),
    Aes192(Aes192Gcm),
    Aes256(Aes256Gcm),
}

const TAG_BITS: u32 = 128;
const IV_LEN: u32 = 12;

/// The Encryption SDK's raw AES keyring.
pub struct RawAesKeyring {
    namespace: String,
    name: String,
    key: WrappingKey,
}

impl core::fmt::Debug for RawAesKeyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawAesKeyring")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl RawAesKeyring {
    /// A keyring for `wrapping_key` (16, 24 or 32 bytes).
    pub fn new(key_namespace: &str, key_name: &str, wrapping_key: &[u8]) -> Result<Self> {
        // Namespace and name identify the keyring and must not be empty.
        if key_namespace.is_empty() || key_name.is_empty() {
            return Err(EnvelopeError::InvalidKeyring("the key namespace and the key name must not be empty"));
        }
        // "aws-kms" is reserved for KMS keyrings.
        if key_namespace == "aws-kms" {
            return Err(EnvelopeError::InvalidKeyring("the key namespace 'aws-kms' is reserved"));
        }
        // The namespace and the name must fit the header's u16 fields.
        if key_namespace.len() > usize::from(u16::MAX) || key_name.len() > usize::from(u16::MAX) - 20 {
            return Err(EnvelopeError::InvalidKeyring("the key namespace or name is too long"));
        }
        let key = match wrapping_key.len() {
            16 => WrappingKey::Aes128(
                Aes128Gcm::new_from_slice(wrapping_key).map_err(|_| EnvelopeError::InvalidWrappingKey)?,
            ),
            24 => WrappingKey::Aes192(
                Aes192Gcm::new_from_slice(wrapping_key).map_err(|_| EnvelopeError::InvalidWrappingKey)?,
            ),
            32 => WrappingKey::Aes256(
                Aes256Gcm::new_from_slice(wrapping_key).map_err(|_| EnvelopeError::InvalidWrappingKey)?,
            ),
            // The wrapping key must be 128, 192 or 256 bits.
            _ => return Err(EnvelopeError::InvalidWrappingKey),
        };
        Ok(RawAesKeyring { namespace: key_namespace.to_owned(), name: key_name.to_owned(), key })
    }

    /// The key namespace (the encrypted data keys' provider id).
    pub fn key_namespace(&self) -> &str {
        &self.namespace
    }

    /// The key name.
    pub fn key_name(&self) -> &str {
        &self.name
    }

    fn seal(&self, iv: &[u8; 12], aad: &[u8], data_key: &[u8], out: &mut [u8]) -> Result<[u8; 16]> {
        let buf = InOutBuf::new(data_key, out).map_err(|_| EnvelopeError::Internal("wrap buffer size"))?;
        let nonce = (*iv).into();
        let tag = match &self.key {
            WrappingKey::Aes128(c) => c.encrypt_inout_detached(&nonce, aad, buf),
            WrappingKey::Aes192(c) => c.encrypt_inout_detached(&nonce, aad, buf),
            WrappingKey::Aes256(c) => c.encrypt_inout_detached(&nonce, aad, buf),
        }
        .map_err(|_| EnvelopeError::Internal("wrapping failed"))?;
        Ok(tag.into())
    }

    fn open(&self, iv: &[u8; 12], aad: &[u8], ciphertext: &[u8], tag: &[u8; 16], out: &mut [u8]) -> bool {
        let Ok(buf) = InOutBuf::new(ciphertext, out) else { return false };
        let nonce = (*iv).into();
        let tag = (*tag).into();
        match &self.key {
            WrappingKey::Aes128(c) => c.decrypt_inout_detached(&nonce, aad, buf, &tag),
            WrappingKey::Aes192(c) => c.decrypt_inout_detached(&nonce, aad, buf, &tag),
            WrappingKey::Aes256(c) => c.decrypt_inout_detached(&nonce, aad, buf, &tag),
        }
        .is_ok()
    }

    /// Wraps `data_key` (32 bytes) for `context` with a fresh random IV.
    pub fn wrap(&self, context: &EncryptionContext, data_key: &[u8]) -> Result<EncryptedDataKey> {
        let mut iv = [0u8; 12];
        super::fill_random(&mut iv)?;
        self.wrap_with_iv(context, data_key, &iv)
    }

    /// Wraps with a given IV (test vectors only: an IV must never repeat
    /// under one wrapping key).
    pub fn wrap_with_iv(
        &self,
        context: &EncryptionContext,
        data_key: &[u8],
        iv: &[u8; 12],
    ) -> Result<EncryptedDataKey> {
        // Data keys of both suites are 32 bytes.
        if data_key.len() != AlgorithmSuite::DATA_KEY_LEN {
            return Err(EnvelopeError::InvalidArgument(format!(
                "The data key must be {} bytes, not {}.",
                AlgorithmSuite::DATA_KEY_LEN,
                data_key.len()
            )));
        }
        let aad = context.serialize();
        let mut ciphertext = vec![0u8; data_key.len() + 16];
        let (body, tag_out) = ciphertext.split_at_mut(data_key.len());
        let tag = self.seal(iv, &aad, data_key, body)?;
        tag_out.copy_from_slice(&tag);
        let mut info = Vec::with_capacity(self.name.len() + 8 + 12);
        info.extend_from_slice(self.name.as_bytes());
        info.extend_from_slice(&TAG_BITS.to_be_bytes());
        info.extend_from_slice(&IV_LEN.to_be_bytes());
        info.extend_from_slice(iv);
        Ok(EncryptedDataKey { provider_id: self.namespace.clone(), provider_info: info, ciphertext })
    }

    /// The IV of `edk` if it is one of this keyring's (namespace, name, tag
    /// and IV lengths, sizes all as this keyring writes them).
    fn iv_of(&self, edk: &EncryptedDataKey) -> Option<[u8; 12]> {
        if edk.provider_id != self.namespace {
            return None;
        }
        let rest = edk.provider_info.strip_prefix(self.name.as_bytes())?;
        let mut r = Reader::new(rest);
        let tag_bits = r.u32()?;
        let iv_len = r.u32()?;
        let iv: [u8; 12] = r.array()?;
        let exact = r.is_empty() && tag_bits == TAG_BITS && iv_len == IV_LEN;
        let sized = edk.ciphertext.len() == AlgorithmSuite::DATA_KEY_LEN + 16;
        (exact && sized).then_some(iv)
    }

    /// Unwraps the first of `edks` that is this keyring's and decrypts.
    pub fn unwrap(&self, context: &EncryptionContext, edks: &[EncryptedDataKey]) -> Result<Zeroizing<[u8; 32]>> {
        let aad = context.serialize();
        for edk in edks {
            let Some(iv) = self.iv_of(edk) else { continue };
            let Some((ct, tag)) = edk.ciphertext.split_at_checked(AlgorithmSuite::DATA_KEY_LEN) else { continue };
            let Ok(tag) = <[u8; 16]>::try_from(tag) else { continue };
            let mut key = Zeroizing::new([0u8; 32]);
            if self.open(&iv, &aad, ct, &tag, key.as_mut()) {
                return Ok(key);
            }
        }
        Err(EnvelopeError::UnableToDecryptDataKey)
    }
}

impl Keyring for RawAesKeyring {
    fn on_encrypt(
        &self,
        context: &EncryptionContext,
        data_key: Option<&[u8]>,
    ) -> Result<(Zeroizing<[u8; 32]>, Vec<EncryptedDataKey>)> {
        let key = match data_key {
            Some(k) => {
                let arr: [u8; 32] = k.try_into().map_err(|_| {
                    EnvelopeError::InvalidArgument(format!("The data key must be 32 bytes, not {}.", k.len()))
                })?;
                Zeroizing::new(arr)
            }
            None => super::generate_data_key()?,
        };
        let edk = self.wrap(context, key.as_ref())?;
        Ok((key, vec![edk]))
    }

    fn on_decrypt(&self, context: &EncryptionContext, edks: &[EncryptedDataKey]) -> Result<Zeroizing<[u8; 32]>> {
        self.unwrap(context, edks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ctx() -> EncryptionContext {
        EncryptionContext::from_pairs(BTreeMap::from([("purpose".to_string(), "test".to_string())])).unwrap()
    }

    #[test]
    fn wrap_unwrap_with_every_key_size() {
        for len in [16, 24, 32] {
            let k = RawAesKeyring::new("ns", "name", &vec![7u8; len]).unwrap();
            let edk = k.wrap(&ctx(), &[1u8; 32]).unwrap();
            assert_eq!(edk.provider_id, "ns");
            assert_eq!(edk.provider_info.len(), 4 + 8 + 12);
            assert_eq!(&edk.provider_info[4..12], &[0, 0, 0, 128, 0, 0, 0, 12]);
            assert_eq!(*k.unwrap(&ctx(), &[edk]).unwrap(), [1u8; 32]);
        }
    }

    #[test]
    fn wrong_context_name_or_key_cannot_unwrap() {
        let k = RawAesKeyring::new("ns", "name", &[7u8; 32]).unwrap();
        let edk = k.wrap(&ctx(), &[1u8; 32]).unwrap();
        assert_eq!(
            k.unwrap(&EncryptionContext::default(), std::slice::from_ref(&edk)),
            Err(EnvelopeError::UnableToDecryptDataKey)
        );
        let other_name = RawAesKeyring::new("ns", "nam", &[7u8; 32]).unwrap();
        assert_eq!(other_name.unwrap(&ctx(), std::slice::from_ref(&edk)), Err(EnvelopeError::UnableToDecryptDataKey));
        let other_key = RawAesKeyring::new("ns", "name", &[8u8; 32]).unwrap();
        assert_eq!(other_key.unwrap(&ctx(), &[edk]), Err(EnvelopeError::UnableToDecryptDataKey));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(RawAesKeyring::new("ns", "n", &[0u8; 20]).err(), Some(EnvelopeError::InvalidWrappingKey));
        assert!(matches!(RawAesKeyring::new("aws-kms", "n", &[0u8; 32]), Err(EnvelopeError::InvalidKeyring(_))));
        assert!(matches!(RawAesKeyring::new("", "n", &[0u8; 32]), Err(EnvelopeError::InvalidKeyring(_))));
    }
}
