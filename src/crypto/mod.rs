//! The only module that touches RustCrypto and the CSPRNG. Everything secret
//! lives in the types here: they zeroize on drop, print as `[REDACTED]`, and
//! are compared in constant time.

pub(crate) mod aead;
pub mod kdf;
pub(crate) mod secret;

pub use aead::{AeadKey, NONCE_LEN, TAG_LEN};
pub use secret::{strict_bytes, SecretBytes};

use crate::error::{KmsError, Result};

/// Fills `buf` from the operating system's (or the browser's) CSPRNG.
/// There is no fallback: if the platform has no CSPRNG the call fails.
///
/// Small requests (nonces, data keys) are served from a pool filled by one
/// `getrandom` call per 1 KiB: in Node each `crypto.getRandomValues` call
/// costs microseconds, more than the AES work it feeds. Every byte still
/// comes only from the platform CSPRNG, is handed out once, and is wiped
/// from the pool as it leaves.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    if buf.len() > pool::SERVE_MAX {
        return os_random(buf);
    }
    pool::fill(buf)
}

fn os_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf)
        .map_err(|_| KmsError::KMSInternalException("The platform's random number generator failed.".to_owned()))
}

mod pool {
    use super::os_random;
    use crate::error::Result;
    use std::cell::RefCell;
    use zeroize::{Zeroize, Zeroizing};

    const POOL_LEN: usize = 1024;
    /// Larger requests go straight to the platform.
    pub const SERVE_MAX: usize = 64;

    struct Pool {
        bytes: Zeroizing<[u8; POOL_LEN]>,
        /// Bytes before `next` were handed out (and wiped).
        next: usize,
    }

    thread_local! {
        static POOL: RefCell<Pool> = RefCell::new(Pool { bytes: Zeroizing::new([0; POOL_LEN]), next: POOL_LEN });
    }

    pub fn fill(out: &mut [u8]) -> Result<()> {
        POOL.with(|cell| {
            // never re-entered; if it ever were, go to the platform directly
            let Ok(mut pool) = cell.try_borrow_mut() else { return os_random(out) };
            if POOL_LEN - pool.next < out.len() {
                os_random(pool.bytes.as_mut())?;
                pool.next = 0;
            }
            let start = pool.next;
            let end = start + out.len();
            let Some(taken) = pool.bytes.get_mut(start..end) else { return os_random(out) };
            out.copy_from_slice(taken);
            taken.zeroize();
            pool.next = end;
            Ok(())
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_randomness_never_repeats_and_large_requests_work() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            assert!(seen.insert(random_array::<16>().unwrap()), "a 128-bit value repeated");
        }
        let mut big = vec![0u8; 4096];
        fill_random(&mut big).unwrap();
        assert!(big.iter().any(|b| *b != 0));
    }
}
