//! The two algorithm suites of message format version 2 that this crate
//! reads and writes. Both are key-committing, so only they satisfy the
//! commitment policy `REQUIRE_ENCRYPT_REQUIRE_DECRYPT`.

use super::error::{EnvelopeError, Result};

/// An algorithm suite of the AWS Encryption SDK message format, version 2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AlgorithmSuite {
    /// `0x0478` `ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY`: AES-256-GCM, key
    /// derivation and commitment with HKDF-SHA-512. The default.
    #[default]
    AesGcmHkdfSha512CommitKey,
    /// `0x0578` `ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384`: the
    /// same plus an ECDSA P-384 / SHA-384 signature in the footer.
    AesGcmHkdfSha512CommitKeyEcdsaP384,
}

impl AlgorithmSuite {
    /// The message format version of both suites.
    pub const MESSAGE_FORMAT_VERSION: u8 = 2;
    /// Data key (key-derivation input) length in bytes.
    pub const DATA_KEY_LEN: usize = 32;
    /// Derived encryption key length in bytes.
    pub const KEY_LEN: usize = 32;
    /// Commitment key (algorithm suite data) length in bytes.
    pub const COMMITMENT_LEN: usize = 32;
    /// AES-GCM IV length in bytes.
    pub const IV_LEN: usize = 12;
    /// AES-GCM tag length in bytes.
    pub const TAG_LEN: usize = 16;
    /// Message id length in bytes (version 2).
    pub const MESSAGE_ID_LEN: usize = 32;

    /// The suite with this id, if it is one of the two supported.
    pub fn from_id(id: u16) -> Result<Self> {
        match id {
            0x0478 => Ok(AlgorithmSuite::AesGcmHkdfSha512CommitKey),
            0x0578 => Ok(AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384),
            other => Err(EnvelopeError::UnsupportedAlgorithmSuite(other)),
        }
    }

    /// The suite's two-byte id.
    pub fn id(self) -> u16 {
        match self {
            AlgorithmSuite::AesGcmHkdfSha512CommitKey => 0x0478,
            AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384 => 0x0578,
        }
    }

    /// The ESDK enum name of the suite.
    pub fn name(self) -> &'static str {
        match self {
            AlgorithmSuite::AesGcmHkdfSha512CommitKey => "ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
            AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384 => "ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
        }
    }

    /// Parses a suite given by name or by id (`"0x0478"`, `"1144"`, or the
    /// ESDK enum name).
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        for suite in [AlgorithmSuite::AesGcmHkdfSha512CommitKey, AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384] {
            if t.eq_ignore_ascii_case(suite.name()) {
                return Ok(suite);
            }
        }
        let id = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u16::from_str_radix(hex, 16).ok()
        } else {
            t.parse::<u16>().ok()
        };
        match id {
            Some(id) => Self::from_id(id),
            None => Err(EnvelopeError::InvalidArgument(format!("Unknown algorithm suite '{t}'."))),
        }
    }

    /// Whether the suite signs the message (ECDSA P-384).
    pub fn is_signed(self) -> bool {
        matches!(self, AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_others_are_refused() {
        for s in [AlgorithmSuite::AesGcmHkdfSha512CommitKey, AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384] {
            assert_eq!(AlgorithmSuite::from_id(s.id()).unwrap(), s);
            assert_eq!(AlgorithmSuite::parse(s.name()).unwrap(), s);
        }
        assert_eq!(AlgorithmSuite::parse("0x0578").unwrap().id(), 0x0578);
        assert_eq!(AlgorithmSuite::parse("1144").unwrap().id(), 0x0478);
        for id in [0x0014, 0x0178, 0x0378, 0x0000, 0xffff] {
            assert_eq!(AlgorithmSuite::from_id(id), Err(EnvelopeError::UnsupportedAlgorithmSuite(id)));
        }
    }
}
