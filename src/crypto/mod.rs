//! The only module that touches RustCrypto and the CSPRNG. Everything secret
//! lives in the types here: they zeroize on drop, print as `[REDACTED]`, and
//! are compared in constant time.

mod aead;
pub mod kdf;
mod secret;

pub use aead::{AeadKey, NONCE_LEN, TAG_LEN};
pub use secret::{strict_bytes, SecretBytes};

use crate::error::{KmsError, Result};

/// Fills `buf` from the operating system's (or the browser's) CSPRNG.
/// There is no fallback: if the platform has no CSPRNG the call fails.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf)
        .map_err(|_| KmsError::KMSInternalException("The platform's random number generator failed.".to_owned()))
}

/// `N` random bytes from the CSPRNG.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}

/// Constant-time equality for secret-derived bytes (tokens, digests).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
