//! Envelope encryption in the AWS Encryption SDK message format, version 2.
//!
//! Data of any size is encrypted under a fresh 256-bit *data key*; the data
//! key travels in the message header wrapped by one or more keyrings
//! (*encrypted data keys*). This module reads and writes the message format
//! with the two key-committing suites (`0x0478`, default, and `0x0578`,
//! which adds an ECDSA P-384 signature), framed bodies only, under the
//! commitment policy `REQUIRE_ENCRYPT_REQUIRE_DECRYPT`.
//!
//! - [`Encryptor`] writes a message incrementally: header, then a frame per
//!   `frame_length` plaintext bytes, then the final frame and the footer.
//! - [`Decryptor`] reads one from chunks of any size, hands back the header
//!   (so the caller can unwrap a data key), then releases each frame's
//!   plaintext only after its tag verifies.
//! - Both expose an *external frame cipher* path: the derived frame key and
//!   each frame's IV and AAD, so a platform AES-GCM (node:crypto, WebCrypto)
//!   can do the bulk work and produce byte-identical messages.
//! - [`RawAesKeyring`] wraps data keys like the Encryption SDK's raw AES
//!   keyring. KMS keyrings live in JS and pass their encrypted data keys in.
//!
//! The module is synchronous and knows nothing of JS; `docs/envelope.md`
//! describes the format, the limits and the contracts.

mod context;
mod decrypt;
mod encrypt;
mod error;
mod frame;
mod header;
mod kdf;
mod keyring;
mod sign;
mod suite;
mod wire;

pub use context::{EncryptionContext, PUBLIC_KEY_FIELD, RESERVED_PREFIX};
pub use decrypt::{DecryptOptions, Decryptor, ExternalFrame, DEFAULT_MAX_HEADER_LENGTH};
pub use encrypt::{Encryptor, DEFAULT_FRAME_LENGTH, MAX_FRAME_LENGTH};
pub use error::{EnvelopeError, Result};
pub use frame::{frame_aad, frame_iv, FrameParams, FINAL_FRAME_STRING, FRAME_STRING, SEQUENCE_NUMBER_END};
pub use header::{EncryptedDataKey, MessageHeader};
pub use keyring::{Keyring, RawAesKeyring};
pub use suite::AlgorithmSuite;

use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Fills `buf` from the CSPRNG (through the crate's one entry point).
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    crate::crypto::fill_random(buf)
        .map_err(|_| EnvelopeError::Internal("the platform's random number generator failed"))
}

/// A fresh 32-byte data key.
pub fn generate_data_key() -> Result<Zeroizing<[u8; 32]>> {
    let mut key = Zeroizing::new([0u8; 32]);
    fill_random(key.as_mut())?;
    Ok(key)
}

/// Settings of a one-shot [`encrypt_message`].
#[derive(Clone, Debug)]
pub struct EncryptOptions {
    /// The algorithm suite (default `0x0478`).
    pub suite: AlgorithmSuite,
    /// Plaintext bytes per frame (default [`DEFAULT_FRAME_LENGTH`], 64 KiB).
    pub frame_length: u32,
    /// The caller's encryption context (no `aws-crypto-` keys).
    pub encryption_context: BTreeMap<String, String>,
    /// Refuse to write more encrypted data keys than this.
    pub max_encrypted_data_keys: Option<usize>,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        EncryptOptions {
            suite: AlgorithmSuite::default(),
            frame_length: DEFAULT_FRAME_LENGTH,
            encryption_context: BTreeMap::new(),
            max_encrypted_data_keys: None,
        }
    }
}

/// Encrypts a whole plaintext with a keyring (which makes the data key and
/// the encrypted data keys).
pub fn encrypt_message(plaintext: &[u8], options: &EncryptOptions, keyring: &dyn Keyring) -> Result<Vec<u8>> {
    let mut enc = Encryptor::new(options.suite, options.frame_length, options.encryption_context.clone())?;
    enc.set_max_encrypted_data_keys(options.max_encrypted_data_keys);
    let (data_key, edks) = keyring.on_encrypt(enc.encryption_context(), None)?;
    let mut out = Vec::with_capacity(encrypted_size_hint(plaintext.len(), options.frame_length));
    enc.start(data_key.as_ref(), edks, &mut out)?;
    enc.update(plaintext, &mut out)?;
    enc.finish(&mut out)?;
    Ok(out)
}

/// Decrypts a whole message with a keyring. Returns the plaintext and the
/// (verified) header.
pub fn decrypt_message(
    message: &[u8],
    options: &DecryptOptions,
    keyring: &dyn Keyring,
) -> Result<(Zeroizing<Vec<u8>>, MessageHeader)> {
    let mut dec = Decryptor::new(options.clone());
    let mut out = Zeroizing::new(Vec::with_capacity(message.len()));
    let used = dec.update(message, &mut out)?;
    let header = dec.header().cloned().ok_or(EnvelopeError::Truncated("header"))?;
    let data_key = keyring.on_decrypt(&header.encryption_context, &header.encrypted_data_keys)?;
    dec.set_data_key(data_key.as_ref())?;
    dec.update(message.get(used..).unwrap_or_default(), &mut out)?;
    dec.finish(&mut out)?;
    Ok((out, header))
}

/// An upper bound on the message size for a plaintext of `len` bytes
/// (body and footer; the header is small and not counted), for reserving.
pub fn encrypted_size_hint(len: usize, frame_length: u32) -> usize {
    let fl = usize::try_from(frame_length.max(1)).unwrap_or(usize::MAX);
    let frames = len / fl + 1;
    len.saturating_add(frames.saturating_mul(frame::FINAL_PREFIX_LEN + AlgorithmSuite::TAG_LEN)).saturating_add(512)
}
